// Package codec compresses a DiLoCo model update for the wire, bit for bit the same on every
// architecture: the decoded update is what members hash and combine, so encoding and
// decoding are consensus code.
//
// Encode takes v, the update plus the error-feedback residual carried from the last round,
// and keeps the k = ceil(n·Density) elements of largest magnitude (at least one when n > 0).
// The order is total: |v| as float32 bits descending, then index ascending, so ties pick
// the same elements everywhere. The kept values, in increasing index order, are cut into
// blocks of Block values; each block has the scale s = float32(maxabs/127) and each value
// becomes q = round-half-away-from-zero(float32(v/s)) clamped to [-127, 127] (a block
// whose scale is 0 holds only q = 0). An element decodes to float32(float32(q)·s), or to 0
// if it was not kept, and Encode returns the residual v − decoded for the next round.
// Feedback carries that residual from round to round for a member, decayed by its Beta.
//
// The raw format, before zstd, is (integers little-endian):
//
//	"LSU1"                  magic
//	n      uint32           elements of the dense update
//	k      uint32           kept elements: 1 <= k <= n (k = 0 only when n = 0)
//	block  uint32           values per scale, 1 <= block <= 65536
//	k      uvarint          index deltas: the first from 0, then each >= 1, minimally encoded
//	ceil(k/block) float32   scales: finite, sign bit clear, 127·s finite
//	k      int8             values in [-127, 127], 0 wherever the scale is 0
//
// and the payload is that, compressed by zstd with a fixed encoder configuration. Only the
// decoded values matter for consensus; the compressed bytes may change with the zstd
// library without changing them.
//
// Decode is given n by the caller, not by the payload, and refuses anything malformed with
// an error that says what is wrong. It never decompresses more than the raw format can
// legitimately take for n elements (for the k the header declares), so a compression bomb
// is refused after a few KiB, not after it has taken the memory.
package codec
