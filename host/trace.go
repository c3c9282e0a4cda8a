package host

import (
	"crypto/sha256"
	"encoding/binary"
)

// TraceEntry is one operator call of a step: what ran, on what, giving what. Entries are
// chained: Head_k = SHA-256("lockstep/trace/v1/entry" || Head_{k-1} || Encode(entry_k)),
// so agreeing on a head means agreeing on every entry before it.
type TraceEntry struct {
	Seq     uint64
	Op      Opcode
	Attrs   []uint32
	Inputs  [][32]byte // tensor hashes (for input_read: the input's content hash)
	Outputs [][32]byte
}

// Encode returns the entry's canonical bytes: seq u64, opcode u32, then length-prefixed
// (u32 LE) attribute words, input hashes and output hashes.
func (e TraceEntry) Encode() []byte {
	b := make([]byte, 0, 16+4*len(e.Attrs)+32*(len(e.Inputs)+len(e.Outputs))+12)
	b = binary.LittleEndian.AppendUint64(b, e.Seq)
	b = binary.LittleEndian.AppendUint32(b, uint32(e.Op))
	b = binary.LittleEndian.AppendUint32(b, uint32(len(e.Attrs)))
	b = append(b, EncodeAttrs(e.Attrs)...)
	for _, hs := range [][][32]byte{e.Inputs, e.Outputs} {
		b = binary.LittleEndian.AppendUint32(b, uint32(len(hs)))
		for _, h := range hs {
			b = append(b, h[:]...)
		}
	}
	return b
}

// EvalStep is the step number of the trace an eval call runs under: outside the sequence
// of training steps (init is 0, steps count from 1), so it never collides with one.
const EvalStep = 1<<63 - 1

// TraceStart is the head before the first entry of a step: it names the step, so two
// steps' traces never share a chain.
func TraceStart(step uint64) [32]byte {
	h := sha256.New()
	h.Write([]byte("lockstep/trace/v1/start"))
	h.Write(binary.LittleEndian.AppendUint64(nil, step))
	var out [32]byte
	h.Sum(out[:0])
	return out
}

// ChainNext returns the head after appending e to a chain whose head is prev.
func ChainNext(prev [32]byte, e TraceEntry) [32]byte {
	h := sha256.New()
	h.Write([]byte("lockstep/trace/v1/entry"))
	h.Write(prev[:])
	h.Write(e.Encode())
	var out [32]byte
	h.Sum(out[:0])
	return out
}

// Trace is one step's chain of entries.
type Trace struct {
	Step    uint64
	Head    [32]byte
	Entries []TraceEntry
	Heads   [][32]byte // Heads[k] is the head after Entries[k]
}

func newTrace(step uint64) *Trace { return &Trace{Step: step, Head: TraceStart(step)} }

func (t *Trace) append(e TraceEntry) {
	e.Seq = uint64(len(t.Entries))
	t.Head = ChainNext(t.Head, e)
	t.Entries = append(t.Entries, e)
	t.Heads = append(t.Heads, t.Head)
}

// entryOverhead is the memory an entry takes besides its words and hashes: the entry
// itself, its slice headers, and the chain head kept for it in Heads.
const entryOverhead = 128

// entrySize is the memory an entry with these counts takes, counted against
// Limits.MaxTraceBytes before the entry is built.
func entrySize(nAttrs, nIn, nOut int) int64 {
	return entryOverhead + 4*int64(nAttrs) + 32*int64(nIn+nOut)
}

func (e TraceEntry) size() int64 { return entrySize(len(e.Attrs), len(e.Inputs), len(e.Outputs)) }
