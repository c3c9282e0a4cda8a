package kernels

import (
	"crypto/sha256"
	"encoding/binary"
	"math"
	"unsafe"
)

// Profile is the name of the RepOps profile these kernels implement. It is part of every
// tensor hash, so results of a different profile can never be mistaken for R0 results.
const Profile = "lockstep/R0"

// Hash returns the R0 tensor hash (SPEC.md, "Tensor hash"): SHA-256 over the header
//
//	Profile, 0x00, dtype (1 byte), rank (uint32 LE), each dimension (uint64 LE)
//
// followed by the elements as little-endian 4-byte words, float32 NaNs canonical.
// The bytes hashed are the same on big- and little-endian hosts.
func Hash(t *Tensor) [32]byte {
	h := sha256.New()
	hdr := make([]byte, 0, len(Profile)+6+8*len(t.shape))
	hdr = append(hdr, Profile...)
	hdr = append(hdr, 0, byte(t.dtype))
	hdr = binary.LittleEndian.AppendUint32(hdr, uint32(len(t.shape)))
	for _, d := range t.shape {
		hdr = binary.LittleEndian.AppendUint64(hdr, uint64(d))
	}
	h.Write(hdr)

	// Work in chunks. On a little-endian host a chunk without NaNs already is the bytes to
	// hash; otherwise it is encoded into buf (NaNs canonical, little-endian words).
	const chunk = 16 << 10
	var buf []byte
	for off := 0; off < t.Len(); off += chunk {
		n := min(chunk, t.Len()-off)
		if littleEndian {
			if t.dtype == Int32 {
				h.Write(unsafe.Slice((*byte)(unsafe.Pointer(&t.i32[off])), 4*n))
				continue
			}
			if !hasNaN(t.f32[off : off+n]) {
				h.Write(unsafe.Slice((*byte)(unsafe.Pointer(&t.f32[off])), 4*n))
				continue
			}
		}
		if buf == nil {
			buf = make([]byte, 4*chunk)
		}
		if t.dtype == Int32 {
			for i, v := range t.i32[off : off+n] {
				binary.LittleEndian.PutUint32(buf[4*i:], uint32(v))
			}
		} else {
			for i, v := range t.f32[off : off+n] {
				bits := math.Float32bits(v)
				if v != v {
					bits = canonicalNaNBits
				}
				binary.LittleEndian.PutUint32(buf[4*i:], bits)
			}
		}
		h.Write(buf[:4*n])
	}
	var out [32]byte
	h.Sum(out[:0])
	return out
}

// littleEndian reports whether this host stores words little end first, as the hash does.
var littleEndian = func() bool {
	x := uint16(1)
	return *(*byte)(unsafe.Pointer(&x)) == 1
}()

func hasNaN(s []float32) bool {
	for _, v := range s {
		if v != v {
			return true
		}
	}
	return false
}
