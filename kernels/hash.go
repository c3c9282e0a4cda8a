package kernels

import (
	"crypto/sha256"
	"encoding/binary"
	"math"
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

	// Encode in chunks: constant memory, and the copy costs little beside SHA-256.
	const chunk = 16 << 10
	buf := make([]byte, 4*chunk)
	for off := 0; off < t.Len(); off += chunk {
		n := min(chunk, t.Len()-off)
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
