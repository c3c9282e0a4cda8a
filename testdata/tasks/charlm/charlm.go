// Package charlm is the character-level language model example task: a small transformer
// (token and position embeddings, two pre-norm blocks of causal self-attention and a GELU
// MLP, a final layer norm) trained with AdamW on Newton's Opticks
// (testdata/data/opticks.txt, public domain). Eval reports the held-out loss beside the
// unigram baseline. Its Wasm build is testdata/tasks/charlm/charlm.wasm:
//
//	GOOS=wasip1 GOARCH=wasm go build -buildmode=c-shared -trimpath -ldflags=-buildid= \
//	    -o testdata/tasks/charlm/charlm.wasm ./testdata/tasks/charlm/wasm
//	lockstep run testdata/tasks/charlm/charlm.wasm --input testdata/data/opticks.txt --steps 400
package charlm

import (
	"fmt"
	"math"

	"github.com/lockstep-ml/lockstep/guest"
)

// Input is the name of the text input the task reads.
const Input = "opticks.txt"

const (
	context = 32 // characters of context
	dim     = 64
	heads   = 4
	layers  = 2
	batch   = 16
	evalN   = 32 // held-out windows in Eval
)

type block struct {
	ln1, ln2 *guest.LayerNormLayer
	attn     *guest.CausalSelfAttention
	mlp      *guest.MLP
}

// Task is the language model.
type Task struct {
	vocab      int
	ids        []int32 // the corpus as token ids
	split      int     // ids[:split] train, ids[split:] held out
	tok, pos   *guest.Tensor
	blocks     []block
	lnf        *guest.LayerNormLayer
	head       *guest.Linear
	opt        *guest.AdamW
	seed       uint64
	unigramNLL float64
}

func init() { guest.Register(&Task{}) }

// Init tokenizes the corpus (one id per distinct byte, in byte order) and builds the model.
func (t *Task) Init(seed uint64) error {
	text := guest.ReadInput(Input)
	if err := guest.Err(); err != nil {
		return err
	}
	if len(text) < 10*context {
		return fmt.Errorf("%s has %d bytes, too few", Input, len(text))
	}
	var present [256]bool
	for _, c := range text {
		present[c] = true
	}
	var idOf [256]int32
	t.vocab = 0
	for c := 0; c < 256; c++ {
		if present[c] {
			idOf[c] = int32(t.vocab)
			t.vocab++
		}
	}
	t.ids = make([]int32, len(text))
	for i, c := range text {
		t.ids[i] = idOf[c]
	}
	t.split = len(t.ids) * 9 / 10
	t.seed = seed
	t.unigramNLL = unigram(t.ids[:t.split], t.ids[t.split:], t.vocab)

	r := &guest.RNG{Seed: seed, Stream: 1}
	t.tok = guest.Param("tok", r.Normal(0, 0.02, t.vocab, dim))
	t.pos = guest.Param("pos", r.Normal(0, 0.02, context, dim))
	t.blocks = nil
	for l := 0; l < layers; l++ {
		name := fmt.Sprintf("block%d", l)
		t.blocks = append(t.blocks, block{
			ln1:  guest.NewLayerNorm(name+".ln1", dim),
			attn: guest.NewCausalSelfAttention(name+".attn", dim, heads, r),
			ln2:  guest.NewLayerNorm(name+".ln2", dim),
			mlp:  guest.NewMLP(name+".mlp", []int{dim, 4 * dim, dim}, guest.Gelu, r),
		})
	}
	t.lnf = guest.NewLayerNorm("lnf", dim)
	t.head = guest.NewLinear("head", dim, t.vocab, r)
	t.opt = guest.NewAdamW("adamw", guest.Params(), guest.AdamW{LR: 3e-3, WeightDecay: 0.01, ClipNorm: 1})
	return guest.Err()
}

// unigram returns the held-out cross-entropy, in nats per character, of the training
// set's character frequencies (add-one smoothed): the baseline a model must beat. It is a
// metric, outside the trace, so float64 is fine here.
func unigram(train, held []int32, vocab int) float64 {
	counts := make([]float64, vocab)
	for _, id := range train {
		counts[id]++
	}
	total := float64(len(train) + vocab)
	nll := 0.0
	for _, id := range held {
		nll -= math.Log((counts[id] + 1) / total)
	}
	return nll / float64(len(held))
}

// windows returns inputs [n, context] and next-character targets [n*context] for n windows
// starting at the given offsets.
func (t *Task) windows(starts []int) (*guest.Tensor, *guest.Tensor) {
	x := make([]int32, 0, len(starts)*context)
	y := make([]int32, 0, len(starts)*context)
	for _, s := range starts {
		x = append(x, t.ids[s:s+context]...)
		y = append(y, t.ids[s+1:s+context+1]...)
	}
	return guest.FromInt32s(x, len(starts), context), guest.FromInt32s(y, len(y))
}

// forward returns logits [n*context, vocab] for inputs [n, context].
func (t *Task) forward(x *guest.Tensor) *guest.Tensor {
	h := guest.Add(guest.Embedding(t.tok, x), t.pos) // [n, T, d] + [T, d]
	for _, b := range t.blocks {
		h = guest.Add(h, b.attn.Forward(b.ln1.Forward(h)))
		h = guest.Add(h, b.mlp.Forward(b.ln2.Forward(h)))
	}
	logits := t.head.Forward(t.lnf.Forward(h))
	return guest.Reshape(logits, -1, t.vocab)
}

// Step trains on a batch of random windows of the training text; the windows are a pure
// function of (seed, step).
func (t *Task) Step(step uint64) error {
	x, y := t.windows(guest.Sample(t.split-context-1, batch, t.seed, step))
	loss := guest.CrossEntropy(t.forward(x), y)
	guest.Backward(loss)
	t.opt.Step()
	guest.Metric("loss", float64(loss.Item()))
	return guest.Err()
}

// Eval reports the held-out loss on evenly spaced windows, and the unigram baseline.
func (t *Task) Eval() error {
	held := len(t.ids) - t.split - context - 1
	starts := make([]int, evalN)
	for i := range starts {
		starts[i] = t.split + i*held/evalN
	}
	x, y := t.windows(starts)
	loss := guest.CrossEntropy(t.forward(x), y)
	guest.Metric("loss", float64(loss.Item()))
	guest.Metric("unigram_loss", t.unigramNLL)
	return guest.Err()
}
