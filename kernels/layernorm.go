package kernels

// Layer normalization over the last axis (SPEC.md, "Layer norm").

func checkLayerNorm(op string, x, gamma *Tensor, eps float32) (rows, d int, err error) {
	rows, d, err = lastAxis(op, x)
	if err != nil {
		return 0, 0, err
	}
	if err := wantF32(op, gamma); err != nil {
		return 0, 0, err
	}
	if len(gamma.shape) != 1 || gamma.shape[0] != d {
		return 0, 0, opErr(op, ErrShape, "gamma shape %v, want [%d]", gamma.shape, d)
	}
	if !(eps >= 0) || eps > 1 {
		return 0, 0, opErr(op, ErrArgument, "eps %v is not in [0, 1]", eps)
	}
	return rows, d, nil
}

// normalizeRow writes xhat_j = (x_j - mean) * rstd into dst and returns rstd, with
// mean = (sum x_j) / D, var = (sum (x_j - mean)^2) / D, rstd = 1 / sqrt(var + eps).
func normalizeRow(dst, row []float32, eps float32) float32 {
	fd := float32(len(row))
	s := float32(0)
	for _, v := range row {
		s += v
	}
	mean := s / fd
	q := float32(0)
	for _, v := range row {
		c := v - mean
		q += float32(c * c)
	}
	rstd := 1 / sqrtf(q/fd+eps)
	for j, v := range row {
		dst[j] = (v - mean) * rstd
	}
	return rstd
}

// LayerNorm returns y_j = xhat_j * gamma_j + beta_j per row of the last axis.
func LayerNorm(x, gamma, beta *Tensor, eps float32) (*Tensor, error) {
	const op = "layer_norm"
	rows, d, err := checkLayerNorm(op, x, gamma, eps)
	if err != nil {
		return nil, err
	}
	if err := wantF32(op, beta); err != nil {
		return nil, err
	}
	if !sameShape(beta.shape, gamma.shape) {
		return nil, opErr(op, ErrShape, "beta shape %v, want [%d]", beta.shape, d)
	}
	out := newF32(x.Shape())
	parallelFor(rows, max(1, 1024/d), func(lo, hi int) {
		for r := lo; r < hi; r++ {
			dst := out.f32[r*d : (r+1)*d]
			normalizeRow(dst, x.f32[r*d:(r+1)*d], eps)
			for j := range dst {
				dst[j] = canon(float32(dst[j]*gamma.f32[j]) + beta.f32[j])
			}
		}
	})
	return out, nil
}

// LayerNormBackward returns the gradients of LayerNorm. Per row, with g_j = dy_j*gamma_j,
// a = (sum g_j)/D and b = (sum g_j*xhat_j)/D: dx_j = rstd * ((g_j - a) - xhat_j*b).
// dgamma_j = sum over rows, in order from +0, of dy_j*xhat_j; dbeta_j likewise of dy_j.
func LayerNormBackward(x, gamma, dy *Tensor, eps float32) (dx, dgamma, dbeta *Tensor, err error) {
	const op = "layer_norm_backward"
	rows, d, err := checkLayerNorm(op, x, gamma, eps)
	if err != nil {
		return nil, nil, nil, err
	}
	if err := wantF32(op, dy); err != nil {
		return nil, nil, nil, err
	}
	if !sameShape(dy.shape, x.shape) {
		return nil, nil, nil, opErr(op, ErrShape, "gradient shape %v, want %v", dy.shape, x.shape)
	}
	dx = newF32(x.Shape())
	xhat := make([]float32, len(x.f32))
	fd := float32(d)
	parallelFor(rows, max(1, 1024/d), func(lo, hi int) {
		g := make([]float32, d)
		for r := lo; r < hi; r++ {
			xh, dyr, dst := xhat[r*d:(r+1)*d], dy.f32[r*d:(r+1)*d], dx.f32[r*d:(r+1)*d]
			rstd := normalizeRow(xh, x.f32[r*d:(r+1)*d], eps)
			sa, sb := float32(0), float32(0)
			for j := range g {
				g[j] = float32(dyr[j] * gamma.f32[j])
				sa += g[j]
				sb += float32(g[j] * xh[j])
			}
			a, b := sa/fd, sb/fd
			for j := range dst {
				dst[j] = canon(rstd * ((g[j] - a) - float32(xh[j]*b)))
			}
		}
	})
	dgamma, dbeta = newF32([]int{d}), newF32([]int{d})
	for r := 0; r < rows; r++ {
		xh, dyr := xhat[r*d:(r+1)*d], dy.f32[r*d:(r+1)*d]
		for j := 0; j < d; j++ {
			dgamma.f32[j] += float32(dyr[j] * xh[j])
			dbeta.f32[j] += dyr[j]
		}
	}
	canonSlice(dgamma.f32)
	canonSlice(dbeta.f32)
	return dx, dgamma, dbeta, nil
}
