package ledger

import (
	"bufio"
	"bytes"
	"crypto/sha256"
	"encoding/binary"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"hash"
	"io"
	"maps"
	"runtime"
	"slices"
	"sync"

	"github.com/dgraph-io/badger/v4"
	"github.com/klauspost/compress/zstd"
)

// Importing a run. An export is checked as it is read and its content stored as it comes,
// in as many transactions as it takes: Badger takes a few thousand entries in one, and a
// run may have millions of steps and gigabytes of checkpoints. A run is listed by its
// metadata, and that is written last, once the whole export has been checked and the rest
// stored: a run is in the ledger whole or not at all.
//
// Before anything else an import stores a marker, import/<run>; the transaction that
// writes the metadata deletes it. A marker left behind (an import that failed, or a
// process killed while importing) is cleared at once after a failure, or else when the
// ledger is next opened: the unfinished run's step records go, then every module, input,
// checkpoint, tensor and blob that no run refers to. Content the import shares with runs
// already stored is theirs too, so it stays.

// ErrExport is wrapped by every error about an export file's contents.
var ErrExport = errors.New("bad export file")

func exportErr(format string, args ...any) error {
	return fmt.Errorf("%w: %s", ErrExport, fmt.Sprintf(format, args...))
}

func importKey(run string) []byte { return []byte("import/" + run) }

// Import reads an export, checks all of it, and stores the run; it returns the run's
// metadata. The run appears in the ledger only once all of it is checked and stored: a
// refused import leaves nothing behind, and a killed one nothing that the next Open does
// not remove. Importing a run the ledger already holds adds what the ledger lacks (later
// steps, stored checkpoints) and refuses an export that contradicts it.
func (l *Ledger) Import(r io.Reader) (RunMeta, error) {
	// An export is a zstd stream: anything else is not one, whatever follows.
	br := bufio.NewReader(r)
	if head, _ := br.Peek(4); !bytes.Equal(head, []byte{0x28, 0xb5, 0x2f, 0xfd}) {
		return RunMeta{}, exportErr("not a Lockstep export (lockstep ledger export writes them; this file does not start as one)")
	}
	zr, err := zstd.NewReader(br, zstd.WithDecoderMaxMemory(1<<31))
	if err != nil {
		return RunMeta{}, exportErr("not zstd: %v", err)
	}
	defer zr.Close()
	x := newExportReader(zr)
	hdr, err := x.header()
	if err != nil {
		return RunMeta{}, err
	}
	if err := checkHeader(hdr); err != nil {
		return RunMeta{}, err
	}
	recs, exists, err := l.planImport(hdr)
	if err != nil {
		return RunMeta{}, err
	}
	l.gc.RLock()
	err = l.stage(x, hdr, recs, exists)
	l.gc.RUnlock()
	if err != nil {
		if cerr := l.clearImports(); cerr != nil {
			err = fmt.Errorf("%w (removing what the import wrote failed too, and is retried when the ledger is next opened: %v)", err, cerr)
		}
		return RunMeta{}, err
	}
	return hdr.Run, nil
}

// exportReader reads an export, hashing what it reads for the checksum at its end.
type exportReader struct {
	br  *bufio.Reader
	sum hash.Hash
	r   io.Reader // br through sum
}

func newExportReader(r io.Reader) *exportReader {
	br, sum := bufio.NewReader(r), sha256.New()
	return &exportReader{br: br, sum: sum, r: io.TeeReader(br, sum)}
}

// read reads n bytes. It grows with the data actually there: a record that claims a
// gigabyte in a short file must not allocate a gigabyte first.
func (x *exportReader) read(n int) ([]byte, error) {
	if n > 1<<30 {
		return nil, exportErr("a record claims %d bytes", n)
	}
	var buf bytes.Buffer
	if got, err := io.CopyN(&buf, x.r, int64(n)); err != nil {
		return nil, exportErr("truncated or damaged: a record claims %d bytes, %d follow (%v)", n, got, err)
	}
	return buf.Bytes(), nil
}

func (x *exportReader) header() (exportHeader, error) {
	var hdr exportHeader
	magic, err := x.read(len(exportMagic))
	if err != nil {
		return hdr, exportErr("not a Lockstep export (a zstd stream, but not of an export: %v)", err)
	}
	if string(magic) != exportMagic {
		return hdr, exportErr("not a lockstep export (bad magic %q)", magic)
	}
	lb, err := x.read(4)
	if err != nil {
		return hdr, err
	}
	hj, err := x.read(int(binary.LittleEndian.Uint32(lb)))
	if err != nil {
		return hdr, err
	}
	if err := json.Unmarshal(hj, &hdr); err != nil {
		return hdr, exportErr("header: %v", err)
	}
	return hdr, nil
}

// record reads the next record, checking a content record against its hash; kind 0 is
// the end.
func (x *exportReader) record() (kind byte, key [32]byte, data []byte, err error) {
	kb, err := x.read(1)
	if err != nil || kb[0] == 0 {
		return 0, key, nil, err
	}
	if kind = kb[0]; int(kind) >= len(exportKinds) {
		return 0, key, nil, exportErr("unknown record kind %d", kind)
	}
	k, err := x.read(32)
	if err != nil {
		return 0, key, nil, err
	}
	copy(key[:], k)
	lb, err := x.read(4)
	if err != nil {
		return 0, key, nil, err
	}
	if data, err = x.read(int(binary.LittleEndian.Uint32(lb))); err != nil {
		return 0, key, nil, err
	}
	if kind != 3 && sha256.Sum256(data) != key {
		return 0, key, nil, exportErr("%s %x does not match its content hash", exportKinds[kind], key[:8])
	}
	return kind, key, data, nil
}

// end checks the checksum after the end record, and that nothing follows it.
func (x *exportReader) end() error {
	want := x.sum.Sum(nil)
	got := make([]byte, 32)
	if _, err := io.ReadFull(x.br, got); err != nil {
		return exportErr("missing checksum: %v", err)
	}
	if !bytes.Equal(got, want) {
		return exportErr("checksum mismatch: the file is damaged")
	}
	if _, err := x.br.ReadByte(); err != io.EOF {
		return exportErr("data after the checksum")
	}
	return nil
}

// checkHeader checks what the header alone shows: the run's ID and hashes are well
// formed, and its records are in order, of the run, and signed by its node.
func checkHeader(hdr exportHeader) error {
	if id, err := hex.DecodeString(hdr.Run.ID); err != nil || len(id) == 0 || len(id) > 32 {
		return exportErr("bad run ID %q", hdr.Run.ID)
	}
	if _, ok := hash32(hdr.Run.Module); !ok {
		return exportErr("bad module hash %q", hdr.Run.Module)
	}
	for _, name := range slices.Sorted(maps.Keys(hdr.Run.Inputs)) {
		if _, ok := hash32(hdr.Run.Inputs[name]); !ok {
			return exportErr("input %s: bad hash %q", name, hdr.Run.Inputs[name])
		}
	}
	for i := 1; i < len(hdr.Steps); i++ {
		if hdr.Steps[i].Step <= hdr.Steps[i-1].Step {
			return exportErr("the record of step %d follows that of step %d", hdr.Steps[i].Step, hdr.Steps[i-1].Step)
		}
	}
	return checkSignatures(hdr.Run, hdr.Steps)
}

// checkSignatures checks that every record is of the run and signed by its node, on every
// CPU: recovering a signer takes about 75 µs, and a long run has a record a step.
func checkSignatures(meta RunMeta, steps []StepRecord) error {
	workers := min(runtime.GOMAXPROCS(0), len(steps)/1024+1)
	first := make([]int, workers) // each worker's first bad record
	errs := make([]error, workers)
	var wg sync.WaitGroup
	for w := range workers {
		wg.Go(func() {
			first[w] = len(steps)
			for i := w; i < len(steps); i += workers {
				s := steps[i]
				signer, err := s.Signer()
				if err == nil && (signer.Hex() != meta.Node || s.Run != meta.ID) {
					err = fmt.Errorf("step %d is not signed by the run's node %s", s.Step, meta.Node)
				}
				if err != nil {
					first[w], errs[w] = i, exportErr("%v", err)
					return
				}
			}
		})
	}
	wg.Wait()
	// Report the first bad record, whichever worker found it.
	bad := 0
	for w := range workers {
		if first[w] < first[bad] {
			bad = w
		}
	}
	return errs[bad]
}

// planImport returns the records an import is to write and whether the ledger holds the
// run already. Such a run must have the same metadata (but for the steps it aims at), and
// each record the two have for a step must be the same record: an export never changes
// what a ledger holds. Of the shared records it writes only those that add a stored
// checkpoint.
func (l *Ledger) planImport(hdr exportHeader) ([]StepRecord, bool, error) {
	local, err := l.Run(hdr.Run.ID)
	if errors.Is(err, ErrNotFound) {
		return hdr.Steps, false, nil
	}
	if err != nil {
		return nil, false, err
	}
	// The steps a run aims at change when a resume extends it; nothing else does.
	theirs := hdr.Run
	local.Steps, theirs.Steps = 0, 0
	a, _ := json.Marshal(local)
	b, _ := json.Marshal(theirs)
	if !bytes.Equal(a, b) {
		return nil, false, exportErr("this ledger holds another run with ID %s (module, seed, node, inputs or settings differ)", hdr.Run.ID)
	}
	have, err := l.Steps(hdr.Run.ID)
	if err != nil {
		return nil, false, err
	}
	by := make(map[uint64]StepRecord, len(have))
	for _, r := range have {
		by[r.Step] = r
	}
	var recs []StepRecord
	for _, s := range hdr.Steps {
		o, ok := by[s.Step]
		switch {
		case !ok:
			recs = append(recs, s)
		case o.Root != s.Root || o.Time != s.Time || !bytes.Equal(o.Signature, s.Signature):
			return nil, false, exportErr("its record of step %d differs from the one this ledger holds for run %s", s.Step, hdr.Run.ID)
		case s.Checkpoint && !o.Checkpoint:
			recs = append(recs, s)
		}
	}
	return recs, true, nil
}

// stage stores an import: the marker; the content as it is read; then, the export all
// checked, the manifests of the checkpoints and the step records; and last, in the
// transaction that deletes the marker, the metadata that makes the run visible.
func (l *Ledger) stage(x *exportReader, hdr exportHeader, recs []StepRecord, exists bool) (err error) {
	defer damaged(&err)
	id := hdr.Run.ID
	mj, _ := json.Marshal(hdr.Run)
	if err := l.db.Update(func(txn *badger.Txn) error { return txn.Set(importKey(id), mj) }); err != nil {
		return err
	}
	w := &batch{l: l, doing: "import run " + id}
	defer w.discard()
	claimed := map[[32]byte]bool{}
	for _, s := range hdr.Steps {
		if s.Checkpoint {
			claimed[s.Root] = true
		}
	}
	manifests := map[[32]byte][]byte{}
	seen := map[string]bool{} // the content keys the export holds
	for {
		kind, key, data, err := x.record()
		if err != nil {
			return err
		}
		if kind == 0 {
			break
		}
		if kind == 3 {
			if claimed[key] { // a manifest no record claims is not stored
				manifests[key] = data
			}
			continue
		}
		name := exportKinds[kind]
		if err := w.do(len(data), func(txn *badger.Txn) error {
			_, err := l.putBlob(txn, name, data)
			return err
		}); err != nil {
			return err
		}
		seen[string(blobKey(name, key))] = true
	}
	if err := x.end(); err != nil {
		return err
	}
	if err := w.flush(); err != nil {
		return err
	}
	if err := l.checkImported(hdr, manifests, seen); err != nil {
		return err
	}
	for _, s := range recs {
		if !s.Checkpoint {
			continue
		}
		k, m := blobKey("checkpoint", s.Root), manifests[s.Root]
		if err := w.do(len(m), func(txn *badger.Txn) error {
			if _, err := txn.Get(k); !errors.Is(err, badger.ErrKeyNotFound) {
				return err // stored already (nil), or unreadable
			}
			return txn.Set(k, m)
		}); err != nil {
			return err
		}
	}
	for _, s := range recs {
		sj, _ := json.Marshal(s)
		if err := w.do(len(sj), func(txn *badger.Txn) error { return txn.Set(stepKey(id, s.Step), sj) }); err != nil {
			return err
		}
	}
	if err := w.flush(); err != nil {
		return err
	}
	return l.db.Update(func(txn *badger.Txn) error {
		if !exists {
			if err := txn.Set(runKey(id), mj); err != nil {
				return err
			}
		}
		return txn.Delete(importKey(id))
	})
}

// checkImported checks, once the whole export has been read and its checksum checked,
// that it held everything the run needs: the module, every input, and every checkpoint
// its records claim, whole and hashing to its root (read back from the ledger, as a
// resume will read it).
func (l *Ledger) checkImported(hdr exportHeader, manifests map[[32]byte][]byte, seen map[string]bool) error {
	held := func(kind string, h [32]byte) error {
		if !seen[string(blobKey(kind, h))] {
			return exportErr("%s %x is missing", kind, h[:8])
		}
		return nil
	}
	if err := held("module", mustHash(hdr.Run.Module)); err != nil {
		return err
	}
	for _, name := range slices.Sorted(maps.Keys(hdr.Run.Inputs)) {
		if err := held("input", mustHash(hdr.Run.Inputs[name])); err != nil {
			return err
		}
	}
	checked := map[[32]byte]bool{}
	for _, s := range hdr.Steps {
		if !s.Checkpoint || checked[s.Root] {
			continue
		}
		checked[s.Root] = true
		mj, ok := manifests[s.Root]
		if !ok {
			return exportErr("the checkpoint of step %d is missing", s.Step)
		}
		var local error // reading back what was stored failed: the ledger's fault, not the export's
		err := l.view(func(txn *badger.Txn) error {
			_, err := buildCheckpoint(s.Root, mj, func(kind string, h [32]byte) ([]byte, error) {
				if err := held(kind, h); err != nil {
					return nil, err
				}
				data, err := l.getBlob(txn, kind, h)
				if err != nil {
					local = err
				}
				return data, err
			})
			return err
		})
		switch {
		case local != nil:
			return fmt.Errorf("reading back the checkpoint of step %d: %w", s.Step, local)
		case errors.Is(err, ErrExport):
			return fmt.Errorf("step %d: %w", s.Step, err)
		case err != nil:
			return exportErr("step %d: %v", s.Step, err)
		}
	}
	return nil
}

func mustHash(hx string) [32]byte {
	h, _ := hash32(hx)
	return h
}

// batch writes through as many transactions as it takes, in order: when Badger says one
// is full, or it holds batchBytes of values, it is committed (and synced) and the next
// begun. A batch that stores (doing says what) checks the disk's free space before each
// commit, as CommitBatch does.
type batch struct {
	l     *Ledger
	doing string
	txn   *badger.Txn
	bytes int
}

// batchBytes bounds the values one transaction holds in memory: Badger counts a value
// bound for the value log by its pointer's size, so a transaction of tensors would
// otherwise hold all of them.
const batchBytes = 16 << 20

// do runs fn, one idempotent change of about size bytes, in the current transaction, or
// in a new one if that is full.
func (b *batch) do(size int, fn func(*badger.Txn) error) error {
	if b.txn == nil {
		b.txn = b.l.db.NewTransaction(true)
	}
	err := fn(b.txn)
	if errors.Is(err, badger.ErrTxnTooBig) {
		if err := b.flush(); err != nil {
			return err
		}
		b.txn = b.l.db.NewTransaction(true)
		err = fn(b.txn)
	}
	if err != nil {
		return err
	}
	if b.bytes += size; b.bytes >= batchBytes {
		return b.flush()
	}
	return nil
}

// flush commits what the current transaction holds.
func (b *batch) flush() error {
	if b.txn == nil {
		return nil
	}
	if b.doing != "" {
		if err := b.l.checkSpace(minFreeCommit+2*uint64(b.bytes), b.doing); err != nil {
			return err
		}
	}
	err := b.txn.Commit()
	b.txn, b.bytes = nil, 0
	return err
}

func (b *batch) discard() {
	if b.txn != nil {
		b.txn.Discard()
		b.txn = nil
	}
}

// deleteKeys deletes keys, in as many transactions as it takes.
func (l *Ledger) deleteKeys(keys [][]byte) error {
	w := &batch{l: l}
	defer w.discard()
	for _, k := range keys {
		if err := w.do(len(k), func(txn *badger.Txn) error { return txn.Delete(k) }); err != nil {
			return err
		}
	}
	return w.flush()
}

// clearImports removes what unfinished imports left (see the comment at the top of this
// file). It holds gc exclusively, so no import is under way while it runs: every marker
// it finds is one whose import ended without finishing.
func (l *Ledger) clearImports() (err error) {
	defer damaged(&err)
	l.gc.Lock()
	defer l.gc.Unlock()
	var markers, dead [][]byte
	err = l.db.View(func(txn *badger.Txn) error {
		it := txn.NewIterator(badger.IteratorOptions{Prefix: []byte("import/")})
		defer it.Close()
		for it.Rewind(); it.Valid(); it.Next() {
			markers = append(markers, it.Item().KeyCopy(nil))
		}
		for _, m := range markers {
			run := string(m[len("import/"):])
			_, err := txn.Get(runKey(run))
			if err == nil {
				continue // the ledger held the run before: the records are its own
			}
			if !errors.Is(err, badger.ErrKeyNotFound) {
				return err
			}
			it := txn.NewIterator(badger.IteratorOptions{Prefix: stepPrefix(run)})
			for it.Rewind(); it.Valid(); it.Next() {
				dead = append(dead, it.Item().KeyCopy(nil))
			}
			it.Close()
		}
		return nil
	})
	if err != nil || len(markers) == 0 {
		return err
	}
	if err := l.deleteKeys(dead); err != nil {
		return err
	}
	if dead, err = l.unreferenced(); err != nil {
		return err
	}
	if err := l.deleteKeys(dead); err != nil {
		return err
	}
	if _, err := l.sweep(); err != nil {
		return err
	}
	return l.deleteKeys(markers)
}

// unreferenced returns the keys of the modules and inputs no run's metadata names and of
// the checkpoints no step record claims.
func (l *Ledger) unreferenced() ([][]byte, error) {
	live := map[string]bool{}
	var dead [][]byte
	err := l.db.View(func(txn *badger.Txn) error {
		it := txn.NewIterator(badger.IteratorOptions{Prefix: []byte("run/"), PrefetchValues: true})
		defer it.Close()
		for it.Rewind(); it.Valid(); it.Next() {
			k := it.Item().Key()
			rest := k[len("run/"):]
			i := bytes.IndexByte(rest, '/')
			if i < 0 {
				continue
			}
			switch tail := rest[i:]; {
			case string(tail) == "/meta":
				var m RunMeta
				if err := it.Item().Value(func(v []byte) error { return json.Unmarshal(v, &m) }); err != nil {
					return fmt.Errorf("%w: %s: %v", ErrCorrupt, k, err)
				}
				live[string(blobKey("module", mustHash(m.Module)))] = true
				for _, hx := range m.Inputs {
					live[string(blobKey("input", mustHash(hx)))] = true
				}
			case bytes.HasPrefix(tail, []byte("/step/")):
				var r StepRecord
				if err := it.Item().Value(func(v []byte) error { return json.Unmarshal(v, &r) }); err != nil {
					return fmt.Errorf("%w: %s: %v", ErrCorrupt, k, err)
				}
				if r.Checkpoint {
					live[string(blobKey("checkpoint", r.Root))] = true
				}
			}
		}
		for _, prefix := range []string{"module/", "input/", "checkpoint/"} {
			it := txn.NewIterator(badger.IteratorOptions{Prefix: []byte(prefix)})
			for it.Rewind(); it.Valid(); it.Next() {
				if k := it.Item().Key(); !live[string(k)] {
					dead = append(dead, it.Item().KeyCopy(nil))
				}
			}
			it.Close()
		}
		return nil
	})
	return dead, err
}
