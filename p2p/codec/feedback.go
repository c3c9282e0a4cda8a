package codec

import (
	"fmt"
	"slices"
)

// Feedback is one member's error feedback from round to round: what its payloads have not
// yet delivered. Each round it compresses v = float32(Beta·residual) + delta and keeps
// v − Decode(payload) as the next residual. Beta 1 delivers every part of every update
// eventually; a smaller Beta forgets stale mass, as in SparseLoCo (where the decayed
// residual also stands in for the outer momentum). The residual is the member's own: it
// reaches no hash, but its arithmetic is rounded like the rest (no fused multiply-add).
type Feedback struct {
	Beta     float32 // the fraction of the residual carried into the next round, in [0, 1]
	residual []float32
}

// Encode compresses delta plus the decayed residual and keeps what the payload does not
// deliver. It refuses a delta whose length differs from the previous rounds', a Beta
// outside [0, 1] and anything Encode refuses, and then leaves the residual as it was.
func (f *Feedback) Encode(delta []float32, c Config) ([]byte, error) {
	if !(f.Beta >= 0 && f.Beta <= 1) {
		return nil, fmt.Errorf("update: feedback decay %v is not in [0, 1]", f.Beta)
	}
	if f.residual != nil && len(f.residual) != len(delta) {
		return nil, fmt.Errorf("update: %d elements after rounds of %d", len(delta), len(f.residual))
	}
	v := slices.Clone(delta)
	for i, r := range f.residual {
		v[i] = float32(f.Beta*r) + delta[i]
	}
	payload, residual, err := Encode(v, c)
	if err != nil {
		return nil, err
	}
	f.residual = residual
	return payload, nil
}

// Residual returns a copy of what is still to deliver (nil before the first round).
func (f *Feedback) Residual() []float32 { return slices.Clone(f.residual) }
