package host

import (
	"crypto/sha256"
	"encoding/binary"
	"sort"

	"github.com/lockstep-ml/lockstep/kernels"
)

// StateLeaf is one registered state tensor in a checkpoint.
type StateLeaf struct {
	Name string
	Hash [32]byte
}

// leafHash is the Merkle leaf of a (name, tensor hash) pair.
func leafHash(l StateLeaf) [32]byte {
	h := sha256.New()
	h.Write([]byte{0})
	h.Write(binary.LittleEndian.AppendUint32(nil, uint32(len(l.Name))))
	h.Write([]byte(l.Name))
	h.Write(l.Hash[:])
	var out [32]byte
	h.Sum(out[:0])
	return out
}

// merkleRoot is the RFC 6962 Merkle tree hash over leaves already hashed with leafHash:
// split at the largest power of two below n, interior nodes SHA-256(0x01 || l || r).
func merkleRoot(leaves [][32]byte) [32]byte {
	switch len(leaves) {
	case 0:
		return sha256.Sum256(nil)
	case 1:
		return leaves[0]
	}
	k := 1
	for k*2 < len(leaves) {
		k *= 2
	}
	l, r := merkleRoot(leaves[:k]), merkleRoot(leaves[k:])
	return sha256.Sum256(append(append([]byte{1}, l[:]...), r[:]...))
}

// CheckpointRoot is the root of step s's checkpoint (DESIGN.md, "Checkpoints"):
//
//	SHA-256("lockstep/checkpoint/v1" || profile || step u64 || MerkleRoot(leaves sorted by
//	name) || SHA-256(blob) || trace head)
func CheckpointRoot(step uint64, leaves []StateLeaf, blob []byte, traceHead [32]byte) [32]byte {
	sorted := append([]StateLeaf(nil), leaves...)
	sort.Slice(sorted, func(i, j int) bool { return sorted[i].Name < sorted[j].Name })
	hashed := make([][32]byte, len(sorted))
	for i, l := range sorted {
		hashed[i] = leafHash(l)
	}
	mr := merkleRoot(hashed)
	bh := sha256.Sum256(blob)
	h := sha256.New()
	h.Write([]byte("lockstep/checkpoint/v1"))
	h.Write([]byte(kernels.Profile))
	h.Write(binary.LittleEndian.AppendUint64(nil, step))
	h.Write(mr[:])
	h.Write(bh[:])
	h.Write(traceHead[:])
	var out [32]byte
	h.Sum(out[:0])
	return out
}

// Checkpoint is a task's state after a step: the registered tensors by name, the guest's
// opaque blob, and the root that commits to them with the step's trace head.
type Checkpoint struct {
	Step      uint64
	Tensors   map[string]*kernels.Tensor
	Blob      []byte
	TraceHead [32]byte
	Root      [32]byte
}

// Leaves returns the checkpoint's (name, hash) pairs.
func (c *Checkpoint) Leaves() []StateLeaf {
	leaves := make([]StateLeaf, 0, len(c.Tensors))
	for name, t := range c.Tensors {
		leaves = append(leaves, StateLeaf{Name: name, Hash: kernels.Hash(t)})
	}
	return leaves
}

// Verify recomputes the root from the contents and reports whether it matches.
func (c *Checkpoint) Verify() bool {
	return CheckpointRoot(c.Step, c.Leaves(), c.Blob, c.TraceHead) == c.Root
}
