// Package digits is the digits example task: a multilayer perceptron that classifies the
// 8x8 handwritten digits of testdata/data/digits.csv.gz (UCI, CC BY 4.0), written with
// the guest SDK. It trains on a fixed split of 1497 images and reports its accuracy on
// the other 300 in Eval. Its Wasm build is testdata/tasks/digits/digits.wasm:
//
//	GOOS=wasip1 GOARCH=wasm go build -buildmode=c-shared -trimpath -ldflags=-buildid= \
//	    -o testdata/tasks/digits/digits.wasm ./testdata/tasks/digits/wasm
//	lockstep run testdata/tasks/digits/digits.wasm --input testdata/data/digits.csv.gz --steps 600
package digits

import (
	"bytes"
	"compress/gzip"
	"fmt"
	"io"
	"strconv"
	"strings"

	"github.com/lockstep-ml/lockstep/guest"
)

// Input is the name of the data input the task reads.
const Input = "digits.csv.gz"

const (
	pixels    = 64
	classes   = 10
	heldOut   = 300
	splitSeed = 0x5EED_D161 // the split is fixed, whatever the task seed
	batch     = 64
)

// Task is the digits classifier.
type Task struct {
	mlp   *guest.MLP
	opt   *guest.AdamW
	train *guest.Loader
	testX *guest.Tensor
	testY []int32
}

func init() { guest.Register(&Task{}) }

// parse reads the gzipped CSV into pixel values scaled to [0, 1] and labels.
func parse(gz []byte) (x []float32, y []int32, err error) {
	zr, err := gzip.NewReader(bytes.NewReader(gz))
	if err != nil {
		return nil, nil, fmt.Errorf("%s: %w", Input, err)
	}
	raw, err := io.ReadAll(zr)
	if err != nil {
		return nil, nil, fmt.Errorf("%s: %w", Input, err)
	}
	for n, line := range strings.Split(strings.TrimSpace(string(raw)), "\n") {
		fields := strings.Split(strings.TrimSpace(line), ",")
		if len(fields) != pixels+1 {
			return nil, nil, fmt.Errorf("%s line %d: %d fields, want %d", Input, n+1, len(fields), pixels+1)
		}
		for i, f := range fields {
			v, err := strconv.Atoi(f)
			if err != nil || v < 0 || (i < pixels && v > 16) || (i == pixels && v >= classes) {
				return nil, nil, fmt.Errorf("%s line %d field %d: bad value %q", Input, n+1, i+1, f)
			}
			if i < pixels {
				x = append(x, float32(v)/16) // exact: v/16 with v <= 16
			} else {
				y = append(y, int32(v))
			}
		}
	}
	return x, y, nil
}

// Init reads the data, splits it, and builds the model and optimizer.
func (t *Task) Init(seed uint64) error {
	x, y, err := parse(guest.ReadInput(Input))
	if err != nil {
		return err
	}
	n := len(y)
	if n <= heldOut+batch {
		return fmt.Errorf("%s has %d images, too few", Input, n)
	}
	perm := guest.Shuffle(n, splitSeed, 0)
	var trainX, testX []float32
	var trainY []int32
	t.testY = nil
	for k, i := range perm {
		row := x[int(i)*pixels : (int(i)+1)*pixels]
		if k < n-heldOut {
			trainX, trainY = append(trainX, row...), append(trainY, y[i])
		} else {
			testX, t.testY = append(testX, row...), append(t.testY, y[i])
		}
	}
	t.testX = guest.FromFloat32s(testX, heldOut, pixels).Keep()
	r := &guest.RNG{Seed: seed, Stream: 1}
	t.mlp = guest.NewMLP("mlp", []int{pixels, 128, classes}, guest.Relu, r)
	t.opt = guest.NewAdamW("adamw", guest.Params(), guest.AdamW{LR: 3e-3, WeightDecay: 1e-4, ClipNorm: 5})
	t.train = guest.NewLoader("train", guest.FromFloat32s(trainX, len(trainY), pixels), trainY, batch, seed)
	return guest.Err()
}

// Step trains on one minibatch.
func (t *Task) Step(step uint64) error {
	x, y := t.train.Next()
	loss := guest.CrossEntropy(t.mlp.Forward(x), y)
	guest.Backward(loss)
	t.opt.Step()
	guest.Metric("loss", float64(loss.Item()))
	return guest.Err()
}

// Eval reports held-out accuracy and loss.
func (t *Task) Eval() error {
	logits := t.mlp.Forward(t.testX)
	pred := guest.ArgMax(logits).Int32s()
	loss := guest.CrossEntropy(logits, guest.FromInt32s(t.testY, len(t.testY)))
	right := 0
	for i, p := range pred {
		if p == t.testY[i] {
			right++
		}
	}
	guest.Metric("accuracy", float64(right)/float64(len(t.testY)))
	guest.Metric("loss", float64(loss.Item()))
	return guest.Err()
}
