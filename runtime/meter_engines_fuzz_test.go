package runtime

import (
	"context"
	"crypto/sha256"
	"encoding/binary"
	"fmt"
	"math/rand/v2"
	"slices"
	"testing"
	"time"

	"github.com/tetratelabs/wazero"
	"github.com/tetratelabs/wazero/api"
)

// The metered module computes the same on both of wazero's engines: the same results, bit for
// bit (NaNs included: the meter canonicalizes every NaN a float instruction makes, where the
// engines and CPUs otherwise differ in its payload), the same trap or none, the same fuel
// left, the same memory and globals after the call, and a call that returns gives back all
// the stack it took. And the meter is sound: it charges at least what a reference meter
// that pays one unit before each instruction as it runs uses (meterWith, exact). Where the generated module keeps NaN bits opaque (half of them: no
// reinterpretation of floats as integers, no copysign, no float stores), the metered module
// also computes what the original does, NaN results aside (where the original has a NaN,
// the metered module may have the canonical NaN, or its negative: neg is a bit operation).
//
// The modules are generated valid: a few functions over i32, i64, f32 and f64, with locals,
// globals, one page of memory (its first bytes NaNs with payloads), nested blocks and ifs,
// br_if out of blocks, counted loops, return, calls down a chain (so without recursion),
// loads and stores, memory.fill, memory.copy and memory.grow, and float arithmetic made to
// produce NaNs (0/0, inf-inf, sqrt of negatives, arithmetic on loaded NaNs, promote and
// demote of NaNs), whose bits reach the results through reinterpretations and stores.
//
// TestEnginesAgree judges a fixed set; FuzzEnginesAgree explores:
//
//	go test ./runtime -run '^$' -fuzz FuzzEnginesAgree

// wasmGen draws a module's choices from a byte string (the fuzzer's input), then from zeros.
type wasmGen struct {
	in    []byte
	funcs []genFunc // signatures, decided before any body
	// opaque keeps NaN bits from showing: no reinterpretation of floats as integers, no
	// copysign, no float stores. Then the original and the metered module compute the same,
	// NaN results aside; otherwise only the engines must agree.
	opaque bool
}

// shows says whether an instruction can show a NaN's sign or payload as something other
// than a float.
func shows(op byte) bool {
	switch op {
	case 0xBC, 0xBD, 0x98, 0xA6, 0x38, 0x39: // i32/i64.reinterpret, copysign, f32/f64.store
		return true
	}
	return false
}

// pick chooses one of ops, other than those that show NaN bits where the module keeps them
// opaque (ops must hold one that does not).
func (g *wasmGen) pick(ops []byte) byte {
	for {
		if op := ops[g.n(len(ops))]; !g.opaque || !shows(op) {
			return op
		}
		if len(g.in) == 0 {
			return ops[slices.IndexFunc(ops, func(op byte) bool { return !shows(op) })]
		}
	}
}

type genFunc struct {
	params []byte
	result byte
}

func (g *wasmGen) byte() byte {
	if len(g.in) == 0 {
		return 0
	}
	b := g.in[0]
	g.in = g.in[1:]
	return b
}

// n is a choice in [0, k).
func (g *wasmGen) n(k int) int {
	if k <= 1 {
		return 0
	}
	v := int(g.byte())
	if k > 256 {
		v = v<<8 | int(g.byte())
	}
	return v % k
}

func (g *wasmGen) u64() uint64 {
	var b [8]byte
	for i := range b {
		b[i] = g.byte()
	}
	return binary.LittleEndian.Uint64(b[:])
}

var genTypes = []byte{0x7F, 0x7E, 0x7D, 0x7C} // i32 i64 f32 f64

// genLabel is an enclosing block, loop or if, as a branch sees it.
type genLabel struct {
	loop bool
	void bool // no result: a br_if from a statement may leave it
}

// funcGen writes one function's body.
type funcGen struct {
	g        *wasmGen
	self     int
	locals   []byte // parameters, then declared locals
	params   int
	counters []int // the loops' counters, which only their loops touch
	labels   []genLabel
	out      []byte
	budget   int // instructions left; when spent, expressions are leaves
}

func (f *funcGen) emit(b ...byte) { f.out = append(f.out, b...) }

// Interesting constants: NaNs of both signs with and without payloads, infinities, zeros.
var (
	genF32 = []uint32{0x7FC00000, 0xFFC00000, 0x7FA00001, 0xFF800001, 0x7F800000, 0xFF800000, 0x80000000, 0, 0x3F800000, 0xBF800000, 0x7F7FFFFF, 0x00000001, 0x4F000000, 0xCF000000}
	genF64 = []uint64{0x7FF8000000000000, 0xFFF8000000000000, 0x7FF4000000000001, 0xFFF0000000000001, 0x7FF0000000000000, 0xFFF0000000000000, 1 << 63, 0, 0x3FF0000000000000, 0xBFF0000000000000, 0x41E0000000000000, 0xC3E0000000000000, 1}
	genI64 = []uint64{0, 1, 1<<64 - 1, 1 << 63, 1<<63 - 1, 1 << 31, 0xFFFF, 64, 32}
)

func (f *funcGen) constant(t byte) {
	g := f.g
	special := g.n(3) != 0
	switch t {
	case 0x7F:
		v := int64(int32(g.u64()))
		if special {
			v = int64(int32(genI64[g.n(len(genI64))]))
		}
		f.emit(0x41)
		f.out = appendS64(f.out, v)
	case 0x7E:
		v := g.u64()
		if special {
			v = genI64[g.n(len(genI64))]
		}
		f.emit(0x42)
		f.out = appendS64(f.out, int64(v))
	case 0x7D:
		v := uint32(g.u64())
		if special {
			v = genF32[g.n(len(genF32))]
		}
		f.emit(0x43)
		f.out = binary.LittleEndian.AppendUint32(f.out, v)
	case 0x7C:
		v := g.u64()
		if special {
			v = genF64[g.n(len(genF64))]
		}
		f.emit(0x44)
		f.out = binary.LittleEndian.AppendUint64(f.out, v)
	}
}

// Operators by type: unary t -> t, binary t t -> t, and conversions from other types.
var (
	genUnary  = map[byte][]byte{0x7F: {0x67, 0x68, 0x69, 0x45, 0xC0, 0xC1}, 0x7E: {0x79, 0x7A, 0x7B, 0xC2, 0xC3, 0xC4}, 0x7D: {0x8B, 0x8C, 0x8D, 0x8E, 0x8F, 0x90, 0x91}, 0x7C: {0x99, 0x9A, 0x9B, 0x9C, 0x9D, 0x9E, 0x9F}}
	genBinary = map[byte][]byte{
		0x7F: {0x6A, 0x6B, 0x6C, 0x6D, 0x6E, 0x6F, 0x70, 0x71, 0x72, 0x73, 0x74, 0x75, 0x76, 0x77, 0x78},
		0x7E: {0x7C, 0x7D, 0x7E, 0x7F, 0x80, 0x81, 0x82, 0x83, 0x84, 0x85, 0x86, 0x87, 0x88, 0x89, 0x8A},
		0x7D: {0x92, 0x93, 0x94, 0x95, 0x96, 0x97, 0x98},
		0x7C: {0xA0, 0xA1, 0xA2, 0xA3, 0xA4, 0xA5, 0xA6},
	}
	// genCompare: operand type -> comparisons giving i32.
	genCompare = map[byte][]byte{0x7F: {0x46, 0x47, 0x48, 0x49, 0x4A, 0x4B, 0x4C, 0x4D, 0x4E, 0x4F}, 0x7E: {0x51, 0x52, 0x53, 0x54, 0x55, 0x56, 0x57, 0x58, 0x59, 0x5A, 0x50},
		0x7D: {0x5B, 0x5C, 0x5D, 0x5E, 0x5F, 0x60}, 0x7C: {0x61, 0x62, 0x63, 0x64, 0x65, 0x66}}
	// genConvert: result type -> (operand type, opcode); 0xFC n is a saturating truncation.
	genConvert = map[byte][][3]byte{
		0x7F: {{0x7E, 0xA7}, {0x7D, 0xA8}, {0x7D, 0xA9}, {0x7C, 0xAA}, {0x7C, 0xAB}, {0x7D, 0xBC}, {0x7D, 0xFC, 0}, {0x7D, 0xFC, 1}, {0x7C, 0xFC, 2}, {0x7C, 0xFC, 3}},
		0x7E: {{0x7F, 0xAC}, {0x7F, 0xAD}, {0x7D, 0xAE}, {0x7D, 0xAF}, {0x7C, 0xB0}, {0x7C, 0xB1}, {0x7C, 0xBD}, {0x7D, 0xFC, 4}, {0x7D, 0xFC, 5}, {0x7C, 0xFC, 6}, {0x7C, 0xFC, 7}},
		0x7D: {{0x7F, 0xB2}, {0x7F, 0xB3}, {0x7E, 0xB4}, {0x7E, 0xB5}, {0x7C, 0xB6}, {0x7F, 0xBE}},
		0x7C: {{0x7F, 0xB7}, {0x7F, 0xB8}, {0x7E, 0xB9}, {0x7E, 0xBA}, {0x7D, 0xBB}, {0x7E, 0xBF}},
	}
	// genLoad: result type -> load opcodes; genStore: value type -> store opcodes.
	genLoad  = map[byte][]byte{0x7F: {0x28, 0x2C, 0x2D, 0x2E, 0x2F}, 0x7E: {0x29, 0x30, 0x31, 0x32, 0x33, 0x34, 0x35}, 0x7D: {0x2A}, 0x7C: {0x2B}}
	genStore = map[byte][]byte{0x7F: {0x36, 0x3A, 0x3B}, 0x7E: {0x37, 0x3C, 0x3D, 0x3E}, 0x7D: {0x38}, 0x7C: {0x39}}
)

// address pushes an address that is mostly inside the page, often among the NaNs at its
// start, now and then past its end.
func (f *funcGen) address() {
	f.masked([]int64{0x3F, 0x3F, 0x3F, 0xFFF0, 0xFFF0, 0xFFF0, 0xFFFF, 0x1FFFF}[f.g.n(8)])
}

// masked pushes an i32 and'ed with mask.
func (f *funcGen) masked(mask int64) {
	f.expr(0x7F)
	f.emit(0x41)
	f.out = appendS64(f.out, mask)
	f.emit(0x71) // i32.and
}

// divisions are the integer operators that trap on a zero divisor; theirs is mostly made odd.
var divisions = []byte{0x6D, 0x6E, 0x6F, 0x70, 0x7F, 0x80, 0x81, 0x82}

// saturating are the trapping truncations' saturating twins (0xFC n), which the generator
// mostly uses instead, so that fewer calls trap before they compute much.
var saturating = map[byte]byte{0xA8: 0, 0xA9: 1, 0xAA: 2, 0xAB: 3, 0xAE: 4, 0xAF: 5, 0xB0: 6, 0xB1: 7}

func (f *funcGen) memarg() { f.emit(0x00, byte(f.g.n(17))) } // align 1, offset 0..16

// expr pushes one value of type t.
func (f *funcGen) expr(t byte) {
	g := f.g
	f.budget--
	if f.budget <= 0 {
		switch g.n(3) {
		case 0:
			f.constant(t)
		case 1:
			f.localGet(t)
		default:
			f.emit(0x23, byte(slices.Index(genTypes, t))) // global.get
		}
		return
	}
	switch g.n(18) {
	case 0:
		f.constant(t)
	case 1:
		f.localGet(t)
	case 2:
		f.emit(0x23, byte(slices.Index(genTypes, t)))
	case 3, 4:
		op := g.pick(genBinary[t])
		f.expr(t)
		f.expr(t)
		if slices.Contains(divisions, op) && g.n(8) != 0 {
			f.emit(map[byte]byte{0x7F: 0x41, 0x7E: 0x42}[t], 1, map[byte]byte{0x7F: 0x72, 0x7E: 0x84}[t]) // or 1
		}
		f.emit(op)
	case 5:
		ops := genUnary[t]
		f.expr(t)
		f.emit(ops[g.n(len(ops))])
	case 6:
		if t != 0x7F {
			f.constant(t)
			return
		}
		u := genTypes[g.n(4)]
		ops := genCompare[u]
		op := ops[g.n(len(ops))]
		f.expr(u)
		if op != 0x50 { // i64.eqz takes one operand
			f.expr(u)
		}
		f.emit(op)
	case 7:
		c := genConvert[t][g.n(len(genConvert[t]))]
		if g.opaque && shows(c[1]) {
			c = genConvert[t][0]
		}
		if sub, ok := saturating[c[1]]; ok && g.n(4) != 0 {
			c = [3]byte{c[0], 0xFC, sub}
		}
		f.expr(c[0])
		if c[1] == 0xFC {
			f.emit(0xFC, c[2])
		} else {
			f.emit(c[1])
		}
	case 8:
		ops := genLoad[t]
		f.address()
		f.emit(ops[g.n(len(ops))])
		f.memarg()
	case 9: // a call down the chain
		var down []int
		for j := f.self + 1; j < len(g.funcs); j++ {
			if g.funcs[j].result == t {
				down = append(down, j)
			}
		}
		if len(down) == 0 {
			f.localGet(t)
			return
		}
		j := down[g.n(len(down))]
		for _, p := range g.funcs[j].params {
			f.expr(p)
		}
		f.emit(0x10, byte(j))
	case 10: // select
		f.expr(t)
		f.expr(t)
		f.expr(0x7F)
		f.emit(0x1B)
	case 11: // block (result t): statements, then the value; maybe a br_if out with a value
		f.emit(0x02, t)
		f.labels = append(f.labels, genLabel{})
		f.stmts(1 + g.n(2))
		f.expr(t)
		if g.n(2) == 0 {
			f.expr(0x7F)
			f.emit(0x0D, 0, 0x1A) // br_if 0; drop
			f.expr(t)
		}
		f.labels = f.labels[:len(f.labels)-1]
		f.emit(0x0B)
	case 12: // if (result t)
		f.expr(0x7F)
		f.emit(0x04, t)
		f.labels = append(f.labels, genLabel{})
		f.stmts(g.n(2))
		f.expr(t)
		f.emit(0x05)
		f.stmts(g.n(2))
		f.expr(t)
		f.labels = f.labels[:len(f.labels)-1]
		f.emit(0x0B)
	case 13: // local.tee
		f.expr(t)
		f.index(0x22, f.local(t))
	case 14: // memory.size and memory.grow
		if t != 0x7F {
			f.constant(t)
			return
		}
		if g.n(2) == 0 {
			f.emit(0x3F, 0)
			return
		}
		f.masked([]int64{1, 3, 0xFFFF, -1}[g.n(4)]) // pages: memory.grow pays for each
		f.emit(0x40, 0)
	default: // NaN makers: 0/0, inf-inf, sqrt of a negative, on the operand types
		switch t {
		case 0x7D, 0x7C:
			f.expr(t)
			f.expr(t)
			f.emit(map[byte]byte{0x7D: 0x95, 0x7C: 0xA3}[t]) // div
			if g.n(2) == 0 {
				f.emit(map[byte]byte{0x7D: 0x91, 0x7C: 0x9F}[t]) // sqrt
			}
		default: // a float's NaN, through a reinterpretation (its bits) or a saturating truncation
			u := map[byte]byte{0x7F: 0x7D, 0x7E: 0x7C}[t]
			f.expr(u)
			f.constant(u)
			f.emit(map[byte]byte{0x7D: 0x93, 0x7C: 0xA1}[u]) // sub
			if g.opaque {
				f.emit(0xFC, map[byte]byte{0x7F: 0, 0x7E: 6}[t])
			} else {
				f.emit(map[byte]byte{0x7F: 0xBC, 0x7E: 0xBD}[t])
			}
		}
	}
}

// local returns a local of type t, declaring one if there is none; never a loop's counter.
func (f *funcGen) local(t byte) int {
	var have []int
	for i, l := range f.locals {
		if l == t && !slices.Contains(f.counters, i) {
			have = append(have, i)
		}
	}
	if len(have) > 0 && f.g.n(4) != 0 {
		return have[f.g.n(len(have))]
	}
	f.locals = append(f.locals, t)
	return len(f.locals) - 1
}

func (f *funcGen) localGet(t byte) { f.index(0x20, f.local(t)) }

// index writes an instruction with an index.
func (f *funcGen) index(op byte, i int) { f.out = appendU32(append(f.out, op), uint32(i)) }

// stmts writes n statements, which leave the stack as they found it.
func (f *funcGen) stmts(n int) {
	for range n {
		f.stmt()
	}
}

func (f *funcGen) stmt() {
	g := f.g
	f.budget--
	t := genTypes[g.n(4)]
	if f.budget <= 0 {
		f.expr(t)
		f.index(0x21, f.local(t))
		return
	}
	switch g.n(12) {
	case 0, 1:
		f.expr(t)
		f.index(0x21, f.local(t)) // local.set
	case 2:
		f.expr(t)
		f.emit(0x24, byte(slices.Index(genTypes, t))) // global.set
	case 3, 4:
		if g.opaque && (t == 0x7D || t == 0x7C) {
			t = 0x7F
		}
		f.address()
		f.expr(t)
		f.emit(g.pick(genStore[t]))
		f.memarg()
	case 5: // a counted loop: its own counter, 1 to 4 rounds
		c := len(f.locals)
		f.locals = append(f.locals, 0x7F)
		f.counters = append(f.counters, c)
		f.emit(0x41, byte(1+g.n(4)))
		f.index(0x21, c)
		f.emit(0x03, 0x40)
		f.labels = append(f.labels, genLabel{loop: true})
		f.stmts(1 + g.n(3))
		f.labels = f.labels[:len(f.labels)-1]
		f.index(0x20, c)
		f.emit(0x41, 1, 0x6B)
		f.index(0x22, c)
		f.emit(0x0D, 0, 0x0B)
	case 6: // block with a br_if out of it or of an enclosing block
		f.emit(0x02, 0x40)
		f.labels = append(f.labels, genLabel{void: true})
		f.stmts(g.n(3))
		var out []int
		for depth := range f.labels {
			if l := f.labels[len(f.labels)-1-depth]; l.void && !l.loop {
				out = append(out, depth)
			}
		}
		f.expr(0x7F)
		f.emit(0x0D, byte(out[g.n(len(out))]))
		f.stmts(g.n(3))
		f.labels = f.labels[:len(f.labels)-1]
		f.emit(0x0B)
	case 7: // if, else
		f.expr(0x7F)
		f.emit(0x04, 0x40)
		f.labels = append(f.labels, genLabel{void: true})
		f.stmts(1 + g.n(2))
		if g.n(2) == 0 {
			f.emit(0x05)
			f.stmts(1 + g.n(2))
		}
		f.labels = f.labels[:len(f.labels)-1]
		f.emit(0x0B)
	case 8: // return, now and then
		if g.n(4) == 0 {
			f.expr(g.funcs[f.self].result)
			f.emit(0x0F)
			return
		}
		f.expr(t)
		f.emit(0x1A) // drop
	case 9: // memory.fill or memory.copy: a length in bytes
		f.address()
		if g.n(2) == 0 {
			f.expr(0x7F)
			f.masked(0xFF)
			f.emit(0xFC, 0x0B, 0) // memory.fill
		} else {
			f.address()
			f.masked(0xFF)
			f.emit(0xFC, 0x0A, 0, 0) // memory.copy
		}
	default:
		f.expr(t)
		f.emit(0x1A)
	}
}

// generateModule writes a valid module from the choices in input: up to four functions, each
// exported as f0, f1, ...; f0 is the entry, whose signature it returns too, and whether the
// module keeps NaN bits opaque. The globals, one of each type, are exported as g0 to g3, the
// memory as mem.
func generateModule(input []byte) ([]byte, genFunc, bool) {
	g := &wasmGen{in: input}
	g.opaque = g.n(2) == 0
	n := 1 + g.n(4)
	for range n {
		var fn genFunc
		for range g.n(4) {
			fn.params = append(fn.params, genTypes[g.n(4)])
		}
		fn.result = genTypes[g.n(4)]
		g.funcs = append(g.funcs, fn)
	}
	var types, funcs, exports, code [][]byte
	for i, fn := range g.funcs {
		types = append(types, funcTypeEntry(fn.params, []byte{fn.result}))
		funcs = append(funcs, u32LEB(uint32(i)))
		name := fmt.Sprintf("f%d", i)
		exports = append(exports, append(append(u32LEB(uint32(len(name))), name...), 0, byte(i)))
		f := &funcGen{g: g, self: i, locals: slices.Clone(fn.params), params: len(fn.params), budget: 20 + g.n(60)}
		f.stmts(1 + g.n(4))
		f.expr(fn.result)
		f.emit(0x0B)
		var locals [][2]uint32
		for _, t := range f.locals[f.params:] {
			locals = append(locals, [2]uint32{1, uint32(t)})
		}
		code = append(code, funcBody(locals, f.out))
	}
	exports = append(exports, []byte{3, 'm', 'e', 'm', 2, 0})
	for i := range genTypes {
		exports = append(exports, []byte{2, 'g', '0' + byte(i), 3, byte(i)})
	}
	var globals []byte
	for _, t := range genTypes {
		globals = append(globals, t, 0x01)
		globals = append(globals, map[byte][]byte{0x7F: {0x41, 0}, 0x7E: {0x42, 0}, 0x7D: {0x43, 0, 0, 0, 0}, 0x7C: {0x44, 0, 0, 0, 0, 0, 0, 0, 0}}[t]...)
		globals = append(globals, 0x0B)
	}
	// The page starts with NaNs with payloads, of both sizes, and of both signs.
	var nans []byte
	for _, v := range []uint32{0x7FA00001, 0xFFC00001, 0x7F800001, 0xFFFFFFFF} {
		nans = binary.LittleEndian.AppendUint32(nans, v)
	}
	for _, v := range []uint64{0x7FF4000000000001, 0xFFF8000000000001, 0x7FFFFFFFFFFFFFFF} {
		nans = binary.LittleEndian.AppendUint64(nans, v)
	}
	data := append([]byte{0, 0x41, 0, 0x0B}, u32LEB(uint32(len(nans)))...)
	return wasmModule(
		wasmSec(secType, wasmVec(types)),
		wasmSec(secFunction, wasmVec(funcs)),
		wasmSec(secMemory, []byte{1, 1, 1, 1}), // one page, at most one
		wasmSec(secGlobal, u32LEB(4), globals),
		wasmSec(secExport, wasmVec(exports)),
		wasmSec(secCode, wasmVec(code)),
		wasmSec(secData, u32LEB(1), data, nans),
	), g.funcs[0], g.opaque
}

// genArgs are f0's arguments, from the input's last bytes.
func genArgs(input []byte, params []byte) []uint64 {
	h := sha256.Sum256(input)
	r := rand.New(rand.NewPCG(binary.LittleEndian.Uint64(h[:8]), binary.LittleEndian.Uint64(h[8:16])))
	var args []uint64
	for _, t := range params {
		v := r.Uint64()
		switch {
		case r.IntN(3) == 0 && t == 0x7D:
			v = uint64(genF32[r.IntN(len(genF32))])
		case r.IntN(3) == 0 && t == 0x7C:
			v = genF64[r.IntN(len(genF64))]
		case t == 0x7F || t == 0x7D:
			v &= 0xFFFFFFFF
		}
		args = append(args, v)
	}
	return args
}

// engineRun is what one engine made of the entry call.
type engineRun struct {
	results []uint64
	trap    string
	fuel    uint64
	stack   uint64   // the stack counter after the call
	memory  [32]byte // its hash
	globals []uint64
}

// genFuel is the fuel each call gets: far more than any generated module needs, unless it
// grows memory by a lot of pages (refused, but paid for).
const genFuel = 1 << 24

func runOn(ctx context.Context, cfg wazero.RuntimeConfig, wasm []byte, args []uint64, metered bool) (engineRun, error) {
	rt := wazero.NewRuntimeWithConfig(ctx, cfg.WithCoreFeatures(api.CoreFeaturesV2))
	defer rt.Close(ctx)
	m, err := rt.Instantiate(ctx, wasm)
	if err != nil {
		return engineRun{}, err
	}
	if metered {
		setGlobal(m, FuelExport, genFuel)
		setGlobal(m, StackExport, 0)
	}
	var run engineRun
	run.results, err = m.ExportedFunction("f0").Call(ctx, args...)
	run.trap = trapText(err)
	if g := m.ExportedGlobal(FuelExport); g != nil {
		run.fuel = g.Get()
	}
	if g := m.ExportedGlobal(StackExport); g != nil {
		run.stack = g.Get()
	}
	mem, _ := m.Memory().Read(0, m.Memory().Size())
	run.memory = sha256.Sum256(mem)
	for i := range genTypes {
		run.globals = append(run.globals, m.ExportedGlobal(fmt.Sprintf("g%d", i)).Get())
	}
	return run, nil
}

// checkEngines generates a module from input and compares the engines on it; it returns what
// differs, or "".
func checkEngines(ctx context.Context, input []byte) (string, error) {
	wasm, entry, opaque := generateModule(input)
	metered, err := meterForTest(wasm)
	if err != nil {
		return "", fmt.Errorf("the meter refuses a generated module: %v", err)
	}
	args := genArgs(input, entry.params)
	comp, err := runOn(ctx, wazero.NewRuntimeConfigCompiler(), metered, args, true)
	if err != nil {
		return "", fmt.Errorf("compiler: %v", err)
	}
	interp, err := runOn(ctx, wazero.NewRuntimeConfigInterpreter(), metered, args, true)
	if err != nil {
		return "", fmt.Errorf("interpreter: %v", err)
	}
	result := []api.ValueType{entry.result}
	switch {
	case comp.trap != interp.trap:
		return fmt.Sprintf("traps differ: compiler %q, interpreter %q", comp.trap, interp.trap), nil
	case comp.trap == "" && !sameBits(result, comp.results, interp.results):
		return fmt.Sprintf("results differ: compiler %#x, interpreter %#x", comp.results, interp.results), nil
	case comp.fuel != interp.fuel:
		return fmt.Sprintf("fuel left differs: compiler %d, interpreter %d", comp.fuel, interp.fuel), nil
	case !sameBits(genTypes, comp.globals, interp.globals):
		return fmt.Sprintf("globals differ: compiler %#x, interpreter %#x", comp.globals, interp.globals), nil
	case comp.memory != interp.memory:
		return "memory differs after the call", nil
	case comp.trap == "" && (comp.stack != 0 || interp.stack != 0):
		return fmt.Sprintf("the call returned with stack bytes still counted: compiler %d, interpreter %d", comp.stack, interp.stack), nil
	}
	// The meter charges at least one unit per instruction run: the reference meter, which
	// pays for each instruction as it runs, never uses more.
	exact, _, err := meterWith(wasm, 0, true)
	if err != nil {
		return "", fmt.Errorf("the reference meter refuses a generated module: %v", err)
	}
	ref, err := runOn(ctx, wazero.NewRuntimeConfigInterpreter(), exact, args, true)
	if err != nil {
		return "", fmt.Errorf("the reference meter's module: %v", err)
	}
	if used, ran := genFuel-interp.fuel, genFuel-ref.fuel; interp.fuel != 0 && used < ran {
		return fmt.Sprintf("the meter charged %d units where %d instructions ran", used, ran), nil
	}
	if !opaque || interp.fuel == 0 {
		return "", nil // NaN bits show, or out of fuel (memory.grow by many pages) where the original ran on
	}
	orig, err := runOn(ctx, wazero.NewRuntimeConfigInterpreter(), wasm, args, false)
	if err != nil {
		return "", fmt.Errorf("the generated module (unmetered): %v", err)
	}
	switch {
	case orig.trap != interp.trap:
		return fmt.Sprintf("the metered module traps %q, the original %q", interp.trap, orig.trap), nil
	case orig.memory != interp.memory:
		return "the metered module leaves memory other than the original does", nil
	}
	// f32.neg and f64.neg, exact bit operations, may turn the canonical NaN into its negative.
	if ok, _ := sameResults(genTypes, nil, orig.globals, unsignNaNs(genTypes, interp.globals)); !ok {
		return fmt.Sprintf("the metered module leaves globals %#x, the original %#x (beyond NaN canonicalization)", interp.globals, orig.globals), nil
	}
	if ok, _ := sameResults(result, nil, orig.results, unsignNaNs(result, interp.results)); orig.trap == "" && !ok {
		return fmt.Sprintf("the metered module returns %#x, the original %#x (beyond NaN canonicalization)", interp.results, orig.results), nil
	}
	return "", nil
}

// unsignNaNs is values with the negative canonical NaNs made positive.
func unsignNaNs(types []api.ValueType, values []uint64) []uint64 {
	out := slices.Clone(values)
	for i, t := range types {
		switch {
		case i >= len(out):
		case t == api.ValueTypeF32 && out[i]&0x7FFFFFFF == 0x7FC00000:
			out[i] = 0x7FC00000
		case t == api.ValueTypeF64 && out[i]&(1<<63-1) == 0x7FF8000000000000:
			out[i] = 0x7FF8000000000000
		}
	}
	return out
}

// sameBits compares values of the given types bit for bit (the 32 bits of i32 and f32).
func sameBits(types []api.ValueType, a, b []uint64) bool {
	if len(a) != len(types) || len(b) != len(types) {
		return false
	}
	for i, t := range types {
		mask := ^uint64(0)
		if t == api.ValueTypeI32 || t == api.ValueTypeF32 {
			mask = 0xFFFFFFFF
		}
		if a[i]&mask != b[i]&mask {
			return false
		}
	}
	return true
}

// TestEnginesAgree runs generated modules from fixed seeds; FuzzEnginesAgree explores.
func TestEnginesAgree(t *testing.T) {
	if !compilerArch {
		t.Skip("wazero's compiler does not run on this platform")
	}
	ctx := context.Background()
	n := 500
	if testing.Short() {
		n = 100
	}
	start := time.Now()
	var failures []failure
	r := rand.New(rand.NewPCG(8, 1))
	for i := range n {
		input := make([]byte, 64+r.IntN(2048))
		for j := range input {
			input[j] = byte(r.Uint32())
		}
		wrong, err := checkEngines(ctx, input)
		if err != nil {
			failures = append(failures, failure{"seed", fmt.Sprint(i), err.Error()})
		} else if wrong != "" {
			failures = append(failures, failure{"seed", fmt.Sprint(i), wrong})
		}
	}
	t.Logf("%d generated modules in %v", n, time.Since(start).Round(time.Millisecond))
	reportFailures(t, "engines", failures, 40)
}

func FuzzEnginesAgree(f *testing.F) {
	if !compilerArch {
		f.Skip("wazero's compiler does not run on this platform")
	}
	r := rand.New(rand.NewPCG(8, 1))
	for range 8 {
		input := make([]byte, 512)
		for j := range input {
			input[j] = byte(r.Uint32())
		}
		f.Add(input)
	}
	ctx := context.Background()
	f.Fuzz(func(t *testing.T, input []byte) {
		wrong, err := checkEngines(ctx, input)
		if err != nil {
			t.Fatal(err)
		}
		if wrong != "" {
			t.Fatal(wrong)
		}
	})
}
