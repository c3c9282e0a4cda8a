package guest

import "fmt"

// Optimizers, in the manner of torch.optim. Their state (moments, velocity) is registered
// as task state, and their step count is a counter, so a restored run continues exactly.

// AdamW is Adam with decoupled weight decay, with optional clipping of the global gradient
// norm before each update.
type AdamW struct {
	LR, Beta1, Beta2, Eps, WeightDecay float32
	ClipNorm                           float32 // 0: no clipping
	params, m, v                       []*Tensor
	name                               string
}

// NewAdamW makes an AdamW over params (in Init), registering its moments as name/m/<param>
// and name/v/<param>. Zero hyperparameters take PyTorch's defaults (lr 1e-3, betas 0.9 and
// 0.999, eps 1e-8, weight decay 0.01).
func NewAdamW(name string, params []*Tensor, o AdamW) *AdamW {
	d := &o
	if d.LR == 0 {
		d.LR = 1e-3
	}
	if d.Beta1 == 0 {
		d.Beta1 = 0.9
	}
	if d.Beta2 == 0 {
		d.Beta2 = 0.999
	}
	if d.Eps == 0 {
		d.Eps = 1e-8
	}
	d.name, d.params = name, params
	for _, p := range params {
		d.m = append(d.m, State(fmt.Sprintf("%s/m/%s", name, p.name), Zeros(p.dims()...)))
		d.v = append(d.v, State(fmt.Sprintf("%s/v/%s", name, p.name), Zeros(p.dims()...)))
	}
	return d
}

// clip scales the gradients in place to the global norm limit and returns the norm.
func clip(params []*Tensor, maxNorm float32) {
	var gs []*Tensor
	for _, p := range params {
		if p.Grad != nil {
			gs = append(gs, p.Grad)
		}
	}
	if maxNorm > 0 && len(gs) > 0 {
		norm := op1(opClipGradNorm, []uint32{f32w(maxNorm)}, gs)
		_ = norm
	}
}

// Step applies one update with the parameters' gradients (from Backward).
func (o *AdamW) Step() {
	if !ok() {
		return
	}
	clip(o.params, o.ClipNorm)
	t := Counter(o.name+"/step") + 1
	SetCounter(o.name+"/step", t)
	attrs := []uint32{uint32(t), uint32(t >> 32), f32w(o.LR), f32w(o.Beta1), f32w(o.Beta2), f32w(o.Eps), f32w(o.WeightDecay)}
	for i, p := range o.params {
		if p.Grad == nil {
			continue
		}
		run(opAdamW, attrs, []*Tensor{p, p.Grad, o.m[i], o.v[i]})
	}
}

// SGD is stochastic gradient descent with momentum and weight decay; Nesterov (with a
// momentum > 0) looks ahead along the new velocity, as PyTorch's nesterov=True.
type SGD struct {
	LR, Momentum, WeightDecay float32
	ClipNorm                  float32
	Nesterov                  bool
	// Velocity, if set, holds the starting velocity of each parameter (a state resumed
	// from elsewhere); by default they start at zero.
	Velocity    []*Tensor
	params, vel []*Tensor
}

// NewSGD makes an SGD over params (in Init), registering velocities as name/v/<param>.
func NewSGD(name string, params []*Tensor, o SGD) *SGD {
	d := &o
	d.params = params
	if o.Velocity != nil && len(o.Velocity) != len(params) {
		failf("NewSGD %q: %d starting velocities for %d parameters", name, len(o.Velocity), len(params))
		return d
	}
	for i, p := range params {
		var v *Tensor
		if o.Velocity != nil {
			v = o.Velocity[i]
		} else {
			v = Zeros(p.dims()...)
		}
		d.vel = append(d.vel, State(fmt.Sprintf("%s/v/%s", name, p.name), v))
	}
	return d
}

// Step applies one update.
func (o *SGD) Step() {
	if !ok() {
		return
	}
	clip(o.params, o.ClipNorm)
	attrs := []uint32{f32w(o.LR), f32w(o.Momentum), f32w(o.WeightDecay)}
	if o.Nesterov { // a fourth word only when set: the calls of other tasks stay as they were
		attrs = append(attrs, 1)
	}
	for i, p := range o.params {
		if p.Grad != nil {
			run(opSGD, attrs, []*Tensor{p, p.Grad, o.vel[i]})
		}
	}
}
