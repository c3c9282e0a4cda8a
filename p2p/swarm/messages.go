package swarm

import (
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"slices"
	"strings"

	"github.com/ethereum/go-ethereum/common"
	ma "github.com/multiformats/go-multiaddr"

	"github.com/lockstep-ml/lockstep/p2p"
)

// The bodies of the swarm's gossip messages (p2p.Message.Body). Hashes are lowercase hex.

// updateBody announces a member's update for a round: its compressed bytes are a blob.
type updateBody struct {
	Tag     string   `json:"tag"`     // the swarm's configuration (diloco.Trainer.Tag)
	Base    string   `json:"base"`    // the state root the update starts from
	Blob    string   `json:"blob"`    // the compressed update's blob ID
	Decoded string   `json:"decoded"` // SHA-256 of the decoded update (little-endian float32)
	Bytes   int      `json:"bytes"`   // the compressed size
	Loss    float64  `json:"loss"`    // the loss of the member's last inner step
	Addrs   []string `json:"addrs"`   // where the member listens: how others reach it for the blob
}

// entry is one update a manifest includes.
type entry struct {
	Member  string `json:"member"` // address, 0x-hex (checksummed)
	Blob    string `json:"blob"`
	Decoded string `json:"decoded"`
}

// manifestBody is a member's list of the round's updates, in member order (addresses
// ascending): the outer step's inputs in that order.
type manifestBody struct {
	Base    string  `json:"base"`
	Entries []entry `json:"entries"`
}

// Hash identifies a manifest (its canonical JSON).
func (m manifestBody) Hash() string {
	b, _ := json.Marshal(m)
	h := sha256.Sum256(b)
	return hex.EncodeToString(h[:])
}

// commitBody is a member's state root after a round.
type commitBody struct {
	Tag      string   `json:"tag"` // the swarm's configuration (diloco.Trainer.Tag)
	Root     string   `json:"root"`
	Manifest string   `json:"manifest"` // the hash of the manifest it applied; "" for a state taken whole
	State    string   `json:"state"`    // the blob ID of the state (diloco.Trainer.StateBytes): how others catch up
	Addrs    []string `json:"addrs"`    // where the member listens
}

// maxAddrs caps the addresses a member announces.
const maxAddrs = 8

func checkAddrs(as []string) error {
	if len(as) > maxAddrs {
		return fmt.Errorf("%d addresses, over %d", len(as), maxAddrs)
	}
	for _, a := range as {
		if _, err := ma.NewMultiaddr(a); err != nil {
			return fmt.Errorf("address %q: %v", a, err)
		}
	}
	return nil
}

// rulingBody is a referee's ruling on a dispute over a round; the ruling file is a blob.
type rulingBody struct {
	Parties [2]string `json:"parties"` // addresses
	Losers  []string  `json:"losers"`  // addresses
	File    string    `json:"file"`    // the blob ID of the ruling file (verde.File)
	Case    string    `json:"case"`
	Reason  string    `json:"reason"`
}

// decode reads a message body strictly: unknown fields refused.
func decode(m p2p.Message, v any) error {
	dec := json.NewDecoder(bytes.NewReader(m.Body))
	dec.DisallowUnknownFields()
	if err := dec.Decode(v); err != nil {
		return fmt.Errorf("%s body: %v", m.Kind, err)
	}
	return nil
}

func isHash(s string) bool {
	b, err := hex.DecodeString(s)
	return err == nil && len(b) == 32 && s == strings.ToLower(s)
}

func isAddress(s string) bool { return common.IsHexAddress(s) && strings.HasPrefix(s, "0x") }

// checkBody refuses a message whose body does not fit its kind: the validator runs it on
// every message, so a malformed one counts against the peer that sent it.
func checkBody(m p2p.Message) error {
	switch m.Kind {
	case "update":
		var b updateBody
		if err := decode(m, &b); err != nil {
			return err
		}
		if !isHash(b.Base) || !isHash(b.Blob) || !isHash(b.Decoded) || b.Bytes <= 0 || b.Bytes > p2p.MaxBlobBytes {
			return fmt.Errorf("update: malformed hashes or size")
		}
		return checkAddrs(b.Addrs)
	case "manifest":
		var b manifestBody
		if err := decode(m, &b); err != nil {
			return err
		}
		if !isHash(b.Base) || len(b.Entries) == 0 {
			return fmt.Errorf("manifest: malformed base or no entries")
		}
		for i, e := range b.Entries {
			if !isAddress(e.Member) || !isHash(e.Blob) || !isHash(e.Decoded) {
				return fmt.Errorf("manifest: entry %d malformed", i)
			}
			if i > 0 && strings.ToLower(b.Entries[i-1].Member) >= strings.ToLower(e.Member) {
				return fmt.Errorf("manifest: entries not in member order")
			}
		}
	case "commit":
		var b commitBody
		if err := decode(m, &b); err != nil {
			return err
		}
		if !isHash(b.Root) || !isHash(b.State) || (b.Manifest != "" && !isHash(b.Manifest)) {
			return fmt.Errorf("commit: malformed hashes")
		}
		return checkAddrs(b.Addrs)
	case "ruling":
		var b rulingBody
		if err := decode(m, &b); err != nil {
			return err
		}
		if !isAddress(b.Parties[0]) || !isAddress(b.Parties[1]) || !isHash(b.File) || len(b.Losers) > 2 {
			return fmt.Errorf("ruling: malformed")
		}
		for _, l := range b.Losers {
			if !slices.Contains(b.Parties[:], l) {
				return fmt.Errorf("ruling: loser %s is not a party", l)
			}
		}
	case "round":
		return fmt.Errorf("round announcements are not used by DiLoCo swarms")
	}
	return nil
}

// rank orders members for a choice every member makes alike (whose manifest counts, who
// referees): lower is first. It mixes in what the choice is about, so that no member is
// first for every round.
func rank(about string, round uint64, member common.Address) [32]byte {
	return sha256.Sum256(fmt.Appendf(nil, "lockstep/swarm/rank/v1|%s|%d|%s", about, round, member.Hex()))
}

func hexHash(h [32]byte) string { return hex.EncodeToString(h[:]) }

func unhex32(s string) [32]byte {
	var h [32]byte
	b, _ := hex.DecodeString(s)
	copy(h[:], b)
	return h
}
