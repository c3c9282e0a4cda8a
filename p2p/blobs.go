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

// ErrPeerBusy is wrapped when a peer refuses a request because this node is over its
// limits there (BlobLimits): no fault, so the peer is not dropped; ask another.
var ErrPeerBusy = errors.New("peer is busy")

// ErrBlobTooLarge is wrapped when a blob's manifest, checked against its ID, gives a size
// over the fetch's cap. The size is the ID's, not a peer's claim, so no peer is asked on.
var ErrBlobTooLarge = errors.New("blob is larger than the fetch accepts")

// BlobLimits bound what one peer may take from the blobs a node serves. A request over a
// limit is answered busy, with no data.
type BlobLimits struct {
	// Concurrent is how many of a peer's requests are served at once, from the opening of
	// the stream to the end of the answer.
	Concurrent int
	// Bytes is how many bytes of answers (manifests and chunks) a peer is served per
	// Window. The window is fixed, not sliding: it starts at the peer's first request
	// and, once it has run out, again at the next answer, with the count at zero. An
	// answer that would take the count over Bytes is refused whole, so a Bytes under
	// ChunkBytes never lets a full chunk through. Fetch takes a blob whole from one
	// peer, so Bytes should pass the largest blob a peer must fetch (a checkpoint):
	// one refused midway is fetched again from the next peer.
	Bytes  int64
	Window time.Duration
}

// DefaultBlobLimits lets a peer have 4 requests served at once (Fetch asks one at a
// time) and 256 MiB a minute: enough for a round's compressed updates and a checkpoint,
// not for a peer that asks for the same blobs over and over.
func DefaultBlobLimits() BlobLimits {
	return BlobLimits{Concurrent: 4, Bytes: 256 << 20, Window: time.Minute}
}

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
	quota           quota
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

// ServeBlobs starts serving blobs on h, to each peer within l (a field at zero or below
// takes its value in DefaultBlobLimits). Add makes a blob available.
func ServeBlobs(h host.Host, l BlobLimits) *Blobs {
	def := DefaultBlobLimits()
	if l.Concurrent <= 0 {
		l.Concurrent = def.Concurrent
	}
	if l.Bytes <= 0 {
		l.Bytes = def.Bytes
	}
	if l.Window <= 0 {
		l.Window = def.Window
	}
	b := &Blobs{h: h, held: map[BlobID][]byte{}, quota: quota{limits: l, now: time.Now, peers: map[peer.ID]*peerQuota{}}}
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
// Answers: status (0: ok, 1: not held, 2: bad request, 3: busy), length (u32), bytes.
const (
	opManifest, opChunk  = 1, 2
	stOK, stNotHeld      = 0, 1
	stBadRequest, stBusy = 2, 3
)

// quota keeps each peer within BlobLimits.
type quota struct {
	limits BlobLimits
	now    func() time.Time
	mu     sync.Mutex
	peers  map[peer.ID]*peerQuota
	swept  time.Time // when peers was last cleared of idle ones
}

type peerQuota struct {
	active int       // requests being served
	start  time.Time // the current window's
	bytes  int64     // served in it
}

// enter takes one of p's slots, if it has one free.
func (q *quota) enter(p peer.ID) bool {
	q.mu.Lock()
	defer q.mu.Unlock()
	now := q.now()
	if now.Sub(q.swept) >= q.limits.Window { // forget peers whose windows have run out
		for id, pq := range q.peers {
			if pq.active == 0 && now.Sub(pq.start) >= q.limits.Window {
				delete(q.peers, id)
			}
		}
		q.swept = now
	}
	pq := q.peers[p]
	if pq == nil {
		pq = &peerQuota{start: now}
		q.peers[p] = pq
	}
	if pq.active >= q.limits.Concurrent {
		return false
	}
	pq.active++
	return true
}

// leave gives back a slot enter took.
func (q *quota) leave(p peer.ID) {
	q.mu.Lock()
	q.peers[p].active--
	q.mu.Unlock()
}

// spend counts n bytes against p's window, unless they would take it over the budget.
// Only a peer that holds a slot spends.
func (q *quota) spend(p peer.ID, n int) bool {
	q.mu.Lock()
	defer q.mu.Unlock()
	pq, now := q.peers[p], q.now()
	if now.Sub(pq.start) >= q.limits.Window {
		pq.start, pq.bytes = now, 0
	}
	if pq.bytes+int64(n) > q.limits.Bytes {
		return false
	}
	pq.bytes += int64(n)
	return true
}

// active is how many of p's requests are being served.
func (q *quota) active(p peer.ID) int {
	q.mu.Lock()
	defer q.mu.Unlock()
	if pq := q.peers[p]; pq != nil {
		return pq.active
	}
	return 0
}

func (b *Blobs) serve(s network.Stream) {
	defer s.Close()
	s.SetDeadline(time.Now().Add(blobTimeout))
	// The slot is taken before the request is read, so a peer that opens streams and
	// sends nothing holds up only its own requests. The request is read even when the
	// answer is busy: closing a stream with it unread could reset the asker's side
	// before the answer reaches it.
	p := s.Conn().RemotePeer()
	admitted := b.quota.enter(p)
	if admitted {
		defer b.quota.leave(p)
	}
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
	case !admitted:
		answer(stBusy, nil)
	case !ok:
		answer(stNotHeld, nil)
	case req[0] == opManifest:
		body := NewManifest(data).encode()
		if !b.quota.spend(p, len(body)) {
			answer(stBusy, nil)
			return
		}
		answer(stOK, body)
	case req[0] == opChunk && index*ChunkBytes < len(data):
		chunk := data[index*ChunkBytes : min((index+1)*ChunkBytes, len(data))]
		if !b.quota.spend(p, len(chunk)) {
			answer(stBusy, nil)
			return
		}
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
	case head[0] == stBusy:
		return nil, fmt.Errorf("%w: peer %s refused a request for blob %x", ErrPeerBusy, p, id[:8])
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
	return b.fetchFrom(ctx, p, id, MaxBlobBytes)
}

func (b *Blobs) fetchFrom(ctx context.Context, p peer.ID, id BlobID, max int) ([]byte, error) {
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
	if m.Size > uint64(max) {
		return nil, fmt.Errorf("%w: blob %x has %d bytes, over the cap of %d", ErrBlobTooLarge, id[:8], m.Size, max)
	}
	if uint64(len(m.Chunks)) != (m.Size+ChunkBytes-1)/ChunkBytes {
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
// is disconnected and reported in dropped; the others (a busy one among them) are tried
// in turn.
func (b *Blobs) Fetch(ctx context.Context, id BlobID, peers []peer.ID) (data []byte, dropped []peer.ID, err error) {
	return b.FetchMax(ctx, id, peers, MaxBlobBytes)
}

// FetchMax is Fetch for a caller that knows how large the blob may be (a compressed
// update, say): a manifest of more than max bytes ends the fetch, wrapping
// ErrBlobTooLarge, before any chunk is asked for. max is capped at MaxBlobBytes.
func (b *Blobs) FetchMax(ctx context.Context, id BlobID, peers []peer.ID, max int) (data []byte, dropped []peer.ID, err error) {
	if max < 0 {
		return nil, nil, fmt.Errorf("blob %x: a cap of %d bytes", id[:8], max)
	}
	max = min(max, MaxBlobBytes)
	var errs []error
	for _, p := range peers {
		data, err := b.fetchFrom(ctx, p, id, max)
		if err == nil {
			return data, dropped, nil
		}
		if errors.Is(err, ErrBlobTooLarge) {
			return nil, dropped, err
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
