package codec

import (
	"encoding/binary"
	"fmt"
	"math"
)

const (
	magic       = "LSU1"
	headerBytes = 16      // magic, n, k, block
	MaxBlock    = 1 << 16 // the most values one scale may cover
)

// sparse is an update in the raw format: the kept indices in increasing order, one scale
// per block of kept values, and one quantized value per kept index.
type sparse struct {
	n, block int
	index    []uint32
	scale    []float32
	q        []int8
}

// blocks is the number of scales for k values in blocks of block.
func blocks(k, block int) int { return (k + block - 1) / block }

// appendRaw appends the raw format of u to dst.
func (u *sparse) appendRaw(dst []byte) []byte {
	dst = append(dst, magic...)
	dst = binary.LittleEndian.AppendUint32(dst, uint32(u.n))
	dst = binary.LittleEndian.AppendUint32(dst, uint32(len(u.index)))
	dst = binary.LittleEndian.AppendUint32(dst, uint32(u.block))
	prev := uint32(0)
	for _, i := range u.index {
		dst = binary.AppendUvarint(dst, uint64(i-prev))
		prev = i
	}
	for _, s := range u.scale {
		dst = binary.LittleEndian.AppendUint32(dst, math.Float32bits(s))
	}
	for _, q := range u.q {
		dst = append(dst, byte(q))
	}
	return dst
}

// decoded returns the dense update: q·s at the kept indices, 0 elsewhere.
func (u *sparse) decoded() []float32 {
	out := make([]float32, u.n)
	for j, i := range u.index {
		out[i] = dequantize(u.q[j], u.scale[j/u.block])
	}
	return out
}

// maxBodyBytes bounds the raw format after the header for n elements of which k are kept:
// a minimal uvarint of d takes at most 1 + d/128 bytes and the deltas add up to the last
// index, below n.
func maxBodyBytes(n, k, block int) int64 {
	if n == 0 {
		return 0
	}
	return int64(k) + int64(n-1)/128 + 4*int64(blocks(k, block)) + int64(k)
}

// parseHeader checks the header against the n the caller expects and returns k and block.
func parseHeader(h []byte, n int) (k, block int, err error) {
	if string(h[:4]) != magic {
		return 0, 0, fmt.Errorf("update payload: magic is %q, not %q", h[:4], magic)
	}
	hn, hk, hb := binary.LittleEndian.Uint32(h[4:]), binary.LittleEndian.Uint32(h[8:]), binary.LittleEndian.Uint32(h[12:])
	switch { // compared as they are, so no conversion can wrap on a 32-bit int
	case uint64(hn) != uint64(n):
		return 0, 0, fmt.Errorf("update payload: it has %d elements, not the %d expected", hn, n)
	case uint64(hk) > uint64(n):
		return 0, 0, fmt.Errorf("update payload: it keeps %d of its %d elements", hk, n)
	case hk == 0 && n > 0:
		return 0, 0, fmt.Errorf("update payload: it keeps none of its %d elements", n)
	case hb < 1 || hb > MaxBlock:
		return 0, 0, fmt.Errorf("update payload: block of %d values is not in [1, %d]", hb, MaxBlock)
	}
	return int(hk), int(hb), nil
}

// parseBody reads and checks the indices, scales and values that follow a valid header.
func parseBody(body []byte, n, k, block int) (*sparse, error) {
	u := &sparse{n: n, block: block, index: make([]uint32, k)}
	next := uint64(0) // the least index the next delta may reach
	for j := range k {
		d, m := binary.Uvarint(body)
		switch {
		case m == 0:
			return nil, fmt.Errorf("update payload: truncated in index %d of %d", j, k)
		case m < 0:
			return nil, fmt.Errorf("update payload: index %d of %d overflows 64 bits", j, k)
		case m > 1 && body[m-1] == 0:
			return nil, fmt.Errorf("update payload: index %d of %d is not minimally encoded", j, k)
		case j > 0 && d == 0:
			return nil, fmt.Errorf("update payload: index %d of %d repeats index %d", j, k, next-1)
		}
		body = body[m:]
		if d >= uint64(n) {
			return nil, fmt.Errorf("update payload: index %d of %d: its delta %d is past the %d elements", j, k, d, n)
		}
		i := next + d
		if j > 0 {
			i-- // deltas after the first are from the previous index, which is next-1
		}
		if i >= uint64(n) {
			return nil, fmt.Errorf("update payload: index %d of %d is %d, past the %d elements", j, k, i, n)
		}
		u.index[j] = uint32(i)
		next = i + 1
	}
	nb := blocks(k, block)
	if want := 4*nb + k; len(body) != want {
		what := "truncated"
		if len(body) > want {
			what = "trailing bytes"
		}
		return nil, fmt.Errorf("update payload: %s: %d bytes after the indices, not the %d of %d scales and %d values", what, len(body), want, nb, k)
	}
	u.scale = make([]float32, nb)
	for b := range u.scale {
		s := math.Float32frombits(binary.LittleEndian.Uint32(body[4*b:]))
		if err := checkScale(s); err != nil {
			return nil, fmt.Errorf("update payload: scale of block %d of %d is %g: %w", b, nb, s, err)
		}
		u.scale[b] = s
	}
	u.q = make([]int8, k)
	for j, c := range body[4*nb:] {
		q := int8(c)
		switch {
		case q < -127:
			return nil, fmt.Errorf("update payload: value %d of %d is -128, outside [-127, 127]", j, k)
		case q != 0 && u.scale[j/block] == 0:
			return nil, fmt.Errorf("update payload: value %d of %d is %d in block %d, whose scale is 0", j, k, q, j/block)
		}
		u.q[j] = q
	}
	return u, nil
}
