package ledger

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net"
	"net/http"
	"net/url"
	"os"
	"time"
)

// Reader is what the commands that list and show runs read: the ledger itself, or, while
// a running process holds it, that process's answers over its socket (Dial).
type Reader interface {
	Runs() ([]RunMeta, error)
	Run(id string) (RunMeta, error)
	Steps(run string) ([]StepRecord, error)
}

var (
	_ Reader = (*Ledger)(nil)
	_ Reader = (*Client)(nil)
)

// maxSocketPath is the longest socket path every platform takes (sun_path is 104 bytes
// on macOS, 108 on Linux, with a terminating zero).
const maxSocketPath = 103

// SocketFile is the name, in the data dir, of the socket a process that holds the ledger
// answers reads on.
const SocketFile = "ledger.sock"

// ServeReads answers Runs, Run and Steps on a Unix socket at path (readable by this user
// only) until stop is called, so that while a run holds the ledger (Badger allows one
// process) another process can still see what it has committed.
func (l *Ledger) ServeReads(path string) (stop func(), err error) {
	if c, err := net.DialTimeout("unix", path, time.Second); err == nil {
		c.Close()
		return nil, fmt.Errorf("%w: another process answers on %s", ErrInUse, path)
	}
	if len(path) > maxSocketPath {
		return nil, fmt.Errorf("the data dir's path is too long for a Unix socket (%s is %d bytes; at most %d)", path, len(path), maxSocketPath)
	}
	os.Remove(path) // a socket left by a process that died
	ln, err := net.Listen("unix", path)
	if err != nil {
		return nil, fmt.Errorf("serving ledger reads on %s: %w", path, err)
	}
	os.Chmod(path, 0o600)
	answer := func(w http.ResponseWriter, v any, err error) {
		w.Header().Set("Content-Type", "application/json")
		if err != nil {
			status := http.StatusInternalServerError
			if errors.Is(err, ErrNotFound) {
				status = http.StatusNotFound
			}
			w.WriteHeader(status)
			json.NewEncoder(w).Encode(map[string]string{"error": err.Error()})
			return
		}
		json.NewEncoder(w).Encode(v)
	}
	mux := http.NewServeMux()
	mux.HandleFunc("GET /runs", func(w http.ResponseWriter, r *http.Request) {
		runs, err := l.Runs()
		answer(w, runs, err)
	})
	mux.HandleFunc("GET /runs/{id}", func(w http.ResponseWriter, r *http.Request) {
		meta, err := l.Run(r.PathValue("id"))
		answer(w, meta, err)
	})
	mux.HandleFunc("GET /runs/{id}/steps", func(w http.ResponseWriter, r *http.Request) {
		recs, err := l.Steps(r.PathValue("id"))
		answer(w, recs, err)
	})
	srv := &http.Server{Handler: mux, ReadHeaderTimeout: 5 * time.Second}
	go srv.Serve(ln)
	return func() {
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		defer cancel()
		srv.Shutdown(ctx)
		os.Remove(path)
	}, nil
}

// Client reads a ledger through the socket of the process that holds it.
type Client struct {
	path string
	http *http.Client
}

// Dial returns a client of the process answering on the socket at path, or an error if
// none does.
func Dial(path string) (*Client, error) {
	c, err := net.DialTimeout("unix", path, time.Second)
	if err != nil {
		return nil, err
	}
	c.Close()
	return &Client{path: path, http: &http.Client{
		Timeout: 30 * time.Second,
		Transport: &http.Transport{DialContext: func(ctx context.Context, _, _ string) (net.Conn, error) {
			var d net.Dialer
			return d.DialContext(ctx, "unix", path)
		}},
	}}, nil
}

func (c *Client) get(path string, v any) error {
	resp, err := c.http.Get("http://ledger" + path)
	if err != nil {
		return fmt.Errorf("asking the process that holds the ledger (%s): %w", c.path, err)
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		var e struct{ Error string }
		json.NewDecoder(resp.Body).Decode(&e)
		if resp.StatusCode == http.StatusNotFound {
			return remoteError{e.Error, ErrNotFound}
		}
		return remoteError{e.Error, nil}
	}
	return json.NewDecoder(resp.Body).Decode(v)
}

// Runs lists every run, oldest first.
func (c *Client) Runs() (runs []RunMeta, err error) { return runs, c.get("/runs", &runs) }

// Run returns a run's metadata.
func (c *Client) Run(id string) (meta RunMeta, err error) {
	return meta, c.get("/runs/"+url.PathEscape(id), &meta)
}

// Steps returns a run's step records in order.
func (c *Client) Steps(run string) (recs []StepRecord, err error) {
	return recs, c.get("/runs/"+url.PathEscape(run)+"/steps", &recs)
}

// remoteError is an error the serving process answered, as its text, with its kind.
type remoteError struct {
	msg  string
	kind error
}

func (e remoteError) Error() string { return e.msg }
func (e remoteError) Unwrap() error { return e.kind }
