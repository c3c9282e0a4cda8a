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
	held, fetcher := ServeBlobs(a), ServeBlobs(c)
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
	id, _ := ServeBlobs(honest).Add(data)
	f := ServeBlobs(fetcher)

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
