package guest

// Sampling tokens from a model's logits, and the log-probabilities of chosen tokens:
// what generation and reinforcement learning (guest/rl) need. Every float operation is a
// host operator, so a sample is the same on every machine.

// SampleTokens draws one index along the last axis of logits [..., V] for each of its
// rows: argmax(logits / temperature + g), g standard Gumbel noise −ln(−ln u) from r's
// uniform draws (the Gumbel-max trick: a draw from softmax(logits / temperature)), and
// advances r. A temperature of 0 is the greedy argmax, and draws nothing. It returns the
// int32 indices [...]; no gradient flows through it.
func SampleTokens(logits *Tensor, temperature float32, r *RNG) *Tensor {
	if !ok() || logits == nil {
		return nil
	}
	if temperature < 0 || temperature != temperature {
		failf("SampleTokens: temperature %v, want 0 (greedy) or more", temperature)
		return nil
	}
	if temperature == 0 {
		return op1(opArgMax, nil, []*Tensor{logits})
	}
	u := r.Uniform(logits.dims()...)
	minusOne := []uint32{f32w(-1)}
	// u = 0 gives −ln(−ln 0) = −Inf: that element is never chosen, and no NaN arises.
	g := op1(opScale, minusOne, []*Tensor{op1(opLog, nil, []*Tensor{op1(opScale, minusOne, []*Tensor{op1(opLog, nil, []*Tensor{u})})})})
	scaled := logits
	if temperature != 1 {
		scaled = op1(opScale, []uint32{f32w(1 / temperature)}, []*Tensor{logits})
	}
	return op1(opArgMax, nil, []*Tensor{op1(opAdd, nil, []*Tensor{scaled, g})})
}

// TokenLogProbs returns log softmax(logits)[..., ids[...]]: the log-probability of each
// chosen index (int32 ids [...], in [0, V)) under logits [..., V], with the gradient
// flowing back into logits. The choice is a one-hot mask (an embedding of an identity
// table) multiplied into the log-softmax and summed over the last axis.
func TokenLogProbs(logits, ids *Tensor) *Tensor {
	if !ok() || logits == nil || ids == nil {
		failf("TokenLogProbs: a nil tensor")
		return nil
	}
	v := logits.Dim(-1)
	eye := make([]float32, v*v)
	for i := 0; i < v; i++ {
		eye[i*v+i] = 1
	}
	onehot := Embedding(FromFloat32s(eye, v, v), ids)
	return Sum(Mul(LogSoftmax(logits), onehot), -1)
}
