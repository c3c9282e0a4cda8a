package host

import (
	"context"
	"encoding/binary"
	"testing"

	"github.com/tetratelabs/wazero"
	"github.com/tetratelabs/wazero/api"
)

// newGuestMemory returns the memory of a real wazero module of the given size in 64 KiB
// pages (at most 127), so host functions run on wazero's own bounds checks.
func newGuestMemory(t testing.TB, pages byte) api.Memory {
	t.Helper()
	wasm := []byte{
		0x00, 0x61, 0x73, 0x6d, 0x01, 0x00, 0x00, 0x00, // magic, version
		0x05, 0x03, 0x01, 0x00, pages, // one memory of `pages` pages
		0x07, 0x0a, 0x01, 0x06, 'm', 'e', 'm', 'o', 'r', 'y', 0x02, 0x00, // exported as "memory"
	}
	ctx := context.Background()
	r := wazero.NewRuntime(ctx)
	t.Cleanup(func() { r.Close(ctx) })
	mod, err := r.Instantiate(ctx, wasm)
	if err != nil {
		t.Fatal(err)
	}
	return mod.Memory()
}

func hostFuncNamed(t testing.TB, name string) hostFunc {
	t.Helper()
	for _, f := range hostFuncs {
		if f.name == name {
			return f
		}
	}
	t.Fatalf("no host function %s", name)
	return hostFunc{}
}

// callHost calls host function name as a guest would, with memory mem, and returns its
// status.
func callHost(t testing.TB, s *Session, mem api.Memory, name string, params ...uint64) int32 {
	t.Helper()
	f := hostFuncNamed(t, name)
	if len(params) != len(f.params) {
		t.Fatalf("%s takes %d parameters, the test gave %d", name, len(f.params), len(params))
	}
	stack := append(append([]uint64(nil), params...), 0)
	f.invoke(s, mem, stack)
	return api.DecodeI32(stack[0])
}

func putWords(t testing.TB, mem api.Memory, at uint32, words ...uint32) {
	t.Helper()
	for i, w := range words {
		if !mem.WriteUint32Le(at+4*uint32(i), w) {
			t.Fatalf("cannot write at %d", at+4*uint32(i))
		}
	}
}

func getWord(t testing.TB, mem api.Memory, at uint32) uint32 {
	t.Helper()
	b, ok := mem.Read(at, 4)
	if !ok {
		t.Fatalf("cannot read at %d", at)
	}
	return binary.LittleEndian.Uint32(b)
}
