package verde

import (
	"bytes"
	"crypto/sha256"
	"encoding/base64"
	"encoding/binary"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"math"
	"slices"

	"github.com/lockstep-ml/lockstep/host"
	"github.com/lockstep-ml/lockstep/kernels"
)

// FileVersion is the version of the ruling file format.
const FileVersion = 1

// File is a finished dispute as a small, self-contained file that anyone can check
// offline (CheckFile): the ruling, and the evidence it rests on.
type File struct {
	Version  int           `json:"version"`
	Task     Task          `json:"task"`
	Parties  [2]string     `json:"parties"`
	Step     uint64        `json:"step"`
	Entry    int           `json:"entry"`
	Op       string        `json:"op"`
	Case     string        `json:"case"`
	Losers   []string      `json:"losers"`
	Reason   string        `json:"reason"`
	Rounds   int           `json:"rounds"`
	Bytes    int           `json:"bytes"`
	Evidence *fileEvidence `json:"evidence,omitempty"`
	// Digest is SHA-256 over the file's JSON with Digest empty: any changed byte shows.
	Digest string `json:"digest"`
}

// Task names what was trained: the module, seed and inputs both runs share.
type Task struct {
	Module string            `json:"module"`
	Seed   uint64            `json:"seed"`
	Inputs map[string]string `json:"inputs,omitempty"`
}

type fileEvidence struct {
	Prev    string       `json:"prev"`
	Heads   [2]string    `json:"heads"`
	Entries [2]fileEntry `json:"entries"`
	Inputs  []fileTensor `json:"inputs,omitempty"`
}

type fileEntry struct {
	Seq     uint64   `json:"seq"`
	Opcode  uint32   `json:"opcode"`
	Op      string   `json:"op"`
	Attrs   []uint32 `json:"attrs,omitempty"`
	Inputs  []string `json:"inputs"`
	Outputs []string `json:"outputs"`
}

type fileTensor struct {
	DType string `json:"dtype"` // f32 or i32
	Shape []int  `json:"shape"`
	Data  string `json:"data"` // little-endian elements, base64
}

// File returns the ruling as a file about task.
func (r *Ruling) File(task Task) *File {
	f := &File{Version: FileVersion, Task: task, Parties: r.Parties, Step: r.Step, Entry: r.Entry, Op: r.Op.String(),
		Case: string(r.Case), Losers: r.Losers, Reason: r.Reason, Rounds: r.Rounds, Bytes: r.Bytes}
	if ev := r.Evidence; ev != nil {
		fe := &fileEvidence{Prev: hex.EncodeToString(ev.Prev[:])}
		for x := range 2 {
			fe.Heads[x] = hex.EncodeToString(ev.Heads[x][:])
			e := ev.Entries[x]
			fe.Entries[x] = fileEntry{Seq: e.Seq, Opcode: uint32(e.Op), Op: e.Op.String(), Attrs: e.Attrs, Inputs: hexes(e.Inputs), Outputs: hexes(e.Outputs)}
		}
		for _, t := range ev.Inputs {
			fe.Inputs = append(fe.Inputs, encodeTensor(t))
		}
		f.Evidence = fe
	}
	return f
}

func (f *File) clone() *File {
	c := *f
	return &c
}

// Encode returns the file's JSON, with its digest set.
func (f *File) Encode() []byte {
	f.Digest = ""
	body, _ := json.Marshal(f)
	d := sha256.Sum256(body)
	f.Digest = hex.EncodeToString(d[:])
	out, _ := json.MarshalIndent(f, "", "  ")
	return append(out, '\n')
}

// ParseFile reads a ruling file and checks its digest.
func ParseFile(b []byte) (*File, error) {
	dec := json.NewDecoder(bytes.NewReader(b))
	dec.DisallowUnknownFields()
	var f File
	if err := dec.Decode(&f); err != nil {
		return nil, fmt.Errorf("not a ruling file: %v", err)
	}
	if f.Version != FileVersion {
		return nil, fmt.Errorf("ruling file version %d, this build reads %d", f.Version, FileVersion)
	}
	digest := f.Digest
	f.Digest = ""
	body, _ := json.Marshal(&f)
	f.Digest = digest
	if d := sha256.Sum256(body); hex.EncodeToString(d[:]) != digest {
		return nil, fmt.Errorf("the file's digest does not match its contents: it was altered")
	}
	// Byte for byte what Encode writes: a change of layout is a change too.
	if c := *f.clone(); !bytes.Equal(c.Encode(), b) {
		return nil, fmt.Errorf("the file is not laid out as a ruling file is written: it was altered")
	}
	return &f, nil
}

// CheckFile re-checks a ruling from its evidence alone: each party's revealed entry
// chains from the agreed head to its own head, and, for an operator call both agree on
// but for its outputs, the inputs hash to the agreed hashes and the operator replayed on
// them (host.Apply) gives the outputs of the winner and not of the losers. It returns
// what it checked, or why the ruling is refuted.
func CheckFile(f *File) (string, error) {
	if f.Evidence == nil {
		return "a ruling reached before any entry was revealed (a party gave no valid answer, or contradicted itself about heads or roots): only its digest can be checked offline", nil
	}
	ev, err := decodeEvidence(f.Evidence)
	if err != nil {
		return "", fmt.Errorf("refuted: %v", err)
	}
	var broken []string
	for x := range 2 {
		if ev.Entries[x].Seq != uint64(f.Entry) || host.ChainNext(ev.Prev, ev.Entries[x]) != ev.Heads[x] {
			broken = append(broken, f.Parties[x])
		}
	}
	switch Case(f.Case) {
	case CaseInconsistent:
		if !sameSet(broken, f.Losers) {
			return "", fmt.Errorf("refuted: the entries of %v do not chain, but the ruling names %v", broken, f.Losers)
		}
		return fmt.Sprintf("the revealed entries of %v do not chain to their own heads", broken), nil
	case CaseOutput:
	default:
		if len(broken) > 0 {
			return "", fmt.Errorf("refuted: the entries of %v do not chain to their heads, so they should have lost", broken)
		}
		if len(f.Losers) > 0 {
			return "both entries chain to their heads; the ruling re-ran the guest's code for the step, which re-checking needs the task's module for (not in the file)", nil
		}
		return "both entries chain to their heads; the case was not decided", nil
	}
	ea, eb := ev.Entries[0], ev.Entries[1]
	if len(broken) > 0 || ea.Op != eb.Op || !slices.Equal(ea.Attrs, eb.Attrs) || !slices.Equal(ea.Inputs, eb.Inputs) {
		return "", fmt.Errorf("refuted: the entries do not agree on operator, attributes and inputs (or do not chain), so no replay decides them")
	}
	if !matches(ev.Inputs, ea.Inputs) {
		return "", fmt.Errorf("refuted: the input tensors do not hash to the agreed input hashes")
	}
	outs, err := host.Apply(ea.Op, ea.Attrs, ev.Inputs)
	want := make([][32]byte, len(outs))
	for i, t := range outs {
		want[i] = kernels.Hash(t)
	}
	var losers []string
	for x, e := range ev.Entries {
		if err != nil || !slices.Equal(e.Outputs, want) {
			losers = append(losers, f.Parties[x])
		}
	}
	if !sameSet(losers, f.Losers) {
		return "", fmt.Errorf("refuted: replaying %s gives outputs that make %v the losers, the ruling names %v", ea.Op, losers, f.Losers)
	}
	return fmt.Sprintf("replayed %s on the agreed inputs (%d tensors): %v lost", ea.Op, len(ev.Inputs), losers), nil
}

func sameSet(a, b []string) bool {
	return slices.Equal(slices.Sorted(slices.Values(a)), slices.Sorted(slices.Values(b)))
}

func hexes(hs [][32]byte) []string {
	out := make([]string, len(hs))
	for i, h := range hs {
		out[i] = hex.EncodeToString(h[:])
	}
	return out
}

func unhex(s string) ([32]byte, error) {
	var h [32]byte
	b, err := hex.DecodeString(s)
	if err != nil || len(b) != 32 {
		return h, fmt.Errorf("%q is not a 32-byte hash", s)
	}
	copy(h[:], b)
	return h, nil
}

func unhexes(ss []string) ([][32]byte, error) {
	out := make([][32]byte, len(ss))
	for i, s := range ss {
		var err error
		if out[i], err = unhex(s); err != nil {
			return nil, err
		}
	}
	return out, nil
}

func decodeEvidence(fe *fileEvidence) (*Evidence, error) {
	var ev Evidence
	var err error
	if ev.Prev, err = unhex(fe.Prev); err != nil {
		return nil, err
	}
	for x := range 2 {
		if ev.Heads[x], err = unhex(fe.Heads[x]); err != nil {
			return nil, err
		}
		e := fe.Entries[x]
		te := host.TraceEntry{Seq: e.Seq, Op: host.Opcode(e.Opcode), Attrs: e.Attrs}
		if te.Inputs, err = unhexes(e.Inputs); err != nil {
			return nil, err
		}
		if te.Outputs, err = unhexes(e.Outputs); err != nil {
			return nil, err
		}
		ev.Entries[x] = te
	}
	for _, ft := range fe.Inputs {
		t, err := decodeTensor(ft)
		if err != nil {
			return nil, err
		}
		ev.Inputs = append(ev.Inputs, t)
	}
	return &ev, nil
}

func encodeTensor(t *kernels.Tensor) fileTensor {
	b := make([]byte, 4*t.Len())
	ft := fileTensor{DType: "f32", Shape: t.Shape()}
	if t.DType() == kernels.Int32 {
		ft.DType = "i32"
		for i, v := range t.Int32s() {
			binary.LittleEndian.PutUint32(b[4*i:], uint32(v))
		}
	} else {
		for i, v := range t.Float32s() {
			binary.LittleEndian.PutUint32(b[4*i:], math.Float32bits(v))
		}
	}
	ft.Data = base64.StdEncoding.EncodeToString(b)
	return ft
}

func decodeTensor(ft fileTensor) (*kernels.Tensor, error) {
	b, err := base64.StdEncoding.DecodeString(ft.Data)
	if err != nil || len(b)%4 != 0 {
		return nil, fmt.Errorf("tensor data is not base64 of 4-byte elements")
	}
	n := len(b) / 4
	switch ft.DType {
	case "f32":
		v := make([]float32, n)
		for i := range v {
			v[i] = math.Float32frombits(binary.LittleEndian.Uint32(b[4*i:]))
		}
		return kernels.New(ft.Shape, v)
	case "i32":
		v := make([]int32, n)
		for i := range v {
			v[i] = int32(binary.LittleEndian.Uint32(b[4*i:]))
		}
		return kernels.NewInt32(ft.Shape, v)
	}
	return nil, fmt.Errorf("tensor dtype %q", ft.DType)
}
