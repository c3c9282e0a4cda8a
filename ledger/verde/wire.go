package verde

import (
	"bufio"
	"context"
	"encoding/base64"
	"encoding/binary"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"sync"
	"time"

	"github.com/lockstep-ml/lockstep/host"
	"github.com/lockstep-ml/lockstep/kernels"
)

// The dispute's messages on the wire, the encoding the swarm carries over libp2p streams
// (an in-process net.Pipe now): each message is one frame, a 4-byte big-endian length and
// then a JSON object carrying the version WireVersion. A request names what the referee
// asks; the response carries the answer or the party's error. Hashes are hex, tensors
// little-endian elements in base64 (as in ruling files).

// WireVersion is the version of the dispute messages.
const WireVersion = 1

// MaxFrame bounds a frame a peer may send: a larger one is refused before it is read.
const MaxFrame = 256 << 20

type wireRequest struct {
	V       int      `json:"v"`
	Kind    string   `json:"kind"` // roots, commit, heads, entry, material
	Step    uint64   `json:"step"`
	Steps   []uint64 `json:"steps,omitempty"`
	Entries []int    `json:"entries,omitempty"`
	Entry   int      `json:"entry,omitempty"`
}

type wireCheckpoint struct {
	Step    uint64                `json:"step"`
	Tensors map[string]fileTensor `json:"tensors"`
	Blob    string                `json:"blob"`
	Root    string                `json:"root"`
}

type wireResponse struct {
	V        int             `json:"v"`
	Err      string          `json:"err,omitempty"`
	Hashes   []string        `json:"hashes,omitempty"` // roots, heads; a commitment's head
	Entries  int             `json:"entries,omitempty"`
	Entry    *fileEntry      `json:"entry,omitempty"`
	Tensors  []fileTensor    `json:"tensors,omitempty"` // an entry's inputs; material's tensors
	Prefix   []fileEntry     `json:"prefix,omitempty"`
	State    *wireCheckpoint `json:"state,omitempty"`
	HasState bool            `json:"has_state,omitempty"`
}

func writeFrame(w io.Writer, v any) (int, error) {
	b, err := json.Marshal(v)
	if err != nil {
		return 0, err
	}
	if len(b) > MaxFrame {
		return 0, fmt.Errorf("a frame of %d bytes, more than %d", len(b), MaxFrame)
	}
	frame := binary.BigEndian.AppendUint32(make([]byte, 0, 4+len(b)), uint32(len(b)))
	_, err = w.Write(append(frame, b...))
	return 4 + len(b), err
}

func readFrame(r io.Reader, v any) (int, error) {
	var n [4]byte
	if _, err := io.ReadFull(r, n[:]); err != nil {
		return 0, err
	}
	size := binary.BigEndian.Uint32(n[:])
	if size > MaxFrame {
		return 4, fmt.Errorf("a frame of %d bytes, more than %d", size, MaxFrame)
	}
	b := make([]byte, size)
	if _, err := io.ReadFull(r, b); err != nil {
		return 4, err
	}
	if err := json.Unmarshal(b, v); err != nil {
		return 4 + int(size), fmt.Errorf("malformed message: %v", err)
	}
	return 4 + int(size), nil
}

// Serve answers a referee's requests on conn for p until conn closes.
func Serve(ctx context.Context, p Party, conn io.ReadWriter) error {
	r := bufio.NewReader(conn)
	for {
		var req wireRequest
		if _, err := readFrame(r, &req); err != nil {
			if errors.Is(err, io.EOF) {
				return nil
			}
			return err
		}
		resp := answer(ctx, p, req)
		if _, err := writeFrame(conn, resp); err != nil {
			return err
		}
	}
}

func answer(ctx context.Context, p Party, req wireRequest) wireResponse {
	resp := wireResponse{V: WireVersion}
	fail := func(err error) wireResponse { return wireResponse{V: WireVersion, Err: err.Error()} }
	if req.V != WireVersion {
		return fail(fmt.Errorf("message version %d, this party speaks %d", req.V, WireVersion))
	}
	switch req.Kind {
	case "roots":
		h, err := p.Roots(ctx, req.Steps)
		if err != nil {
			return fail(err)
		}
		resp.Hashes = hexes(h)
	case "commit":
		h, n, err := p.Commit(ctx, req.Step)
		if err != nil {
			return fail(err)
		}
		resp.Hashes, resp.Entries = hexes([][32]byte{h}), n
	case "heads":
		h, err := p.Heads(ctx, req.Step, req.Entries)
		if err != nil {
			return fail(err)
		}
		resp.Hashes = hexes(h)
	case "entry":
		rv, err := p.Entry(ctx, req.Step, req.Entry)
		if err != nil {
			return fail(err)
		}
		e := toFileEntry(rv.Entry)
		resp.Entry = &e
		for _, t := range rv.Inputs {
			resp.Tensors = append(resp.Tensors, encodeTensor(t))
		}
	case "material":
		m, err := p.Material(ctx, req.Step, req.Entry)
		if err != nil {
			return fail(err)
		}
		for _, e := range m.Prefix {
			resp.Prefix = append(resp.Prefix, toFileEntry(e))
		}
		for _, t := range m.Tensors {
			resp.Tensors = append(resp.Tensors, encodeTensor(t))
		}
		if m.State != nil {
			resp.HasState = true
			resp.State = &wireCheckpoint{Step: m.State.Step, Tensors: map[string]fileTensor{}, Blob: base64.StdEncoding.EncodeToString(m.State.Blob), Root: hex.EncodeToString(m.State.Root[:])}
			for name, t := range m.State.Tensors {
				resp.State.Tensors[name] = encodeTensor(t)
			}
		}
	default:
		return fail(fmt.Errorf("unknown request %q", req.Kind))
	}
	return resp
}

func toFileEntry(e host.TraceEntry) fileEntry {
	return fileEntry{Seq: e.Seq, Opcode: uint32(e.Op), Op: e.Op.String(), Attrs: e.Attrs, Inputs: hexes(e.Inputs), Outputs: hexes(e.Outputs)}
}

func fromFileEntry(e fileEntry) (host.TraceEntry, error) {
	te := host.TraceEntry{Seq: e.Seq, Op: host.Opcode(e.Opcode), Attrs: e.Attrs}
	var err error
	if te.Inputs, err = unhexes(e.Inputs); err != nil {
		return te, err
	}
	te.Outputs, err = unhexes(e.Outputs)
	return te, err
}

// Remote is a party on the other end of a connection (Serve): every question is one
// request, and a party that does not answer within Timeout has failed to answer.
type Remote struct {
	Conn    Conn
	Timeout time.Duration
	mu      sync.Mutex
	r       *bufio.Reader
	// Sent and Received count the bytes of every frame.
	Sent, Received int
}

// Conn is a connection to a party: a net.Conn, or a libp2p stream.
type Conn interface {
	io.ReadWriter
	SetDeadline(time.Time) error
}

// NewRemote returns the party at the other end of conn; each answer is awaited at most
// timeout.
func NewRemote(conn Conn, timeout time.Duration) *Remote {
	return &Remote{Conn: conn, Timeout: timeout, r: bufio.NewReader(conn)}
}

func (c *Remote) call(ctx context.Context, req wireRequest) (wireResponse, error) {
	c.mu.Lock()
	defer c.mu.Unlock()
	req.V = WireVersion
	deadline := time.Now().Add(c.Timeout)
	if d, ok := ctx.Deadline(); ok && d.Before(deadline) {
		deadline = d
	}
	c.Conn.SetDeadline(deadline)
	n, err := writeFrame(c.Conn, req)
	c.Sent += n
	if err != nil {
		return wireResponse{}, fmt.Errorf("sending %s: %w", req.Kind, err)
	}
	var resp wireResponse
	n, err = readFrame(c.r, &resp)
	c.Received += n
	if err != nil {
		return wireResponse{}, fmt.Errorf("no answer to %s: %w", req.Kind, err)
	}
	if resp.V != WireVersion {
		return wireResponse{}, fmt.Errorf("answer version %d, want %d", resp.V, WireVersion)
	}
	if resp.Err != "" {
		return wireResponse{}, errors.New(resp.Err)
	}
	return resp, nil
}

func (c *Remote) Roots(ctx context.Context, steps []uint64) ([][32]byte, error) {
	resp, err := c.call(ctx, wireRequest{Kind: "roots", Steps: steps})
	if err != nil {
		return nil, err
	}
	return unhexes(resp.Hashes)
}

func (c *Remote) Commit(ctx context.Context, s uint64) ([32]byte, int, error) {
	resp, err := c.call(ctx, wireRequest{Kind: "commit", Step: s})
	if err != nil {
		return [32]byte{}, 0, err
	}
	if len(resp.Hashes) != 1 {
		return [32]byte{}, 0, fmt.Errorf("a commitment of %d heads", len(resp.Hashes))
	}
	h, err := unhex(resp.Hashes[0])
	return h, resp.Entries, err
}

func (c *Remote) Heads(ctx context.Context, s uint64, entries []int) ([][32]byte, error) {
	resp, err := c.call(ctx, wireRequest{Kind: "heads", Step: s, Entries: entries})
	if err != nil {
		return nil, err
	}
	return unhexes(resp.Hashes)
}

func (c *Remote) Entry(ctx context.Context, s uint64, k int) (Revealed, error) {
	resp, err := c.call(ctx, wireRequest{Kind: "entry", Step: s, Entry: k})
	if err != nil {
		return Revealed{}, err
	}
	if resp.Entry == nil {
		return Revealed{}, fmt.Errorf("no entry in the answer")
	}
	var rv Revealed
	if rv.Entry, err = fromFileEntry(*resp.Entry); err != nil {
		return Revealed{}, err
	}
	rv.Inputs, err = decodeTensors(resp.Tensors)
	return rv, err
}

func (c *Remote) Material(ctx context.Context, s uint64, k int) (Material, error) {
	resp, err := c.call(ctx, wireRequest{Kind: "material", Step: s, Entry: k})
	if err != nil {
		return Material{}, err
	}
	var m Material
	for _, fe := range resp.Prefix {
		e, err := fromFileEntry(fe)
		if err != nil {
			return Material{}, err
		}
		m.Prefix = append(m.Prefix, e)
	}
	if m.Tensors, err = decodeTensors(resp.Tensors); err != nil {
		return Material{}, err
	}
	if resp.HasState && resp.State != nil {
		cp := &host.Checkpoint{Step: resp.State.Step, Tensors: map[string]*kernels.Tensor{}}
		for name, ft := range resp.State.Tensors {
			if cp.Tensors[name], err = decodeTensor(ft); err != nil {
				return Material{}, err
			}
		}
		if cp.Blob, err = base64.StdEncoding.DecodeString(resp.State.Blob); err != nil {
			return Material{}, err
		}
		if cp.Root, err = unhex(resp.State.Root); err != nil {
			return Material{}, err
		}
		m.State = cp
	}
	return m, nil
}

func decodeTensors(fts []fileTensor) ([]*kernels.Tensor, error) {
	var out []*kernels.Tensor
	for _, ft := range fts {
		t, err := decodeTensor(ft)
		if err != nil {
			return nil, err
		}
		out = append(out, t)
	}
	return out, nil
}
