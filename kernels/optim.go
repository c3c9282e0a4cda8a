package kernels

import "math"

// Optimizer updates (SPEC.md, "Optimizers"). They write into the tensors they are given:
// the parameter and the optimizer's state. Each element is updated independently.

func finite(v float32) bool { return !math.IsNaN(float64(v)) && !math.IsInf(float64(v), 0) }

func checkSameShapes(op string, ts ...*Tensor) error {
	if err := wantF32(op, ts...); err != nil {
		return err
	}
	for i, t := range ts[1:] {
		if !sameShape(t.shape, ts[0].shape) {
			return opErr(op, ErrShape, "operand %d shape %v differs from the parameter's %v", i+1, t.shape, ts[0].shape)
		}
	}
	return nil
}

// SGDConfig holds the hyperparameters of SGD with momentum (dampening 0, as PyTorch).
// Nesterov momentum (PyTorch's nesterov=True) needs Momentum > 0.
type SGDConfig struct {
	LR, Momentum, WeightDecay float32
	Nesterov                  bool
}

// SGD updates p (and the velocity v when Momentum != 0) in place:
//
//	d = g + fl(wd*p);  v = fl(mu*v) + d;  d = v;  p = p - fl(lr*d)
//
// With Nesterov the step looks ahead along the new velocity: d = d + fl(mu*v) instead of
// d = v. v may be nil when Momentum is 0.
func SGD(p, g, v *Tensor, c SGDConfig) error {
	const op = "sgd"
	if !finite(c.LR) || c.LR < 0 || !finite(c.Momentum) || c.Momentum < 0 || !finite(c.WeightDecay) || c.WeightDecay < 0 {
		return opErr(op, ErrArgument, "lr %v, momentum %v, weight decay %v must be finite and >= 0", c.LR, c.Momentum, c.WeightDecay)
	}
	if c.Nesterov && c.Momentum == 0 {
		return opErr(op, ErrArgument, "Nesterov momentum needs a momentum > 0")
	}
	ts := []*Tensor{p, g}
	if c.Momentum != 0 {
		ts = append(ts, v)
	}
	if err := checkSameShapes(op, ts...); err != nil {
		return err
	}
	parallelFor(len(p.f32), 1<<13, func(lo, hi int) {
		for i := lo; i < hi; i++ {
			d := g.f32[i] + float32(c.WeightDecay*p.f32[i])
			if c.Momentum != 0 {
				nv := float32(c.Momentum*v.f32[i]) + d
				v.f32[i] = canon(nv)
				if c.Nesterov {
					d = d + float32(c.Momentum*nv)
				} else {
					d = nv
				}
			}
			p.f32[i] = canon(p.f32[i] - float32(c.LR*d))
		}
	})
	return nil
}

// AdamWConfig holds the hyperparameters of AdamW (Loshchilov and Hutter).
type AdamWConfig struct {
	LR, Beta1, Beta2, Eps, WeightDecay float32
}

// AdamW applies update number t (t >= 1) to p, with first and second moments m and v, in
// place. With bc1 = 1 - b1^t and bc2 = 1 - b2^t (powers by powInt):
//
//	p = fl(p * (1 - fl(lr*wd)))
//	m = fl(b1*m) + fl((1-b1)*g)
//	v = fl(b2*v) + fl(fl((1-b2)*g)*g)
//	p = p - fl(lr * ((m/bc1) / (sqrt(v/bc2) + eps)))
func AdamW(p, g, m, v *Tensor, t int64, c AdamWConfig) error {
	const op = "adamw"
	switch {
	case t < 1:
		return opErr(op, ErrArgument, "step %d must be >= 1", t)
	case !finite(c.LR) || c.LR < 0 || !finite(c.WeightDecay) || c.WeightDecay < 0:
		return opErr(op, ErrArgument, "lr %v and weight decay %v must be finite and >= 0", c.LR, c.WeightDecay)
	case !(c.Beta1 >= 0 && c.Beta1 < 1) || !(c.Beta2 >= 0 && c.Beta2 < 1):
		return opErr(op, ErrArgument, "betas %v, %v must be in [0, 1)", c.Beta1, c.Beta2)
	case !finite(c.Eps) || c.Eps <= 0:
		return opErr(op, ErrArgument, "eps %v must be finite and > 0", c.Eps)
	}
	if err := checkSameShapes(op, p, g, m, v); err != nil {
		return err
	}
	bc1 := 1 - powInt(c.Beta1, t)
	bc2 := 1 - powInt(c.Beta2, t)
	decay := 1 - float32(c.LR*c.WeightDecay)
	ob1, ob2 := 1-c.Beta1, 1-c.Beta2
	parallelFor(len(p.f32), 1<<12, func(lo, hi int) {
		for i := lo; i < hi; i++ {
			gi := g.f32[i]
			pi := float32(p.f32[i] * decay)
			mi := float32(c.Beta1*m.f32[i]) + float32(ob1*gi)
			vi := float32(c.Beta2*v.f32[i]) + float32(float32(ob2*gi)*gi)
			denom := sqrtf(vi/bc2) + c.Eps
			pi = pi - float32(c.LR*((mi/bc1)/denom))
			m.f32[i], v.f32[i], p.f32[i] = canon(mi), canon(vi), canon(pi)
		}
	})
	return nil
}

// ClipGradNorm scales the gradients in place so that their global L2 norm is at most
// maxNorm, and returns the norm before clipping. The norm is sqrt of the sum of g*g over
// the tensors in order, elements in order, from +0. If norm > maxNorm every element is
// multiplied by maxNorm / (norm + 1e-6). A NaN norm clips nothing and is returned.
func ClipGradNorm(grads []*Tensor, maxNorm float32) (float32, error) {
	const op = "clip_grad_norm"
	if !finite(maxNorm) || maxNorm <= 0 {
		return 0, opErr(op, ErrArgument, "max norm %v must be finite and > 0", maxNorm)
	}
	if err := wantF32(op, grads...); err != nil {
		return 0, err
	}
	s := float32(0)
	for _, g := range grads {
		for _, v := range g.f32 {
			s += float32(v * v)
		}
	}
	norm := canon(sqrtf(s))
	if norm > maxNorm {
		coef := maxNorm / (norm + 1e-6)
		for _, g := range grads {
			for i := range g.f32 {
				g.f32[i] = canon(g.f32[i] * coef)
			}
		}
	}
	return norm, nil
}
