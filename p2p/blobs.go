package p2p

import (
	"bufio"
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"sync"
	"sync/atomic"
	"time"

	"github.com/klauspost/compress/zstd"
	"github.com/libp2p/go-libp2p/core/host"
	"github.com/libp2p/go-libp2p/core/network"
	"github.com/libp2p/go-libp2p/core/peer"
)

// Bulk data (updates, checkpoints, dispute evidence) moves over libp2p streams as
// content-addressed blobs, in chunks each checked against its hash as it arrives: a peer
// that sends one wrong byte is caught at that chunk, dropped, and the blob fetched from
// another. A blob's ID is the hash of its manifest (its size and its chunks' hashes), so
// a manifest is checked against the ID before any chunk is asked for.

// BlobProtocol is the stream protocol of blob transfer.
const BlobProtocol = "/lockstep/blob/1"

const (
	ChunkBytes   = 256 << 10 // a blob's chunks, the last one shorter
	MaxBlobBytes = 1 << 30   // the largest blob a node serves or fetches
	maxChunks    = (MaxBlobBytes + ChunkBytes - 1) / ChunkBytes
	blobTimeout  = 30 * time.Second // a request and its answer
)

// ErrLyingPeer is wrapped when a peer answers with bytes that do not match their hash.
var ErrLyingPeer = errors.New("peer sent data that does not match its hash")

// BlobID names a blob: SHA-256 over a domain tag, its size and its chunks' hashes.
type BlobID [32]byte

// Manifest is a blob's size and its chunks' hashes.
type Manifest struct {
	Size   uint64
	Chunks [][32]byte
}

// ID is the blob ID the manifest hashes to.
func (m Manifest) ID() BlobID {
	h := sha256.New()
	h.Write([]byte("lockstep/blob/v1\x00"))
	h.Write(binary.BigEndian.AppendUint64(nil, m.Size))
	for _, c := range m.Chunks {
		h.Write(c[:])
	}
	return BlobID(h.Sum(nil))
}

func (m Manifest) encode() []byte {
	b := binary.BigEndian.AppendUint64(nil, m.Size)
	for _, c := range m.Chunks {
		b = append(b, c[:]...)
	}
	return b
}

// NewManifest chunks data and hashes the chunks.
func NewManifest(data []byte) Manifest {
	m := Manifest{Size: uint64(len(data))}
	for off := 0; off < len(data); off += ChunkBytes {
		m.Chunks = append(m.Chunks, sha256.Sum256(data[off:min(off+ChunkBytes, len(data))]))
	}
	return m
}

// Blobs serves the blobs a node holds and fetches others' from peers.
type Blobs struct {
	h  host.Host
	mu sync.RWMutex
	// held are the blobs this node serves, by ID.
	held map[BlobID][]byte
	// served and fetched count the chunk bytes sent to and received from peers.
	served, fetched atomic.Int64
}

// Get returns a blob this node holds.
func (b *Blobs) Get(id BlobID) ([]byte, bool) {
	b.mu.RLock()
	defer b.mu.RUnlock()
	data, ok := b.held[id]
	return data, ok
}

// Drop stops serving the given blobs (a round's updates, once they are no longer needed).
func (b *Blobs) Drop(ids ...BlobID) {
	b.mu.Lock()
	for _, id := range ids {
		delete(b.held, id)
	}
	b.mu.Unlock()
}

// Traffic returns the chunk bytes this node has served to peers and fetched from them.
func (b *Blobs) Traffic() (served, fetched int64) { return b.served.Load(), b.fetched.Load() }

// ServeBlobs starts serving blobs on h. Add makes a blob available.
func ServeBlobs(h host.Host) *Blobs {
	b := &Blobs{h: h, held: map[BlobID][]byte{}}
	h.SetStreamHandler(BlobProtocol, b.serve)
	return b
}

// Add holds data for peers to fetch and returns its ID.
func (b *Blobs) Add(data []byte) (BlobID, error) {
	if len(data) > MaxBlobBytes {
		return BlobID{}, fmt.Errorf("a blob of %d bytes is over the limit of %d", len(data), MaxBlobBytes)
	}
	id := NewManifest(data).ID()
	b.mu.Lock()
	b.held[id] = data
	b.mu.Unlock()
	return id, nil
}

// Requests: op (1: manifest, 2: chunk), the blob ID, the chunk index (u32).
// Answers: status (0: ok, 1: not held, 2: bad request), length (u32), bytes.
const (
	opManifest, opChunk = 1, 2
	stOK, stNotHeld     = 0, 1
	stBadRequest        = 2
)

func (b *Blobs) serve(s network.Stream) {
	defer s.Close()
	s.SetDeadline(time.Now().Add(blobTimeout))
	var req [1 + 32 + 4]byte
	if _, err := io.ReadFull(s, req[:]); err != nil {
		s.Reset()
		return
	}
	var id BlobID
	copy(id[:], req[1:33])
	index := int(binary.BigEndian.Uint32(req[33:]))
	b.mu.RLock()
	data, ok := b.held[id]
	b.mu.RUnlock()
	answer := func(status byte, body []byte) {
		w := bufio.NewWriter(s)
		w.WriteByte(status)
		w.Write(binary.BigEndian.AppendUint32(nil, uint32(len(body))))
		w.Write(body)
		w.Flush()
	}
	switch {
	case !ok:
		answer(stNotHeld, nil)
	case req[0] == opManifest:
		answer(stOK, NewManifest(data).encode())
	case req[0] == opChunk && index*ChunkBytes < len(data):
		chunk := data[index*ChunkBytes : min((index+1)*ChunkBytes, len(data))]
		b.served.Add(int64(len(chunk)))
		answer(stOK, chunk)
	default:
		answer(stBadRequest, nil)
	}
}

// request asks p one question and reads the answer, at most limit bytes of it.
func (b *Blobs) request(ctx context.Context, p peer.ID, op byte, id BlobID, index int, limit int) ([]byte, error) {
	ctx, cancel := context.WithTimeout(ctx, blobTimeout)
	defer cancel()
	s, err := b.h.NewStream(ctx, p, BlobProtocol)
	if err != nil {
		return nil, err
	}
	defer s.Close()
	if dl, ok := ctx.Deadline(); ok {
		s.SetDeadline(dl)
	}
	req := append(append([]byte{op}, id[:]...), binary.BigEndian.AppendUint32(nil, uint32(index))...)
	if _, err := s.Write(req); err != nil {
		return nil, err
	}
	var head [5]byte
	if _, err := io.ReadFull(s, head[:]); err != nil {
		return nil, err
	}
	n := int(binary.BigEndian.Uint32(head[1:]))
	switch {
	case head[0] == stNotHeld:
		return nil, fmt.Errorf("peer %s does not hold blob %x", p, id[:8])
	case head[0] != stOK:
		return nil, fmt.Errorf("peer %s refused the request (status %d)", p, head[0])
	case n > limit:
		return nil, fmt.Errorf("%w: peer %s answers with %d bytes where at most %d fit", ErrLyingPeer, p, n, limit)
	}
	body := make([]byte, n)
	if _, err := io.ReadFull(s, body); err != nil {
		return nil, err
	}
	return body, nil
}

// FetchFrom fetches blob id from p, checking the manifest against the ID and each chunk
// against its hash as it arrives. A mismatch wraps ErrLyingPeer and stops at that chunk.
func (b *Blobs) FetchFrom(ctx context.Context, p peer.ID, id BlobID) ([]byte, error) {
	raw, err := b.request(ctx, p, opManifest, id, 0, 8+32*maxChunks)
	if err != nil {
		return nil, err
	}
	if len(raw) < 8 || (len(raw)-8)%32 != 0 {
		return nil, fmt.Errorf("%w: peer %s sent a manifest of %d bytes", ErrLyingPeer, p, len(raw))
	}
	m := Manifest{Size: binary.BigEndian.Uint64(raw)}
	for off := 8; off < len(raw); off += 32 {
		m.Chunks = append(m.Chunks, [32]byte(raw[off:off+32]))
	}
	if m.ID() != id {
		return nil, fmt.Errorf("%w: peer %s sent a manifest of another blob", ErrLyingPeer, p)
	}
	if m.Size > MaxBlobBytes || uint64(len(m.Chunks)) != (m.Size+ChunkBytes-1)/ChunkBytes {
		return nil, fmt.Errorf("blob %x: a manifest of %d bytes in %d chunks does not fit the limits", id[:8], m.Size, len(m.Chunks))
	}
	var out bytes.Buffer
	for i, want := range m.Chunks {
		size := min(ChunkBytes, int(m.Size)-i*ChunkBytes)
		chunk, err := b.request(ctx, p, opChunk, id, i, size)
		if err != nil {
			return nil, err
		}
		if len(chunk) != size || sha256.Sum256(chunk) != want {
			return nil, fmt.Errorf("%w: peer %s, blob %x, chunk %d of %d", ErrLyingPeer, p, id[:8], i, len(m.Chunks))
		}
		b.fetched.Add(int64(len(chunk)))
		out.Write(chunk)
	}
	return out.Bytes(), nil
}

// Fetch fetches blob id from the first of peers that gives it whole. A peer caught lying
// is disconnected and reported in dropped; the others are tried in turn.
func (b *Blobs) Fetch(ctx context.Context, id BlobID, peers []peer.ID) (data []byte, dropped []peer.ID, err error) {
	var errs []error
	for _, p := range peers {
		data, err := b.FetchFrom(ctx, p, id)
		if err == nil {
			return data, dropped, nil
		}
		if errors.Is(err, ErrLyingPeer) {
			dropped = append(dropped, p)
			b.h.Network().ClosePeer(p)
		}
		errs = append(errs, err)
	}
	return nil, dropped, fmt.Errorf("blob %x from %d peers: %w", id[:8], len(peers), errors.Join(errs...))
}

// DecodeCapped decompresses a zstd payload (a compressed update, say) into at most max
// bytes: a compression bomb is refused when it passes the cap, not after it has taken the
// memory.
func DecodeCapped(compressed []byte, max int) ([]byte, error) {
	dec, err := zstd.NewReader(bytes.NewReader(compressed), zstd.WithDecoderMaxMemory(uint64(max)), zstd.WithDecoderConcurrency(1), zstd.WithDecoderMaxWindow(uint64(min(max, 1<<27))))
	if err != nil {
		return nil, err
	}
	defer dec.Close()
	out, err := io.ReadAll(io.LimitReader(dec, int64(max)+1))
	if err != nil {
		return nil, fmt.Errorf("decoding: %w", err)
	}
	if len(out) > max {
		return nil, fmt.Errorf("decoding: the payload expands past the cap of %d bytes", max)
	}
	return out, nil
}
