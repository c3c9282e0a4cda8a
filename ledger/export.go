package ledger

import (
	"crypto/sha256"
	"encoding/binary"
	"encoding/json"
	"fmt"
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
// Import (import.go) checks the checksum, every content hash, every signature and every
// stored checkpoint's root before the run appears in the ledger.

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
