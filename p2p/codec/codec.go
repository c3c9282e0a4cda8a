package codec

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"math"
	"math/bits"

	"github.com/klauspost/compress/zstd"
)

// Config is how Encode compresses. Decode needs none of it: the block is in the header.
type Config struct {
	Density float64           // the fraction of elements kept, in (0, 1]
	Block   int               // kept values per scale, in [1, MaxBlock]
	Level   zstd.EncoderLevel // zstd's effort; it changes the payload's size, never its content
}

// DefaultConfig keeps 1.5% of the elements, with one scale per 64 of them: about 130x
// smaller than dense on DiLoCo updates (more kept elements bought more quality than a
// larger ratio, BenchmarkCompressedDiLoCo).
func DefaultConfig() Config {
	return Config{Density: 0.015, Block: 64, Level: zstd.SpeedBetterCompression}
}

func (c Config) validate() error {
	switch {
	case !(c.Density > 0 && c.Density <= 1):
		return fmt.Errorf("update: density %g is not in (0, 1]", c.Density)
	case c.Block < 1 || c.Block > MaxBlock:
		return fmt.Errorf("update: block of %d values is not in [1, %d]", c.Block, MaxBlock)
	case c.Level < zstd.SpeedFastest || c.Level > zstd.SpeedBestCompression:
		return fmt.Errorf("update: zstd level %d is not in [%d, %d]", int(c.Level), int(zstd.SpeedFastest), int(zstd.SpeedBestCompression))
	}
	return nil
}

// Kept is the number of elements of n that Encode keeps at density d: ceil(n·d), at least
// one when n > 0.
func Kept(n int, d float64) int {
	if n == 0 {
		return 0
	}
	return max(1, min(n, int(math.Ceil(float64(n)*d))))
}

// Encode compresses v, the update plus the residual carried from the last round, and
// returns the payload and the new residual: v − Decode(payload), which is v itself at every
// element not kept. It refuses a non-finite v, naming the first bad element.
func Encode(v []float32, c Config) (payload []byte, residual []float32, err error) {
	raw, residual, err := encodeRaw(v, c)
	if err != nil {
		return nil, nil, err
	}
	enc, err := zstd.NewWriter(nil, zstd.WithEncoderLevel(c.Level), zstd.WithEncoderConcurrency(1),
		zstd.WithLowerEncoderMem(true), zstd.WithEncoderCRC(true))
	if err != nil {
		return nil, nil, fmt.Errorf("update: zstd: %w", err)
	}
	defer enc.Close()
	return enc.EncodeAll(raw, nil), residual, nil
}

// encodeRaw is Encode before zstd.
func encodeRaw(v []float32, c Config) (raw []byte, residual []float32, err error) {
	if err := c.validate(); err != nil {
		return nil, nil, err
	}
	if uint64(len(v)) > math.MaxUint32 {
		return nil, nil, fmt.Errorf("update: %d elements, more than the format's %d", len(v), uint32(math.MaxUint32))
	}
	for i, x := range v {
		if math.IsNaN(float64(x)) || math.IsInf(float64(x), 0) {
			return nil, nil, fmt.Errorf("update: element %d of %d is %g", i, len(v), x)
		}
	}
	residual = append([]float32(nil), v...)
	u, err := quantizeKept(v, topK(v, Kept(len(v), c.Density)), c.Block, residual)
	if err != nil {
		return nil, nil, err
	}
	return u.appendRaw(nil), residual, nil
}

// Decode returns the dense update of n elements that payload encodes, or an error that
// says what is wrong with it. n is what the caller expects, and it alone bounds the work:
// the payload is decompressed no further than its format allows for n elements.
func Decode(payload []byte, n int) ([]float32, error) {
	u, err := decodeSparse(payload, n)
	if err != nil {
		return nil, err
	}
	return u.decoded(), nil
}

func decodeSparse(payload []byte, n int) (*sparse, error) {
	if n < 0 || uint64(n) > math.MaxUint32 {
		return nil, fmt.Errorf("update payload: %d is not an element count of the format", n)
	}
	// The zstd window can never need to be larger than the largest raw update for n
	// elements (k = n, block = 1), rounded up to the power of two an encoder declares.
	most := uint64(headerBytes + maxBodyBytes(n, n, 1))
	window := max(zstd.MinWindowSize, uint64(1)<<bits.Len64(most))
	zr, err := zstd.NewReader(bytes.NewReader(payload), zstd.WithDecoderConcurrency(1), zstd.WithDecoderLowmem(true),
		zstd.WithDecoderMaxWindow(window), zstd.WithDecoderMaxMemory(window))
	if err != nil {
		return nil, fmt.Errorf("update payload: zstd: %w", err)
	}
	defer zr.Close()

	var header [headerBytes]byte
	if _, err := io.ReadFull(zr, header[:]); err != nil {
		if errors.Is(err, io.EOF) || errors.Is(err, io.ErrUnexpectedEOF) {
			return nil, fmt.Errorf("update payload: truncated in its %d-byte header", headerBytes)
		}
		return nil, fmt.Errorf("update payload: zstd: %w", err)
	}
	k, block, err := parseHeader(header[:], n)
	if err != nil {
		return nil, err
	}
	limit := maxBodyBytes(n, k, block)
	body, err := io.ReadAll(io.LimitReader(zr, limit+1))
	if err != nil {
		return nil, fmt.Errorf("update payload: zstd: %w", err)
	}
	if int64(len(body)) > limit {
		return nil, fmt.Errorf("update payload: it expands past the %d bytes that %d kept of %d elements can take", headerBytes+limit, k, n)
	}
	return parseBody(body, n, k, block)
}

// Ratio is how many times smaller payload is than the dense update of n float32s.
func Ratio(n int, payload []byte) float64 { return float64(4*n) / float64(len(payload)) }
