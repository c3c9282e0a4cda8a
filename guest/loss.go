package guest

import "slices"

// Losses for regression and binary classification, composed of host operators so that
// their gradients come from the operators' own backward steps, and the accuracy metric.

// sameShape fails unless a and b have the same shape: a loss that broadcast [N, 1]
// against [N] would silently compare every prediction with every target.
func sameShape(fn string, a, b *Tensor) bool {
	if !ok() {
		return false
	}
	if a == nil || b == nil {
		failf("%s: a nil tensor", fn)
		return false
	}
	if !slices.Equal(a.dims(), b.dims()) {
		if ok() {
			failf("%s: input %v and target %v differ in shape", fn, a.dims(), b.dims())
		}
		return false
	}
	return true
}

// meanAll returns the mean of every element of x, as a rank-0 tensor.
func meanAll(x *Tensor) *Tensor { return Mean(Reshape(x, -1), 0) }

// MSE returns the mean squared error mean((pred - target)²) over every element, as a
// rank-0 tensor. pred and target must have the same shape.
func MSE(pred, target *Tensor) *Tensor {
	if !sameShape("MSE", pred, target) {
		return nil
	}
	return meanAll(Square(Sub(pred, target)))
}

// BCEWithLogits returns the mean binary cross-entropy of sigmoid(logits) against
// targets in [0, 1], over every element, as a rank-0 tensor. logits and targets must have
// the same shape. It uses the form that does not overflow for any x,
//
//	max(x, 0) - x·y + ln(1 + e^-|x|),  with -|x| = x - 2·max(x, 0),
//
// whose gradient with respect to x is (sigmoid(x) - y) / n. (There is no log1p operator:
// an element whose loss is below about 6e-8, |x| > 16.6 on the right side, counts as 0.)
func BCEWithLogits(logits, targets *Tensor) *Tensor {
	if !sameShape("BCEWithLogits", logits, targets) {
		return nil
	}
	pos := Relu(logits)
	negAbs := Sub(logits, Scale(pos, 2))
	softplus := Log(Add(Exp(negAbs), Scalar(1)))
	return meanAll(Add(Sub(pos, Mul(logits, targets)), softplus))
}

// Accuracy returns the fraction of the rows of logits (its last axis holds the classes)
// whose largest value is at the index of the row's label. It reads the predictions out
// of the host and counts them in integers, so the result is exact; it is for Metric.
func Accuracy(logits *Tensor, labels []int32) float64 {
	pred := ArgMax(logits).Int32s()
	if !ok() {
		return 0
	}
	if len(pred) != len(labels) || len(labels) == 0 {
		failf("Accuracy: %d predictions, %d labels", len(pred), len(labels))
		return 0
	}
	right := 0
	for i, p := range pred {
		if p == labels[i] {
			right++
		}
	}
	return float64(right) / float64(len(labels))
}
