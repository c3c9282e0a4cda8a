package runtime

import (
	"fmt"
)

// The meter (RATIONALE.md, "Why a fuel meter and not a deadline?"). Admission rewrites
// every module so that it bounds itself, deterministically, on every engine and CPU:
//
//   - Fuel in proportion to work. Code is cut into forward-running segments, which control
//     enters only at their start: the function entry, the body of a loop that a branch
//     names (paid on each iteration), the arms of an if, and the code after the end of a
//     block or if that a branch names (see segments). Each segment starts by paying one
//     unit per instruction in it and in the small segments folded into it. Bulk memory and table
//     instructions and memory.grow also pay per byte, entry or page before they run, and
//     host calls pay for their work in the host (host.Fuel). The counter is an i64 global
//     exported as FuelExport; a payment that would take it to zero or below sets it to
//     zero and traps, so every node runs out of fuel at the same instruction.
//   - Stack in bytes. Every function entry adds the function's frame size (an upper bound,
//     frameBytes, but at least StackQuantum) to a second i64 global, exported as
//     StackExport, and traps if the total would pass MaxStackBytes; every way out of the
//     function takes it off again. Each body is wrapped in a block with the function's
//     result types, so that branches to the function's label and rewritten returns pass
//     through the one decrement at its end.
//   - NaN bits. Wasm leaves the payload of a NaN that float arithmetic produces to the
//     CPU and engine (amd64 gives 0xFFC00000 where arm64 gives 0x7FC00000, and wazero's two
//     engines propagate payloads differently). After every float instruction that can make
//     a NaN (arithmetic, sqrt, min/max, rounding, promote/demote; scalar and SIMD) the
//     meter inserts a select of the canonical NaN (0x7FC00000, 0x7FF8000000000000) when the
//     result is a NaN. Bit operations (abs, neg, copysign), loads, stores, reinterpretation
//     and conversions from integers are exact and left alone.
//
// Nothing the module owns moves: the counters are appended to the global index space, the
// block types of multi-value wrappers to the type section, the temporaries of the NaN and
// bulk checks to each function's locals, and code is only inserted (return becomes a branch
// to the wrapper). Every index the module itself uses is checked against its own index
// spaces first (wasm.go, bodyScanner), so an invalid module cannot become valid by naming what
// the meter adds.

// FuelExport is the name under which the metered module exports its fuel counter.
const FuelExport = "lockstep_fuel"

// StackExport is the name under which the metered module exports its stack use in bytes.
const StackExport = "lockstep_stack"

// stackTrapMark is what the stack counter holds after a call trapped on the stack limit.
const stackTrapMark = 1 << 62

// Per-unit costs of the instructions that do work in proportion to an operand.
const (
	bulkByteShift = 2 // memory.fill, memory.copy, memory.init: one unit per 4 bytes
	// memory.grow: 8 units per byte of the page (2^19 a page). wazero grows a memory by
	// reallocating and copying it, so growing page by page allocates about six times the
	// final size (TestHostileGrowLoop), and the host pays one unit per byte it allocates.
	growPageShift = 19
	// The memory a module declares is allocated once, at one unit per byte (2^16 a page),
	// and paid by the first call.
	initialPageShift = 16
)

// instr is one instruction of a function body, as the meter's first pass found it.
type instr struct {
	at, end int32 // its bytes in the body
	seg     int32 // the segment that starts after it, or -1
	op      byte
	sub     uint32 // the sub-opcode of 0xFC and 0xFD instructions
}

// bodyScanner checks and skips instruction immediates: indices against the module's own
// index spaces and the limits on nesting and branch tables.
type bodyScanner struct {
	m       *module
	r       *wasmReader
	locals  int      // parameters and declared locals
	nest    int      // blocks open in the body
	pushes  int      // an upper bound on the values the body's instructions push
	targets int      // br_table targets the module may still use
	labels  []uint32 // the labels the last instruction branches to
}

// immediates advances past the immediates of op and returns its sub-opcode (for 0xFC and
// 0xFD), checking what it reads.
func (s *bodyScanner) immediates(op byte) uint32 {
	r, m := s.r, s.m
	s.pushes++
	switch {
	case op == 0x02 || op == 0x03 || op == 0x04: // block, loop, if
		r.blockType(len(m.types))
	case op >= 0x06 && op <= 0x09, op == 0x18, op == 0x19, op == 0x1F:
		r.failWith(ErrFeature, "uses exception handling, which tasks may not use")
	case op == 0x0C || op == 0x0D: // br, br_if
		s.label()
	case op == 0x0E: // br_table
		n := r.count("branch table targets", MaxBranchTable, 1)
		if s.targets -= n; s.targets < 0 && r.err == nil {
			r.failWith(ErrLimit, "more than %d branch table targets in all functions together", MaxModuleTargets)
		}
		for i := 0; i <= n && r.err == nil; i++ {
			s.label()
		}
	case op == 0x10: // call
		f := r.index("function", len(m.funcTypes))
		if r.err == nil {
			s.pushes += len(m.types[m.funcTypes[f]].results)
		}
	case op == 0x11: // call_indirect
		t := r.index("type", len(m.types))
		r.u32()
		if r.err == nil {
			s.pushes += len(m.types[t].results)
		}
	case op == 0x12 || op == 0x13 || op == 0x14 || op == 0x15:
		r.failWith(ErrFeature, "uses tail calls or typed function references, which tasks may not use")
	case op == 0x1C: // select t*
		if n := r.u32(); n != 1 && r.err == nil {
			r.fail("select with %d types", n)
		}
		r.valueType()
	case op >= 0x20 && op <= 0x22: // local.get, local.set, local.tee
		r.index("local", s.locals)
	case op == 0x23 || op == 0x24: // global.get, global.set
		r.index("global", m.globals)
	case op == 0x25 || op == 0x26: // table.get, table.set
		r.u32()
	case op >= 0x28 && op <= 0x3E: // loads and stores: memarg
		r.u32()
		r.u32()
	case op == 0x3F || op == 0x40: // memory.size, memory.grow
		r.byte()
	case op == 0x41: // i32.const
		r.leb(32, true)
	case op == 0x42: // i64.const
		r.leb(64, true)
	case op == 0x43:
		r.skip(4)
	case op == 0x44:
		r.skip(8)
	case op == 0xD0: // ref.null
		r.byte()
	case op == 0xD2: // ref.func
		r.index("function", len(m.funcTypes))
	case op == 0xFC:
		sub := r.u32()
		s.prefixFC(sub)
		return sub
	case op == 0xFD:
		sub := r.u32()
		s.prefixSIMD(sub)
		return sub
	case op == 0xFE:
		r.failWith(ErrFeature, "uses threads (atomic instructions), which tasks may not use")
	case op <= 0x01, op == 0x05, op == 0x0B, op == 0x0F, op == 0x1A, op == 0x1B, op >= 0x45 && op <= 0xC4, op == 0xD1:
		// no immediates
	default:
		if r.err == nil {
			r.pos--
			r.fail("unknown opcode 0x%02x", op)
		}
	}
	return 0
}

// label checks a branch target: the function's own label is the outermost one, and one
// beyond it would name the meter's wrapper block.
func (s *bodyScanner) label() {
	l := s.r.u32()
	if s.r.err == nil && int64(l) > int64(s.nest) {
		s.r.fail("branch to label %d with %d labels in scope", l, s.nest+1)
	}
	s.labels = append(s.labels, l)
}

func (s *bodyScanner) prefixFC(sub uint32) {
	r := s.r
	switch {
	case sub <= 7: // saturating truncations
	case sub == 8: // memory.init
		r.u32()
		r.byte()
	case sub == 9, sub == 13, sub == 16: // data.drop, elem.drop, table.size
		r.u32()
	case sub == 10: // memory.copy
		r.byte()
		r.byte()
	case sub == 11: // memory.fill
		r.byte()
	case sub == 12, sub == 14: // table.init, table.copy
		r.u32()
		r.u32()
	case sub == 15:
		r.failWith(ErrFeature, "uses table.grow, which tasks may not use (tables have the size they declare)")
	case sub == 17: // table.fill
		r.u32()
	default:
		r.fail("unknown 0xFC instruction %d", sub)
	}
}

func (s *bodyScanner) prefixSIMD(sub uint32) {
	r := s.r
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
		r.failWith(ErrFeature, "uses relaxed SIMD, which tasks may not use (results differ between CPUs)")
	}
}

// nanClass says whether an instruction can produce a NaN with a CPU-dependent payload,
// and of which type its result is: 1 f32, 2 f64, 3 f32x4, 4 f64x2, 0 none.
func nanClass(op byte, sub uint32) int {
	switch {
	case op >= 0x8D && op <= 0x97, op == 0xB6: // f32 ceil..max, f32.demote_f64
		return 1
	case op >= 0x9B && op <= 0xA5, op == 0xBB: // f64 ceil..max, f64.promote_f32
		return 2
	case op != 0xFD:
		return 0
	}
	switch sub {
	case 0x5E, 0x67, 0x68, 0x69, 0x6A, 0xE3, 0xE4, 0xE5, 0xE6, 0xE7, 0xE8, 0xE9:
		return 3 // f32x4 demote, ceil, floor, trunc, nearest, sqrt, add, sub, mul, div, min, max
	case 0x5F, 0x74, 0x75, 0x7A, 0x94, 0xEF, 0xF0, 0xF1, 0xF2, 0xF3, 0xF4, 0xF5:
		return 4 // f64x2 promote, ceil, floor, trunc, nearest, sqrt, add, sub, mul, div, min, max
	}
	return 0
}

// bulkShift says whether an instruction takes a count on top of the stack that it does
// work in proportion to, and the shift that turns the count into fuel (negative: right).
func bulkShift(op byte, sub uint32) (shift int, ok bool) {
	switch {
	case op == 0x40: // memory.grow: pages
		return growPageShift, true
	case op != 0xFC:
		return 0, false
	case sub == 8 || sub == 10 || sub == 11: // memory.init, memory.copy, memory.fill: bytes
		return -bulkByteShift, true
	case sub == 12 || sub == 14 || sub == 17: // table.init, table.copy, table.fill: entries
		return 0, true
	}
	return 0, false
}

// frameBytes bounds the bytes a frame of a function takes on either engine's stack: a
// slot of 16 bytes (a v128) for every parameter, local and value the body can push, and
// 64 bytes of frame overhead. Both engines keep each of these in at most one slot.
func frameBytes(params, locals, pushes int) int64 {
	return 64 + 16*(int64(params)+int64(locals)+int64(pushes))
}

// instrument returns the metered module, with a fuel counter that starts at zero (the host
// sets it before every call).
func instrument(wasm []byte) ([]byte, error) {
	out, _, err := meter(wasm, 0)
	return out, err
}

// meter checks and rewrites a module (see the top of this file) and returns the metered
// module and what admission learned of it. initialFuel is the fuel counter's value at
// instantiation.
func meter(wasm []byte, initialFuel uint64) ([]byte, *module, error) {
	return meterWith(wasm, initialFuel, false)
}

// meterWith is meter; exact makes the reference meter of the tests, which pays one unit
// before each instruction instead of a segment's cost on entry, so that the fuel it uses
// is the number of instructions that ran (else and end aside).
func meterWith(wasm []byte, initialFuel uint64, exact bool) ([]byte, *module, error) {
	m, err := decodeModule(wasm)
	if err != nil {
		return nil, nil, err
	}
	own := uint32(m.globals)
	mt := &meterer{m: m, fuel: own, stack: own + 1, multi: map[string]uint32{}, exact: exact}
	newGlobals := []byte{0x7E, 0x01, 0x42}
	newGlobals = appendS64(newGlobals, int64(initialFuel))
	newGlobals = append(newGlobals, 0x0B, 0x7E, 0x01, 0x42, 0x00, 0x0B) // fuel, stack: mut i64

	var code []byte
	if i := m.section(secCode); i >= 0 {
		if code, err = mt.codeSection(m.sections[i].body); err != nil {
			return nil, nil, err
		}
	}

	out := append(make([]byte, 0, len(wasm)+len(code)-len(sectionBody(m, secCode))+64), wasm[:8]...)
	emit := func(id byte, body []byte) {
		out = append(out, id)
		out = appendU32(out, uint32(len(body)))
		out = append(out, body...)
	}
	// extend appends items to a vector section (or makes one).
	extend := func(id byte, n int, items []byte) {
		body := sectionBody(m, id)
		r := &wasmReader{b: body}
		old := 0
		if len(body) > 0 {
			old = int(r.u32())
		}
		emit(id, append(appendU32(nil, uint32(old+n)), append(body[r.pos:len(body):len(body)], items...)...))
	}
	var exports []byte
	for _, e := range []struct {
		name string
		idx  uint32
	}{{FuelExport, mt.fuel}, {StackExport, mt.stack}} {
		exports = appendU32(exports, uint32(len(e.name)))
		exports = append(exports, e.name...)
		exports = appendU32(append(exports, 0x03), e.idx)
	}
	var types []byte
	for _, res := range mt.extraTypes {
		types = append(types, 0x60, 0x00)
		types = appendU32(types, uint32(len(res)))
		types = append(types, res...)
	}
	pending := []struct {
		id    byte
		n     int
		items []byte
	}{{secType, len(mt.extraTypes), types}, {secGlobal, 2, newGlobals}, {secExport, 2, exports}}
	flush := func(before int) { // the sections the meter adds or extends, in order
		for len(pending) > 0 && sectionRank[pending[0].id] < before {
			if p := pending[0]; p.n > 0 || m.section(p.id) >= 0 {
				extend(p.id, p.n, p.items)
			}
			pending = pending[1:]
		}
	}
	for _, s := range m.sections {
		if s.id == secCustom {
			continue // the name section goes last, where tools expect it
		}
		flush(sectionRank[s.id])
		if len(pending) > 0 && pending[0].id == s.id {
			flush(sectionRank[s.id] + 1) // extended above
			continue
		}
		if s.id == secCode {
			emit(s.id, code)
			continue
		}
		emit(s.id, s.body)
	}
	flush(len(sectionRank) + 1)
	if m.nameSection >= 0 {
		emit(secCustom, m.sections[m.nameSection].body)
	}
	return out, m, nil
}

func sectionBody(m *module, id byte) []byte {
	if i := m.section(id); i >= 0 {
		return m.sections[i].body
	}
	return nil
}

type meterer struct {
	m           *module
	locals      int    // declared locals of the bodies so far
	targets     int    // br_table targets of the bodies so far
	blocks      int    // blocks, loops and ifs of the bodies so far
	calls       int    // calls of the bodies so far
	instrs      int    // instructions of the metered bodies so far
	fuel, stack uint32 // global indices of the counters
	extraTypes  [][]byte
	multi       map[string]uint32 // type index of each multi-value wrapper's result list
	exact       bool              // the tests' reference meter (meterWith)
}

func (mt *meterer) codeSection(body []byte) ([]byte, error) {
	m := mt.m
	r := &wasmReader{b: body}
	n := int(r.u32()) // checked by decodeModule against the function section
	out := appendU32(make([]byte, 0, len(body)*5/4+64), uint32(n))
	for i := 0; i < n && r.err == nil; i++ {
		size := r.count("body bytes", MaxBodyBytes, 1)
		start := r.pos
		r.skip(size)
		if r.err != nil {
			break
		}
		fn, err := mt.function(body[start:r.pos], m.funcTypes[m.importedFuncs+i])
		if err != nil {
			return nil, fmt.Errorf("function body %d: %w", i, err)
		}
		out = appendU32(out, uint32(len(fn)))
		out = append(out, fn...)
	}
	if r.err == nil && r.left() != 0 {
		r.fail("%d bytes after the last function body", r.left())
	}
	if r.err != nil {
		return nil, fmt.Errorf("code section: %w", r.err)
	}
	return out, nil
}

// blockType is the wrapper block's type for a function returning results.
func (mt *meterer) blockType(results []byte) []byte {
	switch len(results) {
	case 0:
		return []byte{0x40}
	case 1:
		return results
	}
	idx, ok := mt.multi[string(results)]
	if !ok {
		idx = uint32(len(mt.m.types) + len(mt.extraTypes))
		mt.multi[string(results)] = idx
		mt.extraTypes = append(mt.extraTypes, results)
	}
	return appendS64(nil, int64(idx)) // a type index is a non-negative s33
}

// function meters one body: a first pass checks it and finds its instructions and
// segments, a second writes the metered body.
func (mt *meterer) function(b []byte, typeIdx uint32) ([]byte, error) {
	ft := mt.m.types[typeIdx]
	r := &wasmReader{b: b}
	groups := r.count("local declarations", MaxLocals, 2)
	locals := 0
	for g := 0; g < groups && r.err == nil; g++ {
		n := r.u32()
		if r.err == nil && int64(locals)+int64(n) > MaxLocals {
			r.failWith(ErrLimit, "more than %d locals", MaxLocals)
		}
		locals += int(n)
		r.valueType()
	}
	if mt.locals += locals; r.err == nil && mt.locals > MaxModuleLocals {
		r.failWith(ErrLimit, "more than %d locals in all functions together", MaxModuleLocals)
	}
	if r.err != nil {
		return nil, r.err
	}
	codeStart := r.pos
	s := &bodyScanner{m: mt.m, r: r, locals: len(ft.params) + locals, targets: MaxModuleTargets - mt.targets}

	// Pass 1: instructions, segments, and which temporaries the rewrite needs.
	var ins []instr
	sg := newSegments()
	var open []openBlock
	var needNaN [5]bool
	needBulk := false
	for done := false; !done && r.err == nil; {
		if r.left() == 0 {
			r.fail("function body ends without its final end")
			break
		}
		at := r.pos
		op := r.byte()
		s.labels = s.labels[:0]
		sub := s.immediates(op)
		if r.err != nil {
			break
		}
		in := instr{at: int32(at), end: int32(r.pos), op: op, sub: sub, seg: -1}
		sg.cost[sg.cur]++
		for _, l := range s.labels {
			if int(l) < len(open) {
				open[len(open)-1-int(l)].targeted = true
			}
		}
		switch op {
		case 0x10, 0x11: // call, call_indirect
			if mt.calls++; mt.calls > MaxModuleCalls {
				r.failWith(ErrLimit, "more than %d calls in all functions together", MaxModuleCalls)
			}
		case 0x02, 0x03, 0x04: // block, loop, if
			if s.nest++; s.nest > MaxNesting {
				r.failWith(ErrLimit, "blocks nested more than %d deep", MaxNesting)
			}
			if mt.blocks++; mt.blocks > MaxModuleBlocks {
				r.failWith(ErrLimit, "more than %d blocks, loops and ifs in all functions together", MaxModuleBlocks)
			}
			open = append(open, openBlock{op: op, at: int32(len(ins)), parent: sg.cur})
			if op != 0x02 { // the loop body or the if's first arm
				in.seg = sg.start(sg.cur, op == 0x03)
			}
		case 0x05: // else: the second arm
			if len(open) == 0 || open[len(open)-1].op != 0x04 {
				r.fail("else outside an if")
				break
			}
			in.seg = sg.start(open[len(open)-1].parent, false)
		case 0x0B:
			if len(open) == 0 {
				if r.left() != 0 {
					r.fail("code after the function's final end")
				}
				done = true
				break
			}
			s.nest--
			b := open[len(open)-1]
			open = open[:len(open)-1]
			if b.op == 0x03 && !b.targeted { // a loop nothing branches back to runs once
				sg.loop[ins[b.at].seg] = false
			}
			switch {
			case b.targeted && b.op != 0x03: // branches arrive after the end
				in.seg = sg.start(b.parent, false)
			case b.op != 0x02: // after an if (either arm) or a loop (every iteration)
				sg.cur = b.parent
			} // after a block only fallen out of, its last segment goes on
		}
		needNaN[nanClass(op, sub)] = true
		if _, ok := bulkShift(op, sub); ok {
			needBulk = true
		}
		ins = append(ins, in)
	}
	if r.err != nil {
		return nil, r.err
	}
	mt.targets = MaxModuleTargets - s.targets
	charged := sg.fold()

	// The temporaries, appended after the module's own locals.
	next := uint32(len(ft.params) + locals)
	var tmp [5]uint32
	var extra []byte
	for class, t := range []byte{0, 0x7D, 0x7C, 0x7B, 0x7B} {
		if class == 0 || !needNaN[class] {
			continue
		}
		if class == 4 && needNaN[3] {
			tmp[4] = tmp[3] // both SIMD classes use one v128
			continue
		}
		tmp[class] = next
		next++
		extra = append(extra, 1, t)
	}
	var bulkN, bulkC uint32
	if needBulk {
		bulkN, bulkC = next, next+1
		next += 2
		extra = append(extra, 1, 0x7F, 1, 0x7E)
	}
	// The interpreter zeroes every local at every call, one instruction each: the entry
	// pays for them (TestHostileWideLocals).
	sg.cost[0] += int64(int(next) - len(ft.params))
	frame := frameBytes(len(ft.params), int(next)-len(ft.params), s.pushes)
	if frame > MaxStackBytes {
		return nil, fmt.Errorf("%w: a frame of this function takes up to %d bytes of stack, more than the limit of %d", ErrLimit, frame, MaxStackBytes)
	}
	frame = max(frame, StackQuantum)

	// What compiling the metered body costs grows with its instructions: count them.
	// wazero's compiler takes time in the square of a function's blocks (compileWork).
	mt.instrs += len(ins) + chargeInstrs + frameInstrs
	blocks := 3 // the wrapper, and the ifs of the entry's charge and of enter
	for _, in := range ins {
		switch in.op {
		case 0x02, 0x03, 0x04:
			blocks++
		}
		if _, ok := bulkShift(in.op, in.sub); ok {
			mt.instrs += bulkInstrs
			blocks++
		}
		if nanClass(in.op, in.sub) != 0 {
			mt.instrs += nanInstrs
		}
		if in.seg >= 0 && charged[in.seg] {
			mt.instrs += chargeInstrs
			blocks++
		}
	}
	if blocks > MaxFunctionBlocks {
		return nil, fmt.Errorf("%w: %d blocks, loops and ifs as metered, more than %d in one function", ErrLimit, blocks, MaxFunctionBlocks)
	}
	mt.m.compileWork += uint64(blocks) * uint64(blocks)
	if mt.instrs > MaxModuleInstrs {
		return nil, fmt.Errorf("%w: more than %d instructions in all functions together, as metered", ErrLimit, MaxModuleInstrs)
	}

	// Pass 2: the metered body.
	out := make([]byte, 0, len(b)+len(b)/2+64)
	out = appendU32(out, uint32(groups+len(extra)/2))
	out = append(out, b[lebLen(b):codeStart]...)
	out = append(out, extra...)
	entry := sg.cost[0]
	if mt.exact {
		entry = int64(int(next) - len(ft.params)) // the locals
	}
	out = mt.charge(out, entry)
	out = mt.enter(out, frame)
	out = append(out, 0x02)
	out = append(out, mt.blockType(ft.results)...)
	copied := codeStart
	nest := 0
	for _, in := range ins {
		if mt.exact && in.op != 0x05 && in.op != 0x0B {
			out = append(out, b[copied:in.at]...)
			out = mt.charge(out, 1)
			copied = int(in.at)
		}
		if shift, ok := bulkShift(in.op, in.sub); ok {
			out = append(out, b[copied:in.at]...)
			out = mt.chargeCount(out, shift, bulkN, bulkC)
			copied = int(in.at)
		}
		switch in.op {
		case 0x02, 0x03, 0x04:
			nest++
		case 0x0B:
			if nest == 0 { // the function's own end: close the wrapper, then leave
				out = append(out, b[copied:in.at]...)
				out = append(out, 0x0B)
				out = mt.leave(out, frame)
				return append(out, 0x0B), nil
			}
			nest--
		case 0x0F: // return: branch to the wrapper block instead
			out = append(out, b[copied:in.at]...)
			out = appendU32(append(out, 0x0C), uint32(nest))
			copied = int(in.end)
		}
		if class := nanClass(in.op, in.sub); class != 0 {
			out = append(out, b[copied:in.end]...)
			out = canonicalNaN(out, class, tmp[class])
			copied = int(in.end)
		}
		if in.seg >= 0 && charged[in.seg] && !mt.exact {
			out = append(out, b[copied:in.end]...)
			out = mt.charge(out, sg.cost[in.seg])
			copied = int(in.end)
		}
	}
	return nil, fmt.Errorf("BUG: function body without its final end passed the first pass")
}

// openBlock is a block, loop or if that pass 1 has not seen the end of.
type openBlock struct {
	op       byte
	at       int32 // its instruction's index
	parent   int32 // the segment in force where it opened
	targeted bool  // a branch names its label
}

// segments are a function's fuel segments: the code that one payment covers. A segment is
// entered only at its start and runs forward (no branch inside it goes back), so each of
// its instructions runs at most once per payment, except in a loop body, which is paid
// again on every iteration. Segments start at the function's entry, at the body of a loop
// that a branch names, at each arm of an if, and after the end of a block or if that a
// branch names (where control can arrive past the code before it). Any segment but a loop
// body runs at most once per entry of the segment it opened in (its parent), so folding it
// into its parent, which then pays for it on entry, keeps the bound: the meter folds
// segments too small to be worth a payment of their own.
type segments struct {
	cost   []int64 // instructions in each
	parent []int32
	loop   []bool // paid on every iteration: never folded
	cur    int32  // the segment instructions are now added to
}

// foldBelow: segments of fewer instructions are folded into their parent. A payment is
// about ten instructions; folding bounds the meter's growth of a module and the time spent
// paying, at the price of charging for arms and continuations that may not run.
const foldBelow = 12

func newSegments() *segments {
	return &segments{cost: []int64{0}, parent: []int32{-1}, loop: []bool{false}}
}

// start opens a segment under parent and makes it current.
func (sg *segments) start(parent int32, loop bool) int32 {
	sg.cur = int32(len(sg.cost))
	sg.cost = append(sg.cost, 0)
	sg.parent = append(sg.parent, parent)
	sg.loop = append(sg.loop, loop)
	return sg.cur
}

// fold folds small segments into their parents, the last first (a parent is opened before
// its children, so a child's cost has reached its parent before the parent is judged), and
// returns which segments are paid on their own.
func (sg *segments) fold() []bool {
	charged := make([]bool, len(sg.cost))
	charged[0] = true
	for s := len(sg.cost) - 1; s > 0; s-- {
		if sg.loop[s] || sg.cost[s] >= foldBelow {
			charged[s] = true
			continue
		}
		sg.cost[sg.parent[s]] += sg.cost[s]
	}
	return charged
}

func lebLen(b []byte) int {
	for i, c := range b {
		if c&0x80 == 0 {
			return i + 1
		}
	}
	return len(b)
}

// trapIf: if; <set global g to v>; unreachable; end
func trapIf(out []byte, g uint32, v int64) []byte {
	out = append(out, 0x04, 0x40, 0x42)
	out = appendS64(out, v)
	out = appendU32(append(out, 0x24), g)
	return append(out, 0x00, 0x0B)
}

// The instructions each insertion of the meter adds (counted against MaxModuleInstrs).
const (
	chargeInstrs = 12 // charge
	bulkInstrs   = 17 // chargeCount
	nanInstrs    = 7  // canonicalNaN
	frameInstrs  = 18 // enter, the wrapper block and leave
)

// charge pays cost units of fuel:
//
//	global.get F; i64.const c; i64.le_u; if; i64.const 0; global.set F; unreachable; end
//	global.get F; i64.const c; i64.sub; global.set F
func (mt *meterer) charge(out []byte, cost int64) []byte {
	out = appendU32(append(out, 0x23), mt.fuel)
	out = appendS64(append(out, 0x42), cost)
	out = trapIf(append(out, 0x58), mt.fuel, 0)
	out = appendU32(append(out, 0x23), mt.fuel)
	out = appendS64(append(out, 0x42), cost)
	return appendU32(append(out, 0x7D, 0x24), mt.fuel)
}

// chargeCount pays for the count on top of the stack (left there), shifted:
//
//	local.tee n; i64.extend_i32_u; i64.const |shift|; i64.shl or i64.shr_u; local.set c
//	global.get F; local.get c; i64.le_u; if; i64.const 0; global.set F; unreachable; end
//	global.get F; local.get c; i64.sub; global.set F; local.get n
func (mt *meterer) chargeCount(out []byte, shift int, n, c uint32) []byte {
	out = appendU32(append(out, 0x22), n)
	op := byte(0x86) // i64.shl
	if shift < 0 {
		op, shift = 0x88, -shift // i64.shr_u
	}
	out = append(out, 0xAD, 0x42, byte(shift), op)
	out = appendU32(append(out, 0x21), c)
	out = appendU32(append(out, 0x23), mt.fuel)
	out = appendU32(append(out, 0x20), c)
	out = trapIf(append(out, 0x58), mt.fuel, 0)
	out = appendU32(append(out, 0x23), mt.fuel)
	out = appendU32(append(out, 0x20), c)
	out = appendU32(append(out, 0x7D, 0x24), mt.fuel)
	return appendU32(append(out, 0x20), n)
}

// enter takes a frame's bytes from the stack budget:
//
//	global.get S; i64.const (MaxStackBytes-frame); i64.gt_u; if; <S = stackTrapMark>; unreachable; end
//	global.get S; i64.const frame; i64.add; global.set S
func (mt *meterer) enter(out []byte, frame int64) []byte {
	out = appendU32(append(out, 0x23), mt.stack)
	out = appendS64(append(out, 0x42), MaxStackBytes-frame)
	out = trapIf(append(out, 0x56), mt.stack, stackTrapMark)
	out = appendU32(append(out, 0x23), mt.stack)
	out = appendS64(append(out, 0x42), frame)
	return appendU32(append(out, 0x7C, 0x24), mt.stack)
}

// leave gives a frame's bytes back: global.get S; i64.const frame; i64.sub; global.set S
func (mt *meterer) leave(out []byte, frame int64) []byte {
	out = appendU32(append(out, 0x23), mt.stack)
	out = appendS64(append(out, 0x42), frame)
	return appendU32(append(out, 0x7D, 0x24), mt.stack)
}

var (
	canonF32 = []byte{0x00, 0x00, 0xC0, 0x7F}
	canonF64 = []byte{0, 0, 0, 0, 0, 0, 0xF8, 0x7F}
)

// canonicalNaN replaces the value on top of the stack by the canonical NaN if it is a NaN:
//
//	local.set t; <canonical>; local.get t; local.get t; local.get t; <ne>; select
//
// with f32.ne or f64.ne and select for scalars, f32x4.ne or f64x2.ne and v128.bitselect
// (lane by lane) for vectors.
func canonicalNaN(out []byte, class int, t uint32) []byte {
	out = appendU32(append(out, 0x21), t)
	switch class {
	case 1:
		out = append(append(out, 0x43), canonF32...)
	case 2:
		out = append(append(out, 0x44), canonF64...)
	case 3:
		out = append(out, 0xFD, 0x0C)
		for i := 0; i < 4; i++ {
			out = append(out, canonF32...)
		}
	case 4:
		out = append(out, 0xFD, 0x0C)
		for i := 0; i < 2; i++ {
			out = append(out, canonF64...)
		}
	}
	for i := 0; i < 3; i++ {
		out = appendU32(append(out, 0x20), t)
	}
	switch class {
	case 1:
		return append(out, 0x5C, 0x1B) // f32.ne; select
	case 2:
		return append(out, 0x62, 0x1B) // f64.ne; select
	case 3:
		return append(out, 0xFD, 0x42, 0xFD, 0x52) // f32x4.ne; v128.bitselect
	default:
		return append(out, 0xFD, 0x48, 0xFD, 0x52) // f64x2.ne; v128.bitselect
	}
}
