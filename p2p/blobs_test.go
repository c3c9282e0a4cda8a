package p2p

import (
	"bytes"
	"context"
	"encoding/binary"
	"errors"
	"io"
	"math/rand/v2"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/klauspost/compress/zstd"
	"github.com/libp2p/go-libp2p/core/network"
	"github.com/libp2p/go-libp2p/core/peer"
)

func randomBytes(n int, seed uint64) []byte {
	r := rand.New(rand.NewPCG(seed, 1))
	b := make([]byte, n)
	for i := range b {
		b[i] = byte(r.Uint32())
	}
	return b
}

// A peer fetches a blob whole from one that holds it, checked chunk by chunk; a blob
// nobody holds is an error that says so.
func TestBlobTransfer(t *testing.T) {
	a, c := loopbackHost(t, newKey(t), nil), loopbackHost(t, newKey(t), nil)
	connect(t, c, a)
	held, fetcher := ServeBlobs(a, DefaultBlobLimits()), ServeBlobs(c, DefaultBlobLimits())
	for _, size := range []int{0, 1, ChunkBytes, 3*ChunkBytes + 17} {
		data := randomBytes(size, uint64(size))
		id, err := held.Add(data)
		if err != nil {
			t.Fatal(err)
		}
		got, err := fetcher.FetchFrom(context.Background(), a.ID(), id)
		if err != nil || !bytes.Equal(got, data) {
			t.Fatalf("%d bytes: got %d bytes, %v", size, len(got), err)
		}
	}
	if _, err := fetcher.FetchFrom(context.Background(), a.ID(), BlobID{1}); err == nil || !strings.Contains(err.Error(), "does not hold") {
		t.Errorf("a blob not held: %v", err)
	}
}

// A peer that lies is caught at the first wrong chunk (it is asked for no more), dropped,
// and the blob comes whole from the next peer. A manifest of another blob is caught
// before any chunk is asked for.
func TestLyingPeerIsCaughtAtTheFirstBadChunk(t *testing.T) {
	data := randomBytes(5*ChunkBytes+100, 7)
	honest, liar, fetcher := loopbackHost(t, newKey(t), nil), loopbackHost(t, newKey(t), nil), loopbackHost(t, newKey(t), nil)
	connect(t, fetcher, honest)
	connect(t, fetcher, liar)
	id, _ := ServeBlobs(honest, DefaultBlobLimits()).Add(data)
	f := ServeBlobs(fetcher, DefaultBlobLimits())

	for _, tc := range []struct {
		name        string
		badChunk    int  // the chunk the liar corrupts (-1: none)
		badManifest bool // it sends another blob's manifest
		asked       int32
	}{
		{"bad chunk", 2, false, 1 + 3}, // the manifest, chunks 0, 1 and the bad 2
		{"bad manifest", -1, true, 1},
	} {
		t.Run(tc.name, func(t *testing.T) {
			var asked atomic.Int32
			liar.SetStreamHandler(BlobProtocol, func(s network.Stream) {
				defer s.Close()
				asked.Add(1)
				var req [37]byte
				if _, err := io.ReadFull(s, req[:]); err != nil {
					return
				}
				body := NewManifest(data).encode()
				if tc.badManifest {
					body[len(body)-1] ^= 1
				}
				if req[0] == opChunk {
					i := int(binary.BigEndian.Uint32(req[33:]))
					body = append([]byte(nil), data[i*ChunkBytes:min((i+1)*ChunkBytes, len(data))]...)
					if i == tc.badChunk {
						body[10] ^= 0x40
					}
				}
				s.Write(append(append([]byte{stOK}, binary.BigEndian.AppendUint32(nil, uint32(len(body)))...), body...))
			})
			connect(t, fetcher, liar)
			got, dropped, err := f.Fetch(context.Background(), id, []peer.ID{liar.ID(), honest.ID()})
			if err != nil || !bytes.Equal(got, data) {
				t.Fatalf("fetch: %v", err)
			}
			if len(dropped) != 1 || dropped[0] != liar.ID() {
				t.Errorf("dropped %v, want the liar", dropped)
			}
			if n := asked.Load(); n != tc.asked {
				t.Errorf("the liar was asked %d times, want %d (nothing after the first lie)", n, tc.asked)
			}
			if _, err := f.FetchFrom(context.Background(), liar.ID(), id); !errors.Is(err, ErrLyingPeer) && err == nil {
				t.Errorf("fetching from the liar alone: %v", err)
			}
		})
	}
}

// A peer gets at most Concurrent requests served at once: with its slots all taken (by
// streams that have sent the first byte of a request and wait), its next request is
// answered busy, which names the server and is no lie, so Fetch takes the blob from
// another holder. Other peers are served meanwhile, and the waiting requests, once sent
// whole, are answered in full.
func TestBlobConcurrentRequestsPerPeer(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	a, other, c, d := loopbackHost(t, newKey(t), nil), loopbackHost(t, newKey(t), nil), loopbackHost(t, newKey(t), nil), loopbackHost(t, newKey(t), nil)
	connect(t, c, a)
	connect(t, c, other)
	connect(t, d, a)
	lim := DefaultBlobLimits()
	held, fetcher := ServeBlobs(a, lim), ServeBlobs(c, lim)
	data := randomBytes(lim.Concurrent*ChunkBytes, 11)
	id, _ := held.Add(data)
	ServeBlobs(other, lim).Add(data)

	streams := make([]network.Stream, lim.Concurrent)
	for i := range streams {
		s, err := c.NewStream(ctx, a.ID(), BlobProtocol)
		if err != nil {
			t.Fatal(err)
		}
		defer s.Close()
		if _, err := s.Write([]byte{opChunk}); err != nil {
			t.Fatal(err)
		}
		streams[i] = s
	}
	for held.quota.active(c.ID()) < lim.Concurrent {
		if ctx.Err() != nil {
			t.Fatalf("%d of %d requests being served", held.quota.active(c.ID()), lim.Concurrent)
		}
		time.Sleep(5 * time.Millisecond)
	}

	_, err := fetcher.FetchFrom(ctx, a.ID(), id)
	if !errors.Is(err, ErrPeerBusy) || errors.Is(err, ErrLyingPeer) || !strings.Contains(err.Error(), a.ID().String()) {
		t.Fatalf("a request over the limit: %v, want busy, naming %s", err, a.ID())
	}
	if n := held.quota.active(c.ID()); n != lim.Concurrent {
		t.Errorf("%d requests being served after a busy answer, want %d", n, lim.Concurrent)
	}
	got, dropped, err := fetcher.Fetch(ctx, id, []peer.ID{a.ID(), other.ID()})
	if err != nil || !bytes.Equal(got, data) || len(dropped) != 0 {
		t.Fatalf("fetching past the busy peer: %d bytes, dropped %v, %v", len(got), dropped, err)
	}
	if got, err := ServeBlobs(d, lim).FetchFrom(ctx, a.ID(), id); err != nil || !bytes.Equal(got, data) {
		t.Fatalf("another peer meanwhile: %v", err)
	}

	for i, s := range streams {
		rest := append(append([]byte(nil), id[:]...), binary.BigEndian.AppendUint32(nil, uint32(i))...)
		if _, err := s.Write(rest); err != nil {
			t.Fatal(err)
		}
		var head [5]byte
		if _, err := io.ReadFull(s, head[:]); err != nil {
			t.Fatal(err)
		}
		body := make([]byte, binary.BigEndian.Uint32(head[1:]))
		if _, err := io.ReadFull(s, body); err != nil {
			t.Fatal(err)
		}
		if head[0] != stOK || !bytes.Equal(body, data[i*ChunkBytes:(i+1)*ChunkBytes]) {
			t.Fatalf("waiting request %d: status %d, %d bytes", i, head[0], len(body))
		}
	}
	for held.quota.active(c.ID()) > 0 {
		if ctx.Err() != nil {
			t.Fatalf("%d requests still being served", held.quota.active(c.ID()))
		}
		time.Sleep(5 * time.Millisecond)
	}
	if got, err := fetcher.FetchFrom(ctx, a.ID(), id); err != nil || !bytes.Equal(got, data) {
		t.Fatalf("once the slots are free: %v", err)
	}
}

// A peer is served at most Bytes per Window: past it, it is answered busy (no lie) until
// the window has run out, while another peer is served as before.
func TestBlobByteBudgetPerPeer(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	a, c, d := loopbackHost(t, newKey(t), nil), loopbackHost(t, newKey(t), nil), loopbackHost(t, newKey(t), nil)
	connect(t, c, a)
	connect(t, d, a)
	// A fetch of 1000 bytes costs 1040 (a manifest of 40 bytes and one chunk): two fit.
	lim := BlobLimits{Concurrent: 4, Bytes: 2500, Window: 500 * time.Millisecond}
	held, fetcher := ServeBlobs(a, lim), ServeBlobs(c, lim)
	data := randomBytes(1000, 13)
	id, _ := held.Add(data)

	start := time.Now() // at or before the window's start
	for i := range 2 {
		if _, err := fetcher.FetchFrom(ctx, a.ID(), id); err != nil {
			t.Fatalf("fetch %d, within the budget: %v", i, err)
		}
	}
	_, err := fetcher.FetchFrom(ctx, a.ID(), id)
	if !errors.Is(err, ErrPeerBusy) || errors.Is(err, ErrLyingPeer) || !strings.Contains(err.Error(), a.ID().String()) {
		t.Fatalf("a fetch over the budget: %v, want busy, naming %s", err, a.ID())
	}
	if served, _ := held.Traffic(); served != 2*int64(len(data)) {
		t.Errorf("served %d chunk bytes, want %d", served, 2*len(data))
	}
	if got, err := ServeBlobs(d, lim).FetchFrom(ctx, a.ID(), id); err != nil || !bytes.Equal(got, data) {
		t.Fatalf("another peer meanwhile: %v", err)
	}
	refused := 0
	for {
		got, err := fetcher.FetchFrom(ctx, a.ID(), id)
		if err == nil {
			if !bytes.Equal(got, data) {
				t.Fatal("wrong bytes")
			}
			break
		}
		if !errors.Is(err, ErrPeerBusy) {
			t.Fatal(err)
		}
		refused++
		time.Sleep(20 * time.Millisecond)
	}
	if waited := time.Since(start); waited < lim.Window {
		t.Errorf("served again after %v, within the window of %v", waited, lim.Window)
	}
	t.Logf("refused %d more times before the window ran out", refused)
}

// FetchMax refuses a blob whose manifest is over its cap before any chunk is asked for,
// and asks no other holder (the size is the ID's, not a peer's claim); at the cap it
// fetches the blob.
func TestBlobFetchMaxRefusesBeforeAnyChunk(t *testing.T) {
	ctx := context.Background()
	a, b, c := loopbackHost(t, newKey(t), nil), loopbackHost(t, newKey(t), nil), loopbackHost(t, newKey(t), nil)
	connect(t, c, a)
	connect(t, c, b)
	lim := DefaultBlobLimits()
	ha, hb, fetcher := ServeBlobs(a, lim), ServeBlobs(b, lim), ServeBlobs(c, lim)
	data := randomBytes(3*ChunkBytes+5, 17)
	id, _ := ha.Add(data)
	hb.Add(data)
	holders := []peer.ID{a.ID(), b.ID()}

	for _, max := range []int{len(data) - 1, 0} {
		_, dropped, err := fetcher.FetchMax(ctx, id, holders, max)
		if !errors.Is(err, ErrBlobTooLarge) || errors.Is(err, ErrLyingPeer) || len(dropped) != 0 {
			t.Fatalf("a cap of %d: dropped %v, %v", max, dropped, err)
		}
	}
	sa, _ := ha.Traffic()
	sb, _ := hb.Traffic()
	if sa != 0 || sb != 0 {
		t.Fatalf("the holders served %d and %d chunk bytes before the refusal, want none", sa, sb)
	}
	if _, _, err := fetcher.FetchMax(ctx, id, holders, -1); err == nil {
		t.Error("a negative cap was taken")
	}
	got, _, err := fetcher.FetchMax(ctx, id, holders, len(data))
	if err != nil || !bytes.Equal(got, data) {
		t.Fatalf("at the cap: %v", err)
	}
	if sa, _ := ha.Traffic(); sa != int64(len(data)) {
		t.Errorf("served %d chunk bytes, want %d", sa, len(data))
	}
}

// A compression bomb (a few KB that expand to 256 MiB) is refused when it passes the
// cap, quickly and without taking the memory; an honest payload decodes.
func TestDecodeCapped(t *testing.T) {
	var bomb bytes.Buffer
	zw, _ := zstd.NewWriter(&bomb, zstd.WithEncoderLevel(zstd.SpeedFastest))
	zeros := make([]byte, 1<<20)
	for range 256 {
		zw.Write(zeros)
	}
	zw.Close()
	t.Logf("the bomb: %d bytes for 256 MiB", bomb.Len())
	start := time.Now()
	if _, err := DecodeCapped(bomb.Bytes(), 16<<20); err == nil || !strings.Contains(err.Error(), "past the cap") {
		t.Errorf("the bomb: %v", err)
	}
	t.Logf("refused in %v", time.Since(start))
	enc, _ := zstd.NewWriter(nil)
	data := randomBytes(1<<20, 3)
	got, err := DecodeCapped(enc.EncodeAll(data, nil), 2<<20)
	if err != nil || !bytes.Equal(got, data) {
		t.Errorf("an honest payload: %v", err)
	}
}
