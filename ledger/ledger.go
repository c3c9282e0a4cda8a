package ledger

import (
	"bytes"
	"crypto/ecdsa"
	"crypto/sha256"
	"encoding/binary"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"maps"
	"os"
	"path/filepath"
	goruntime "runtime"
	"slices"
	"sort"
	"strings"
	"sync"
	"time"

	"github.com/dgraph-io/badger/v4"
	"github.com/dgraph-io/badger/v4/options"
	"github.com/ethereum/go-ethereum/common"
	"github.com/ethereum/go-ethereum/crypto"
	"github.com/klauspost/compress/zstd"

	"github.com/lockstep-ml/lockstep/host"
	"github.com/lockstep-ml/lockstep/kernels"
)

// Errors.
var (
	ErrInUse     = errors.New("ledger in use")
	ErrNoLedger  = fmt.Errorf("%w: no ledger", ErrNotFound) // the data dir has none yet
	ErrNotFound  = errors.New("not found")
	ErrCorrupt   = errors.New("corrupt ledger data")
	ErrSignature = errors.New("bad signature")
	// ErrKeyDamaged: the node key file is there but does not hold a valid key.
	ErrKeyDamaged = errors.New("damaged node key")
)

// Options configure a ledger.
type Options struct {
	// MemTableBytes and BlockCacheBytes size Badger for a small machine.
	MemTableBytes   int64
	BlockCacheBytes int64
	// ReadOnly opens the ledger for reading only: it writes nothing (so it works on a
	// full disk) and needs no node key. Not on Windows, where Badger cannot; there it
	// opens for writing.
	ReadOnly bool
	// Existing refuses to create a ledger (and a node key) where there is none: for
	// commands that only change what is there, so that a mistyped --data-dir is an error.
	Existing bool
}

// DefaultOptions keep Badger's memory to a few tens of MiB (README: the measured
// footprint).
func DefaultOptions() Options {
	return Options{MemTableBytes: 4 << 20, BlockCacheBytes: 4 << 20}
}

// Ledger is a node's store of runs, step records and checkpoints.
type Ledger struct {
	dir string // the ledger's directory
	db  *badger.DB
	key *ecdsa.PrivateKey
	enc *zstd.Encoder
	dec *zstd.Decoder
	// gc orders the writes that add references to stored content (commits, imports: held
	// shared) against those that remove content no reference names (Prune, Sweep,
	// clearing an unfinished import: held exclusively), so a collection never takes
	// content that a write under way is about to refer to. Reclaim holds it exclusively
	// too, so every write waits for it: Badger fails writes made during its compaction.
	gc       sync.RWMutex
	outboxMu sync.Mutex // serializes Enqueue
}

// Open opens (creating if needed) the ledger in dir/ledger with the node key dir/node.key.
func Open(dir string, o Options) (*Ledger, error) {
	readOnly := o.ReadOnly && goruntime.GOOS != "windows"
	ldir := filepath.Join(dir, "ledger")
	if o.Existing {
		if _, err := os.Stat(ldir); err != nil {
			return nil, fmt.Errorf("%w in %s (is --data-dir right?)", ErrNoLedger, dir)
		}
	}
	var key *ecdsa.PrivateKey
	if _, err := os.Stat(filepath.Join(dir, KeyFile)); !readOnly || err == nil {
		// Reading checks the key too, when there is one: a damaged key is better found
		// at once than at the next run.
		if key, err = LoadOrCreateKey(dir); err != nil {
			return nil, err
		}
	}
	if readOnly {
		if _, err := os.Stat(ldir); err != nil {
			return nil, fmt.Errorf("%w in %s yet (lockstep run creates it)", ErrNoLedger, dir)
		}
	}
	if !readOnly {
		if err := os.MkdirAll(ldir, 0o700); err != nil {
			return nil, err
		}
		if err := checkSpace(ldir, minFreeOpen, "open the ledger for writing"); err != nil {
			return nil, err
		}
	}
	bo := badgerOptions(dir, o)
	if err := checkTables(ldir, bo); err != nil {
		return nil, err
	}
	db, err := openBadger(bo)
	locked := err != nil && strings.Contains(err.Error(), "Cannot acquire directory lock")
	if empty := emptyLogs(ldir); err != nil && !locked && len(empty) > 0 {
		if readOnly { // only a writer may remove them
			return openToRecover(dir, o, ldir)
		}
		// Removed only now, when Badger failed on them: a writer holding the lock may
		// have an empty log of its own for a moment.
		for _, path := range empty {
			if err := os.Remove(path); err != nil {
				return nil, err
			}
		}
		db, err = openBadger(bo)
		locked = err != nil && strings.Contains(err.Error(), "Cannot acquire directory lock")
	}
	if locked {
		return nil, fmt.Errorf("%w: another lockstep process is using the ledger in %s; wait for it, or use another --data-dir (ledger runs and show work meanwhile: they ask that process)", ErrInUse, ldir)
	}
	if err != nil && readOnly && strings.Contains(err.Error(), "Log truncate required") {
		// The last process that wrote was killed: its write-ahead log ends part-way, and
		// only a writer may cut it back to the last whole (committed) entry.
		return openToRecover(dir, o, ldir)
	}
	if err != nil {
		return nil, fmt.Errorf("opening ledger %s: %w", ldir, err)
	}
	enc, _ := zstd.NewWriter(nil, zstd.WithEncoderLevel(zstd.SpeedDefault), zstd.WithEncoderConcurrency(1), zstd.WithLowerEncoderMem(true))
	dec, _ := zstd.NewReader(nil, zstd.WithDecoderMaxMemory(1<<31), zstd.WithDecoderConcurrency(1), zstd.WithDecoderLowmem(true))
	l := &Ledger{dir: ldir, db: db, key: key, enc: enc, dec: dec}
	// An import killed part way left a marker and part of a run no one lists: remove it.
	// (Opened for reading, the ledger cannot; and the part is not listed anyway.)
	if !readOnly {
		if err := l.clearImports(); err != nil {
			l.Close()
			return nil, fmt.Errorf("opening ledger %s: removing what an unfinished import left: %w", ldir, err)
		}
	}
	return l, nil
}

// badgerOptions are Badger's options for the ledger in dir/ledger.
func badgerOptions(dir string, o Options) badger.Options {
	return badger.DefaultOptions(filepath.Join(dir, "ledger")).
		WithReadOnly(o.ReadOnly && goruntime.GOOS != "windows").
		WithLogger(nil).
		WithSyncWrites(true).
		WithMemTableSize(o.MemTableBytes).
		WithNumMemtables(2).
		WithNumLevelZeroTables(2).
		WithNumLevelZeroTablesStall(4).
		WithBlockCacheSize(o.BlockCacheBytes).
		WithIndexCacheSize(4 << 20).
		WithValueLogFileSize(16 << 20).
		WithCompression(options.None). // values are zstd already
		WithBaseTableSize(1 << 20).
		WithValueThreshold(1 << 10). // tensors go to the value log; the LSM tree stays small
		WithNumCompactors(2).
		// A flipped bit in a data file must be an error, never a wrong answer.
		WithChecksumVerificationMode(options.OnBlockRead)
}

// openToRecover opens for writing a ledger that a killed process left in a state only a
// writer can recover from, if there is room, for a caller that asked to read it.
func openToRecover(dir string, o Options, ledgerDir string) (*Ledger, error) {
	o.ReadOnly = false
	l, err := Open(dir, o)
	if err != nil {
		return nil, fmt.Errorf("the ledger in %s was not closed cleanly and must be written to recover: %w", ledgerDir, err)
	}
	return l, nil
}

// damaged turns a panic inside Badger (it has panicked on corrupted data files) into an
// error, so a damaged ledger is reported and the node keeps running.
func damaged(err *error) {
	if r := recover(); r != nil {
		*err = fmt.Errorf("%w: the ledger's data files are damaged (%v); restore the data dir from a backup, or import the run's export", ErrCorrupt, r)
	}
}

// view and update are db.View and db.Update with damaged's protection.
func (l *Ledger) view(fn func(*badger.Txn) error) (err error) {
	defer damaged(&err)
	return l.db.View(fn)
}

func (l *Ledger) update(fn func(*badger.Txn) error) (err error) {
	defer damaged(&err)
	return l.db.Update(fn)
}

func openBadger(bo badger.Options) (db *badger.DB, err error) {
	defer damaged(&err)
	return badger.Open(bo)
}

// Close closes the ledger.
func (l *Ledger) Close() error {
	l.dec.Close()
	return l.db.Close()
}

// Address is the node's address, the signer of its records.
func (l *Ledger) Address() common.Address { return Address(l.key) }

// CollectGarbage is Reclaim for callers that need not know how much came back.
func (l *Ledger) CollectGarbage() error {
	_, err := l.Reclaim()
	return err
}

// RunMeta describes a run.
type RunMeta struct {
	ID     string            `json:"id"`
	Module string            `json:"module"` // SHA-256 of the module, hex
	Seed   uint64            `json:"seed"`
	Inputs map[string]string `json:"inputs"` // name -> SHA-256, hex
	Engine string            `json:"engine"`
	Fuel   uint64            `json:"fuel"`
	Every  uint64            `json:"checkpoint_every"`
	// CommitEvery: a state root is committed for step 0, every CommitEvery-th step and the
	// step the run stopped at; 0 or 1 is every step.
	CommitEvery uint64    `json:"commit_every,omitempty"`
	Steps       uint64    `json:"steps"` // the steps the run was asked to reach
	Created     time.Time `json:"created"`
	Node        string    `json:"node"`
	// Label says what the run is for, where a program made it (a swarm's outer step).
	Label string `json:"label,omitempty"`
	// Call is the export each step calls, where it is not lockstep_step (an RL task's
	// lockstep_rl_generate or lockstep_rl_train).
	Call string `json:"call,omitempty"`
	// From, where set, is the root of the state this run continues (hex): its step 0 is
	// that state (rebased to step 0), restored after init, not init's own state.
	From string `json:"from,omitempty"`
}

func runKey(id string) []byte            { return []byte("run/" + id + "/meta") }
func stepPrefix(id string) []byte        { return []byte("run/" + id + "/step/") }
func stepKey(id string, s uint64) []byte { return binary.BigEndian.AppendUint64(stepPrefix(id), s) }
func blobKey(kind string, h [32]byte) []byte {
	return append([]byte(kind+"/"), h[:]...)
}

func (l *Ledger) putBlob(txn *badger.Txn, kind string, data []byte) ([32]byte, error) {
	h := sha256.Sum256(data)
	k := blobKey(kind, h)
	if _, err := txn.Get(k); err == nil {
		return h, nil // content-addressed: already stored
	}
	return h, txn.Set(k, l.enc.EncodeAll(data, nil))
}

func (l *Ledger) getBlob(txn *badger.Txn, kind string, h [32]byte) ([]byte, error) {
	item, err := txn.Get(blobKey(kind, h))
	if errors.Is(err, badger.ErrKeyNotFound) {
		return nil, fmt.Errorf("%w: %s %x", ErrNotFound, kind, h[:8])
	}
	if err != nil {
		return nil, err
	}
	z, err := item.ValueCopy(nil)
	if err != nil {
		return nil, err
	}
	data, err := l.dec.DecodeAll(z, nil)
	if err != nil {
		return nil, fmt.Errorf("%w: %s %x does not decompress: %v", ErrCorrupt, kind, h[:8], err)
	}
	if sha256.Sum256(data) != h {
		return nil, fmt.Errorf("%w: %s %x does not match its hash", ErrCorrupt, kind, h[:8])
	}
	return data, nil
}

// CreateRun stores a new run with its module and inputs and returns its metadata, ID set.
func (l *Ledger) CreateRun(meta RunMeta, module []byte, inputs []host.Input) (RunMeta, error) {
	mh := sha256.Sum256(module)
	seedBytes := binary.LittleEndian.AppendUint64(nil, meta.Seed)
	idHash := sha256.Sum256(append(append(append(mh[:], seedBytes...), meta.Created.Format(time.RFC3339Nano)...), l.Address().Bytes()...))
	meta.ID = hex.EncodeToString(idHash[:6])
	meta.Module = hex.EncodeToString(mh[:])
	meta.Node = l.Address().Hex()
	meta.Inputs = map[string]string{}
	for _, in := range inputs {
		meta.Inputs[in.Name] = hex.EncodeToString(in.Hash[:])
	}
	js, err := json.Marshal(meta)
	if err != nil {
		return RunMeta{}, err
	}
	l.gc.RLock()
	defer l.gc.RUnlock()
	err = l.update(func(txn *badger.Txn) error {
		if _, err := l.putBlob(txn, "module", module); err != nil {
			return err
		}
		for _, in := range inputs {
			if _, err := l.putBlob(txn, "input", in.Data); err != nil {
				return err
			}
		}
		return txn.Set(runKey(meta.ID), js)
	})
	return meta, err
}

// Run returns a run's metadata.
func (l *Ledger) Run(id string) (RunMeta, error) {
	var meta RunMeta
	err := l.view(func(txn *badger.Txn) error {
		item, err := txn.Get(runKey(id))
		if errors.Is(err, badger.ErrKeyNotFound) {
			return fmt.Errorf("%w: no run %q (lockstep ledger runs lists them)", ErrNotFound, id)
		}
		if err != nil {
			return err
		}
		return item.Value(func(v []byte) error {
			if err := json.Unmarshal(v, &meta); err != nil {
				return fmt.Errorf("%w: run %s metadata: %v", ErrCorrupt, id, err)
			}
			return nil
		})
	})
	return meta, err
}

// Runs lists every run, oldest first.
func (l *Ledger) Runs() ([]RunMeta, error) {
	var runs []RunMeta
	err := l.view(func(txn *badger.Txn) error {
		it := txn.NewIterator(badger.IteratorOptions{Prefix: []byte("run/")})
		defer it.Close()
		for it.Rewind(); it.Valid(); it.Next() {
			if !bytes.HasSuffix(it.Item().Key(), []byte("/meta")) {
				continue
			}
			var m RunMeta
			if err := it.Item().Value(func(v []byte) error { return json.Unmarshal(v, &m) }); err != nil {
				return fmt.Errorf("%w: %s: %v", ErrCorrupt, it.Item().Key(), err)
			}
			runs = append(runs, m)
		}
		return nil
	})
	sort.Slice(runs, func(i, j int) bool { return runs[i].Created.Before(runs[j].Created) })
	return runs, err
}

// SetRunSteps records that a run now aims at steps steps (a resume that extends it).
func (l *Ledger) SetRunSteps(id string, steps uint64) error {
	meta, err := l.Run(id)
	if err != nil {
		return err
	}
	meta.Steps = steps
	js, err := json.Marshal(meta)
	if err != nil {
		return err
	}
	l.gc.RLock() // not during a Reclaim, which fails writes
	defer l.gc.RUnlock()
	return l.update(func(txn *badger.Txn) error { return txn.Set(runKey(id), js) })
}

// Module returns a run's module bytes; Inputs its inputs.
func (l *Ledger) Module(meta RunMeta) ([]byte, error) { return l.blobHex("module", meta.Module) }

// Inputs returns a run's inputs.
func (l *Ledger) Inputs(meta RunMeta) ([]host.Input, error) {
	var out []host.Input
	for _, n := range slices.Sorted(maps.Keys(meta.Inputs)) {
		data, err := l.blobHex("input", meta.Inputs[n])
		if err != nil {
			return nil, err
		}
		out = append(out, host.NewInput(n, data))
	}
	return out, nil
}

func (l *Ledger) blobHex(kind, hx string) ([]byte, error) {
	h, ok := hash32(hx)
	if !ok {
		return nil, fmt.Errorf("%w: bad %s hash %q", ErrCorrupt, kind, hx)
	}
	var data []byte
	err := l.view(func(txn *badger.Txn) error {
		var err error
		data, err = l.getBlob(txn, kind, h)
		return err
	})
	return data, err
}

// StepRecord is the signed commitment to one step.
type StepRecord struct {
	Run        string   `json:"run"`
	Step       uint64   `json:"step"`
	Root       [32]byte `json:"root"`
	Time       int64    `json:"time"` // Unix nanoseconds
	Checkpoint bool     `json:"checkpoint"`
	Signature  []byte   `json:"signature"` // 65-byte secp256k1 signature of Digest
}

// Digest is what the node signs: SHA-256 over a domain tag and the record's fields. It
// leaves out Checkpoint: whether this node still stores the full checkpoint is local
// retention policy, not part of the commitment, and pruning may change it.
func (r StepRecord) Digest() [32]byte {
	b := []byte("lockstep/step-record/v2\x00")
	b = append(b, r.Run...)
	b = append(b, 0)
	b = binary.LittleEndian.AppendUint64(b, r.Step)
	b = append(b, r.Root[:]...)
	b = binary.LittleEndian.AppendUint64(b, uint64(r.Time))
	return sha256.Sum256(b)
}

// Signer recovers the address that signed the record.
func (r StepRecord) Signer() (common.Address, error) {
	d := r.Digest()
	pub, err := crypto.SigToPub(d[:], r.Signature)
	if err != nil {
		return common.Address{}, fmt.Errorf("%w: step %d: %v", ErrSignature, r.Step, err)
	}
	return crypto.PubkeyToAddress(*pub), nil
}

type manifest struct {
	Step    uint64            `json:"step"`
	Tensors map[string]string `json:"tensors"` // name -> tensor hash (kernels.Hash), hex
	Blob    string            `json:"blob"`
}

// Commit signs and stores the record of cp's step, with the full checkpoint if store, in
// one synced transaction: when it returns, the step is committed.
func (l *Ledger) Commit(run string, cp *host.Checkpoint, store bool, now time.Time) (StepRecord, error) {
	recs, err := l.CommitBatch(run, []Pending{{Checkpoint: cp, Store: store}}, now)
	if err != nil {
		return StepRecord{}, err
	}
	return recs[0], nil
}

// Pending is a step waiting to be committed.
type Pending struct {
	Checkpoint *host.Checkpoint
	Store      bool // store the full checkpoint too
}

// CommitBatch signs and stores several steps' records (and checkpoints) in one synced
// transaction: group commit. None of them is committed until it returns, and then all are.
func (l *Ledger) CommitBatch(run string, steps []Pending, now time.Time) ([]StepRecord, error) {
	if len(steps) == 0 {
		return nil, nil
	}
	var bytes uint64
	for _, p := range steps {
		bytes += 512 // the record
		if p.Store {
			for _, t := range p.Checkpoint.Tensors {
				bytes += uint64(t.Len()) * 4
			}
		}
	}
	if err := l.checkSpace(minFreeCommit+2*bytes, fmt.Sprintf("commit step %d", steps[len(steps)-1].Checkpoint.Step)); err != nil {
		return nil, err
	}
	recs := make([]StepRecord, len(steps))
	for i, p := range steps {
		cp := p.Checkpoint
		rec := StepRecord{Run: run, Step: cp.Step, Root: cp.Root, Time: now.UnixNano(), Checkpoint: p.Store}
		d := rec.Digest()
		sig, err := crypto.Sign(d[:], l.key)
		if err != nil {
			return nil, err
		}
		rec.Signature = sig
		recs[i] = rec
	}
	l.gc.RLock()
	defer l.gc.RUnlock()
	err := l.update(func(txn *badger.Txn) error {
		if err := l.ownRun(txn, run); err != nil {
			return err
		}
		for i, p := range steps {
			if p.Store {
				if err := l.putCheckpoint(txn, p.Checkpoint); err != nil {
					return err
				}
			}
			js, err := json.Marshal(recs[i])
			if err != nil {
				return err
			}
			if err := txn.Set(stepKey(run, recs[i].Step), js); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		return nil, err
	}
	return recs, nil
}

// putCheckpoint stores a checkpoint's tensors, blob and manifest.
// ownRun checks that run was created with this node's key, so that a run is never
// signed by two keys (as when node.key was replaced between a run and its resume).
func (l *Ledger) ownRun(txn *badger.Txn, run string) error {
	item, err := txn.Get(runKey(run))
	if errors.Is(err, badger.ErrKeyNotFound) {
		return fmt.Errorf("%w: no run %q to commit to", ErrNotFound, run)
	}
	if err != nil {
		return err
	}
	var meta RunMeta
	if err := item.Value(func(v []byte) error { return json.Unmarshal(v, &meta) }); err != nil {
		return fmt.Errorf("%w: run %s metadata: %v", ErrCorrupt, run, err)
	}
	if meta.Node != l.Address().Hex() {
		return fmt.Errorf("%w: run %s was started by node %s, but this node's key is %s; a run is signed by one key: restore the node key it was started with", ErrSignature, run, meta.Node, l.Address().Hex())
	}
	return nil
}

func (l *Ledger) putCheckpoint(txn *badger.Txn, cp *host.Checkpoint) error {
	m := manifest{Step: cp.Step, Tensors: map[string]string{}}
	for name, t := range cp.Tensors {
		h, err := l.putBlob(txn, "tensor", host.EncodeTensor(t))
		if err != nil {
			return err
		}
		m.Tensors[name] = hex.EncodeToString(h[:])
	}
	bh, err := l.putBlob(txn, "blob", cp.Blob)
	if err != nil {
		return err
	}
	m.Blob = hex.EncodeToString(bh[:])
	mj, _ := json.Marshal(m)
	return txn.Set(blobKey("checkpoint", cp.Root), mj)
}

// Steps returns a run's step records in order.
func (l *Ledger) Steps(run string) ([]StepRecord, error) {
	var recs []StepRecord
	err := l.view(func(txn *badger.Txn) error {
		it := txn.NewIterator(badger.IteratorOptions{Prefix: stepPrefix(run), PrefetchValues: true})
		defer it.Close()
		for it.Rewind(); it.Valid(); it.Next() {
			var r StepRecord
			if err := it.Item().Value(func(v []byte) error { return json.Unmarshal(v, &r) }); err != nil {
				return fmt.Errorf("%w: %s: %v", ErrCorrupt, it.Item().Key(), err)
			}
			recs = append(recs, r)
		}
		return nil
	})
	return recs, err
}

// Checkpoint loads the stored checkpoint with the given root and checks it against it.
func (l *Ledger) Checkpoint(root [32]byte) (*host.Checkpoint, error) {
	var cp *host.Checkpoint
	err := l.view(func(txn *badger.Txn) error {
		item, err := txn.Get(blobKey("checkpoint", root))
		if errors.Is(err, badger.ErrKeyNotFound) {
			return fmt.Errorf("%w: no checkpoint with root %x", ErrNotFound, root[:8])
		}
		if err != nil {
			return err
		}
		mj, err := item.ValueCopy(nil)
		if err != nil {
			return err
		}
		cp, err = buildCheckpoint(root, mj, func(kind string, h [32]byte) ([]byte, error) { return l.getBlob(txn, kind, h) })
		return err
	})
	return cp, err
}

func hash32(hx string) ([32]byte, bool) {
	var h [32]byte
	b, err := hex.DecodeString(hx)
	if err != nil || len(b) != 32 {
		return h, false
	}
	copy(h[:], b)
	return h, true
}

// buildCheckpoint assembles a checkpoint from its manifest and content (fetch returns a
// tensor or blob by hash, checked) and checks that it hashes to root.
func buildCheckpoint(root [32]byte, mj []byte, fetch func(kind string, h [32]byte) ([]byte, error)) (*host.Checkpoint, error) {
	var m manifest
	if err := json.Unmarshal(mj, &m); err != nil {
		return nil, fmt.Errorf("%w: checkpoint %x: %v", ErrCorrupt, root[:8], err)
	}
	cp := &host.Checkpoint{Step: m.Step, Tensors: map[string]*kernels.Tensor{}, Root: root}
	for name, hx := range m.Tensors {
		h, ok := hash32(hx)
		if !ok {
			return nil, fmt.Errorf("%w: checkpoint %x: tensor %s hash", ErrCorrupt, root[:8], name)
		}
		data, err := fetch("tensor", h)
		if err != nil {
			return nil, err
		}
		t, err := host.DecodeTensor(data)
		if err != nil {
			return nil, fmt.Errorf("%w: checkpoint %x tensor %s: %v", ErrCorrupt, root[:8], name, err)
		}
		cp.Tensors[name] = t
	}
	bh, ok := hash32(m.Blob)
	if !ok {
		return nil, fmt.Errorf("%w: checkpoint %x: blob hash", ErrCorrupt, root[:8])
	}
	blob, err := fetch("blob", bh)
	if err != nil {
		return nil, err
	}
	cp.Blob = blob
	if !cp.Verify() {
		return nil, fmt.Errorf("%w: checkpoint %x does not hash to its root", ErrCorrupt, root[:8])
	}
	return cp, nil
}
