package host

import (
	"encoding/binary"
	"fmt"
	"runtime"
	"testing"
)

// A checkpoint encoding of many tiny tensors is refused past MaxCheckpointTensors, and
// one at the limit allocates a bounded amount: a peer's state costs about what it sends.
func TestDecodeCheckpointBoundsTensors(t *testing.T) {
	enc := func(count int) []byte {
		b := append([]byte(checkpointMagic), make([]byte, 8)...)
		b = binary.LittleEndian.AppendUint32(b, 0) // no blob
		b = binary.LittleEndian.AppendUint32(b, uint32(count))
		for i := 0; i < count; i++ {
			name := fmt.Sprintf("%07d", i)
			b = binary.LittleEndian.AppendUint16(b, uint16(len(name)))
			b = append(b, name...)
			b = binary.LittleEndian.AppendUint32(b, 6)
			b = append(b, 1, 0, 0, 0, 0, 0) // dtype 1, rank 0, one element
		}
		return b
	}
	if _, err := DecodeCheckpoint(enc(200_000)); err == nil {
		t.Fatal("200,000 tensors accepted")
	}
	b := enc(MaxCheckpointTensors)
	var before, after runtime.MemStats
	runtime.GC()
	runtime.ReadMemStats(&before)
	cp, err := DecodeCheckpoint(b)
	runtime.ReadMemStats(&after)
	if err != nil {
		t.Fatal(err)
	}
	alloc := after.TotalAlloc - before.TotalAlloc
	t.Logf("%d bytes of encoding, %d tensors: %d bytes allocated", len(b), len(cp.Tensors), alloc)
	if alloc > 64<<20 {
		t.Errorf("%d tensors allocate %d bytes", len(cp.Tensors), alloc)
	}
}
