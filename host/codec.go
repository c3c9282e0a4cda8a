package host

import (
	"encoding/binary"
	"errors"
	"fmt"
	"math"
	"sort"

	"github.com/lockstep-ml/lockstep/kernels"
)

// EncodeTensor serializes a tensor: dtype (1 byte), rank (1 byte), dims (u64 LE), then
// the elements as little-endian 4-byte words.
func EncodeTensor(t *kernels.Tensor) []byte {
	shape := t.Shape()
	b := []byte{byte(t.DType()), byte(len(shape))}
	for _, d := range shape {
		b = binary.LittleEndian.AppendUint64(b, uint64(d))
	}
	if t.DType() == kernels.Int32 {
		for _, v := range t.Int32s() {
			b = binary.LittleEndian.AppendUint32(b, uint32(v))
		}
	} else {
		for _, v := range t.Float32s() {
			b = binary.LittleEndian.AppendUint32(b, math.Float32bits(v))
		}
	}
	return b
}

// DecodeTensor parses what EncodeTensor made, refusing any malformed field.
func DecodeTensor(b []byte) (*kernels.Tensor, error) {
	if len(b) < 2 {
		return nil, errors.New("truncated header")
	}
	dtype, rank := kernels.DType(b[0]), int(b[1])
	if rank > kernels.MaxRank || len(b) < 2+8*rank {
		return nil, errors.New("bad rank")
	}
	shape := make([]int, rank)
	n := 1
	for i := range shape {
		d := binary.LittleEndian.Uint64(b[2+8*i:])
		if d > kernels.MaxElements {
			return nil, errors.New("bad dimension")
		}
		shape[i] = int(d)
		n *= shape[i]
		if n > kernels.MaxElements {
			return nil, errors.New("too many elements")
		}
	}
	data := b[2+8*rank:]
	if len(data) != 4*n {
		return nil, fmt.Errorf("%d data bytes for %d elements", len(data), n)
	}
	switch dtype {
	case kernels.Int32:
		v := make([]int32, n)
		for i := range v {
			v[i] = int32(binary.LittleEndian.Uint32(data[4*i:]))
		}
		return kernels.NewInt32(shape, v)
	case kernels.Float32:
		v := make([]float32, n)
		for i := range v {
			v[i] = math.Float32frombits(binary.LittleEndian.Uint32(data[4*i:]))
		}
		return kernels.New(shape, v)
	}
	return nil, fmt.Errorf("bad dtype %d", dtype)
}

// EncodeCheckpoint serializes a checkpoint whole, for sending it to a peer: "LSC1", the
// step (u64), the blob (u32 length, bytes), the tensor count (u32), then each tensor in
// name order as its name (u16 length, bytes) and its EncodeTensor bytes (u32 length, bytes).
// The root is not sent: DecodeCheckpoint computes it.
func EncodeCheckpoint(cp *Checkpoint) []byte {
	b := append([]byte(checkpointMagic), binary.LittleEndian.AppendUint64(nil, cp.Step)...)
	b = binary.LittleEndian.AppendUint32(b, uint32(len(cp.Blob)))
	b = append(b, cp.Blob...)
	names := make([]string, 0, len(cp.Tensors))
	for n := range cp.Tensors {
		names = append(names, n)
	}
	sort.Strings(names)
	b = binary.LittleEndian.AppendUint32(b, uint32(len(names)))
	for _, n := range names {
		b = binary.LittleEndian.AppendUint16(b, uint16(len(n)))
		b = append(b, n...)
		t := EncodeTensor(cp.Tensors[n])
		b = binary.LittleEndian.AppendUint32(b, uint32(len(t)))
		b = append(b, t...)
	}
	return b
}

const checkpointMagic = "LSC1"

// MaxCheckpointTensors bounds the tensors of a decoded checkpoint.
const MaxCheckpointTensors = 1 << 14

// DecodeCheckpoint parses an EncodeCheckpoint encoding and computes its root; every
// malformed field is refused by name. It allocates about the input's size for the
// tensors' data, and at most MaxCheckpointTensors tensors (each costs a few hundred bytes
// beside its data, whatever its size): a caller bounds the input by what it expects.
func DecodeCheckpoint(b []byte) (*Checkpoint, error) {
	bad := func(what string) (*Checkpoint, error) {
		return nil, fmt.Errorf("%w: checkpoint encoding: %s", ErrBadArgument, what)
	}
	if len(b) < 16 || string(b[:4]) != checkpointMagic {
		return bad("no LSC1 header")
	}
	cp := &Checkpoint{Step: binary.LittleEndian.Uint64(b[4:]), Tensors: map[string]*kernels.Tensor{}}
	n := int(binary.LittleEndian.Uint32(b[12:]))
	b = b[16:]
	if n > len(b) {
		return bad("blob longer than the encoding")
	}
	cp.Blob, b = append([]byte{}, b[:n]...), b[n:]
	if len(b) < 4 {
		return bad("truncated tensor count")
	}
	count := int(binary.LittleEndian.Uint32(b))
	b = b[4:]
	if count > MaxCheckpointTensors {
		return bad(fmt.Sprintf("%d tensors, more than %d", count, MaxCheckpointTensors))
	}
	prev := ""
	for i := 0; i < count; i++ {
		if len(b) < 2 {
			return bad("truncated tensor name")
		}
		ln := int(binary.LittleEndian.Uint16(b))
		if len(b) < 2+ln+4 {
			return bad("truncated tensor name")
		}
		name := string(b[2 : 2+ln])
		if name == "" || (i > 0 && name <= prev) {
			return bad(fmt.Sprintf("tensor names out of order at %q", name))
		}
		prev = name
		tl := int(binary.LittleEndian.Uint32(b[2+ln:]))
		b = b[2+ln+4:]
		if tl > len(b) {
			return bad(fmt.Sprintf("tensor %s longer than the encoding", name))
		}
		t, err := DecodeTensor(b[:tl])
		if err != nil {
			return bad(fmt.Sprintf("tensor %s: %v", name, err))
		}
		cp.Tensors[name], b = t, b[tl:]
	}
	if len(b) != 0 {
		return bad(fmt.Sprintf("%d bytes after the last tensor", len(b)))
	}
	cp.Root = CheckpointRoot(cp.Step, cp.Leaves(), cp.Blob)
	return cp, nil
}

// Rebase returns cp as the checkpoint of another step: the same state, its root computed
// for step (a root commits to its step number). A run that starts from a state another
// run reached has it as its step 0.
func Rebase(cp *Checkpoint, step uint64) *Checkpoint {
	out := &Checkpoint{Step: step, Tensors: cp.Tensors, Blob: cp.Blob, leaves: cp.leaves}
	out.Root = CheckpointRoot(step, out.Leaves(), out.Blob)
	return out
}
