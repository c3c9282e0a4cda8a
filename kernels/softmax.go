package kernels

// Softmax family over the last axis (SPEC.md, "Softmax and cross-entropy").

// lastAxis checks x is float32 of rank >= 1 with a non-empty last axis and returns the row
// count and length.
func lastAxis(op string, x *Tensor) (rows, n int, err error) {
	if err := wantF32(op, x); err != nil {
		return 0, 0, err
	}
	if len(x.shape) == 0 || x.shape[len(x.shape)-1] == 0 {
		return 0, 0, opErr(op, ErrShape, "shape %v has no non-empty last axis", x.shape)
	}
	n = x.shape[len(x.shape)-1]
	return len(x.f32) / n, n, nil
}

// rowMax returns the greatest element of row, or NaN if any element is NaN.
func rowMax(row []float32) float32 {
	m := row[0]
	for _, v := range row {
		if v != v {
			return v
		}
		if v > m {
			m = v
		}
	}
	return m
}

// expShift writes e_j = exp(x_j - m) into dst and returns their sum from +0.
func expShift(dst, row []float32, m float32) float32 {
	s := float32(0)
	for j, v := range row {
		e := expf(v - m)
		dst[j] = e
		s += e
	}
	return s
}

// Softmax returns y_j = e_j / s with e_j = exp(x_j - max) and s = sum e_j, per row.
func Softmax(x *Tensor) (*Tensor, error) {
	rows, n, err := lastAxis("softmax", x)
	if err != nil {
		return nil, err
	}
	out := newF32(x.Shape())
	parallelFor(rows, max(1, 1024/n), func(lo, hi int) {
		for r := lo; r < hi; r++ {
			dst := out.f32[r*n : (r+1)*n]
			s := expShift(dst, x.f32[r*n:(r+1)*n], rowMax(x.f32[r*n:(r+1)*n]))
			for j := range dst {
				dst[j] = canon(dst[j] / s)
			}
		}
	})
	return out, nil
}

// LogSoftmax returns y_j = (x_j - max) - log(s), per row.
func LogSoftmax(x *Tensor) (*Tensor, error) {
	rows, n, err := lastAxis("log_softmax", x)
	if err != nil {
		return nil, err
	}
	out := newF32(x.Shape())
	parallelFor(rows, max(1, 1024/n), func(lo, hi int) {
		for r := lo; r < hi; r++ {
			row, dst := x.f32[r*n:(r+1)*n], out.f32[r*n:(r+1)*n]
			m := rowMax(row)
			ls := logf(expShift(dst, row, m))
			for j, v := range row {
				dst[j] = canon((v - m) - ls)
			}
		}
	})
	return out, nil
}

// SoftmaxBackward returns dx_j = y_j * (dy_j - d) with d = sum_j dy_j*y_j from +0.
func SoftmaxBackward(y, dy *Tensor) (*Tensor, error) {
	return rowBackward("softmax_backward", y, dy, func(dst, y, g []float32) {
		d := float32(0)
		for j := range y {
			d += float32(g[j] * y[j])
		}
		for j := range y {
			dst[j] = canon(y[j] * (g[j] - d))
		}
	})
}

// LogSoftmaxBackward returns dx_j = dy_j - exp(y_j) * sg with sg = sum_j dy_j from +0.
func LogSoftmaxBackward(y, dy *Tensor) (*Tensor, error) {
	return rowBackward("log_softmax_backward", y, dy, func(dst, y, g []float32) {
		sg := float32(0)
		for _, v := range g {
			sg += v
		}
		for j := range y {
			dst[j] = canon(g[j] - float32(expf(y[j])*sg))
		}
	})
}

func rowBackward(op string, y, dy *Tensor, f func(dst, y, g []float32)) (*Tensor, error) {
	rows, n, err := lastAxis(op, y)
	if err != nil {
		return nil, err
	}
	if err := wantF32(op, dy); err != nil {
		return nil, err
	}
	if !sameShape(y.shape, dy.shape) {
		return nil, opErr(op, ErrShape, "output shape %v and gradient shape %v differ", y.shape, dy.shape)
	}
	out := newF32(y.Shape())
	parallelFor(rows, max(1, 1024/n), func(lo, hi int) {
		for r := lo; r < hi; r++ {
			f(out.f32[r*n:(r+1)*n], y.f32[r*n:(r+1)*n], dy.f32[r*n:(r+1)*n])
		}
	})
	return out, nil
}

// checkLabels validates logits [N, C] and int32 labels [N] with every label in [0, C).
func checkLabels(op string, logits, labels *Tensor) (n, c int, err error) {
	if err := wantF32(op, logits); err != nil {
		return 0, 0, err
	}
	if labels == nil || labels.dtype != Int32 {
		return 0, 0, opErr(op, ErrDType, "labels must be an int32 tensor")
	}
	if len(logits.shape) != 2 || logits.shape[0] == 0 || logits.shape[1] == 0 {
		return 0, 0, opErr(op, ErrShape, "logits shape %v, want [N, C] with N, C >= 1", logits.shape)
	}
	n, c = logits.shape[0], logits.shape[1]
	if len(labels.shape) != 1 || labels.shape[0] != n {
		return 0, 0, opErr(op, ErrShape, "labels shape %v, want [%d]", labels.shape, n)
	}
	for i, l := range labels.i32 {
		if l < 0 || int(l) >= c {
			return 0, 0, opErr(op, ErrRange, "label %d at row %d is outside [0, %d)", l, i, c)
		}
	}
	return n, c, nil
}

// CrossEntropy returns the mean over rows of -log softmax(logits)[label] as a rank-0
// tensor: per row, loss = log(s) - (x_label - max); the total is summed over rows in
// order from +0 and divided by N.
func CrossEntropy(logits, labels *Tensor) (*Tensor, error) {
	n, c, err := checkLabels("cross_entropy", logits, labels)
	if err != nil {
		return nil, err
	}
	scratch := make([]float32, c)
	total := float32(0)
	for r := 0; r < n; r++ {
		row := logits.f32[r*c : (r+1)*c]
		m := rowMax(row)
		s := expShift(scratch, row, m)
		total += logf(s) - (row[labels.i32[r]] - m)
	}
	return Scalar(total / float32(n)), nil
}

// CrossEntropyBackward returns dlogits = (softmax(logits) - onehot(labels)) * (g / N),
// where g is the rank-0 (or one-element) gradient of the loss.
func CrossEntropyBackward(logits, labels, g *Tensor) (*Tensor, error) {
	const op = "cross_entropy_backward"
	n, c, err := checkLabels(op, logits, labels)
	if err != nil {
		return nil, err
	}
	if err := wantF32(op, g); err != nil {
		return nil, err
	}
	if len(g.f32) != 1 {
		return nil, opErr(op, ErrShape, "loss gradient shape %v, want a scalar", g.shape)
	}
	scale := g.f32[0] / float32(n)
	out := newF32(logits.Shape())
	parallelFor(n, max(1, 1024/c), func(lo, hi int) {
		for r := lo; r < hi; r++ {
			dst := out.f32[r*c : (r+1)*c]
			s := expShift(dst, logits.f32[r*c:(r+1)*c], rowMax(logits.f32[r*c:(r+1)*c]))
			for j := range dst {
				p := dst[j] / s
				if j == int(labels.i32[r]) {
					p = p - 1
				}
				dst[j] = canon(p * scale)
			}
		}
	})
	return out, nil
}
