package runtime

import (
	"bytes"
	"errors"
	"fmt"
	"unicode/utf8"
)

// The admission decoder: it walks a module's binary once, before wazero sees it, and checks
// every declared count against the bytes that follow and against the limits in limits.go,
// so that neither the meter nor wazero's decoder allocates what a module merely declares.
// It also checks every index a module uses (types, functions, globals, locals, labels)
// against the module's own index spaces: the meter appends types, globals and locals of its
// own, and an invalid module must not become valid by naming them.
//
// It is not a validator: stack typing and the rest of validation are wazero's, which
// compiles the metered module. It decodes exactly as much as the limits and the meter need.

// ErrMalformed is wrapped by every error about a module's binary encoding.
var ErrMalformed = errors.New("malformed module")

// ErrFeature: the module uses a WebAssembly feature the sandbox does not admit.
var ErrFeature = errors.New("unsupported feature")

type wasmReader struct {
	b   []byte
	pos int
	err error
}

func (r *wasmReader) fail(format string, args ...any) {
	r.failWith(ErrMalformed, format, args...)
}

func (r *wasmReader) failWith(kind error, format string, args ...any) {
	if r.err == nil {
		r.err = fmt.Errorf("%w: at byte %d: %s", kind, r.pos, fmt.Sprintf(format, args...))
	}
}

func (r *wasmReader) left() int { return len(r.b) - r.pos }

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

// leb reads a LEB128 value of at most bits bits, signed or not. As the spec requires, it
// is at most ceil(bits/7) bytes long and the unused bits of its last byte are zero (or,
// signed, copies of the sign bit): wazero's decoder is more lenient, and a module it
// would read differently from other engines is refused.
func (r *wasmReader) leb(bits int, signed bool) uint64 {
	var v uint64
	maxBytes := (bits + 6) / 7
	for i := 0; i < maxBytes; i++ {
		c := r.byte()
		if r.err != nil {
			return 0
		}
		v |= uint64(c&0x7f) << (7 * i)
		if i == maxBytes-1 {
			used := bits - 7*i // bits of the value in this byte
			unused := byte(0x7f) &^ (1<<used - 1)
			want := byte(0)
			if signed && c&(1<<(used-1)) != 0 {
				want = unused
			}
			if c&0x80 != 0 || c&unused != want {
				r.pos--
				r.fail("integer too large for %d bits (LEB128)", bits)
				return 0
			}
		}
		if c&0x80 == 0 {
			if shift := 7 * (i + 1); signed && shift < 64 && c&0x40 != 0 {
				v |= ^uint64(0) << shift
			}
			return v
		}
	}
	return v
}

// blockType reads a block type: 0x40 (no results), one value type, or a type index (a
// non-negative s33). The first two are single bytes that read as negative s33 values.
// It returns the type index, or -1.
func (r *wasmReader) blockType(types int) int64 {
	start := r.pos
	t := int64(r.leb(33, true))
	switch {
	case r.err != nil:
		return -1
	case t >= 0:
		if t >= int64(types) {
			r.fail("block type %d out of range (the module has %d types)", t, types)
		}
		return t
	case r.pos-start == 1 && (r.b[start] == 0x40 || isValueType(r.b[start])):
		return -1
	}
	r.fail("block type % x", r.b[start:r.pos])
	return -1
}

func (r *wasmReader) u32() uint32 { return uint32(r.leb(32, false)) }

func (r *wasmReader) skip(n int) {
	if r.err == nil && (n < 0 || n > r.left()) {
		r.fail("length %d runs past the end", n)
		return
	}
	if r.err == nil {
		r.pos += n
	}
}

// count reads a vector length and checks it against limit and against the bytes left,
// given that each element takes at least minBytes.
func (r *wasmReader) count(what string, limit, minBytes int) int {
	n := r.u32()
	if r.err != nil {
		return 0
	}
	if int64(n) > int64(limit) {
		r.failWith(ErrLimit, "%d %s (the limit is %d)", n, what, limit)
		return 0
	}
	if int64(n)*int64(minBytes) > int64(r.left()) {
		r.fail("declares %d %s in %d bytes", n, what, r.left())
		return 0
	}
	return int(n)
}

// index reads an index and checks it against the size of its index space.
func (r *wasmReader) index(what string, size int) uint32 {
	i := r.u32()
	if r.err == nil && int64(i) >= int64(size) {
		r.fail("%s index %d out of range (the module has %d)", what, i, size)
	}
	return i
}

func (r *wasmReader) name() string {
	n := r.count("name bytes", MaxModuleBytes, 1)
	start := r.pos
	r.skip(n)
	if r.err != nil {
		return ""
	}
	return string(r.b[start:r.pos])
}

// limits reads table or memory limits and returns the minimum.
func (r *wasmReader) limits(what string) uint64 {
	flags := r.byte()
	if flags > 1 {
		if flags == 2 || flags == 3 {
			r.failWith(ErrFeature, "uses shared memory (threads), which tasks may not use")
		} else {
			r.fail("%s limits flags 0x%02x", what, flags)
		}
		return 0
	}
	minimum := uint64(r.u32())
	if flags&1 != 0 {
		r.u32()
	}
	return minimum
}

func isValueType(t byte) bool {
	switch t {
	case 0x7F, 0x7E, 0x7D, 0x7C, 0x7B, 0x70, 0x6F:
		return true
	}
	return false
}

func (r *wasmReader) valueType() byte {
	t := r.byte()
	if !isValueType(t) {
		if r.err == nil {
			r.pos--
			r.fail("value type 0x%02x", t)
		}
	}
	return t
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

func appendS64(b []byte, v int64) []byte {
	for {
		c := byte(v & 0x7f)
		v >>= 7
		if (v == 0 && c&0x40 == 0) || (v == -1 && c&0x40 != 0) {
			return append(b, c)
		}
		b = append(b, c|0x80)
	}
}

type wasmSection struct {
	id   byte
	body []byte
}

// Section ids.
const (
	secCustom, secType, secImport, secFunction, secTable, secMemory = 0, 1, 2, 3, 4, 5
	secGlobal, secExport, secStart, secElem, secCode, secData       = 6, 7, 8, 9, 10, 11
	secDataCount, secTag                                            = 12, 13
)

// sectionRank orders the non-custom sections (the tag section sits before globals).
var sectionRank = [14]int{secType: 1, secImport: 2, secFunction: 3, secTable: 4, secMemory: 5, secTag: 6,
	secGlobal: 7, secExport: 8, secStart: 9, secElem: 10, secDataCount: 11, secCode: 12, secData: 13}

type funcType struct{ params, results []byte }

// module is what admission learns of a module.
type module struct {
	sections      []wasmSection
	types         []funcType
	funcTypes     []uint32 // the type of every function, imported ones first
	importedFuncs int
	globals       int    // imported and defined
	importedGlobs int    // the imported globals, the only ones an initializer may read
	mutable       []bool // of each global
	tables        int
	tableElems    uint64 // the initial entries of all tables
	compileWork   uint64 // the sum over metered functions of their blocks squared
	hasStart      bool
	exportNames   map[string]bool
	nameSection   int // index in sections of the name section the metered module keeps, or -1
}

// section returns the index in m.sections of the section with id, or -1.
func (m *module) section(id byte) int {
	for i, s := range m.sections {
		if s.id == id {
			return i
		}
	}
	return -1
}

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
	for r.left() > 0 && r.err == nil {
		id := r.byte()
		n := r.count("section bytes", MaxModuleBytes, 1)
		start := r.pos
		r.skip(n)
		if r.err != nil {
			break
		}
		if id != secCustom {
			if int(id) >= len(sectionRank) || sectionRank[id] == 0 {
				return nil, fmt.Errorf("%w: unknown section id %d", ErrMalformed, id)
			}
			if sectionRank[id] <= last {
				return nil, fmt.Errorf("%w: section %d out of order or repeated", ErrMalformed, id)
			}
			last = sectionRank[id]
		}
		out = append(out, wasmSection{id: id, body: b[start : start+n]})
	}
	return out, r.err
}

// decodeModule checks a module's structure and limits and returns what the meter needs.
// Code bodies are checked by the meter as it rewrites them (meterer.function).
func decodeModule(b []byte) (*module, error) {
	if len(b) > MaxModuleBytes {
		return nil, fmt.Errorf("%w: module is %d bytes, the limit is %d", ErrLimit, len(b), MaxModuleBytes)
	}
	secs, err := readSections(b)
	if err != nil {
		return nil, err
	}
	m := &module{sections: secs, exportNames: map[string]bool{}, nameSection: -1}
	definedFuncs := -1
	for i, s := range secs {
		r := &wasmReader{b: s.body}
		switch s.id {
		case secCustom:
			// A custom section's name must be UTF-8 within the section; its contents
			// never make a module invalid, so a bad name section is dropped, not refused.
			if name := r.name(); r.err == nil && !utf8.ValidString(name) {
				r.fail("custom section name is not UTF-8")
			}
			if r.err != nil {
				return nil, fmt.Errorf("custom section: %w", r.err)
			}
			if m.nameSection < 0 && goodNameSection(r) {
				m.nameSection = i
			}
			continue
		case secType:
			m.typeSection(r)
		case secImport:
			m.importSection(r)
		case secFunction:
			n := r.count("functions", MaxFunctions-len(m.funcTypes), 1)
			for i := 0; i < n && r.err == nil; i++ {
				m.funcTypes = append(m.funcTypes, r.index("type", len(m.types)))
			}
			definedFuncs = n
		case secTable:
			n := r.count("tables", MaxTables-m.tables, 3)
			for i := 0; i < n && r.err == nil; i++ {
				m.table(r)
			}
		case secMemory:
			n := r.count("memories", MaxMemories, 2)
			for i := 0; i < n && r.err == nil; i++ {
				r.limits("memory")
			}
		case secGlobal:
			n := r.count("globals", MaxGlobals-m.globals, 3)
			for i := 0; i < n && r.err == nil; i++ {
				m.globalType(r)
				m.constExpr(r)
			}
		case secExport:
			m.exportSection(r)
		case secStart:
			r.index("function", len(m.funcTypes))
			m.hasStart = true
		case secElem:
			m.elemSection(r)
		case secDataCount:
			r.u32()
		case secCode:
			if n := r.count("function bodies", MaxFunctions, 1); r.err == nil && n != max(definedFuncs, 0) {
				r.fail("%d function bodies for %d declared functions", n, max(definedFuncs, 0))
			}
			r.pos = len(r.b) // the bodies are the meter's (meterer.function)
		case secData:
			m.dataSection(r)
		case secTag:
			return nil, fmt.Errorf("%w: uses exception handling (a tag section), which tasks may not use", ErrFeature)
		}
		if r.err == nil && r.left() != 0 {
			r.fail("%d bytes left over at the end of section %d", r.left(), s.id)
		}
		if r.err != nil {
			return nil, fmt.Errorf("section %d: %w", s.id, r.err)
		}
	}
	if definedFuncs > 0 && m.section(secCode) < 0 {
		return nil, fmt.Errorf("%w: %d functions declared without a code section", ErrMalformed, definedFuncs)
	}
	return m, nil
}

func (m *module) typeSection(r *wasmReader) {
	n := r.count("types", MaxTypes, 3)
	m.types = make([]funcType, 0, n)
	for i := 0; i < n && r.err == nil; i++ {
		if form := r.byte(); form != 0x60 && r.err == nil {
			r.fail("type %d is not a function type (0x%02x)", i, form)
			return
		}
		var t funcType
		for _, list := range []*[]byte{&t.params, &t.results} {
			k := r.count("parameters or results", MaxParams, 1)
			start := r.pos
			for j := 0; j < k && r.err == nil; j++ {
				r.valueType()
			}
			if r.err == nil {
				*list = r.b[start:r.pos]
			}
		}
		m.types = append(m.types, t)
	}
}

func (m *module) importSection(r *wasmReader) {
	n := r.count("imports", MaxImports, 4)
	for i := 0; i < n && r.err == nil; i++ {
		r.name()
		r.name()
		switch kind := r.byte(); kind {
		case 0:
			if len(m.funcTypes) >= MaxFunctions {
				r.failWith(ErrLimit, "more than %d functions", MaxFunctions)
			}
			m.funcTypes = append(m.funcTypes, r.index("type", len(m.types)))
			m.importedFuncs++
		case 1:
			if m.tables >= MaxTables {
				r.failWith(ErrLimit, "more than %d tables", MaxTables)
			}
			m.table(r)
		case 2:
			r.limits("memory")
		case 3:
			if m.globals >= MaxGlobals {
				r.failWith(ErrLimit, "more than %d globals", MaxGlobals)
			}
			m.globalType(r)
			m.importedGlobs++
		case 4:
			r.failWith(ErrFeature, "imports a tag (exception handling), which tasks may not use")
		default:
			r.fail("import kind %d", kind)
		}
	}
}

// globalType reads a global's type and adds the global.
func (m *module) globalType(r *wasmReader) {
	r.valueType()
	mut := r.byte()
	if mut > 1 && r.err == nil {
		r.fail("global mutability 0x%02x", mut)
	}
	m.mutable = append(m.mutable, mut == 1)
	m.globals++
}

// table reads a table type and adds the table, counting its initial entries against the
// limit for all tables together.
func (m *module) table(r *wasmReader) {
	r.valueType()
	n := r.limits("table")
	switch {
	case r.err != nil:
	case n > MaxTableElems:
		r.failWith(ErrLimit, "a table of %d entries (the limit is %d)", n, MaxTableElems)
	case m.tableElems+n > MaxTableElems:
		r.failWith(ErrLimit, "tables of %d entries in all (the limit is %d)", m.tableElems+n, MaxTableElems)
	}
	m.tableElems += n
	m.tables++
}

func (m *module) exportSection(r *wasmReader) {
	n := r.count("exports", MaxExports, 3)
	for i := 0; i < n && r.err == nil; i++ {
		name := r.name()
		if name == FuelExport || name == StackExport {
			r.fail("exports %q, a name the sandbox reserves for its meter", name)
		}
		m.exportNames[name] = true
		switch kind := r.byte(); kind {
		case 0:
			r.index("function", len(m.funcTypes))
		case 3:
			// Without this check an export of the first global beyond the module's own
			// would name the fuel counter once the meter appends it.
			r.index("global", m.globals)
		case 1, 2:
			r.u32() // tables and memories: the meter adds none; wazero checks these
		default:
			r.fail("export kind %d", kind)
		}
	}
}

func (m *module) elemSection(r *wasmReader) {
	n := r.count("element segments", MaxElemSegments, 3)
	total := 0
	for i := 0; i < n && r.err == nil; i++ {
		flags := r.u32()
		if flags > 7 {
			r.fail("element segment flags %d", flags)
			return
		}
		if flags&3 == 2 {
			r.u32() // table index
		}
		if flags&1 == 0 {
			m.constExpr(r) // offset
		}
		if flags&3 != 0 {
			if flags&4 == 0 {
				r.byte() // elemkind
			} else {
				r.valueType() // reftype
			}
		}
		k := r.count("elements", MaxTableElems-total, 1)
		total += k
		for j := 0; j < k && r.err == nil; j++ {
			if flags&4 == 0 {
				r.index("function", len(m.funcTypes))
			} else {
				m.constExpr(r)
			}
		}
	}
}

func (m *module) dataSection(r *wasmReader) {
	n := r.count("data segments", MaxDataSegments, 2)
	for i := 0; i < n && r.err == nil; i++ {
		switch flags := r.u32(); flags {
		case 0:
			m.constExpr(r)
		case 1:
		case 2:
			r.u32() // memory index
			m.constExpr(r)
		default:
			r.fail("data segment flags %d", flags)
		}
		r.skip(r.count("data bytes", MaxModuleBytes, 1))
	}
}

// constExpr reads an initializer expression up to its end. It holds only constant
// instructions, and global.get may read only an imported immutable global (WebAssembly
// 2.0; wazero's decoder accepts more, which other engines refuse).
func (m *module) constExpr(r *wasmReader) {
	s := &bodyScanner{m: m, r: r}
	for r.err == nil {
		at := r.pos
		switch op := r.byte(); op {
		case 0x0B:
			return
		case 0x41, 0x42, 0x43, 0x44, 0xD0, 0xD2: // the constants, ref.null, ref.func
			s.immediates(op)
		case 0x23: // global.get
			if g := r.index("global", m.importedGlobs); r.err == nil && m.mutable[g] {
				r.fail("an initializer reads mutable global %d", g)
			}
		case 0xFD: // v128.const
			if s.immediates(op) != 12 && r.err == nil {
				r.pos = at
				r.fail("an instruction that is not constant in an initializer")
			}
		default:
			if r.err == nil {
				r.pos = at
				r.fail("instruction 0x%02x is not constant (in an initializer)", op)
			}
		}
	}
}

// goodNameSection reports whether a custom section, read past its name, is a sound name
// section. Only the first name section is kept in the metered module (for names in stack
// traces), and only if wazero will decode it as we do: it sizes maps from declared counts,
// requires UTF-8 names and reads subsections 0 to 2 by their contents, not their sizes.
func goodNameSection(r *wasmReader) bool {
	if string(r.b[:r.pos]) != "\x04name" {
		return false
	}
	for r.left() > 0 && r.err == nil {
		id := r.byte()
		size := r.count("name subsection bytes", MaxModuleBytes, 1)
		if r.err != nil {
			return false
		}
		sub := &wasmReader{b: r.b[r.pos : r.pos+size]}
		r.skip(size)
		switch id {
		case 0: // the module's name
			sub.utf8Name()
		case 1: // function names
			nameMap(sub)
		case 2: // local names
			k := sub.count("local name maps", MaxNameSubsections, 2)
			for i := 0; i < k && sub.err == nil; i++ {
				sub.u32()
				nameMap(sub)
			}
		default:
			continue
		}
		if sub.err != nil || sub.left() != 0 {
			return false
		}
	}
	return r.err == nil
}

func nameMap(r *wasmReader) {
	k := r.count("names", MaxNameSubsections, 2)
	for i := 0; i < k && r.err == nil; i++ {
		r.u32()
		r.utf8Name()
	}
}

// utf8Name reads a name that must be UTF-8.
func (r *wasmReader) utf8Name() {
	if n := r.name(); r.err == nil && !utf8.ValidString(n) {
		r.fail("name is not UTF-8")
	}
}
