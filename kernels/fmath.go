package kernels

import "math"

// The R0 transcendentals (SPEC.md, "Transcendentals"). Each is built only from IEEE
// binary32 + - * / and sqrt, with every product that feeds an addition rounded explicitly
// as float32(a*b) so that no compiler may fuse it, and with math.Floor only on exact values.
// The polynomial coefficients are the Cephes single-precision ones (S. L. Moshier).

const (
	expHi = 88.72283935546875 // largest x with exp(x) finite in float32 (0x42B17218)
	expLo = -103.97283935546875
	log2e = 1.44269504088896341
	ln2Hi = 0.693359375 // 355/512: n*ln2Hi is exact for |n| <= 2^15
	ln2Lo = -2.12194440e-4
)

// pow2 returns 2^n for -126 <= n <= 127 as a normal float32, exactly.
func pow2(n int) float32 { return math.Float32frombits(uint32(n+127) << 23) }

// expf returns e^x.
func expf(x float32) float32 {
	switch {
	case x != x:
		return math.Float32frombits(canonicalNaNBits)
	case x > expHi:
		return float32(math.Inf(1))
	case x < expLo:
		return 0
	}
	// n = round-half-up(x*log2e). The product is rounded to float32 first; its float64
	// image plus one half is exact, so Floor sees exactly what the spec says.
	z := float32(x * log2e)
	n := int(math.Floor(float64(z) + 0.5))
	fn := float32(n)
	r := x - float32(fn*ln2Hi)
	r = r - float32(fn*ln2Lo)
	r2 := float32(r * r)
	p := float32(1.9875691500e-4)
	p = float32(p*r) + 1.3981999507e-3
	p = float32(p*r) + 8.3334519073e-3
	p = float32(p*r) + 4.1665795894e-2
	p = float32(p*r) + 1.6666665459e-1
	p = float32(p*r) + 5.0000001201e-1
	p = float32(p*r2) + r
	p = p + 1
	// Scale by 2^n in two exact-range factors so that only the last multiply rounds,
	// including when the result is subnormal or n = 128.
	n1 := n / 2
	return float32(p*pow2(n1)) * pow2(n-n1)
}

// logf returns the natural logarithm of x.
func logf(x float32) float32 {
	switch {
	case x != x || x < 0:
		return math.Float32frombits(canonicalNaNBits)
	case x == 0:
		return float32(math.Inf(-1))
	case math.IsInf(float64(x), 1):
		return x
	}
	bits := math.Float32bits(x)
	e := 0
	if bits < 0x00800000 { // subnormal: scale into the normal range exactly
		x *= 1 << 23
		bits = math.Float32bits(x)
		e = -23
	}
	// x = m * 2^e with m in [0.5, 1).
	e += int(bits>>23) - 126
	m := math.Float32frombits(bits&0x007FFFFF | 0x3F000000)
	if m < 0.70710678118654752 {
		e--
		m = m + m - 1
	} else {
		m = m - 1
	}
	z := float32(m * m)
	y := float32(7.0376836292e-2)
	y = float32(y*m) - 1.1514610310e-1
	y = float32(y*m) + 1.1676998740e-1
	y = float32(y*m) - 1.2420140846e-1
	y = float32(y*m) + 1.4249322787e-1
	y = float32(y*m) - 1.6668057665e-1
	y = float32(y*m) + 2.0000714765e-1
	y = float32(y*m) - 2.4999993993e-1
	y = float32(y*m) + 3.3333331174e-1
	y = float32(float32(y*m) * z)
	fe := float32(e)
	y = y + float32(fe*ln2Lo)
	y = y - float32(0.5*z)
	r := m + y
	return r + float32(fe*ln2Hi)
}

// tanhf returns the hyperbolic tangent of x.
func tanhf(x float32) float32 {
	if x != x {
		return math.Float32frombits(canonicalNaNBits)
	}
	ax := x
	if ax < 0 {
		ax = -ax
	}
	if ax > 0.625 {
		// tanh|x| = 1 - 2/(e^{2|x|} + 1); e^{2|x|} = +Inf gives exactly 1.
		t := 1 - 2/(expf(ax+ax)+1)
		if x < 0 {
			return -t
		}
		return t
	}
	if x == 0 {
		return x // keeps the sign of zero
	}
	z := float32(x * x)
	p := float32(-5.70498872745e-3)
	p = float32(p*z) + 2.06390887954e-2
	p = float32(p*z) - 5.37397155531e-2
	p = float32(p*z) + 1.33314422036e-1
	p = float32(p*z) - 3.33332819422e-1
	return float32(float32(p*z)*x) + x
}

// sigmoidf returns 1/(1+e^{-x}), evaluated in the form that does not overflow or cancel.
func sigmoidf(x float32) float32 {
	if x != x {
		return math.Float32frombits(canonicalNaNBits)
	}
	if x >= 0 {
		return 1 / (1 + expf(-x))
	}
	e := expf(x)
	return e / (1 + e)
}

// GELU tanh form: x/2 * (1 + tanh(k(x + c x^3))) = x * sigmoid(2k(x + c x^3)).
// The sigmoid form is the same function and avoids cancelling 1 + tanh for negative x.
const (
	geluK = 0.7978845608028654 // sqrt(2/pi)
	geluC = 0.044715
)

// geluArg returns v = 2k(x + c x^3), the sigmoid argument of GELU, and dv/dx.
func geluArg(x float32) (v, dv float32) {
	x2 := float32(x * x)
	x3 := float32(x2 * x)
	inner := x + float32(geluC*x3)
	v = float32((2 * geluK) * inner)
	dv = float32((2 * geluK) * (1 + float32((3*geluC)*x2)))
	return v, dv
}

func geluf(x float32) float32 {
	if x != x {
		return math.Float32frombits(canonicalNaNBits)
	}
	v, _ := geluArg(x)
	return x * sigmoidf(v)
}

// geluGradf returns d gelu(x)/dx = s + x s (1-s) v' with s = sigmoid(v).
func geluGradf(x float32) float32 {
	v, dv := geluArg(x)
	s := sigmoidf(v)
	t := float32(float32(x*s) * (1 - s))
	return s + float32(t*dv)
}

// Taylor coefficients of sin(pi/2 f) and cos(pi/2 f) for |f| <= 1/2 (|angle| <= pi/4).
// Exact constant arithmetic, rounded once to float32.
const (
	hp   = math.Pi / 2
	sc1  = hp
	sc3  = -hp * hp * hp / 6
	sc5  = hp * hp * hp * hp * hp / 120
	sc7  = -hp * hp * hp * hp * hp * hp * hp / 5040
	sc9  = hp * hp * hp * hp * hp * hp * hp * hp * hp / 362880
	cc2  = -hp * hp / 2
	cc4  = hp * hp * hp * hp / 24
	cc6  = -hp * hp * hp * hp * hp * hp / 720
	cc8  = hp * hp * hp * hp * hp * hp * hp * hp / 40320
	cc10 = -hp * hp * hp * hp * hp * hp * hp * hp * hp * hp / 3628800
)

func sinHalfPi(f float32) float32 {
	f2 := float32(f * f)
	p := float32(sc9)
	p = float32(p*f2) + sc7
	p = float32(p*f2) + sc5
	p = float32(p*f2) + sc3
	p = float32(p*f2) + sc1
	return float32(p * f)
}

func cosHalfPi(f float32) float32 {
	f2 := float32(f * f)
	p := float32(cc10)
	p = float32(p*f2) + cc8
	p = float32(p*f2) + cc6
	p = float32(p*f2) + cc4
	p = float32(p*f2) + cc2
	return float32(p*f2) + 1
}

// cos2pi returns cos(2 pi u) for u in [0, 1). u must have at most 24 significant bits
// below 1 (as every uniform draw does) so that 4u and 4u - q are exact.
func cos2pi(u float32) float32 {
	t := float32(4 * u)
	q := int(math.Floor(float64(t) + 0.5))
	f := t - float32(q)
	switch q & 3 {
	case 0:
		return cosHalfPi(f)
	case 1:
		return -sinHalfPi(f)
	case 2:
		return -cosHalfPi(f)
	default:
		return sinHalfPi(f)
	}
}

// powInt returns b^n for n >= 0 by binary exponentiation, squaring from the low bit up:
// r = 1; while n > 0 { if n&1 { r = r*b }; b = b*b; n >>= 1 }.
func powInt(b float32, n int64) float32 {
	r := float32(1)
	for n > 0 {
		if n&1 == 1 {
			r = r * b
		}
		b = b * b
		n >>= 1
	}
	return r
}
