package kernels

import (
	"math"
	"testing"
)

// Random123's published known-answer vectors for Philox4x32-10.
func TestPhiloxKnownAnswers(t *testing.T) {
	cases := []struct {
		ctr  [4]uint32
		key  [2]uint32
		want [4]uint32
	}{
		{[4]uint32{0, 0, 0, 0}, [2]uint32{0, 0}, [4]uint32{0x6627e8d5, 0xe169c58d, 0xbc57ac4c, 0x9b00dbd8}},
		{[4]uint32{0xffffffff, 0xffffffff, 0xffffffff, 0xffffffff}, [2]uint32{0xffffffff, 0xffffffff},
			[4]uint32{0x408f276d, 0x41c83b0e, 0xa20bc7c6, 0x6d5451fd}},
		{[4]uint32{0x243f6a88, 0x85a308d3, 0x13198a2e, 0x03707344}, [2]uint32{0xa4093822, 0x299f31d0},
			[4]uint32{0xd16cfe09, 0x94fdcceb, 0x5001e420, 0x24126ea1}},
	}
	for _, c := range cases {
		if got := Philox4x32(c.ctr, c.key); got != c.want {
			t.Errorf("Philox4x32(%08x, %08x) = %08x, want %08x", c.ctr, c.key, got, c.want)
		}
	}
}

// A draw is a pure function of (seed, stream, counter): a slice of a long draw equals a
// short draw started at the matching offset, and streams and seeds differ.
func TestRandomIsCounterBased(t *testing.T) {
	r := RNG{Seed: 42, Stream: 3, Offset: 100}
	long := must[*Tensor](t)(Uniform(r, 4000))
	tail := must[*Tensor](t)(Uniform(RNG{Seed: 42, Stream: 3, Offset: 100 + 250}, 3000))
	if bitsDiffer(long.f32[1000:], tail.f32) >= 0 {
		t.Fatal("uniform draw at offset+250 differs from elements 1000.. of the longer draw")
	}
	nl := must[*Tensor](t)(Normal(r, 0, 1, 4000))
	nt := must[*Tensor](t)(Normal(RNG{Seed: 42, Stream: 3, Offset: 100 + 500}, 0, 1, 3000))
	if bitsDiffer(nl.f32[1000:], nt.f32) >= 0 {
		t.Fatal("normal draw at offset+500 differs from elements 1000.. of the longer draw")
	}
	for _, other := range []RNG{{Seed: 43, Stream: 3, Offset: 100}, {Seed: 42, Stream: 4, Offset: 100}} {
		o := must[*Tensor](t)(Uniform(other, 4000))
		same := 0
		for i := range o.f32 {
			if o.f32[i] == long.f32[i] {
				same++
			}
		}
		if same > 10 {
			t.Fatalf("%+v repeats %d of 4000 draws of %+v", other, same, r)
		}
	}
}

// Moments and tail frequencies of a million draws, against what the distributions imply
// (bounds about 6 standard errors wide, so a correct generator fails about once in 10^8).
func TestDistributions(t *testing.T) {
	const n = 1 << 20
	u := must[*Tensor](t)(Uniform(RNG{Seed: 7}, n))
	var s, s2 float64
	for _, v := range u.f32 {
		if v < 0 || v >= 1 {
			t.Fatalf("uniform draw %v outside [0, 1)", v)
		}
		s += float64(v)
		s2 += float64(v) * float64(v)
	}
	mean, variance := s/n, s2/n-(s/n)*(s/n)
	if math.Abs(mean-0.5) > 6*math.Sqrt(1.0/12/n) || math.Abs(variance-1.0/12) > 6*0.0745/math.Sqrt(n) {
		t.Errorf("uniform mean %v variance %v", mean, variance)
	}
	z := must[*Tensor](t)(Normal(RNG{Seed: 7}, 0, 1, n))
	s, s2 = 0, 0
	var s4 float64
	beyond2 := 0
	for _, v := range z.f32 {
		if math.IsNaN(float64(v)) || math.IsInf(float64(v), 0) {
			t.Fatalf("normal draw %v", v)
		}
		x := float64(v)
		s += x
		s2 += x * x
		s4 += x * x * x * x
		if math.Abs(x) > 2 {
			beyond2++
		}
	}
	mean, variance = s/n, s2/n
	p2 := 0.04550026389635842 // P(|Z| > 2)
	switch {
	case math.Abs(mean) > 6/math.Sqrt(n):
		t.Errorf("normal mean %v", mean)
	case math.Abs(variance-1) > 6*math.Sqrt(2.0/n):
		t.Errorf("normal variance %v", variance)
	case math.Abs(s4/n-3) > 6*math.Sqrt(96.0/n):
		t.Errorf("normal fourth moment %v, want 3", s4/n)
	case math.Abs(float64(beyond2)/n-p2) > 6*math.Sqrt(p2*(1-p2)/n):
		t.Errorf("P(|z| > 2) = %v, want %v", float64(beyond2)/n, p2)
	}
	sc := must[*Tensor](t)(Normal(RNG{Seed: 7}, 3, 0.5, n))
	for i := range sc.f32 {
		if want := 3 + float32(0.5*z.f32[i]); sc.f32[i] != want {
			t.Fatalf("Normal(mean 3, std 0.5)[%d] = %v, want 3 + 0.5*%v", i, sc.f32[i], z.f32[i])
		}
	}
}

func TestDropout(t *testing.T) {
	x := must[*Tensor](t)(Normal(RNG{Seed: 9}, 0, 1, 1<<16))
	for _, p := range []float32{0, 0.1, 0.5} {
		y, mask, err := Dropout(x, p, RNG{Seed: 2})
		if err != nil {
			t.Fatal(err)
		}
		kept := 0
		for i, m := range mask.f32 {
			if m != 0 {
				kept++
				if m != 1/(1-p) || y.f32[i] != x.f32[i]*m {
					t.Fatalf("p=%v: kept element %d has mask %v, output %v for input %v", p, i, m, y.f32[i], x.f32[i])
				}
			} else if y.f32[i] != 0 {
				t.Fatalf("p=%v: dropped element %d is %v", p, i, y.f32[i])
			}
		}
		q := 1 - float64(p)
		if math.Abs(float64(kept)/(1<<16)-q) > 6*math.Sqrt(q*(1-q)/(1<<16))+1e-12 {
			t.Errorf("p=%v keeps %d of %d", p, kept, 1<<16)
		}
	}
}
