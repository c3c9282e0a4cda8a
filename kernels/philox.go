package kernels

import "math/bits"

// Philox4x32-10 (Salmon, Moraes, Dror, Shaw, "Parallel Random Numbers: As Easy as 1, 2, 3",
// SC11), the counter-based generator behind every R0 random draw (SPEC.md, "Randomness").
// A block of four 32-bit words is a pure function of a 128-bit counter and a 64-bit key.

const (
	philoxM0 = 0xD2511F53
	philoxM1 = 0xCD9E8D57
	philoxW0 = 0x9E3779B9
	philoxW1 = 0xBB67AE85
)

// Philox4x32 returns the Philox4x32-10 block for counter ctr and key key.
func Philox4x32(ctr [4]uint32, key [2]uint32) [4]uint32 {
	c0, c1, c2, c3 := ctr[0], ctr[1], ctr[2], ctr[3]
	k0, k1 := key[0], key[1]
	for round := 0; round < 10; round++ {
		hi0, lo0 := bits.Mul32(philoxM0, c0)
		hi1, lo1 := bits.Mul32(philoxM1, c2)
		c0, c1, c2, c3 = hi1^c1^k0, lo1, hi0^c3^k1, lo0
		k0 += philoxW0
		k1 += philoxW1
	}
	return [4]uint32{c0, c1, c2, c3}
}

// RNG names one random stream: a seed (the Philox key), a stream number, and a counter
// offset. Draw i of a stream uses the Philox block whose counter is
// (offset + block(i)) in words 0-1 and the stream in words 2-3, little end first.
type RNG struct {
	Seed   uint64
	Stream uint64
	Offset uint64
}

func (r RNG) block(n uint64) [4]uint32 {
	c := r.Offset + n
	return Philox4x32(
		[4]uint32{uint32(c), uint32(c >> 32), uint32(r.Stream), uint32(r.Stream >> 32)},
		[2]uint32{uint32(r.Seed), uint32(r.Seed >> 32)},
	)
}

// unitFloat maps a word to [0, 1): the top 24 bits times 2^-24, both steps exact.
func unitFloat(w uint32) float32 { return float32(w>>8) * (1.0 / (1 << 24)) }

// Uniform returns a tensor of the given shape with elements uniform in [0, 1):
// element i is unitFloat(word i%4 of block i/4). It uses ceil(n/4) counters.
func Uniform(r RNG, shape ...int) (*Tensor, error) {
	if _, err := checkShape("uniform", shape); err != nil {
		return nil, err
	}
	out := newF32(append([]int(nil), shape...))
	parallelFor(len(out.f32), 4096, func(lo, hi int) {
		var b [4]uint32
		for i := lo; i < hi; i++ {
			if i == lo || i%4 == 0 {
				b = r.block(uint64(i / 4))
			}
			out.f32[i] = unitFloat(b[i%4])
		}
	})
	return out, nil
}

// Normal returns a tensor of standard normal draws scaled by std and shifted by mean:
// element i takes words (2(i%2), 2(i%2)+1) of block i/2 as w1, w2 and is
// mean + std * (sqrt(-2 ln u1) * cos(2 pi u2)) with u1 = (w1>>8 + 1) * 2^-24 in (0, 1]
// and u2 = unitFloat(w2). It uses ceil(n/2) counters.
func Normal(r RNG, mean, std float32, shape ...int) (*Tensor, error) {
	if _, err := checkShape("normal", shape); err != nil {
		return nil, err
	}
	if mean != mean || std != std {
		return nil, opErr("normal", ErrArgument, "mean %v and std %v must not be NaN", mean, std)
	}
	out := newF32(append([]int(nil), shape...))
	parallelFor(len(out.f32), 2048, func(lo, hi int) {
		for i := lo; i < hi; i++ {
			b := r.block(uint64(i / 2))
			j := 2 * (i % 2)
			u1 := float32(b[j]>>8+1) * (1.0 / (1 << 24))
			u2 := unitFloat(b[j+1])
			z := float32(sqrtf(-2*logf(u1)) * cos2pi(u2))
			out.f32[i] = mean + float32(std*z)
		}
	})
	return out, nil
}

// Dropout zeroes each element of x with probability p and scales the rest by 1/(1-p).
// Element i is kept when Uniform's draw i is >= p. It returns the output and the mask
// (0 or the scale per element), which DropoutBackward takes.
func Dropout(x *Tensor, p float32, r RNG) (out, mask *Tensor, err error) {
	const op = "dropout"
	if err := wantF32(op, x); err != nil {
		return nil, nil, err
	}
	if !(p >= 0 && p < 1) {
		return nil, nil, opErr(op, ErrArgument, "probability %v is not in [0, 1)", p)
	}
	u, err := Uniform(r, x.shape...)
	if err != nil {
		return nil, nil, err
	}
	scale := 1 / (1 - p)
	mask = u // reuse the draw buffer for the mask
	out = newF32(x.Shape())
	for i, v := range u.f32 {
		m := float32(0)
		if v >= p {
			m = scale
		}
		mask.f32[i] = m
		out.f32[i] = canon(x.f32[i] * m)
	}
	return out, mask, nil
}

// DropoutBackward returns dy * mask.
func DropoutBackward(dy, mask *Tensor) (*Tensor, error) {
	return binarySameShape("dropout_backward", dy, mask, func(g, m float32) float32 { return g * m })
}
