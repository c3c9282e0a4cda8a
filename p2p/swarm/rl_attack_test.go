package swarm

import (
	"context"
	"encoding/json"
	"fmt"
	"testing"
	"time"

	"github.com/ethereum/go-ethereum/common"

	lshost "github.com/lockstep-ml/lockstep/host"
	"github.com/lockstep-ml/lockstep/kernels"
	"github.com/lockstep-ml/lockstep/ledger/verde"
	"github.com/lockstep-ml/lockstep/p2p"
)

// forgedRuling is a ruling file anyone can write without any dispute having happened:
// an "add" entry both "parties" agree on but for its outputs, where the victim's outputs
// are wrong. CheckFile accepts it: nothing ties it to the victim's generation.
func forgedRuling(t *testing.T, other, victim common.Address) []byte {
	t.Helper()
	a, _ := kernels.New([]int{2}, []float32{1, 2})
	b, _ := kernels.New([]int{2}, []float32{3, 4})
	outs, err := lshost.Apply(lshost.OpAdd, nil, []*kernels.Tensor{a, b})
	if err != nil {
		t.Fatal(err)
	}
	good := kernels.Hash(outs[0])
	bad := good
	bad[0] ^= 1
	in := [][32]byte{kernels.Hash(a), kernels.Hash(b)}
	prev := [32]byte{7}
	ea := lshost.TraceEntry{Seq: 3, Op: lshost.OpAdd, Inputs: in, Outputs: [][32]byte{good}}
	eb := lshost.TraceEntry{Seq: 3, Op: lshost.OpAdd, Inputs: in, Outputs: [][32]byte{bad}}
	r := &verde.Ruling{Step: 1, Entry: 3, Op: lshost.OpAdd, Case: verde.CaseOutput, Losers: []string{victim.Hex()}, Reason: "forged",
		Parties:  [2]string{other.Hex(), victim.Hex()},
		Evidence: &verde.Evidence{Prev: prev, Heads: [2][32]byte{lshost.ChainNext(prev, ea), lshost.ChainNext(prev, eb)}, Entries: [2]lshost.TraceEntry{ea, eb}, Inputs: []*kernels.Tensor{a, b}}}
	f := r.File(verde.Task{Module: "00", Seed: 1})
	data := f.Encode()
	if _, err := verde.CheckFile(f); err != nil {
		t.Fatalf("the forged file does not check: %v", err)
	}
	return data
}

// A member that is the only one to have published rollouts for some round is the
// "referee" of every pair of parties for that round; a ruling file it made up without any
// dispute (it checks: it replays an operator) bans nobody: a member acts on a ruling only
// for a recent round between members of it, and after regenerating the rollouts itself.
func TestRLForgedRulingBansNobody(t *testing.T) {
	m := newRLMember(t, rlTestConfig(1), nil)
	n := m.rl
	attacker := common.HexToAddress("0x00000000000000000000000000000000000000a1")
	victim := common.HexToAddress("0x00000000000000000000000000000000000000b2")
	nobody := common.HexToAddress("0x00000000000000000000000000000000000000c3")
	const far = 1000 // a round nobody else is at
	n.mu.Lock()
	put(n.rollouts, far, attacker, rolloutsBody{}) // the attacker's one rollouts message for round 1000
	n.mu.Unlock()
	file := forgedRuling(t, nobody, victim)
	id, err := n.blobs.Add(file) // as if fetched from the attacker
	if err != nil {
		t.Fatal(err)
	}
	body := rulingBody{Parties: [2]string{nobody.Hex(), victim.Hex()}, Losers: []string{victim.Hex()}, File: hexHash(id), Case: string(verde.CaseOutput)}
	if err := checkRLBody(msgOf(t, far, "ruling", body)); err != nil {
		t.Fatalf("the validator refuses the ruling: %v", err)
	}
	n.onRuling(context.Background(), far, attacker, body)
	if st := n.Status(); len(st.Banned) > 0 {
		t.Fatalf("a forged ruling from a self-chosen referee banned %v", st.Banned)
	}
}

// One member's rollouts for a round far ahead do not send a member there (nor, with
// RLConfig.Rounds set, make it stop without training): the swarm's round is one that at
// least two other members have reached.
func TestRLFarRoundOfOneMemberIsNotFollowed(t *testing.T) {
	cfg := rlTestConfig(3)
	cfg.JoinWait, cfg.RoundWait, cfg.Check = 100*time.Millisecond, time.Second, false
	m := newRLMember(t, cfg, nil)
	n := m.rl
	attacker := common.HexToAddress("0x00000000000000000000000000000000000000a1")
	n.mu.Lock()
	for _, a := range []string{"0x00000000000000000000000000000000000000b1", "0x00000000000000000000000000000000000000b2"} {
		put(n.rollouts, 1, common.HexToAddress(a), rolloutsBody{}) // two members at round 1
	}
	n.ahead[attacker] = 1 << 19
	n.mu.Unlock()
	ctx, cancel := context.WithTimeout(context.Background(), 3*time.Minute)
	defer cancel()
	if err := n.Run(ctx); err != nil {
		t.Fatal(err)
	}
	if st := n.Status(); st.Round != 3 || st.Skipped != 0 {
		t.Fatalf("one message for round %d made the member stop at round %d, having skipped %d", 1<<19, st.Round, st.Skipped)
	}
}

func msgOf(t *testing.T, round uint64, kind string, body any) p2p.Message {
	t.Helper()
	b, err := json.Marshal(body)
	if err != nil {
		t.Fatal(err)
	}
	return p2p.Message{V: p2p.SchemaVersion, Swarm: "test", Round: round, Kind: kind, Body: b}
}

// KeepRounds prunes the ledger while checks run: rounds older than the window are gone,
// except one a check or dispute still holds.
func TestRLKeepRoundsPrunes(t *testing.T) {
	cfg := rlTestConfig(6)
	cfg.KeepRounds = 2
	var ms []*member
	for range 2 {
		ms = append(ms, newRLMember(t, cfg, nil))
	}
	ring(t, ms)
	for i, err := range runAll(ms, 5*time.Minute) {
		if err != nil {
			t.Fatalf("member %d: %v", i, err)
		}
	}
	for i, m := range ms {
		runs, err := m.led.Runs()
		if err != nil {
			t.Fatal(err)
		}
		old := 0
		for _, r := range runs {
			var k uint64
			if _, err := fmt.Sscanf(r.Label, "rl generate, round %d,", &k); err == nil && k < 6-2+1 {
				old++
			} else if _, err := fmt.Sscanf(r.Label, "rl train, round %d,", &k); err == nil && k < 6-2+1 {
				old++
			}
		}
		if old > 0 {
			t.Errorf("member %d keeps %d runs of rounds before %d with KeepRounds 2 (of %d runs)", i, old, 6-2+1, len(runs))
		}
	}
}
