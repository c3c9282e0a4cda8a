package guest

// Data: the task's inputs are read-only and content-addressed; every read is traced.

// ReadInput returns the whole named input.
func ReadInput(name string) []byte {
	if !ok() {
		return nil
	}
	n, err := rt.b.InputSize(name)
	if err != nil {
		fail(err)
		return nil
	}
	if n > 1<<30 {
		failf("input %s is %d bytes; read it in parts", name, n)
		return nil
	}
	b := make([]byte, n)
	fail(rt.b.InputRead(name, 0, b))
	return b
}

// InputSize returns the byte length of the named input (0 after an error), so that a task
// can check it before reading.
func InputSize(name string) int64 {
	if !ok() {
		return 0
	}
	n, err := rt.b.InputSize(name)
	fail(err)
	return n
}

// mix64 is SplitMix64's finalizer: a bijection that scatters every input bit.
func mix64(z uint64) uint64 {
	z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9
	z = (z ^ (z >> 27)) * 0x94D049BB133111EB
	return z ^ (z >> 31)
}

// splitMix returns a SplitMix64 generator for (seed, round): integer arithmetic only, so
// its numbers are the same in every build. The start is mixed from both, so that
// neighbouring rounds do not share a shifted stream (seed ^ round*phi would).
func splitMix(seed, round uint64) func() uint64 {
	x := mix64(seed ^ mix64(round+0x632BE59BD9B4E019))
	return func() uint64 {
		x += 0x9E3779B97F4A7C15
		return mix64(x)
	}
}

// Sample returns k indices drawn uniformly, with replacement, from 0..n-1, as a pure
// function of (seed, round).
func Sample(n, k int, seed, round uint64) []int {
	next := splitMix(seed, round)
	out := make([]int, k)
	for i := range out {
		out[i] = int(next() % uint64(n))
	}
	return out
}

// Shuffle returns a permutation of 0..n-1 that is a pure function of (seed, round):
// Fisher-Yates driven by SplitMix64.
func Shuffle(n int, seed, round uint64) []int32 {
	p := make([]int32, n)
	for i := range p {
		p[i] = int32(i)
	}
	next := splitMix(seed, round)
	for i := n - 1; i > 0; i-- {
		j := int(next() % uint64(i+1))
		p[i], p[j] = p[j], p[i]
	}
	return p
}

// Loader yields minibatches of a data set held in the host (features [N, F], kept) with
// labels held in the guest, reshuffling every epoch. Its position is a counter, so a
// restored run continues with the same batches.
type Loader struct {
	X      *Tensor
	Y      []int32
	Batch  int
	Seed   uint64
	name   string
	perm   []int32
	permOf uint64
}

// NewLoader makes a loader named name (the name keys its position counter).
func NewLoader(name string, x *Tensor, y []int32, batch int, seed uint64) *Loader {
	if x != nil && (len(x.dims()) != 2 || x.dims()[0] != len(y) || batch < 1 || batch > len(y)) {
		failf("loader %s: features %v, %d labels, batch %d do not fit", name, x.dims(), len(y), batch)
	}
	return &Loader{X: x.Keep(), Y: y, Batch: batch, Seed: seed, name: name, permOf: ^uint64(0)}
}

// Next returns the next batch: features [Batch, F] and int32 labels [Batch]. An epoch is
// floor(N / Batch) batches of a fresh permutation.
func (l *Loader) Next() (x, y *Tensor) {
	if !ok() {
		return nil, nil
	}
	pos := Counter(l.name + "/batch")
	SetCounter(l.name+"/batch", pos+1)
	per := uint64(len(l.Y) / l.Batch)
	epoch, k := pos/per, int(pos%per)
	if l.permOf != epoch {
		l.perm, l.permOf = Shuffle(len(l.Y), l.Seed, epoch), epoch
	}
	idx := l.perm[k*l.Batch : (k+1)*l.Batch]
	labels := make([]int32, len(idx))
	for i, j := range idx {
		labels[i] = l.Y[j]
	}
	return Embedding(l.X, FromInt32s(idx, len(idx))), FromInt32s(labels, len(labels))
}

// Epoch returns how many full epochs the loader has finished.
func (l *Loader) Epoch() uint64 {
	return Counter(l.name+"/batch") / uint64(max(1, len(l.Y)/l.Batch))
}

// LoaderF32 is Loader for float32 targets (regression, or 0/1 targets for BCEWithLogits):
// features [N, F] and targets [N] or [N, K], both held in the host and kept. It draws its
// batches as Loader does: the same permutations for the same N, batch size and seed.
type LoaderF32 struct {
	X, Y   *Tensor
	Batch  int
	Seed   uint64
	name   string
	rows   *Tensor // Y as [N, K]: the host gathers rows of a matrix
	perm   []int32
	permOf uint64
}

// NewLoaderF32 makes a loader named name (the name keys its position counter) over
// features x [N, F] and float32 targets y [N] or [N, K].
func NewLoaderF32(name string, x, y *Tensor, batch int, seed uint64) *LoaderF32 {
	l := &LoaderF32{X: x.Keep(), Y: y.Keep(), Batch: batch, Seed: seed, name: name, rows: y, permOf: ^uint64(0)}
	if !ok() {
		return l
	}
	if x == nil || y == nil {
		failf("loader %s: nil features or targets", name)
		return l
	}
	xd, yd := x.dims(), y.dims()
	if !ok() {
		return l
	}
	if len(xd) != 2 || len(yd) < 1 || len(yd) > 2 || yd[0] != xd[0] || y.dtype != Float32 || batch < 1 || batch > xd[0] {
		failf("loader %s: features %v, targets %v, batch %d do not fit (want [N, F], float32 [N] or [N, K], 1 <= batch <= N)", name, xd, yd, batch)
		return l
	}
	if len(yd) == 1 {
		l.rows = Reshape(y, yd[0], 1).Keep()
	}
	return l
}

// Next returns the next batch: features [Batch, F] and targets [Batch] or [Batch, K]. An
// epoch is floor(N / Batch) batches of a fresh permutation.
func (l *LoaderF32) Next() (x, y *Tensor) {
	if !ok() {
		return nil, nil
	}
	n := l.X.Dim(0)
	pos := Counter(l.name + "/batch")
	SetCounter(l.name+"/batch", pos+1)
	per := uint64(n / l.Batch)
	epoch, k := pos/per, int(pos%per)
	if l.permOf != epoch {
		l.perm, l.permOf = Shuffle(n, l.Seed, epoch), epoch
	}
	idx := FromInt32s(l.perm[k*l.Batch:(k+1)*l.Batch], l.Batch)
	x, y = Embedding(l.X, idx), Embedding(l.rows, idx)
	if l.rows != l.Y {
		y = Reshape(y, l.Batch)
	}
	return x, y
}

// Epoch returns how many full epochs the loader has finished.
func (l *LoaderF32) Epoch() uint64 {
	if !ok() {
		return 0
	}
	return Counter(l.name+"/batch") / uint64(max(1, l.X.Dim(0)/l.Batch))
}

// HoldOut splits the rows 0..n-1 into a training set and a test set of nTest rows, as a
// pure function of seed: the last nTest rows of Shuffle(n, seed, 0) are the test set, the
// others the training set, each in that shuffled order. Use a seed of its own, not the
// task seed, so that every run of a task holds out the same rows.
func HoldOut(n, nTest int, seed uint64) (train, test []int32) {
	if n < 0 || nTest < 0 || nTest > n {
		failf("HoldOut: %d test rows of %d", nTest, n)
		return nil, nil
	}
	p, k := Shuffle(n, seed, 0), n-nTest
	return p[:k:k], p[k:] // capped: appending to train must not overwrite test
}

// Rows returns the rows idx, in that order, of data: a row-major matrix of width columns.
// (For a matrix already in the host, Embedding(x, FromInt32s(idx, len(idx))) gathers
// the rows there.)
func Rows[T float32 | int32](data []T, width int, idx []int32) []T {
	if width < 1 || len(data)%width != 0 {
		failf("Rows: %d values are not rows of %d", len(data), width)
		return nil
	}
	out := make([]T, 0, len(idx)*width)
	for _, i := range idx {
		if i < 0 || int(i) >= len(data)/width {
			failf("Rows: row %d of %d", i, len(data)/width)
			return nil
		}
		out = append(out, data[int(i)*width:(int(i)+1)*width]...)
	}
	return out
}

// Standardizer rescales each feature (column) of a matrix [N, F] to mean 0 and standard
// deviation 1 with the statistics of the rows it was fitted on: fit it on the training
// rows and apply it to the training and the test rows alike. It computes with operators,
// so it is the same in every build; its tensors are kept, not state (Init rebuilds them).
type Standardizer struct {
	Mean, Std *Tensor // [F]; Std is 1 for a constant feature, which is only centred
}

// FitStandardizer computes each column's mean and population standard deviation over the
// rows of x [N, F].
func FitStandardizer(x *Tensor) *Standardizer {
	if !ok() {
		return nil
	}
	if x == nil || len(x.dims()) != 2 || x.Dim(0) == 0 {
		if ok() {
			failf("FitStandardizer: features %v, want [N, F] with N > 0", x)
		}
		return nil
	}
	// A second pass corrects the float32 mean by the mean of the residuals: a feature far
	// from 0 (values near 1e4, say) is off by several units in the last place after one.
	mean := Mean(x, 0)
	mean = Add(mean, Mean(Sub(x, mean), 0))
	std := Sqrt(Mean(Square(Sub(x, mean)), 0)).Float32s()
	for j, s := range std {
		if s == 0 {
			std[j] = 1
		}
	}
	return &Standardizer{Mean: mean.Keep(), Std: FromFloat32s(std, len(std)).Keep()}
}

// Apply returns (x - Mean) / Std for x [..., F].
func (s *Standardizer) Apply(x *Tensor) *Tensor {
	if s == nil {
		if ok() {
			failf("Standardizer.Apply: no Standardizer")
		}
		return nil
	}
	return Div(Sub(x, s.Mean), s.Std)
}
