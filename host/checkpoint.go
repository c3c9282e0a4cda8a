package host

import (
	"crypto/sha256"
	"encoding/binary"
	"fmt"
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

// CheckpointRoot is the state root of step s (DESIGN.md, "Commitments"):
//
//	SHA-256("lockstep/checkpoint/v2" || profile || step u64 || MerkleRoot(leaves sorted by
//	name) || SHA-256(blob))
//
// It commits to the state, not to how it was computed: the trace is not in it (BindingEntry
// ties a trace to it instead).
func CheckpointRoot(step uint64, leaves []StateLeaf, blob []byte) [32]byte {
	return stateRoot(step, merkleRoot(sortedLeafHashes(leaves)), sha256.Sum256(blob))
}

func stateRoot(step uint64, merkle, blobHash [32]byte) [32]byte {
	h := sha256.New()
	h.Write([]byte("lockstep/checkpoint/v2"))
	h.Write([]byte(kernels.Profile))
	h.Write(binary.LittleEndian.AppendUint64(nil, step))
	h.Write(merkle[:])
	h.Write(blobHash[:])
	var out [32]byte
	h.Sum(out[:0])
	return out
}

// sortedLeafHashes returns the Merkle leaves of leaves, in name order.
func sortedLeafHashes(leaves []StateLeaf) [][32]byte {
	sorted := append([]StateLeaf(nil), leaves...)
	sort.Slice(sorted, func(i, j int) bool { return sorted[i].Name < sorted[j].Name })
	hashed := make([][32]byte, len(sorted))
	for i, l := range sorted {
		hashed[i] = leafHash(l)
	}
	return hashed
}

// BindingEntry is the last entry of a step's trace: the state's Merkle leaves (in name
// order) and the blob's hash in, the step's root out. It binds the trace to the root, so a
// trace can never be paired with another step's root; a referee checks it with
// RootFromBinding.
func BindingEntry(root [32]byte, leaves []StateLeaf, blob []byte) TraceEntry {
	in := append(sortedLeafHashes(leaves), sha256.Sum256(blob))
	return TraceEntry{Op: OpStateRoot, Inputs: in, Outputs: [][32]byte{root}}
}

// RootFromBinding recomputes step's root from a binding entry's inputs.
func RootFromBinding(step uint64, e TraceEntry) ([32]byte, error) {
	if e.Op != OpStateRoot || len(e.Inputs) == 0 || len(e.Attrs) != 0 {
		return [32]byte{}, fmt.Errorf("%w: entry %d is %s with %d inputs, not a binding entry", ErrBadArgument, e.Seq, e.Op, len(e.Inputs))
	}
	n := len(e.Inputs) - 1
	return stateRoot(step, merkleRoot(e.Inputs[:n]), e.Inputs[n]), nil
}

// Checkpoint is a task's state after a step: the registered tensors by name, the guest's
// opaque blob, and the root that commits to them.
type Checkpoint struct {
	Step    uint64
	Tensors map[string]*kernels.Tensor
	Blob    []byte
	Root    [32]byte
	leaves  []StateLeaf // the session's hashes of Tensors, where it made the checkpoint
}

// Leaves returns the checkpoint's (name, hash) pairs.
func (c *Checkpoint) Leaves() []StateLeaf {
	if c.leaves != nil {
		return c.leaves
	}
	leaves := make([]StateLeaf, 0, len(c.Tensors))
	for name, t := range c.Tensors {
		leaves = append(leaves, StateLeaf{Name: name, Hash: kernels.Hash(t)})
	}
	return leaves
}

// Verify recomputes the root from the contents, every tensor hashed again, and reports
// whether it matches.
func (c *Checkpoint) Verify() bool {
	return CheckpointRoot(c.Step, (&Checkpoint{Tensors: c.Tensors}).Leaves(), c.Blob) == c.Root
}
