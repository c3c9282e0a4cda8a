package ledger

import (
	"bufio"
	"bytes"
	"crypto/sha256"
	"encoding/binary"
	"encoding/json"
	"errors"
	"fmt"
	"hash"
	"io"
	"maps"
	"slices"

	"github.com/dgraph-io/badger/v4"
	"github.com/klauspost/compress/zstd"
)

// An export is one file a verifier can import on another machine: a zstd stream of
//
//	"LOCKSTEP-EXPORT/1\n"
//	u32 length, JSON header {run metadata, step records}
//	records: u8 kind (1 module, 2 input, 3 checkpoint manifest, 4 tensor, 5 blob),
//	         32-byte key (content hash; checkpoint root for manifests), u32 length, bytes
//	u8 0 (end)
//	32-byte SHA-256 of everything above
//
// Import checks the checksum, every content hash, every signature and every stored
// checkpoint's root before it writes anything.

const exportMagic = "LOCKSTEP-EXPORT/1\n"

var exportKinds = []string{"", "module", "input", "checkpoint", "tensor", "blob"}

type exportHeader struct {
	Run   RunMeta      `json:"run"`
	Steps []StepRecord `json:"steps"`
}

// Export writes run to w.
func (l *Ledger) Export(run string, w io.Writer) error {
	meta, err := l.Run(run)
	if err != nil {
		return err
	}
	recs, err := l.Steps(run)
	if err != nil {
		return err
	}
	zw, err := zstd.NewWriter(w)
	if err != nil {
		return err
	}
	sum := sha256.New()
	out := io.MultiWriter(zw, sum)
	hdr, _ := json.Marshal(exportHeader{Run: meta, Steps: recs})
	out.Write([]byte(exportMagic))
	out.Write(binary.LittleEndian.AppendUint32(nil, uint32(len(hdr))))
	out.Write(hdr)
	put := func(kind byte, key [32]byte, data []byte) {
		out.Write([]byte{kind})
		out.Write(key[:])
		out.Write(binary.LittleEndian.AppendUint32(nil, uint32(len(data))))
		out.Write(data)
	}
	err = l.view(func(txn *badger.Txn) error {
		raw := func(kind string, key [32]byte) ([]byte, error) {
			item, err := txn.Get(blobKey(kind, key))
			if err != nil {
				return nil, fmt.Errorf("%w: %s %x: %v", ErrNotFound, kind, key[:8], err)
			}
			return item.ValueCopy(nil)
		}
		blob := func(kind byte, hx string) error {
			h, ok := hash32(hx)
			if !ok {
				return fmt.Errorf("%w: %s hash %q", ErrCorrupt, exportKinds[kind], hx)
			}
			data, err := l.getBlob(txn, exportKinds[kind], h)
			if err != nil {
				return err
			}
			put(kind, h, data)
			return nil
		}
		if err := blob(1, meta.Module); err != nil {
			return err
		}
		for _, n := range slices.Sorted(maps.Keys(meta.Inputs)) {
			if err := blob(2, meta.Inputs[n]); err != nil {
				return err
			}
		}
		seen := map[string]bool{}
		for _, r := range recs {
			if !r.Checkpoint {
				continue
			}
			mj, err := raw("checkpoint", r.Root)
			if err != nil {
				return err
			}
			put(3, r.Root, mj)
			var m manifest
			if err := json.Unmarshal(mj, &m); err != nil {
				return fmt.Errorf("%w: checkpoint %x: %v", ErrCorrupt, r.Root[:8], err)
			}
			for _, name := range slices.Sorted(maps.Keys(m.Tensors)) {
				hx := m.Tensors[name]
				if !seen[hx] {
					seen[hx] = true
					if err := blob(4, hx); err != nil {
						return err
					}
				}
			}
			if !seen["blob"+m.Blob] {
				seen["blob"+m.Blob] = true
				if err := blob(5, m.Blob); err != nil {
					return err
				}
			}
		}
		return nil
	})
	if err != nil {
		return err
	}
	out.Write([]byte{0})
	zw.Write(sum.Sum(nil))
	return zw.Close()
}

// hashingReader hashes everything read through it.
type hashingReader struct {
	r io.Reader
	h hash.Hash
}

func (h *hashingReader) Read(p []byte) (int, error) {
	n, err := h.r.Read(p)
	h.h.Write(p[:n])
	return n, err
}

// ErrExport is wrapped by every error about an export file's contents.
var ErrExport = errors.New("bad export file")

func exportErr(format string, args ...any) error {
	return fmt.Errorf("%w: %s", ErrExport, fmt.Sprintf(format, args...))
}

// Import reads an export, checks all of it, and stores the run. It returns the run's
// metadata. Nothing is written unless the whole file checks out.
func (l *Ledger) Import(r io.Reader) (RunMeta, error) {
	zr, err := zstd.NewReader(r, zstd.WithDecoderMaxMemory(1<<31))
	if err != nil {
		return RunMeta{}, exportErr("not zstd: %v", err)
	}
	defer zr.Close()
	sum := sha256.New()
	br := bufio.NewReader(zr)
	hr := &hashingReader{r: br, h: sum}
	read := func(n int) ([]byte, error) {
		if n > 1<<30 {
			return nil, exportErr("a record claims %d bytes", n)
		}
		// Grow with the data actually there: a record that claims a gigabyte in a short
		// file must not allocate a gigabyte first.
		var buf bytes.Buffer
		if got, err := io.CopyN(&buf, hr, int64(n)); err != nil {
			return nil, exportErr("truncated or damaged: a record claims %d bytes, %d follow (%v)", n, got, err)
		}
		return buf.Bytes(), nil
	}
	magic, err := read(len(exportMagic))
	if err != nil {
		return RunMeta{}, err
	}
	if string(magic) != exportMagic {
		return RunMeta{}, exportErr("not a lockstep export (bad magic %q)", magic)
	}
	lb, err := read(4)
	if err != nil {
		return RunMeta{}, err
	}
	hj, err := read(int(binary.LittleEndian.Uint32(lb)))
	if err != nil {
		return RunMeta{}, err
	}
	var hdr exportHeader
	if err := json.Unmarshal(hj, &hdr); err != nil {
		return RunMeta{}, exportErr("header: %v", err)
	}
	type rec struct {
		kind byte
		key  [32]byte
		data []byte
	}
	var recs []rec
	for {
		kb, err := read(1)
		if err != nil {
			return RunMeta{}, err
		}
		if kb[0] == 0 {
			break
		}
		if int(kb[0]) >= len(exportKinds) {
			return RunMeta{}, exportErr("unknown record kind %d", kb[0])
		}
		key, err := read(32)
		if err != nil {
			return RunMeta{}, err
		}
		lb, err := read(4)
		if err != nil {
			return RunMeta{}, err
		}
		data, err := read(int(binary.LittleEndian.Uint32(lb)))
		if err != nil {
			return RunMeta{}, err
		}
		var k [32]byte
		copy(k[:], key)
		if kb[0] != 3 && sha256.Sum256(data) != k {
			return RunMeta{}, exportErr("%s %x does not match its content hash", exportKinds[kb[0]], k[:8])
		}
		recs = append(recs, rec{kb[0], k, data})
	}
	want := sum.Sum(nil)
	got := make([]byte, 32)
	if _, err := io.ReadFull(br, got); err != nil {
		return RunMeta{}, exportErr("missing checksum: %v", err)
	}
	if !bytes.Equal(got, want) {
		return RunMeta{}, exportErr("checksum mismatch: the file is damaged")
	}
	if _, err := br.ReadByte(); err != io.EOF {
		return RunMeta{}, exportErr("data after the checksum")
	}
	// Signatures: every record signed by the run's node.
	for _, s := range hdr.Steps {
		signer, err := s.Signer()
		if err != nil {
			return RunMeta{}, exportErr("%v", err)
		}
		if signer.Hex() != hdr.Run.Node || s.Run != hdr.Run.ID {
			return RunMeta{}, exportErr("step %d is not signed by the run's node %s", s.Step, hdr.Run.Node)
		}
	}
	// Every checkpoint the records claim must be present and hash to its root.
	content := map[string][]byte{}
	manifests := map[[32]byte][]byte{}
	for _, r := range recs {
		if r.kind == 3 {
			manifests[r.key] = r.data
		} else {
			content[exportKinds[r.kind]+string(r.key[:])] = r.data
		}
	}
	fetch := func(kind string, h [32]byte) ([]byte, error) {
		if d, ok := content[kind+string(h[:])]; ok {
			return d, nil
		}
		return nil, exportErr("%s %x is missing", kind, h[:8])
	}
	for _, s := range hdr.Steps {
		if !s.Checkpoint {
			continue
		}
		mj, ok := manifests[s.Root]
		if !ok {
			return RunMeta{}, exportErr("the checkpoint of step %d is missing", s.Step)
		}
		if _, err := buildCheckpoint(s.Root, mj, fetch); err != nil {
			return RunMeta{}, exportErr("step %d: %v", s.Step, err)
		}
	}
	if _, err := fetch("module", mustHash(hdr.Run.Module)); err != nil {
		return RunMeta{}, err
	}
	// All checked: store it in one transaction.
	err = l.update(func(txn *badger.Txn) error {
		for _, r := range recs {
			if r.kind == 3 {
				if err := txn.Set(blobKey("checkpoint", r.key), r.data); err != nil {
					return err
				}
				continue
			}
			if _, err := l.putBlob(txn, exportKinds[r.kind], r.data); err != nil {
				return err
			}
		}
		js, _ := json.Marshal(hdr.Run)
		if err := txn.Set(runKey(hdr.Run.ID), js); err != nil {
			return err
		}
		for _, s := range hdr.Steps {
			sj, _ := json.Marshal(s)
			if err := txn.Set(stepKey(hdr.Run.ID, s.Step), sj); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		return RunMeta{}, err
	}
	return hdr.Run, nil
}

func mustHash(hx string) [32]byte {
	h, _ := hash32(hx)
	return h
}
