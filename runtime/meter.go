package runtime

import (
	"bytes"
	"errors"
	"fmt"
)

// The fuel meter (RATIONALE.md, "Why a fuel meter and not a deadline?"). Admission
// rewrites every module so that it counts its own progress: one unit of fuel at every
// function entry and at every loop iteration, kept in a mutable i64 global exported as
// FuelExport. When a check finds the counter at zero the module traps. The count is a
// property of the module and its inputs, so every node runs out of fuel at the same point,
// and the check costs a load, a compare and a store instead of a call into the runtime.
//
// The meter also bounds call depth, because the engines' own limits differ (wazero's
// interpreter stops at 2000 frames, its compiler at millions): a second global counts
// active frames, every function entry checks it against MaxCallDepth, and every way out
// of a function (its end, a branch to its label, return, a tail call) decrements it. Each
// body is wrapped in a block with the function's result types, so that branches to the
// function's label and rewritten returns pass through the one decrement at its end.
//
// Nothing else in the module moves: the counters are appended to the global index space,
// the exports to the export section, block types for multi-value results to the type
// section, and code is only inserted (and return becomes a branch).

// FuelExport is the name under which the metered module exports its fuel counter.
const FuelExport = "lockstep_fuel"

// DepthExport is the name under which the metered module exports its call depth.
const DepthExport = "lockstep_depth"

// MaxCallDepth is the deepest call chain a task may make: well inside both engines'
// limits, so that a too-deep recursion traps at the same depth on every engine.
const MaxCallDepth = 1000

// ErrMalformed is wrapped by every error about a module's binary encoding.
var ErrMalformed = errors.New("malformed module")

type wasmReader struct {
	b   []byte
	pos int
	err error
}

func (r *wasmReader) fail(format string, args ...any) {
	if r.err == nil {
		r.err = fmt.Errorf("%w: at byte %d: %s", ErrMalformed, r.pos, fmt.Sprintf(format, args...))
	}
}

func (r *wasmReader) byte() byte {
	if r.err != nil {
		return 0
	}
	if r.pos >= len(r.b) {
		r.fail("unexpected end")
		return 0
	}
	c := r.b[r.pos]
	r.pos++
	return c
}

// leb reads an unsigned or signed LEB128 value of at most maxBytes bytes; signed values
// are returned as their raw two's-complement bits, which is all the meter needs.
func (r *wasmReader) leb(maxBytes int) uint64 {
	var v uint64
	for i := 0; i < maxBytes; i++ {
		c := r.byte()
		if r.err != nil {
			return 0
		}
		if i < 10 {
			v |= uint64(c&0x7f) << (7 * i)
		}
		if c&0x80 == 0 {
			return v
		}
	}
	r.fail("LEB128 value longer than %d bytes", maxBytes)
	return 0
}

func (r *wasmReader) u32() uint32 {
	v := r.leb(5)
	if v > 0xFFFFFFFF {
		r.fail("u32 out of range")
	}
	return uint32(v)
}

func (r *wasmReader) skip(n int) {
	if r.err == nil && (n < 0 || r.pos+n > len(r.b)) {
		r.fail("length %d runs past the end", n)
		return
	}
	r.pos += n
}

func (r *wasmReader) name() {
	n := r.u32()
	r.skip(int(n))
}

func (r *wasmReader) limits() {
	flags := r.byte()
	r.leb(10)
	if flags&1 != 0 {
		r.leb(10)
	}
}

func appendU32(b []byte, v uint32) []byte {
	for {
		c := byte(v & 0x7f)
		v >>= 7
		if v != 0 {
			b = append(b, c|0x80)
			continue
		}
		return append(b, c)
	}
}

type wasmSection struct {
	id   byte
	body []byte
}

// section order of the non-custom sections (the tag section sits before globals)
var sectionRank = map[byte]int{1: 1, 2: 2, 3: 3, 4: 4, 5: 5, 13: 6, 6: 7, 7: 8, 8: 9, 9: 10, 12: 11, 10: 12, 11: 13}

func readSections(b []byte) ([]wasmSection, error) {
	if len(b) < 8 || !bytes.Equal(b[:4], []byte("\x00asm")) {
		return nil, fmt.Errorf("%w: not a WebAssembly binary (bad magic number)", ErrMalformed)
	}
	if !bytes.Equal(b[4:8], []byte{1, 0, 0, 0}) {
		return nil, fmt.Errorf("%w: unsupported binary version %x", ErrMalformed, b[4:8])
	}
	r := &wasmReader{b: b, pos: 8}
	var out []wasmSection
	last := 0
	for r.pos < len(b) && r.err == nil {
		id := r.byte()
		n := r.u32()
		start := r.pos
		r.skip(int(n))
		if r.err != nil {
			break
		}
		if id != 0 {
			rank, ok := sectionRank[id]
			if !ok {
				return nil, fmt.Errorf("%w: unknown section id %d", ErrMalformed, id)
			}
			if rank <= last {
				return nil, fmt.Errorf("%w: section %d out of order or repeated", ErrMalformed, id)
			}
			last = rank
		}
		out = append(out, wasmSection{id: id, body: b[start : start+int(n)]})
	}
	return out, r.err
}

// fuelCheck is the code inserted at every function entry and loop header:
//
//	global.get F; i64.eqz; if; unreachable; end
//	global.get F; i64.const 1; i64.sub; global.set F
func fuelCheck(g uint32) []byte {
	b := appendU32([]byte{0x23}, g)
	b = append(b, 0x50, 0x04, 0x40, 0x00, 0x0B)
	b = appendU32(append(b, 0x23), g)
	b = append(b, 0x42, 0x01, 0x7D)
	return appendU32(append(b, 0x24), g)
}

// instrument returns the metered module.
func instrument(wasm []byte) ([]byte, error) {
	secs, err := readSections(wasm)
	if err != nil {
		return nil, err
	}
	importedGlobals, definedGlobals := 0, 0
	globalAt, exportAt, typeAt := -1, -1, -1
	var types [][]byte     // result types of each function type
	var funcTypes []uint32 // type index of each defined function
	for i, s := range secs {
		switch s.id {
		case 1:
			typeAt = i
			if types, err = readResultTypes(s.body); err != nil {
				return nil, err
			}
		case 2:
			if importedGlobals, err = countImportedGlobals(s.body); err != nil {
				return nil, err
			}
		case 3:
			r := &wasmReader{b: s.body}
			n := r.u32()
			for j := uint32(0); j < n && r.err == nil; j++ {
				funcTypes = append(funcTypes, r.u32())
			}
			if r.err != nil {
				return nil, r.err
			}
		case 6:
			globalAt = i
			r := &wasmReader{b: s.body}
			definedGlobals = int(r.u32())
			if r.err != nil {
				return nil, r.err
			}
		case 7:
			exportAt = i
		case 8:
			// It would run during instantiation, before the host sets a fuel budget.
			return nil, fmt.Errorf("%w: has a start function, which would run before the host can meter it; export _initialize instead", ErrFeature)
		}
	}
	if exportAt < 0 {
		return nil, fmt.Errorf("%w: no export section (a task must export its functions and memory)", ErrMalformed)
	}
	fuel := uint32(importedGlobals + definedGlobals)
	depth := fuel + 1
	newGlobals := []byte{0x7E, 0x01, 0x42, 0x00, 0x0B, 0x7F, 0x01, 0x41, 0x00, 0x0B} // mut i64 = 0, mut i32 = 0

	// Block types for each defined function's wrapper: empty, one value type, or a new
	// type index for multi-value results.
	var extraTypes [][]byte
	multi := map[string]uint32{}
	blockTypes := make([][]byte, len(funcTypes))
	for f, ti := range funcTypes {
		if int(ti) >= len(types) {
			return nil, fmt.Errorf("%w: function %d has type %d of %d", ErrMalformed, f, ti, len(types))
		}
		switch res := types[ti]; len(res) {
		case 0:
			blockTypes[f] = []byte{0x40}
		case 1:
			blockTypes[f] = res
		default:
			idx, ok := multi[string(res)]
			if !ok {
				idx = uint32(len(types) + len(extraTypes))
				multi[string(res)] = idx
				extraTypes = append(extraTypes, res)
			}
			blockTypes[f] = appendU32(nil, idx) // a non-negative s33 has the same bytes as a u32 below 2^31
		}
	}

	out := append([]byte(nil), wasm[:8]...)
	emit := func(id byte, body []byte) {
		out = append(out, id)
		out = appendU32(out, uint32(len(body)))
		out = append(out, body...)
	}
	insertedGlobal := false
	for i, s := range secs {
		if globalAt < 0 && !insertedGlobal && s.id != 0 && sectionRank[s.id] > sectionRank[6] {
			emit(6, append([]byte{2}, newGlobals...))
			insertedGlobal = true
		}
		switch {
		case i == typeAt && len(extraTypes) > 0:
			r := &wasmReader{b: s.body}
			n := r.u32()
			body := appendU32(nil, n+uint32(len(extraTypes)))
			body = append(body, s.body[r.pos:]...)
			for _, res := range extraTypes {
				body = append(body, 0x60, 0x00)
				body = appendU32(body, uint32(len(res)))
				body = append(body, res...)
			}
			emit(1, body)
		case i == globalAt:
			body := appendU32(nil, uint32(definedGlobals+2))
			body = append(body, s.body[lebLen(s.body):]...)
			emit(6, append(body, newGlobals...))
		case i == exportAt:
			r := &wasmReader{b: s.body}
			n := r.u32()
			body := appendU32(nil, n+2)
			body = append(body, s.body[r.pos:]...)
			for _, e := range []struct {
				name string
				idx  uint32
			}{{FuelExport, fuel}, {DepthExport, depth}} {
				body = appendU32(body, uint32(len(e.name)))
				body = append(body, e.name...)
				body = appendU32(append(body, 0x03), e.idx)
			}
			emit(7, body)
		case s.id == 10:
			code, err := meterCode(s.body, fuel, depth, blockTypes)
			if err != nil {
				return nil, err
			}
			emit(10, code)
		default:
			emit(s.id, s.body)
		}
	}
	return out, nil
}

// readResultTypes returns the result types of each function type in a type section.
func readResultTypes(body []byte) ([][]byte, error) {
	r := &wasmReader{b: body}
	n := r.u32()
	out := make([][]byte, 0, n)
	for i := uint32(0); i < n && r.err == nil; i++ {
		if form := r.byte(); form != 0x60 {
			r.fail("type %d is not a function type (0x%02x)", i, form)
			break
		}
		np := r.u32()
		r.skip(int(np))
		nr := r.u32()
		start := r.pos
		r.skip(int(nr))
		if r.err == nil {
			out = append(out, append([]byte(nil), body[start:r.pos]...))
		}
	}
	return out, r.err
}

func lebLen(b []byte) int {
	for i, c := range b {
		if c&0x80 == 0 {
			return i + 1
		}
	}
	return len(b)
}

func countImportedGlobals(body []byte) (int, error) {
	r := &wasmReader{b: body}
	n := r.u32()
	globals := 0
	for i := uint32(0); i < n && r.err == nil; i++ {
		r.name()
		r.name()
		switch kind := r.byte(); kind {
		case 0: // function
			r.u32()
		case 1: // table
			r.byte()
			r.limits()
		case 2: // memory
			r.limits()
		case 3: // global
			r.byte()
			r.byte()
			globals++
		case 4: // tag
			r.byte()
			r.u32()
		default:
			r.fail("unknown import kind %d", kind)
		}
	}
	return globals, r.err
}

// meterCode rewrites the code section (see the top of this file).
func meterCode(body []byte, fuel, depth uint32, blockTypes [][]byte) ([]byte, error) {
	// fuel is the first index the meter adds: the module's own globals are those below.
	m := &meterer{fuel: fuelCheck(fuel), enter: entryCheck(fuel, depth), leave: depthLeave(depth), globals: fuel}
	r := &wasmReader{b: body}
	n := r.u32()
	if int(n) != len(blockTypes) {
		return nil, fmt.Errorf("%w: %d function bodies for %d declared functions", ErrMalformed, n, len(blockTypes))
	}
	out := appendU32(nil, n)
	for i := uint32(0); i < n && r.err == nil; i++ {
		size := r.u32()
		start := r.pos
		r.skip(int(size))
		if r.err != nil {
			break
		}
		fn, err := m.function(body[start:start+int(size)], blockTypes[i])
		if err != nil {
			return nil, fmt.Errorf("function body %d: %w", i, err)
		}
		out = appendU32(out, uint32(len(fn)))
		out = append(out, fn...)
	}
	if r.err != nil {
		return nil, r.err
	}
	return out, nil
}

// entryCheck is the code at every function entry, one branch for both limits:
//
//	global.get F; i64.eqz; global.get D; i32.const MaxCallDepth; i32.ge_u; i32.or
//	if; unreachable; end
//	global.get F; i64.const 1; i64.sub; global.set F
//	global.get D; i32.const 1; i32.add; global.set D
func entryCheck(f, d uint32) []byte {
	b := appendU32([]byte{0x23}, f)
	b = append(b, 0x50)
	b = appendU32(append(b, 0x23), d)
	b = append(b, 0x41)
	b = appendS32(b, MaxCallDepth)
	b = append(b, 0x4F, 0x72, 0x04, 0x40, 0x00, 0x0B)
	b = appendU32(append(b, 0x23), f)
	b = append(b, 0x42, 0x01, 0x7D)
	b = appendU32(append(b, 0x24), f)
	b = appendU32(append(b, 0x23), d)
	b = append(b, 0x41, 0x01, 0x6A)
	return appendU32(append(b, 0x24), d)
}

// depthLeave: global.get D; i32.const 1; i32.sub; global.set D
func depthLeave(d uint32) []byte {
	b := appendU32([]byte{0x23}, d)
	b = append(b, 0x41, 0x01, 0x6B)
	return appendU32(append(b, 0x24), d)
}

func appendS32(b []byte, v int32) []byte {
	for {
		c := byte(v & 0x7f)
		v >>= 7
		if (v == 0 && c&0x40 == 0) || (v == -1 && c&0x40 != 0) {
			return append(b, c)
		}
		b = append(b, c|0x80)
	}
}

type meterer struct {
	fuel, enter, leave []byte
	globals            uint32 // the module's own globals (imported and defined)
}

// function rewrites one body: locals; fuel and depth checks; block bt; the original
// instructions with a fuel check after each loop header, return as a branch to the
// wrapper, a decrement before each tail call; end; the decrement; end.
func (m *meterer) function(b []byte, bt []byte) ([]byte, error) {
	r := &wasmReader{b: b}
	groups := r.u32()
	for g := uint32(0); g < groups && r.err == nil; g++ {
		r.u32()
		r.byte()
	}
	if r.err != nil {
		return nil, r.err
	}
	out := make([]byte, 0, len(b)+len(m.fuel)*4+64)
	out = append(out, b[:r.pos]...)
	out = append(out, m.enter...)
	out = append(out, 0x02)
	out = append(out, bt...)
	copied := r.pos
	nest := 0 // blocks open inside the body
	for r.err == nil {
		if r.pos >= len(b) {
			r.fail("function body ends without its final end")
			break
		}
		at := r.pos
		op := r.byte()
		if op == 0x23 || op == 0x24 { // global.get, global.set
			// A module that names a global it does not define is invalid as submitted; it
			// must not become valid by naming the meter's counters (and refuel itself).
			g := &wasmReader{b: b, pos: r.pos}
			if idx := g.u32(); g.err == nil && idx >= m.globals {
				r.fail("global %d is not defined (the module has %d)", idx, m.globals)
				break
			}
		}
		skipImmediates(r, op)
		if r.err != nil {
			break
		}
		switch op {
		case 0x02, 0x03, 0x04: // block, loop, if
			nest++
			if op == 0x03 {
				out = append(out, b[copied:r.pos]...)
				out = append(out, m.fuel...)
				copied = r.pos
			}
		case 0x0B: // end
			if nest == 0 { // the function's own end
				if r.pos != len(b) {
					r.fail("code after the function's final end")
					break
				}
				out = append(out, b[copied:at]...)
				out = append(out, 0x0B) // close the wrapper block
				out = append(out, m.leave...)
				return append(out, 0x0B), nil
			}
			nest--
		case 0x0F: // return: branch to the wrapper block instead
			out = append(out, b[copied:at]...)
			out = appendU32(append(out, 0x0C), uint32(nest))
			copied = r.pos
		case 0x12, 0x13: // return_call, return_call_indirect: leave this frame first
			out = append(out, b[copied:at]...)
			out = append(out, m.leave...)
			copied = at
		}
	}
	return nil, r.err
}

// errFeature is returned for instructions of proposals the sandbox does not admit.
func unsupported(r *wasmReader, what string) {
	if r.err == nil {
		r.err = fmt.Errorf("%w: uses %s, which tasks may not use", ErrFeature, what)
	}
}

// ErrFeature: the module uses a WebAssembly feature the sandbox does not admit.
var ErrFeature = errors.New("unsupported feature")

// skipImmediates advances past the immediates of opcode op.
func skipImmediates(r *wasmReader, op byte) {
	switch {
	case op == 0x02 || op == 0x03 || op == 0x04: // block, loop, if: blocktype (s33)
		r.leb(5)
	case op >= 0x06 && op <= 0x09, op == 0x18, op == 0x19, op == 0x1F:
		unsupported(r, "exception handling")
	case op == 0x0C || op == 0x0D: // br, br_if
		r.u32()
	case op == 0x0E: // br_table
		n := r.u32()
		for i := uint32(0); i <= n && r.err == nil; i++ {
			r.u32()
		}
	case op == 0x10 || op == 0x12: // call, return_call
		r.u32()
	case op == 0x11 || op == 0x13: // call_indirect, return_call_indirect
		r.u32()
		r.u32()
	case op == 0x14 || op == 0x15: // call_ref, return_call_ref
		r.u32()
	case op == 0x1C: // select t*
		n := r.u32()
		r.skip(int(n))
	case op >= 0x20 && op <= 0x26: // local.*, global.*, table.get/set
		r.u32()
	case op >= 0x28 && op <= 0x3E: // loads and stores: memarg
		r.u32()
		r.u32()
	case op == 0x3F || op == 0x40: // memory.size, memory.grow
		r.u32()
	case op == 0x41: // i32.const
		r.leb(5)
	case op == 0x42: // i64.const
		r.leb(10)
	case op == 0x43:
		r.skip(4)
	case op == 0x44:
		r.skip(8)
	case op == 0xD0: // ref.null
		r.byte()
	case op == 0xD2: // ref.func
		r.u32()
	case op == 0xFC:
		skipFC(r, r.u32())
	case op == 0xFD:
		skipSIMD(r, r.u32())
	case op == 0xFE:
		unsupported(r, "threads (atomic instructions)")
	case op <= 0x01, op == 0x05, op == 0x0B, op == 0x0F, op == 0x1A, op == 0x1B, op >= 0x45 && op <= 0xC4, op == 0xD1:
		// no immediates
	default:
		r.fail("unknown opcode 0x%02x", op)
	}
}

func skipFC(r *wasmReader, sub uint32) {
	switch {
	case sub <= 7: // saturating truncations
	case sub == 8: // memory.init
		r.u32()
		r.u32()
	case sub == 9, sub == 11, sub == 13, sub == 15, sub == 16, sub == 17: // data.drop, memory.fill, elem.drop, table.grow/size/fill
		r.u32()
	case sub == 10, sub == 12, sub == 14: // memory.copy, table.init, table.copy
		r.u32()
		r.u32()
	default:
		r.fail("unknown 0xFC instruction %d", sub)
	}
}

func skipSIMD(r *wasmReader, sub uint32) {
	switch {
	case sub <= 11, sub == 92, sub == 93: // loads, stores, load zero: memarg
		r.u32()
		r.u32()
	case sub == 12, sub == 13: // v128.const, i8x16.shuffle
		r.skip(16)
	case sub >= 21 && sub <= 34: // extract/replace lane
		r.byte()
	case sub >= 84 && sub <= 91: // load/store lane: memarg, lane
		r.u32()
		r.u32()
		r.byte()
	case sub >= 0x100:
		unsupported(r, "relaxed SIMD (results differ between CPUs)")
	}
}
