package codec

import (
	"bytes"
	"cmp"
	"crypto/sha256"
	"encoding/binary"
	"encoding/hex"
	"io"
	"math"
	"runtime"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/klauspost/compress/zstd"

	"github.com/lockstep-ml/lockstep/internal/crossarch"
)

// splitmix is a small integer generator, so test inputs are the same bits everywhere.
type splitmix uint64

func (s *splitmix) next() uint64 {
	*s += 0x9e3779b97f4a7c15
	z := uint64(*s)
	z = (z ^ z>>30) * 0xbf58476d1ce4e5b9
	z = (z ^ z>>27) * 0x94d049bb133111eb
	return z ^ z>>31
}

// normalish returns n values spread like a normal of variance 1/3 (a sum of four uniforms
// of 22 bits each, shifted: the integer sum is exact in float32, and so is the division).
func normalish(seed uint64, n int) []float32 {
	rng := splitmix(seed)
	v := make([]float32, n)
	for i := range v {
		sum := int64(0)
		for range 4 {
			sum += int64(rng.next() >> 42)
		}
		v[i] = float32(sum-1<<23) / (1 << 22)
	}
	return v
}

// withSpecials puts zeros, negative zeros, ties and very small and large magnitudes at
// fixed places.
func withSpecials(v []float32) []float32 {
	specials := []float32{0, float32(math.Copysign(0, -1)), 1.5, -1.5, 1.5, 1e-40, -1e-44, 3e38, -2.5e38, 1e-30}
	v = slices.Clone(v)
	for i := 0; i < len(v); i += 37 {
		v[i] = specials[(i/37)%len(specials)]
	}
	return v
}

func le(x []float32) []byte {
	b := make([]byte, 0, 4*len(x))
	for _, f := range x {
		b = binary.LittleEndian.AppendUint32(b, math.Float32bits(f))
	}
	return b
}

func sum256(b []byte) string { s := sha256.Sum256(b); return hex.EncodeToString(s[:]) }

func config(density float64, block int) Config {
	c := DefaultConfig()
	c.Density, c.Block = density, block
	return c
}

func mustEncode(t testing.TB, v []float32, c Config) ([]byte, []float32) {
	t.Helper()
	payload, residual, err := Encode(v, c)
	if err != nil {
		t.Fatal(err)
	}
	return payload, residual
}

// compress is zstd as Encode applies it, for payloads built by hand.
func compress(raw []byte) []byte {
	enc, _ := zstd.NewWriter(nil, zstd.WithEncoderConcurrency(1))
	defer enc.Close()
	return enc.EncodeAll(raw, nil)
}

// bruteTopK sorts every index by the stated order and keeps the first k, ascending.
func bruteTopK(v []float32, k int) []uint32 {
	idx := make([]uint32, len(v))
	for i := range idx {
		idx[i] = uint32(i)
	}
	slices.SortFunc(idx, func(a, b uint32) int {
		if c := cmp.Compare(magnitude(v[b]), magnitude(v[a])); c != 0 {
			return c
		}
		return cmp.Compare(a, b)
	})
	kept := idx[:k]
	slices.Sort(kept)
	return kept
}

var shapes = []struct {
	name    string
	n       int
	density float64
	block   int
}{
	{"empty", 0, 0.01, 64},
	{"one element", 1, 0.01, 64},
	{"ten, half kept, blocks of 3", 10, 0.5, 3},
	{"1000 at the default", 1000, 0.01, 64},
	{"all kept", 4096, 1, 64},
	{"blocks of one", 777, 0.3, 1},
	{"one huge block", 5000, 0.05, MaxBlock},
	{"100k at the default", 100_000, 0.01, 64},
}

// Decoding the payload gives exactly v − residual, 0 with residual v at every element
// not kept, and decoded + residual gives v back exactly.
func TestRoundTrip(t *testing.T) {
	for seed, tc := range shapes {
		t.Run(tc.name, func(t *testing.T) {
			v := withSpecials(normalish(uint64(seed), tc.n))
			payload, residual := mustEncode(t, v, config(tc.density, tc.block))
			got, err := Decode(payload, tc.n)
			if err != nil {
				t.Fatal(err)
			}
			kept := bruteTopK(v, Kept(tc.n, tc.density))
			isKept := make([]bool, tc.n)
			for _, i := range kept {
				isKept[i] = true
			}
			for i := range v {
				if !isKept[i] {
					if math.Float32bits(got[i]) != 0 || math.Float32bits(residual[i]) != math.Float32bits(v[i]) {
						t.Fatalf("element %d, not kept: decoded %g, residual %g, v %g", i, got[i], residual[i], v[i])
					}
					continue
				}
				if residual[i] != v[i]-got[i] || got[i]+residual[i] != v[i] {
					t.Fatalf("element %d: v %g, decoded %g, residual %g", i, v[i], got[i], residual[i])
				}
			}
		})
	}
}

func TestKept(t *testing.T) {
	for _, tc := range []struct {
		n       int
		density float64
		want    int
	}{{0, 0.01, 0}, {1, 0.01, 1}, {99, 0.01, 1}, {100, 0.01, 1}, {101, 0.01, 2}, {1 << 20, 0.01, 10486}, {10, 1, 10}} {
		if got := Kept(tc.n, tc.density); got != tc.want {
			t.Errorf("Kept(%d, %g) = %d, want %d", tc.n, tc.density, got, tc.want)
		}
	}
}

// The kept set is the top k by (magnitude descending, index ascending), ties included,
// both from topK and in the payload.
func TestTopKOrder(t *testing.T) {
	cases := map[string][]float32{
		"normalish":          normalish(7, 5000),
		"with specials":      withSpecials(normalish(8, 5000)),
		"all equal":          slices.Repeat([]float32{1}, 1000),
		"signs and zeros":    {0, -1, 1, float32(math.Copysign(0, -1)), -1, 0, 2, -2, 1},
		"three magnitudes":   make([]float32, 3000),
		"one bucket, spread": make([]float32, 3000),
	}
	for i := range cases["three magnitudes"] {
		cases["three magnitudes"][i] = float32(i%3) * float32(1-2*(i%2))
		cases["one bucket, spread"][i] = math.Float32frombits(0x3f800000 | uint32(i*7919)%(1<<15))
	}
	for name, v := range cases {
		for _, k := range []int{1, 2, 10, len(v) / 3, len(v) - 1, len(v)} {
			if k > len(v) {
				continue
			}
			want := bruteTopK(v, k)
			if got := topK(v, k); !slices.Equal(got, want) {
				t.Errorf("%s, k=%d: topK %v, want %v", name, k, got[:min(10, len(got))], want[:min(10, len(want))])
			}
			density := float64(k) / float64(len(v))
			payload, _ := mustEncode(t, v, config(density, 64))
			want = bruteTopK(v, Kept(len(v), density))
			u, err := decodeSparse(payload, len(v))
			if err != nil {
				t.Fatal(err)
			}
			if !slices.Equal(u.index, want) {
				t.Errorf("%s, k=%d: the payload keeps %v, want %v", name, k, u.index[:min(10, len(u.index))], want[:min(10, len(want))])
			}
		}
	}
}

// Each kept value decodes within half its block's scale (and float32 rounding of q·s),
// except where a subnormal scale forced the clamp.
func TestQuantizationError(t *testing.T) {
	v := normalish(3, 20_000)
	for i := range v {
		v[i] *= float32(1 + i%5*10) // blocks of different ranges
	}
	for _, block := range []int{1, 7, 64, 1000} {
		payload, _ := mustEncode(t, v, config(0.1, block))
		u, err := decodeSparse(payload, len(v))
		if err != nil {
			t.Fatal(err)
		}
		got := u.decoded()
		for j, i := range u.index {
			s := float64(u.scale[j/block])
			bound := s/2*(1+1e-6) + math.Abs(float64(v[i]))*0x1p-23
			if e := math.Abs(float64(got[i]) - float64(v[i])); e > bound {
				t.Fatalf("block %d, element %d: v %g decodes to %g, error %g > %g (scale %g)", block, i, v[i], got[i], e, bound, s)
			}
		}
	}
}

// Carrying the residual from round to round, a constant update is delivered: the decoded
// rounds add up to T·v less the last residual (up to float32 rounding), and the residual
// stays bounded, so the average round tends to v.
func TestErrorFeedback(t *testing.T) {
	const n, rounds = 1000, 400
	v := normalish(11, n)
	c := config(0.01, 64)
	c.Level = zstd.SpeedFastest // the level changes only the payload's size, and takes less time here
	vmax := 0.0
	for _, x := range v {
		vmax = max(vmax, math.Abs(float64(x)))
	}
	residual := make([]float32, n)
	sum := make([]float64, n)
	worst := 0.0
	for range rounds {
		in := make([]float32, n)
		for i := range in {
			in[i] = v[i] + residual[i]
		}
		payload, r := mustEncode(t, in, c)
		got, err := Decode(payload, n)
		if err != nil {
			t.Fatal(err)
		}
		for i := range got {
			sum[i] += float64(got[i])
			worst = max(worst, math.Abs(float64(r[i])))
		}
		residual = r
	}
	// An element waits at most about n/k rounds to be sent, so its residual stays within
	// (n/k)·max|v|; without feedback the unsent mass would grow as rounds·|v|.
	if bound := float64(n) / float64(Kept(n, c.Density)) * vmax; worst > bound {
		t.Errorf("the residual reached %g, past %g", worst, bound)
	}
	slack := rounds * (worst + vmax) * 0x1p-22 // two float32 roundings a round
	for i := range v {
		if miss := math.Abs(sum[i] + float64(residual[i]) - rounds*float64(v[i])); miss > slack {
			t.Fatalf("element %d: delivered %g plus residual %g is %g from %d·v = %g", i, sum[i], residual[i], miss, rounds, rounds*float64(v[i]))
		}
	}
	t.Logf("largest residual %.3g (max|v| %.3g) over %d rounds", worst, vmax, rounds)
}

// Golden hashes of the raw format, the decoded update and the residual for fixed inputs:
// they are the same on every architecture (TestCrossArchitecture runs this there).
func TestGolden(t *testing.T) {
	golden := []struct {
		name               string
		n                  int
		c                  Config
		raw, dec, residual string
		plain              bool // without withSpecials, whose huge values zero most blocks
	}{
		{"1%, blocks of 64", 10_007, config(0.01, 64),
			"bbb65c1172c8148f0a36dd760d633f439cf1756ff09ac253c13d6686d56c2542",
			"328838d49e5562f93ba75c33cb1f64b3d85b4acddfa1f45a491dc1876ffdca8f",
			"6ab4a61f23e782ccc8fdc192e40cc1a057a5a2864e4a5f05d2ad8aa639815ae2", false},
		{"dense, blocks of 7", 4099, config(0.5, 7),
			"5700cd9605e9d3fe8f8038fdba96382ef154d340be5f5ae04660262de44f9ea8",
			"605c98ce9d600c3a8d52bee1a4330bfde5cd61ea67d9559b725a7b77938af841",
			"58cb11748ebba6cc784034f58fe42f9b15bf16e146a82f5c85d5e63b97338980", false},
		{"default, plain", 20_011, DefaultConfig(),
			"5cdff03828c4a4d5728faf4a2a0659efba92433abcddcea0d84a10184f3e8b4d",
			"2d35a6939d9b176ba30cbd878b407747d3c36501465115eb92c0411db5b585c6",
			"b044d28ca3969cc20c195b7225a5e53bb1c4e2e322f6e4d71e14cd7374dc3747", true},
	}
	for seed, g := range golden {
		v := normalish(uint64(100+seed), g.n)
		if !g.plain {
			v = withSpecials(v)
		}
		raw, _, err := encodeRaw(v, g.c)
		if err != nil {
			t.Fatal(err)
		}
		payload, residual := mustEncode(t, v, g.c)
		got, err := Decode(payload, g.n)
		if err != nil {
			t.Fatal(err)
		}
		hr, hd, hres := sum256(raw), sum256(le(got)), sum256(le(residual))
		if hr != g.raw || hd != g.dec || hres != g.residual {
			t.Errorf("%s on %s: raw %s, decoded %s, residual %s; want %s, %s, %s", g.name, runtime.GOARCH, hr, hd, hres, g.raw, g.dec, g.residual)
		}
	}
}

// The golden test passes on amd64 v1 and v3 and under qemu on arm64, riscv64, ppc64le and
// s390x, where the compiler would fuse an unrounded product.
func TestCrossArchitecture(t *testing.T) {
	crossarch.Run(t, crossarch.Targets, "-test.run", "^TestGolden$", "-test.v")
}

func TestEncodeRefuses(t *testing.T) {
	ok := normalish(1, 100)
	with := func(i int, x float32) []float32 { v := slices.Clone(ok); v[i] = x; return v }
	for _, tc := range []struct {
		name string
		v    []float32
		c    Config
		want string
	}{
		{"NaN", with(17, float32(math.NaN())), DefaultConfig(), "element 17 of 100 is NaN"},
		{"+Inf", with(3, float32(math.Inf(1))), DefaultConfig(), "element 3 of 100 is +Inf"},
		{"-Inf", with(99, float32(math.Inf(-1))), DefaultConfig(), "element 99 of 100 is -Inf"},
		{"the largest float32", with(5, math.MaxFloat32), DefaultConfig(), "127 times it overflows"},
		{"density 0", ok, config(0, 64), "density 0 is not in (0, 1]"},
		{"density past 1", ok, config(1.5, 64), "density 1.5 is not in (0, 1]"},
		{"density NaN", ok, config(math.NaN(), 64), "density NaN"},
		{"block 0", ok, config(0.01, 0), "block of 0 values"},
		{"block too large", ok, config(0.01, MaxBlock+1), "block of 65537 values"},
		{"zstd level", ok, Config{Density: 0.01, Block: 64, Level: 99}, "zstd level 99 is not in [1, 4]"},
		{"no zstd level", ok, Config{Density: 0.01, Block: 64}, "zstd level 0"},
	} {
		if _, _, err := Encode(tc.v, tc.c); err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("%s: %v, want an error containing %q", tc.name, err, tc.want)
		}
	}
}

// malformed are raw payloads of malformedN elements, each wrong in one way. The indices
// leave room for longer varints within the limit of the header's k.
const malformedN = 2000

var malformed = func() []struct {
	name string
	raw  []byte
	zstd bool // raw is sent as it is, not compressed
	want string
} {
	good := func() *sparse {
		return &sparse{n: malformedN, block: 2, index: []uint32{1, 4, 7}, scale: []float32{0.5, 0.25}, q: []int8{1, -2, 127}}
	}
	with := func(edit func(u *sparse)) []byte { u := good(); edit(u); return u.appendRaw(nil) }
	patch := func(off int, b ...byte) []byte {
		raw := good().appendRaw(nil)
		return append(raw[:off:off], append(b, raw[off+len(b):]...)...)
	}
	u32 := func(x uint32) []byte { return binary.LittleEndian.AppendUint32(nil, x) }
	f32 := func(x float32) []byte { return u32(math.Float32bits(x)) }
	const idx, scales, values = headerBytes, headerBytes + 3, headerBytes + 3 + 8 // offsets in good
	valid := good().appendRaw(nil)
	return []struct {
		name string
		raw  []byte
		zstd bool
		want string
	}{
		{"wrong magic", patch(0, 'L', 'S', 'U', '2'), false, `magic is "LSU2"`},
		{"n mismatch", patch(4, u32(2001)...), false, "it has 2001 elements, not the 2000 expected"},
		{"k past n", patch(8, u32(2001)...), false, "keeps 2001 of its 2000"},
		{"k zero", patch(8, u32(0)...), false, "keeps none"},
		{"block zero", patch(12, u32(0)...), false, "block of 0 values"},
		{"block too large", patch(12, u32(MaxBlock+1)...), false, "block of 65537 values"},
		{"duplicate index", with(func(u *sparse) { u.index[1] = 1 }), false, "index 1 of 3 repeats index 1"},
		{"unsorted indices", with(func(u *sparse) { u.index[1] = 0 }), false, "index 1 of 3: its delta 4294967295 is past the 2000 elements"},
		{"index past n", with(func(u *sparse) { u.index[2] = 2000 }), false, "index 2 of 3 is 2000, past the 2000 elements"},
		{"delta past n", with(func(u *sparse) { u.index[0] = 2000 }), false, "index 0 of 3: its delta 2000 is past"},
		{"index overflows 64 bits", append(append(valid[:idx:idx], bytes.Repeat([]byte{0xff}, 9)...), 0x02), false, "overflows 64 bits"},
		{"index not minimal", append(append(valid[:idx:idx], 0x81, 0x00), valid[idx+1:]...), false, "not minimally encoded"},
		{"NaN scale", patch(scales, f32(float32(math.NaN()))...), false, "scale of block 0 of 2 is NaN: not finite"},
		{"infinite scale", patch(scales+4, f32(float32(math.Inf(1)))...), false, "scale of block 1 of 2 is +Inf: not finite"},
		{"negative scale", patch(scales, f32(-0.5)...), false, "is -0.5: negative"},
		{"negative zero scale", patch(scales, f32(float32(math.Copysign(0, -1)))...), false, "negative"},
		{"scale too large", patch(scales, f32(math.MaxFloat32)...), false, "127 times it overflows"},
		{"value -128", patch(values+1, 0x80), false, "value 1 of 3 is -128"},
		{"value under a zero scale", patch(scales, f32(0)...), false, "value 0 of 3 is 1 in block 0, whose scale is 0"},
		{"truncated header", valid[:10], false, "truncated in its 16-byte header"},
		{"truncated indices", valid[:idx+2], false, "truncated in index 2 of 3"},
		{"truncated values", valid[:len(valid)-1], false, "truncated: 10 bytes after the indices, not the 11"},
		{"trailing byte", append(slices.Clone(valid), 0), false, "trailing bytes: 12 bytes after the indices, not the 11"},
		{"past the limit", append(slices.Clone(valid), make([]byte, 16)...), false, "expands past the 45 bytes that 3 kept of 2000 elements can take"},
		{"empty", nil, true, "truncated in its 16-byte header"},
		{"not zstd", valid, true, "zstd"},
		{"zstd then garbage", append(compress(valid), 1, 2, 3, 4, 5, 6, 7, 8), true, "zstd"},
		{"zstd checksum", func() []byte { p := compress(valid); p[len(p)-1] ^= 1; return p }(), true, "zstd"},
	}
}()

func TestDecodeRefuses(t *testing.T) {
	if _, err := Decode(compress(malformed[0].raw), malformedN); err == nil {
		t.Fatal("the table's first case is accepted")
	}
	u := &sparse{n: malformedN, block: 2, index: []uint32{1, 4, 7}, scale: []float32{0.5, 0.25}, q: []int8{1, -2, 127}}
	if _, err := Decode(compress(u.appendRaw(nil)), malformedN); err != nil {
		t.Fatalf("the table's valid payload: %v", err)
	}
	for _, tc := range malformed {
		t.Run(tc.name, func(t *testing.T) {
			payload := tc.raw
			if !tc.zstd {
				payload = compress(tc.raw)
			}
			if _, err := Decode(payload, malformedN); err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Errorf("%v, want an error containing %q", err, tc.want)
			}
		})
	}
	if _, err := Decode(compress(u.appendRaw(nil)), -1); err == nil {
		t.Error("a negative n is accepted")
	}
}

type zeroReader struct{}

func (zeroReader) Read(p []byte) (int, error) { clear(p); return len(p), nil }

// bomb is a zstd frame of a valid header for n elements, all kept in blocks of one,
// followed by 1 GiB of zeros: it compresses to a few hundred KiB.
func bomb(t *testing.T, n int) []byte {
	var out bytes.Buffer
	zw, err := zstd.NewWriter(&out, zstd.WithEncoderLevel(zstd.SpeedFastest), zstd.WithEncoderConcurrency(1))
	if err != nil {
		t.Fatal(err)
	}
	header := append([]byte(magic), 0, 0, 0, 0, 0, 0, 0, 0, 1, 0, 0, 0)
	binary.LittleEndian.PutUint32(header[4:], uint32(n))
	binary.LittleEndian.PutUint32(header[8:], uint32(n))
	zw.Write(header)
	if _, err := io.Copy(zw, io.LimitReader(zeroReader{}, 1<<30)); err != nil {
		t.Fatal(err)
	}
	zw.Close()
	return out.Bytes()
}

// A compression bomb is refused quickly and with little memory: for small n its 8 MiB
// window is refused at the frame header; for large n the window is allowed and the body
// is cut at the most the header permits.
func TestDecodeRefusesBomb(t *testing.T) {
	for _, tc := range []struct {
		n    int
		want string
	}{{1000, "window size exceeded"}, {1 << 20, "expands past the"}} {
		payload := bomb(t, tc.n)
		runtime.GC()
		var before, after runtime.MemStats
		runtime.ReadMemStats(&before)
		start := time.Now()
		_, err := Decode(payload, tc.n)
		took := time.Since(start)
		runtime.ReadMemStats(&after)
		if err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("n=%d: %v, want an error containing %q", tc.n, err, tc.want)
		}
		alloc := after.TotalAlloc - before.TotalAlloc
		if alloc > 64<<20 || took > 5*time.Second {
			t.Errorf("n=%d: refusing the bomb took %v and allocated %d MiB", tc.n, took, alloc>>20)
		}
		t.Logf("n=%d: a %d-byte bomb of 1 GiB refused in %v, allocating %.1f MiB: %v", tc.n, len(payload), took, float64(alloc)/(1<<20), err)
	}
}

// At the default density, 1<<20 normal-ish values compress at least 100 times.
func TestRatioTarget(t *testing.T) {
	const n = 1 << 20
	payload, _ := mustEncode(t, normalish(5, n), DefaultConfig())
	if r := Ratio(n, payload); r < 100 {
		t.Errorf("%d bytes for %d elements: %.1fx the dense size, want at least 100x", len(payload), n, r)
	} else {
		t.Logf("%d bytes for %d elements: %.1fx smaller than dense", len(payload), n, r)
	}
}

// Decode never panics, and what it accepts has n finite elements. The input is a payload
// or, when raw is set, the raw format that the test compresses first, so the fuzzer reaches
// the parser.
func FuzzDecode(f *testing.F) {
	for _, tc := range shapes[:5] {
		payload, _ := mustEncode(f, normalish(1, tc.n), config(tc.density, tc.block))
		f.Add(payload, uint16(tc.n), false)
		raw, _, _ := encodeRaw(normalish(1, tc.n), config(tc.density, tc.block))
		f.Add(raw, uint16(tc.n), true)
	}
	for _, tc := range malformed {
		f.Add(tc.raw, uint16(malformedN), !tc.zstd)
	}
	f.Fuzz(func(t *testing.T, data []byte, n uint16, raw bool) {
		if raw {
			data = compress(data)
		}
		got, err := Decode(data, int(n))
		if err != nil {
			return
		}
		if len(got) != int(n) {
			t.Fatalf("accepted with %d elements, not %d", len(got), n)
		}
		for i, x := range got {
			if math.IsNaN(float64(x)) || math.IsInf(float64(x), 0) {
				t.Fatalf("accepted with element %d = %g", i, x)
			}
		}
	})
}

// BenchmarkCodec encodes and decodes 1<<20 normal-ish values at the default density and
// reports the compression ratio against the dense float32 update (the target is 100x).
func BenchmarkCodec(b *testing.B) {
	const n = 1 << 20
	v := normalish(9, n)
	payload, _ := mustEncode(b, v, DefaultConfig())
	ratio := Ratio(n, payload)
	if ratio < 100 {
		b.Fatalf("%.1fx smaller than dense, short of the 100x target", ratio)
	}
	b.Run("encode", func(b *testing.B) {
		b.SetBytes(4 * n)
		for b.Loop() {
			mustEncode(b, v, DefaultConfig())
		}
		b.ReportMetric(ratio, "x_vs_dense")
	})
	b.Run("decode", func(b *testing.B) {
		b.SetBytes(4 * n)
		for b.Loop() {
			if _, err := Decode(payload, n); err != nil {
				b.Fatal(err)
			}
		}
		b.ReportMetric(ratio, "x_vs_dense")
	})
	b.Logf("%d elements: %d payload bytes, %.1fx smaller than dense (target >= 100x)", n, len(payload), ratio)
}
