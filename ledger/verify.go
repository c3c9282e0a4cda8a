package ledger

import (
	"errors"
	"fmt"
	"maps"
	"slices"
)

// Report is the result of verifying a run.
type Report struct {
	Steps       int      // step records checked
	Checkpoints int      // stored checkpoints re-hashed against their roots
	Inputs      int      // stored inputs read back and re-hashed (the module is too)
	Problems    []string // empty when the run verifies
}

// OK reports whether the run verified.
func (r Report) OK() bool { return len(r.Problems) == 0 }

// Verify checks a run: every record is signed by the run's node, the steps run 0, K, 2K,
// ... without gaps (K is the run's CommitEvery; where a run stopped between, the step it
// stopped at too), and every stored checkpoint hashes to the root its record commits to.
// It reads back everything a resume or an export needs: the module and every input are
// read and re-hashed too, so a damaged value is found here and not by a resume.
func (l *Ledger) Verify(run string) (Report, error) {
	meta, err := l.Run(run)
	if err != nil {
		return Report{}, err
	}
	recs, err := l.Steps(run)
	if err != nil {
		return Report{}, err
	}
	var rep Report
	if _, err := l.Module(meta); err != nil {
		rep.Problems = append(rep.Problems, fmt.Sprintf("module %s: %v", meta.Module, err))
	}
	for _, name := range slices.Sorted(maps.Keys(meta.Inputs)) {
		if _, err := l.blobHex("input", meta.Inputs[name]); err != nil {
			rep.Problems = append(rep.Problems, fmt.Sprintf("input %s %s: %v", name, meta.Inputs[name], err))
		} else {
			rep.Inputs++
		}
	}
	k := max(meta.CommitEvery, 1)
	for i, r := range recs {
		rep.Steps++
		// Step 0 first, then each record no later than the next multiple of k after the
		// one before (a run that stopped between commits recorded the step it stopped at).
		switch {
		case i == 0 && r.Step != 0:
			rep.Problems = append(rep.Problems, fmt.Sprintf("the first record is of step %d, not 0", r.Step))
		case i > 0 && (r.Step <= recs[i-1].Step || r.Step > (recs[i-1].Step/k+1)*k):
			rep.Problems = append(rep.Problems, fmt.Sprintf("step %d recorded after step %d (the run commits every %d)", r.Step, recs[i-1].Step, k))
		}
		signer, err := r.Signer()
		switch {
		case err != nil:
			rep.Problems = append(rep.Problems, err.Error())
		case signer.Hex() != meta.Node:
			rep.Problems = append(rep.Problems, fmt.Sprintf("step %d: signed by %s, not the run's node %s (record altered?)", r.Step, signer.Hex(), meta.Node))
		}
		if r.Checkpoint {
			if _, err := l.Checkpoint(r.Root); err != nil {
				rep.Problems = append(rep.Problems, fmt.Sprintf("step %d checkpoint: %v", r.Step, err))
			} else {
				rep.Checkpoints++
			}
		}
	}
	if len(recs) == 0 {
		rep.Problems = append(rep.Problems, "the run has no committed steps")
	}
	return rep, nil
}

// LatestCheckpoint returns the newest stored checkpoint of a run and the run's last
// committed step.
func (l *Ledger) LatestCheckpoint(run string) (cpStep uint64, root [32]byte, last uint64, err error) {
	recs, err := l.Steps(run)
	if err != nil {
		return 0, root, 0, err
	}
	if len(recs) == 0 {
		return 0, root, 0, fmt.Errorf("%w: run %s has no committed steps", ErrNotFound, run)
	}
	found := false
	for _, r := range recs {
		if r.Checkpoint {
			cpStep, root, found = r.Step, r.Root, true
		}
	}
	if !found {
		return 0, root, 0, errors.New("the run has no stored checkpoint")
	}
	return cpStep, root, recs[len(recs)-1].Step, nil
}
