package runtime

import (
	"bufio"
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"math/rand/v2"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	goruntime "runtime"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"
	"unicode/utf8"

	"github.com/tetratelabs/wazero"
	"github.com/tetratelabs/wazero/api"
)

// Admission against a reference validator. For any bytes whatever, admission (the meter,
// then wazero compiling the metered module) admits them exactly when the reference finds
// them a valid module, except where the meter refuses by a stated limit (statedRefusal); and
// what admission admits, metered, the reference finds valid too. The inputs are mutations
// (bit flips, bytes set, inserted and deleted, truncations, LEB128 values bumped, padded and
// sign-extended, sections duplicated, dropped, swapped and taken from other modules) of
// small valid and invalid modules: this repository's test modules, the transparency cases,
// and the spec suite's.
//
// The reference is wabt's wasm-validate with the features of wazero's CoreFeaturesV2,
// corrected where it is known to be wrong (see reference). Each disagreement says which side
// of admission it comes from: "wazero alone accepts it too" where wazero takes the module
// unmetered as admission does (wazero's own leniency, which admission passes on), "wazero
// alone refuses it too" likewise, and otherwise the meter made the difference.
//
// wasm-validate comes with wabt (apt-get install wabt); without it these tests skip, except
// TestAdmissionCorpus, which replays the disagreements found so far against the verdicts
// recorded with them (testdata/admission-corpus.txt). To add what a run finds to that corpus,
// minimized: LOCKSTEP_ADMISSION_RECORD=1 go test ./runtime -run TestAdmissionAgreesWithValidator

// admissionCorpus is the committed corpus of inputs where admission and wasm-validate
// disagreed (or once did), with wasm-validate's verdict.
const admissionCorpus = "testdata/admission-corpus.txt"

// validator runs wasm-validate.
type validator struct {
	path  string
	flags []string
}

// wazeroFeatures are the proposals in CoreFeaturesV2, by wabt's names; every other feature
// wabt knows is disabled.
var wazeroFeatures = map[string]bool{
	"mutable-globals": true, "saturating-float-to-int": true, "sign-extension": true, "simd": true,
	"multi-value": true, "bulk-memory": true, "reference-types": true,
}

var (
	validatorOnce sync.Once
	theValidator  *validator
	validatorErr  error
)

// findValidator finds wasm-validate and the flags that give it wazero's features: it enables
// those off by default and disables the others on by default, as its --help lists them.
func findValidator(t testing.TB) *validator {
	t.Helper()
	validatorOnce.Do(func() {
		path, err := exec.LookPath("wasm-validate")
		if err != nil {
			validatorErr = err
			return
		}
		help, _ := exec.Command(path, "--help").CombinedOutput()
		v := &validator{path: path}
		for _, m := range regexp.MustCompile(`--(enable|disable)-([a-z0-9-]+)`).FindAllStringSubmatch(string(help), -1) {
			on, feature := m[1] == "enable", m[2]
			switch {
			case feature == "all":
			case on && wazeroFeatures[feature], !on && !wazeroFeatures[feature]:
				v.flags = append(v.flags, m[0])
			}
		}
		theValidator = v
	})
	if theValidator == nil {
		t.Skipf("wasm-validate not found (%v): install wabt (apt-get install wabt) to check admission against it", validatorErr)
	}
	return theValidator
}

// valid says whether wasm-validate finds wasm valid, with its message where it does not.
//
// Custom sections are checked here and taken out before wasm-validate sees the module: their
// contents never make a module invalid, but wabt's reader objects to some (a section after
// the name section, a name section it cannot read) even with --ignore-custom-section-errors,
// which in turn lets malformed custom section names pass.
func (v *validator) valid(dir string, wasm []byte) (bool, string, error) {
	if !customNamesWellFormed(wasm) {
		return false, "a custom section's name is malformed (not UTF-8, or past the section)", nil
	}
	f, err := os.CreateTemp(dir, "*.wasm")
	if err != nil {
		return false, "", err
	}
	defer os.Remove(f.Name())
	if _, err := f.Write(withoutCustomSections(wasm, nil)); err != nil {
		f.Close()
		return false, "", err
	}
	f.Close()
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	out, err := exec.CommandContext(ctx, v.path, append(slices.Clone(v.flags), f.Name())...).CombinedOutput()
	msg := strings.TrimSpace(strings.ReplaceAll(string(out), f.Name()+":", ""))
	var exit *exec.ExitError
	switch {
	case ctx.Err() != nil:
		return false, "", fmt.Errorf("wasm-validate ran past 20 s")
	case errors.As(err, &exit) && exit.ExitCode() == 1:
		if i := strings.Index(msg, "error: "); i >= 0 {
			msg = msg[i+len("error: "):]
		}
		msg, _, _ = strings.Cut(msg, "\n")
		return false, msg, nil
	case errors.As(err, &exit) && !exit.Exited():
		return false, "", fmt.Errorf("%w: %v: %s", errValidatorCrashed, err, firstLine(errors.New(string(out))))
	case err != nil:
		return false, "", fmt.Errorf("wasm-validate: %v: %s", err, out)
	}
	return true, "", nil
}

// errValidatorCrashed: wasm-validate died on the input (wabt 1.0.32 fails an assertion on a
// few); the input has no reference verdict, and is counted, not judged.
var errValidatorCrashed = errors.New("wasm-validate crashed")

// customNamesWellFormed checks the framing of a module's sections as far as custom sections
// go: every section lies within the module, and every custom section's name within its
// section, in UTF-8, as the binary format requires.
func customNamesWellFormed(wasm []byte) bool {
	if len(wasm) < 8 {
		return true // wasm-validate's to refuse
	}
	r := &wasmReader{b: wasm, pos: 8}
	for r.left() > 0 && r.err == nil {
		id := r.byte()
		n := int(r.u32())
		if r.err != nil || n > r.left() {
			return id != secCustom // wasm-validate refuses a bad frame anyway
		}
		body := &wasmReader{b: wasm[r.pos : r.pos+n]}
		r.pos += n
		if id != secCustom {
			continue
		}
		k := int(body.u32())
		if body.err != nil || k > body.left() || !utf8.Valid(body.b[body.pos:body.pos+k]) {
			return false
		}
	}
	return true
}

// withoutCustomSections is wasm without the custom sections that keep does not keep (all of
// them, for keep nil); wasm itself where its sections do not frame.
func withoutCustomSections(wasm []byte, keep func(body []byte) bool) []byte {
	secs := wasmSections(wasm)
	if secs == nil {
		return wasm
	}
	return joinSections(wasm, slices.DeleteFunc(secs, func(s wasmSection) bool {
		return s.id == secCustom && (keep == nil || !keep(s.body))
	}))
}

// verdict is what the reference and admission made of one input.
type verdict struct {
	valid     bool   // the reference: wasm-validate, or the spec suite where it has the module
	why       string // the reference's reason, where not valid
	admitted  bool   // the meter, then wazero
	stated    string // the meter refused by a stated limit
	refusal   string // why admission refused
	inherited string // the refusal is one of wazeroRefusals
	metered   []byte // the metered module, where admitted
}

// wazeroRefusals are wazero's own refusals of valid modules, which admission inherits and
// the sandbox accepts: a task imports only from the host module and WASI (guest/ABI.md),
// never from a module named "".
var wazeroRefusals = []string{"has an empty module name"}

// disagreement is what is wrong with admission's verdict on one input: its kind, in general
// terms, and the particulars of this input.
type disagreement struct{ kind, detail string }

// admit runs admission on wasm: the meter, then wazero compiling the metered module.
func admit(ctx context.Context, rt wazero.Runtime, wasm []byte) (metered []byte, stated, refusal string) {
	out, err := meterForTest(wasm)
	if err != nil {
		return nil, statedRefusal(err), "meter: " + firstLine(err)
	}
	c, err := rt.CompileModule(ctx, out)
	if err != nil {
		return nil, "", "wazero: " + firstLine(err)
	}
	c.Close(ctx)
	return out, "", ""
}

// reference is the reference verdict on wasm: wasm-validate's, corrected where it is known
// to be wrong. The spec suite's verdict stands where the module is one of its own, and
// referenceCorrections name the malformed modules wasm-validate passes.
func reference(ctx context.Context, v *validator, rt wazero.Runtime, dir string, wasm []byte) (bool, string, error) {
	ok, why, err := v.valid(dir, wasm)
	if err != nil {
		return false, "", err
	}
	if spec, known := specSeedVerdicts.Load(sha256.Sum256(wasm)); known && spec.(bool) != ok {
		return spec.(bool), fmt.Sprintf("the spec suite says valid=%v where wasm-validate says %v %s", spec, ok, why), nil
	}
	for _, c := range referenceCorrections {
		if ok && c.applies(ctx, rt, wasm) {
			return false, c.why + ", which wasm-validate passes", nil
		}
	}
	if !ok && slices.Contains(referenceOverruled, why) {
		if alone, _ := wazeroAlone(ctx, rt, wasm); alone == "wazero alone accepts it too" {
			return true, "", nil
		}
	}
	return ok, why, nil
}

// referenceCorrections are the malformed modules that wasm-validate (wabt 1.0.32) passes,
// each with the rule it breaks.
var referenceCorrections = []struct {
	why     string
	applies func(ctx context.Context, rt wazero.Runtime, wasm []byte) bool
}{
	{"an initializer expression runs to the end of its section, without its end", initializerCutOff},
	{"a data count section with no data section (binary.wast:478, binary.64.wasm)", dataCountWithoutData},
	{"a data segment's flags are not 0, 1 or 2", dataFlagsUnknown},
	{"a function body's last end closes a block, not the body (binary.wast:1114, binary.111.wasm)", bodyEndsInBlock},
	{"a global's or active data segment's initializer is empty (it must leave one value)", emptyInitializer},
	{"a block type is a negative s33 in more than one byte (only 0x40 and one-byte value types are negative)", longNegativeBlockType},
}

// longNegativeBlockType: the meter refuses the module for a block type whose bytes, as
// its error quotes them, are a negative s33 in more than one byte (wabt reads any s32).
func longNegativeBlockType(_ context.Context, _ wazero.Runtime, wasm []byte) bool {
	_, err := meterForTest(wasm)
	if err == nil {
		return false
	}
	_, quoted, ok := strings.Cut(err.Error(), "block type ")
	if !ok {
		return false
	}
	b, herr := hex.DecodeString(strings.ReplaceAll(quoted, " ", ""))
	if herr != nil || len(b) < 2 {
		return false
	}
	r := &wasmReader{b: b}
	return int64(r.leb(33, true)) < 0 && r.err == nil && r.left() == 0
}

// referenceOverruled are wasm-validate's refusals that are wrong: messages by which it
// refuses modules that are valid (wabt 1.0.32 takes only ref.null and ref.func for element
// expressions; global.get of an immutable imported global is one too, spec elem.wast's
// elem.68.wasm). Where wazero alone accepts such a module, the reference takes it as valid;
// and where wasm-validate refuses the original too, it does not judge the metered module.
var referenceOverruled = []string{
	"expected ref.null or ref.func in passive element segment",
	"expected END opcode after element expression",
}

// initializerCutOff says whether a global, element or data section of wasm ends inside an
// initializer expression: the admission decoder refuses the module, and accepts it with an
// end appended to that section.
func initializerCutOff(_ context.Context, _ wazero.Runtime, wasm []byte) bool {
	secs := wasmSections(wasm)
	if _, err := decodeModule(wasm); err == nil || secs == nil {
		return false
	}
	for i, s := range secs {
		if s.id == secGlobal || s.id == secElem || s.id == secData {
			fixed := slices.Clone(secs)
			fixed[i].body = append(slices.Clone(s.body), 0x0B)
			if _, err := decodeModule(joinSections(wasm, fixed)); err == nil {
				return true
			}
		}
	}
	return false
}

// dataCountWithoutData: a data count section that counts segments with no data section.
func dataCountWithoutData(_ context.Context, _ wazero.Runtime, wasm []byte) bool {
	count, data := -1, false
	for _, s := range wasmSections(wasm) {
		switch s.id {
		case secDataCount:
			r := &wasmReader{b: s.body}
			if n := r.u32(); r.err == nil {
				count = int(n)
			}
		case secData:
			data = true
		}
	}
	return count > 0 && !data
}

// dataFlagsUnknown: a data segment whose flags are none of 0 (active), 1 (passive) and 2
// (active, with a memory index). It reads the segments as far as it understands them.
func dataFlagsUnknown(_ context.Context, _ wazero.Runtime, wasm []byte) bool {
	for _, s := range wasmSections(wasm) {
		if s.id != secData {
			continue
		}
		r := &wasmReader{b: s.body}
		n := r.u32()
		for range n {
			flags := r.u32()
			switch {
			case r.err != nil:
				return false
			case flags > 2:
				return true
			case flags == 2:
				r.u32()
			}
			if flags != 1 && !skipConstExpr(r) {
				return false
			}
			r.skip(int(r.u32()))
		}
	}
	return false
}

// skipConstExpr skips a constant expression of the instructions CoreFeaturesV2 allows in one.
func skipConstExpr(r *wasmReader) bool {
	for r.err == nil {
		switch op := r.byte(); op {
		case 0x0B:
			return r.err == nil
		case 0x41, 0x42:
			r.leb(64, true)
		case 0x43:
			r.skip(4)
		case 0x44:
			r.skip(8)
		case 0x23, 0xD2:
			r.u32()
		case 0xD0:
			r.byte()
		default:
			return false
		}
	}
	return false
}

// emptyInitializer: a global's initializer, or an active data segment's offset, is only its
// end.
func emptyInitializer(_ context.Context, _ wazero.Runtime, wasm []byte) bool {
	for _, s := range wasmSections(wasm) {
		r := &wasmReader{b: s.body}
		switch s.id {
		case secGlobal:
			for range r.u32() {
				r.valueType()
				r.byte()
				if r.left() > 0 && r.b[r.pos] == 0x0B {
					return true
				}
				if !skipConstExpr(r) {
					return false
				}
			}
		case secData:
			for range r.u32() {
				flags := r.u32()
				if flags == 2 {
					r.u32()
				}
				if flags != 1 && r.left() > 0 && r.b[r.pos] == 0x0B {
					return true
				}
				if r.err != nil || flags > 2 || flags != 1 && !skipConstExpr(r) {
					return false
				}
				r.skip(int(r.u32()))
			}
		}
	}
	return false
}

// bodyEndsInBlock: wazero (v1.12.0, alone) finds blocks still open at the end of a function
// body, the meaning of its "ill-nested block exists".
func bodyEndsInBlock(ctx context.Context, rt wazero.Runtime, wasm []byte) bool {
	alone, detail := wazeroAlone(ctx, rt, wasm)
	return alone == "wazero alone refuses it too" && strings.Contains(detail, "ill-nested block exists")
}

// specVerdicts are the spec suite's verdicts on its v2 modules, by file name: valid for
// those it instantiates or links, invalid for its assert_invalid and assert_malformed ones.
var specVerdicts = sync.OnceValue(func() map[string]bool {
	out := map[string]bool{}
	dir, err := exec.Command("go", "list", "-m", "-f", "{{.Dir}}", "github.com/tetratelabs/wazero").Output()
	if err != nil {
		return out
	}
	scripts, _ := filepath.Glob(filepath.Join(strings.TrimSpace(string(dir)), "internal", "integration_test", "spectest", "v2", "testdata", "*.json"))
	for _, f := range scripts {
		raw, _ := os.ReadFile(f)
		var script struct { // only what the verdicts need: decoding the values takes seconds
			Commands []struct{ Type, Filename string }
		}
		json.Unmarshal(raw, &script)
		for _, c := range script.Commands {
			valid, ok := map[string]bool{"module": true, "assert_unlinkable": true, "assert_uninstantiable": true, "assert_invalid": false, "assert_malformed": false}[c.Type]
			if ok && strings.HasSuffix(c.Filename, ".wasm") {
				out[c.Filename] = valid
			}
		}
	}
	return out
})

// specSeedVerdicts are the spec suite's verdicts on the modules admissionSeeds took from it,
// by their hash (reading every module of the suite takes seconds).
var specSeedVerdicts sync.Map // [32]byte -> bool

// judge finds the verdicts on one input and what is wrong with them (nil: nothing).
func judge(ctx context.Context, v *validator, rt wazero.Runtime, dir string, wasm []byte) (verdict, *disagreement, error) {
	var d verdict
	var err error
	if d.valid, d.why, err = reference(ctx, v, rt, dir, wasm); err != nil {
		return d, nil, err
	}
	d.metered, d.stated, d.refusal = admit(ctx, rt, wasm)
	d.admitted = d.metered != nil
	switch {
	case d.stated != "":
	case d.admitted && !d.valid:
		alone, detail := wazeroAlone(ctx, rt, wasm)
		return d, &disagreement{
			fmt.Sprintf("admitted, but invalid (%s); %s", d.why, alone),
			detail,
		}, nil
	case !d.admitted && d.valid:
		alone, detail := wazeroAlone(ctx, rt, wasm)
		for _, w := range wazeroRefusals {
			if alone == "wazero alone refuses it too" && strings.Contains(detail, w) {
				d.inherited = w
				return d, nil, nil
			}
		}
		return d, &disagreement{
			fmt.Sprintf("refused (%s), but valid per wasm-validate; %s", d.refusal, alone),
			detail,
		}, nil
	case d.admitted:
		ok, why, err := meteredValid(v, dir, wasm, d.metered)
		if err != nil {
			return d, nil, err
		}
		if !ok {
			return d, &disagreement{"admitted, and the metered module is invalid per wasm-validate (" + why + ")", ""}, nil
		}
	}
	return d, nil, nil
}

// meteredValid says whether wasm-validate finds a metered module valid; or, where it refuses
// the original too (where the reference overrules it), does not judge it.
func meteredValid(v *validator, dir string, orig, metered []byte) (bool, string, error) {
	ok, why, err := v.valid(dir, metered)
	if err == nil && !ok {
		if origOK, _, err := v.valid(dir, orig); err != nil || !origOK {
			return true, "", err
		}
	}
	return ok, why, err
}

// wazeroAlone says what wazero makes of a module without the meter, to tell the meter's
// disagreements from wazero's own. It compiles the module only where the admission decoder
// accepts its structure (counts within the limits, so that wazero cannot be made to allocate
// what it merely declares), and without the name sections the admission decoder finds
// unsound (wazero's decoder sizes their maps from their declared counts).
func wazeroAlone(ctx context.Context, rt wazero.Runtime, wasm []byte) (verdict, detail string) {
	if _, err := decodeModule(wasm); err != nil {
		return "the meter's decoder refuses it", firstLine(err)
	}
	c, err := rt.CompileModule(ctx, withoutCustomSections(wasm, func(body []byte) bool {
		r := &wasmReader{b: body}
		return r.name() != "name" || goodNameSection(&wasmReader{b: body})
	}))
	if err != nil {
		return "wazero alone refuses it too", firstLine(err)
	}
	c.Close(ctx)
	return "wazero alone accepts it too", ""
}

// kindOf is a disagreement's kind without its numbers (offsets, indices, counts), to tell
// new kinds from known ones.
func kindOf(w *disagreement) string {
	if w == nil {
		return ""
	}
	return regexp.MustCompile(`[0-9]+`).ReplaceAllString(w.kind, "N")
}

// admissionSeeds are the modules the mutations start from: the repository's test modules,
// the transparency cases (meter_transparency_test.go), and small modules of the spec suite
// (valid and invalid, every k-th by name, for a deterministic sample of about maxSpec).
func admissionSeeds(t testing.TB, maxSpec int) (names []string, seeds [][]byte) {
	t.Helper()
	for _, glob := range []string{"../testdata/hostile/*.wasm", "../testdata/wat/*.wasm"} {
		files, _ := filepath.Glob(glob)
		for _, f := range files {
			b, err := os.ReadFile(f)
			if err != nil {
				t.Fatal(err)
			}
			names = append(names, strings.TrimPrefix(f, "../"))
			seeds = append(seeds, b)
		}
	}
	for _, c := range transparencyCases() {
		names = append(names, "case/"+c.name)
		seeds = append(seeds, c.wasm)
	}
	files, _ := filepath.Glob(filepath.Join(specSuiteDir(t), "v2", "testdata", "*.wasm"))
	slices.Sort(files)
	// Every k-th file, of those up to 1 KiB: about maxSpec of them (a file costs a millisecond
	// or more to open where the module cache is on a slow disk, so not all are looked at).
	step := max(1, len(files)/max(1, 2*maxSpec))
	for i, spec := 0, 0; i < len(files) && spec < maxSpec; i += step {
		b, err := os.ReadFile(files[i])
		if err != nil {
			t.Fatal(err)
		}
		if len(b) > 1024 {
			continue
		}
		spec++
		name := filepath.Base(files[i])
		names = append(names, "spec/"+name)
		seeds = append(seeds, b)
		if valid, ok := specVerdicts()[name]; ok {
			specSeedVerdicts.Store(sha256.Sum256(b), valid)
		}
	}
	return names, seeds
}

// mutation is one way of breaking (or not) a module.
type mutation struct {
	name string
	f    func(r *rand.Rand, b []byte, other []byte) []byte
}

// interesting are byte values at the edges of the encoding: LEB continuation, block types,
// opcodes, value types.
var interesting = []byte{0x00, 0x01, 0x02, 0x0B, 0x0C, 0x0F, 0x10, 0x20, 0x23, 0x3F, 0x40, 0x41, 0x60, 0x6F, 0x70, 0x7B, 0x7C, 0x7D, 0x7E, 0x7F, 0x80, 0xC0, 0xFC, 0xFD, 0xFF}

// wasmSections splits a module into its sections' (id, body); nil if it does not split.
func wasmSections(b []byte) []wasmSection {
	if len(b) < 8 {
		return nil
	}
	r := &wasmReader{b: b, pos: 8}
	var out []wasmSection
	for r.left() > 0 {
		id := r.byte()
		n := int(r.u32())
		if r.err != nil || n > r.left() {
			return nil
		}
		out = append(out, wasmSection{id, b[r.pos : r.pos+n]})
		r.pos += n
	}
	return out
}

func joinSections(head []byte, secs []wasmSection) []byte {
	out := slices.Clone(head[:8])
	for _, s := range secs {
		out = appendU32(append(out, s.id), uint32(len(s.body)))
		out = append(out, s.body...)
	}
	return out
}

// withSection splits b into sections, lets f change them, and joins them again, each with
// the size its body now has.
func withSection(b []byte, f func(r *rand.Rand, secs []wasmSection) []wasmSection, r *rand.Rand) []byte {
	secs := wasmSections(b)
	if len(secs) == 0 {
		return b
	}
	return joinSections(b, f(r, slices.Clone(secs)))
}

// inBody mutates bytes inside one section's body and fixes the section's size, so that the
// mutation reaches past the section framing.
func inBody(f func(r *rand.Rand, body []byte) []byte) func(r *rand.Rand, b, _ []byte) []byte {
	return func(r *rand.Rand, b, _ []byte) []byte {
		return withSection(b, func(r *rand.Rand, secs []wasmSection) []wasmSection {
			i := r.IntN(len(secs))
			secs[i].body = f(r, slices.Clone(secs[i].body))
			return secs
		}, r)
	}
}

// lebEnds are the positions of bytes that end a LEB128 (or are single-byte values).
func lebEnds(b []byte) []int {
	var at []int
	for i, c := range b {
		if c < 0x80 {
			at = append(at, i)
		}
	}
	return at
}

var mutations = []mutation{
	{"flip a bit", func(r *rand.Rand, b, _ []byte) []byte {
		if len(b) > 8 {
			b[8+r.IntN(len(b)-8)] ^= 1 << r.IntN(8)
		}
		return b
	}},
	{"set a byte in a section", inBody(func(r *rand.Rand, body []byte) []byte {
		if len(body) > 0 {
			body[r.IntN(len(body))] = interesting[r.IntN(len(interesting))]
		}
		return body
	})},
	{"truncate", func(r *rand.Rand, b, _ []byte) []byte {
		if len(b) <= 8 {
			return b
		}
		return b[:8+r.IntN(len(b)-8)]
	}},
	{"truncate a section", inBody(func(r *rand.Rand, body []byte) []byte { return body[:r.IntN(len(body)+1)] })},
	{"insert bytes in a section", inBody(func(r *rand.Rand, body []byte) []byte {
		at := r.IntN(len(body) + 1)
		ins := make([]byte, 1+r.IntN(3))
		for i := range ins {
			ins[i] = interesting[r.IntN(len(interesting))]
		}
		return slices.Insert(body, at, ins...)
	})},
	{"delete bytes in a section", inBody(func(r *rand.Rand, body []byte) []byte {
		if len(body) == 0 {
			return body
		}
		at := r.IntN(len(body))
		return slices.Delete(body, at, min(len(body), at+1+r.IntN(3)))
	})},
	{"bump a LEB", inBody(func(r *rand.Rand, body []byte) []byte {
		if at := lebEnds(body); len(at) > 0 {
			i := at[r.IntN(len(at))]
			body[i] = (body[i] + byte(r.IntN(3)) - 1 + 0x80) & 0x7F
		}
		return body
	})},
	{"pad a LEB (same value, longer)", inBody(func(r *rand.Rand, body []byte) []byte {
		if at := lebEnds(body); len(at) > 0 {
			i := at[r.IntN(len(at))]
			pad := []byte{0x80, 0x80, 0x80, 0x80}[:1+r.IntN(4)]
			body[i] |= 0x80
			body = slices.Insert(body, i+1, append(pad[1:], 0x00)...)
		}
		return body
	})},
	{"sign-extend a LEB (0x7F-style: negative as s33)", inBody(func(r *rand.Rand, body []byte) []byte {
		if at := lebEnds(body); len(at) > 0 {
			i := at[r.IntN(len(at))]
			body[i] |= 0x40
		}
		return body
	})},
	{"duplicate a section", func(r *rand.Rand, b, _ []byte) []byte {
		return withSection(b, func(r *rand.Rand, secs []wasmSection) []wasmSection {
			i := r.IntN(len(secs))
			return slices.Insert(secs, i+r.IntN(2), secs[i])
		}, r)
	}},
	{"drop a section", func(r *rand.Rand, b, _ []byte) []byte {
		return withSection(b, func(r *rand.Rand, secs []wasmSection) []wasmSection {
			i := r.IntN(len(secs))
			return slices.Delete(secs, i, i+1)
		}, r)
	}},
	{"swap two sections", func(r *rand.Rand, b, _ []byte) []byte {
		return withSection(b, func(r *rand.Rand, secs []wasmSection) []wasmSection {
			i, j := r.IntN(len(secs)), r.IntN(len(secs))
			secs[i], secs[j] = secs[j], secs[i]
			return secs
		}, r)
	}},
	{"take a section from another module", func(r *rand.Rand, b, other []byte) []byte {
		theirs := wasmSections(other)
		return withSection(b, func(r *rand.Rand, secs []wasmSection) []wasmSection {
			if len(theirs) == 0 {
				return secs
			}
			s := theirs[r.IntN(len(theirs))]
			for i := range secs {
				if secs[i].id == s.id {
					secs[i] = s
					return secs
				}
			}
			return append(secs, s)
		}, r)
	}},
}

// admissionInputs are the deterministic test's inputs: every seed, then n mutations of
// seeds (one to three mutations each), from a fixed seed.
func admissionInputs(names []string, seeds [][]byte, n int, seed uint64) (labels []string, inputs [][]byte) {
	labels, inputs = slices.Clone(names), slices.Clone(seeds)
	r := rand.New(rand.NewPCG(8, seed))
	for len(inputs) < len(seeds)+n {
		i := r.IntN(len(seeds))
		b, label := slices.Clone(seeds[i]), names[i]
		for k := 0; k < 1+r.IntN(3); k++ {
			m := mutations[r.IntN(len(mutations))]
			b = m.f(r, b, seeds[r.IntN(len(seeds))])
			label += " / " + m.name
		}
		labels, inputs = append(labels, label), append(inputs, b)
	}
	return labels, inputs
}

func admissionRuntime(ctx context.Context) wazero.Runtime {
	return wazero.NewRuntimeWithConfig(ctx, wazero.NewRuntimeConfigInterpreter().WithCoreFeatures(api.CoreFeaturesV2))
}

// admissionMutations is how many mutated inputs the deterministic test judges (besides the
// seeds); -short judges a fifth. LOCKSTEP_ADMISSION_MUTATIONS=n LOCKSTEP_ADMISSION_SEED=s
// judge n others, for a longer search.
const admissionMutations = 2000

func TestAdmissionAgreesWithValidator(t *testing.T) {
	v := findValidator(t)
	ctx := context.Background()
	names, seeds := admissionSeeds(t, 400)
	n := admissionMutations
	if testing.Short() {
		n /= 5
	}
	seed := uint64(2026)
	if env := os.Getenv("LOCKSTEP_ADMISSION_MUTATIONS"); env != "" {
		fmt.Sscan(env, &n)
		fmt.Sscan(os.Getenv("LOCKSTEP_ADMISSION_SEED"), &seed)
	}
	labels, inputs := admissionInputs(names, seeds, n, seed)
	start := time.Now()
	type result struct {
		d     verdict
		wrong *disagreement
		err   error
	}
	results := make([]result, len(inputs))
	dir := t.TempDir()
	var wg sync.WaitGroup
	next := make(chan int)
	for range max(1, goruntime.GOMAXPROCS(0)) {
		wg.Add(1)
		go func() {
			defer wg.Done()
			rt := admissionRuntime(ctx)
			defer rt.Close(ctx)
			for i := range next {
				d, wrong, err := judge(ctx, v, rt, dir, inputs[i])
				results[i] = result{d, wrong, err}
			}
		}()
	}
	for i := range inputs {
		next <- i
	}
	close(next)
	wg.Wait()

	var failures []failure
	var valid, admitted, both, crashed int
	stated := map[string]int{}
	type found struct {
		n        int
		examples []string
		detail   string
	}
	kinds := map[string]*found{}
	var record []corpusEntry
	for i, res := range results {
		switch {
		case errors.Is(res.err, errValidatorCrashed):
			crashed++
			t.Logf("%s: %v", labels[i], res.err)
			continue
		case res.err != nil:
			failures = append(failures, failure{"validator", labels[i], res.err.Error()})
			continue
		case res.d.stated != "":
			stated[res.d.stated]++
		case res.d.inherited != "":
			stated["wazero: "+res.d.inherited]++
		}
		if res.d.valid {
			valid++
		}
		if res.d.admitted {
			admitted++
		}
		if res.d.valid && res.d.admitted {
			both++
		}
		if res.wrong == nil {
			continue
		}
		kind := kindOf(res.wrong)
		k := kinds[kind]
		if k == nil {
			k = &found{detail: res.wrong.detail}
			kinds[kind] = k
			record = append(record, corpusEntry{valid: res.d.valid, wasm: inputs[i], note: res.wrong.kind})
		}
		if k.n++; len(k.examples) < 2 {
			k.examples = append(k.examples, labels[i])
		}
	}
	t.Logf("%d inputs (%d seeds, %d mutations) in %v: %d valid, %d admitted, %d both (their metered modules checked too); refused by a stated limit (or by wazero, as admission may): %v; wasm-validate crashed on %d",
		len(inputs), len(seeds), n, time.Since(start).Round(time.Millisecond), valid, admitted, both, stated, crashed)
	if len(v.flags) == 0 {
		t.Logf("wasm-validate with its default features, which are wazero's CoreFeaturesV2")
	} else {
		t.Logf("wasm-validate %s", strings.Join(v.flags, " "))
	}
	for kind, k := range kinds {
		if k.detail != "" {
			kind += " [" + k.detail + "]"
		}
		failures = append(failures, failure{"input", fmt.Sprintf("%d like %s", k.n, strings.Join(k.examples, "; ")), kind})
	}
	if os.Getenv("LOCKSTEP_ADMISSION_RECORD") != "" {
		recordCorpus(t, ctx, v, dir, record)
	}
	reportFailures(t, "admission against wasm-validate", failures, 40)
}

// FuzzAdmissionAgreesWithValidator explores beyond the deterministic test's inputs:
//
//	go test ./runtime -run '^$' -fuzz FuzzAdmissionAgreesWithValidator
//
// With LOCKSTEP_FUZZ_NEW_ONLY=1 it passes over the kinds of disagreement the committed corpus
// already holds, to find others while those stand.
func FuzzAdmissionAgreesWithValidator(f *testing.F) {
	v := findValidator(f)
	_, seeds := admissionSeeds(f, 100)
	for _, s := range seeds {
		f.Add(s)
	}
	known := map[string]bool{}
	for _, e := range readCorpus(f) {
		f.Add(e.wasm)
		known[kindOf(&disagreement{kind: e.note})] = os.Getenv("LOCKSTEP_FUZZ_NEW_ONLY") != ""
	}
	if flag.Lookup("test.fuzz").Value.String() == "" {
		f.Skip("not fuzzing: TestAdmissionAgreesWithValidator judges these seeds and their mutations")
	}
	ctx := context.Background()
	rt := admissionRuntime(ctx)
	dir := f.TempDir()
	var mu sync.Mutex // one runtime for the process's inputs
	f.Fuzz(func(t *testing.T, wasm []byte) {
		mu.Lock()
		defer mu.Unlock()
		_, wrong, err := judge(ctx, v, rt, dir, wasm)
		if errors.Is(err, errValidatorCrashed) {
			t.Skip(err)
		}
		if err != nil {
			t.Fatal(err)
		}
		if wrong != nil && !known[kindOf(wrong)] {
			t.Fatalf("%s [%s]", wrong.kind, wrong.detail)
		}
	})
}

// corpusEntry is one committed input: wasm-validate's verdict on it, and why it is there.
type corpusEntry struct {
	valid bool
	wasm  []byte
	note  string
	line  int
}

func readCorpus(t testing.TB) []corpusEntry {
	t.Helper()
	f, err := os.Open(admissionCorpus)
	if errors.Is(err, os.ErrNotExist) {
		return nil
	}
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	var out []corpusEntry
	s := bufio.NewScanner(f)
	s.Buffer(nil, 1<<20)
	for line := 1; s.Scan(); line++ {
		text := strings.TrimSpace(s.Text())
		if text == "" || strings.HasPrefix(text, "#") {
			continue
		}
		fields := strings.SplitN(text, " ", 3)
		wasm, err := hex.DecodeString(fields[min(1, len(fields)-1)])
		if len(fields) < 2 || err != nil || (fields[0] != "valid" && fields[0] != "invalid") {
			t.Fatalf("%s:%d: want `valid|invalid <hex> [note]`", admissionCorpus, line)
		}
		e := corpusEntry{valid: fields[0] == "valid", wasm: wasm, line: line}
		if len(fields) == 3 {
			e.note = fields[2]
		}
		out = append(out, e)
	}
	if err := s.Err(); err != nil {
		t.Fatal(err)
	}
	return out
}

// TestAdmissionCorpus replays the committed corpus: admission must agree with the verdict
// recorded for each input (wasm-validate's), stated refusals excepted. With wasm-validate
// at hand it also checks the recorded verdicts, and the metered modules.
func TestAdmissionCorpus(t *testing.T) {
	entries := readCorpus(t)
	if len(entries) == 0 {
		t.Skipf("no corpus at %s", admissionCorpus)
	}
	ctx := context.Background()
	rt := admissionRuntime(ctx)
	defer rt.Close(ctx)
	var v *validator
	if _, err := exec.LookPath("wasm-validate"); err == nil {
		v = findValidator(t)
	} else {
		t.Logf("wasm-validate not found: replaying the recorded verdicts only")
	}
	dir := t.TempDir()
	var failures []failure
	agreed := 0
	for _, e := range entries {
		at := fmt.Sprintf("%d", e.line)
		if v != nil {
			ok, why, err := reference(ctx, v, rt, dir, e.wasm)
			if err != nil {
				t.Fatal(err)
			}
			if ok != e.valid {
				failures = append(failures, failure{admissionCorpus, at, fmt.Sprintf("recorded as valid=%v, wasm-validate now says %v (%s)", e.valid, ok, why)})
				continue
			}
		}
		metered, stated, refusal := admit(ctx, rt, e.wasm)
		switch {
		case stated != "", slices.ContainsFunc(wazeroRefusals, func(w string) bool { return strings.Contains(refusal, w) }):
		case metered != nil && !e.valid:
			failures = append(failures, failure{admissionCorpus, at, "admitted, recorded as invalid [when recorded: " + e.note + "]"})
		case metered == nil && e.valid:
			failures = append(failures, failure{admissionCorpus, at, "refused (" + refusal + "), recorded as valid [when recorded: " + e.note + "]"})
		case metered != nil && v != nil:
			if ok, why, err := meteredValid(v, dir, e.wasm, metered); err != nil {
				t.Fatal(err)
			} else if !ok {
				failures = append(failures, failure{admissionCorpus, at, "the metered module is invalid per wasm-validate (" + why + ")"})
			} else {
				agreed++
			}
		default:
			agreed++
		}
	}
	t.Logf("%d inputs, %d agree", len(entries), agreed)
	reportFailures(t, "admission corpus", failures, 40)
}

// recordCorpus minimizes new disagreements and appends them to the corpus.
func recordCorpus(t *testing.T, ctx context.Context, v *validator, dir string, found []corpusEntry) {
	known := map[string]bool{}
	for _, e := range readCorpus(t) {
		known[string(e.wasm)] = true
	}
	rt := admissionRuntime(ctx)
	defer rt.Close(ctx)
	var add bytes.Buffer
	for _, e := range found {
		kind := kindOf(&disagreement{kind: e.note})
		same := func(b []byte) bool {
			_, wrong, err := judge(ctx, v, rt, dir, b)
			return err == nil && kindOf(wrong) == kind
		}
		min := minimize(e.wasm, same)
		if known[string(min)] {
			continue
		}
		known[string(min)] = true
		d, wrong, _ := judge(ctx, v, rt, dir, min)
		verdict := map[bool]string{true: "valid", false: "invalid"}[d.valid]
		fmt.Fprintf(&add, "%s %x %s\n", verdict, min, wrong.kind)
	}
	if add.Len() == 0 {
		return
	}
	f, err := os.OpenFile(admissionCorpus, os.O_APPEND|os.O_CREATE|os.O_WRONLY, 0o644)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	if _, err := f.Write(add.Bytes()); err != nil {
		t.Fatal(err)
	}
	t.Logf("recorded in %s:\n%s", admissionCorpus, add.String())
}

// minimize shrinks b, keeping its header, while keep holds: it removes whole sections, then
// runs of bytes, long ones first, then single bytes inside sections (fixing their sizes).
func minimize(b []byte, keep func([]byte) bool) []byte {
	for i := len(wasmSections(b)) - 1; i >= 0; i-- { // whole sections
		secs := wasmSections(b)
		if c := joinSections(b, slices.Delete(secs, i, i+1)); keep(c) {
			b = c
		}
	}
	for size := (len(b) - 8) / 2; size >= 1; size /= 2 {
		for at := 8; at+size <= len(b); {
			c := slices.Delete(slices.Clone(b), at, at+size)
			if keep(c) {
				b = c
				continue
			}
			at += size
		}
	}
	// The same inside sections, fixing their sizes.
	for changed := true; changed; {
		changed = false
		secs := wasmSections(b)
		for i := range secs {
			for at := 0; at < len(secs[i].body); at++ {
				c := slices.Clone(secs)
				c[i].body = slices.Delete(slices.Clone(c[i].body), at, at+1)
				if cand := joinSections(b, c); keep(cand) {
					b, secs, changed = cand, c, true
					at--
				}
			}
		}
	}
	return b
}
