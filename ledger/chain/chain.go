package chain

import (
	"context"
	"crypto/ecdsa"
	"errors"
	"fmt"
	"math/big"
	"math/rand/v2"
	"strings"
	"sync"
	"time"

	"github.com/ethereum/go-ethereum"
	"github.com/ethereum/go-ethereum/accounts"
	"github.com/ethereum/go-ethereum/accounts/abi"
	bind "github.com/ethereum/go-ethereum/accounts/abi/bind/v2"
	"github.com/ethereum/go-ethereum/common"
	"github.com/ethereum/go-ethereum/core/types"
	"github.com/ethereum/go-ethereum/crypto"
)

// Backend is what the chain client needs of an Ethereum node: an ethclient.Client (over
// JSON-RPC, or in process to the embedded chain).
type Backend interface {
	bind.ContractBackend
	bind.DeployBackend
	ChainID(ctx context.Context) (*big.Int, error)
	BlockNumber(ctx context.Context) (uint64, error)
	BalanceAt(ctx context.Context, account common.Address, block *big.Int) (*big.Int, error)
	EstimateGasAtBlock(ctx context.Context, msg ethereum.CallMsg, block *big.Int) (uint64, error)
}

// Chain is one account's client of a Coordinator contract.
type Chain struct {
	b       Backend
	key     *ecdsa.PrivateKey
	from    common.Address
	chainID *big.Int
	abi     *Coordinator
	inst    *bind.BoundContract
	addr    common.Address
	mu      sync.Mutex // one transaction of this account at a time: nonces
}

// Spec, Swarm, Member, Round, Dispute and NodeInfo are the contract's structures.
type (
	Spec     = CoordinatorSpec
	Swarm    = CoordinatorSwarmInfo
	Member   = CoordinatorMember
	Round    = CoordinatorRoundInfo
	Dispute  = CoordinatorDispute
	NodeInfo = CoordinatorNodeInfo
)

// Dispute states, as the contract numbers them.
const (
	Open uint8 = iota + 1
	Answered
	AccusedLost
	ChallengerLost
	Void
)

// StateName names a dispute state.
func StateName(s uint8) string {
	switch s {
	case Open:
		return "open"
	case Answered:
		return "answered"
	case AccusedLost:
		return "accused lost"
	case ChallengerLost:
		return "challenger lost"
	case Void:
		return "void"
	}
	return fmt.Sprintf("state %d", s)
}

// New is key's client of the coordinator at contract, which must be deployed there.
func New(ctx context.Context, b Backend, key *ecdsa.PrivateKey, contract common.Address) (*Chain, error) {
	id, err := b.ChainID(ctx)
	if err != nil {
		return nil, fmt.Errorf("chain ID: %w", err)
	}
	code, err := b.CodeAt(ctx, contract, nil)
	if err != nil {
		return nil, fmt.Errorf("reading the coordinator's code: %w", err)
	}
	if len(code) == 0 {
		return nil, fmt.Errorf("no contract at %s on chain %s: deploy the coordinator (lockstep chain deploy) and pass its address with --chain-contract", contract, id)
	}
	c := NewCoordinator()
	return &Chain{b: b, key: key, from: crypto.PubkeyToAddress(key.PublicKey), chainID: id, abi: c, inst: c.Instance(b, contract), addr: contract}, nil
}

// Deploy deploys a coordinator from key's account.
func Deploy(ctx context.Context, b Backend, key *ecdsa.PrivateKey) (common.Address, *types.Receipt, error) {
	id, err := b.ChainID(ctx)
	if err != nil {
		return common.Address{}, nil, fmt.Errorf("chain ID: %w", err)
	}
	opts := bind.NewKeyedTransactor(key, id)
	opts.Context = ctx
	addr, tx, err := bind.DeployContract(opts, common.FromHex(CoordinatorMetaData.Bin), b, nil)
	if err != nil {
		return common.Address{}, nil, fmt.Errorf("deploying the coordinator: %w", err)
	}
	rec, err := waitMined(ctx, b, tx.Hash())
	if err != nil {
		return common.Address{}, nil, err
	}
	if rec.Status != types.ReceiptStatusSuccessful {
		return common.Address{}, rec, fmt.Errorf("deploying the coordinator: transaction %s failed", tx.Hash())
	}
	return addr, rec, nil
}

// EnsureDev returns the coordinator of a development chain (DevChainID): the faucet's
// first contract, deployed now if it is not yet.
func EnsureDev(ctx context.Context, b Backend) (common.Address, error) {
	id, err := b.ChainID(ctx)
	if err != nil {
		return common.Address{}, fmt.Errorf("chain ID: %w", err)
	}
	if id.Uint64() != DevChainID {
		return common.Address{}, fmt.Errorf("chain %s is not a development chain (%d): pass the coordinator's address with --chain-contract", id, DevChainID)
	}
	addr := DevContract()
	code, err := b.CodeAt(ctx, addr, nil)
	if err != nil {
		return common.Address{}, err
	}
	if len(code) > 0 {
		return addr, nil
	}
	nonce, err := b.PendingNonceAt(ctx, DevAddress())
	if err != nil {
		return common.Address{}, err
	}
	if nonce != 0 {
		return common.Address{}, fmt.Errorf("the development faucet has sent %d transactions but deployed no coordinator at %s: deploy one (lockstep chain deploy) and pass --chain-contract", nonce, addr)
	}
	got, _, err := Deploy(ctx, b, DevKey())
	if err != nil {
		return common.Address{}, err
	}
	if got != addr {
		return common.Address{}, fmt.Errorf("the coordinator was deployed at %s, not %s", got, addr)
	}
	return addr, nil
}

// Fund sends wei from the development faucet to an account (development chains only).
func Fund(ctx context.Context, b Backend, to common.Address, wei *big.Int) error {
	id, err := b.ChainID(ctx)
	if err != nil {
		return err
	}
	if id.Uint64() != DevChainID {
		return fmt.Errorf("chain %s is not a development chain: fund %s yourself", id, to)
	}
	return faucetMu.do(func() error {
		// Other processes may spend from the faucet at the same moment (nodes sharing a
		// served chain start together): a nonce taken meanwhile is tried again.
		for try := 0; ; try++ {
			tx, err := transfer(ctx, b, DevKey(), id, to, wei)
			if err != nil && try < 20 && nonceRace(err) {
				select {
				case <-ctx.Done():
					return ctx.Err()
				case <-time.After(time.Duration(50+rand.IntN(200)) * time.Millisecond):
				}
				continue
			}
			if err != nil {
				return fmt.Errorf("funding %s from the development faucet: %w", to, err)
			}
			_, err = waitOK(ctx, b, tx)
			return err
		}
	})
}

// nonceRace reports an error of a transaction whose nonce another took first.
func nonceRace(err error) bool {
	m := err.Error()
	return strings.Contains(m, "nonce too low") || strings.Contains(m, "replacement transaction underpriced") || strings.Contains(m, "already known")
}

// transfer sends wei from key's account to another account.
func transfer(ctx context.Context, b Backend, key *ecdsa.PrivateKey, chainID *big.Int, to common.Address, wei *big.Int) (*types.Transaction, error) {
	from := crypto.PubkeyToAddress(key.PublicKey)
	nonce, err := b.PendingNonceAt(ctx, from)
	if err != nil {
		return nil, err
	}
	tip, err := b.SuggestGasTipCap(ctx)
	if err != nil {
		return nil, err
	}
	head, err := b.HeaderByNumber(ctx, nil)
	if err != nil {
		return nil, err
	}
	feeCap := new(big.Int).Add(tip, new(big.Int).Mul(head.BaseFee, big.NewInt(2)))
	tx, err := types.SignNewTx(key, types.LatestSignerForChainID(chainID), &types.DynamicFeeTx{
		ChainID: chainID, Nonce: nonce, GasTipCap: tip, GasFeeCap: feeCap, Gas: 21000, To: &to, Value: wei,
	})
	if err != nil {
		return nil, err
	}
	return tx, b.SendTransaction(ctx, tx)
}

// faucetMu serializes this process's faucet transactions (one nonce at a time).
var faucetMu lockedFn

type lockedFn struct{ mu sync.Mutex }

func (l *lockedFn) do(f func() error) error {
	l.mu.Lock()
	defer l.mu.Unlock()
	return f()
}

// Address is the account's address.
func (c *Chain) Address() common.Address { return c.from }

// Contract is the coordinator's address.
func (c *Chain) Contract() common.Address { return c.addr }

// ChainID is the chain's ID.
func (c *Chain) ChainID() *big.Int { return new(big.Int).Set(c.chainID) }

// Backend is the chain's client.
func (c *Chain) Backend() Backend { return c.b }

// Balance is the account's balance in wei.
func (c *Chain) Balance(ctx context.Context) (*big.Int, error) {
	return c.b.BalanceAt(ctx, c.from, nil)
}

// Reverted is a transaction the contract refused, with its reason.
type Reverted struct {
	Op, Reason string
}

func (e *Reverted) Error() string { return e.Op + ": refused by the coordinator: " + e.Reason }

// asReverted turns a "execution reverted" error (from gas estimation or a call) into a
// Reverted.
func asReverted(op string, err error) error {
	if err == nil {
		return nil
	}
	msg := err.Error()
	if i := strings.Index(msg, "execution reverted"); i >= 0 {
		reason := strings.TrimPrefix(strings.TrimPrefix(msg[i+len("execution reverted"):], ":"), " ")
		if reason == "" {
			reason = "reverted"
		}
		return &Reverted{Op: op, Reason: reason}
	}
	return fmt.Errorf("%s: %w", op, err)
}

// IsReverted reports whether err is the contract's refusal (not a failure to reach it).
func IsReverted(err error) bool {
	var r *Reverted
	return errors.As(err, &r)
}

// send makes a transaction to the coordinator with data and value, and waits until it
// is mined. A refusal is a *Reverted.
func (c *Chain) send(ctx context.Context, op string, value *big.Int, data []byte) (*types.Receipt, error) {
	c.mu.Lock()
	defer c.mu.Unlock()
	opts := bind.NewKeyedTransactor(c.key, c.chainID)
	opts.Context, opts.Value = ctx, value
	// Estimate on the newest block, not the pending one: a node may keep its pending
	// block for a while, and this account's previous transaction is always mined.
	gas, err := c.b.EstimateGasAtBlock(ctx, ethereum.CallMsg{From: c.from, To: &c.addr, Value: value, Data: data}, nil)
	if err != nil {
		return nil, asReverted(op, err)
	}
	opts.GasLimit = gas + gas/4 // room for what other transactions change before it is mined
	tx, err := c.inst.RawTransact(opts, data)
	if err != nil {
		return nil, asReverted(op, err)
	}
	rec, err := waitOK(ctx, c.b, tx)
	if err != nil {
		return rec, fmt.Errorf("%s: %w", op, err)
	}
	return rec, nil
}

// errNotMined is a transaction not mined within MineTimeout: dropped from the pool, or
// priced below the chain's fees. The submitter sends its submission again.
var errNotMined = errors.New("transaction not mined in time")

// MineTimeout is how long a transaction may take to be mined.
var MineTimeout = 3 * time.Minute

func waitOK(ctx context.Context, b Backend, tx *types.Transaction) (*types.Receipt, error) {
	wctx, cancel := context.WithTimeout(ctx, MineTimeout)
	defer cancel()
	rec, err := waitMined(wctx, b, tx.Hash())
	if err != nil && ctx.Err() == nil && wctx.Err() != nil {
		return nil, fmt.Errorf("%s: %w", tx.Hash(), errNotMined)
	}
	if err != nil {
		return nil, err
	}
	if rec.Status != types.ReceiptStatusSuccessful {
		return rec, &Reverted{Op: "transaction " + tx.Hash().Hex(), Reason: whyFailed(ctx, b, tx, rec)}
	}
	return rec, nil
}

// whyFailed replays a failed transaction as a call at its block, for the contract's
// reason.
func whyFailed(ctx context.Context, b Backend, tx *types.Transaction, rec *types.Receipt) string {
	from, err := types.Sender(types.LatestSignerForChainID(tx.ChainId()), tx)
	if err != nil {
		return "failed when mined"
	}
	_, err = b.CallContract(ctx, ethereum.CallMsg{From: from, To: tx.To(), Gas: tx.Gas(), Value: tx.Value(), Data: tx.Data()}, rec.BlockNumber)
	var r *Reverted
	if errors.As(asReverted("", err), &r) {
		return r.Reason + " (when mined)"
	}
	return "failed when mined"
}

// waitMined waits for a transaction's receipt, polling quickly at first (the embedded
// chain seals within tens of milliseconds) and every second later.
func waitMined(ctx context.Context, b Backend, h common.Hash) (*types.Receipt, error) {
	wait := 10 * time.Millisecond
	for {
		rec, err := b.TransactionReceipt(ctx, h)
		if err == nil {
			return rec, nil
		}
		// A node still indexing its transactions (after a start) answers so for a while.
		if !errors.Is(err, ethereum.NotFound) && !strings.Contains(err.Error(), "indexing is in progress") {
			return nil, err
		}
		select {
		case <-ctx.Done():
			return nil, ctx.Err()
		case <-time.After(wait):
		}
		wait = min(2*wait, time.Second)
	}
}

// call reads from the coordinator.
func call[T any](ctx context.Context, c *Chain, op string, data []byte, unpack func([]byte) (T, error)) (T, error) {
	v, err := bind.Call(c.inst, &bind.CallOpts{Context: ctx}, data, unpack)
	if err != nil {
		return v, asReverted(op, err)
	}
	return v, nil
}

// PeerIDBytes is the libp2p peer ID of a secp256k1 key: the identity multihash of its
// protobuf-encoded compressed form, as the contract's peerIdOf computes it.
func PeerIDBytes(pub *ecdsa.PublicKey) []byte {
	return append([]byte{0x00, 0x25, 0x08, 0x02, 0x12, 0x21}, crypto.CompressPubkey(pub)...)
}

// Register registers the account's node with its peer ID (of the same key) and
// addresses; bootnode offers it to nodes joining.
func (c *Chain) Register(ctx context.Context, addrs []string, bootnode bool) (*types.Receipt, error) {
	return c.RegisterAs(ctx, PeerIDBytes(&c.key.PublicKey), crypto.FromECDSAPub(&c.key.PublicKey)[1:], addrs, bootnode)
}

// RegisterAs registers with a given peer ID and public key: the contract refuses them
// unless they are the sender's own.
func (c *Chain) RegisterAs(ctx context.Context, peerID, pubkey []byte, addrs []string, bootnode bool) (*types.Receipt, error) {
	data, err := c.abi.TryPackRegister(peerID, pubkey, addrs, bootnode)
	if err != nil {
		return nil, err
	}
	return c.send(ctx, "register", nil, data)
}

// SwarmID is the ID the contract gives a swarm of spec: keccak256 of its ABI encoding
// (every field a static 32-byte word).
func SwarmID(s Spec) [32]byte {
	word := func(v *big.Int) []byte { return common.LeftPadBytes(v.Bytes(), 32) }
	u := func(v uint64) []byte { return word(new(big.Int).SetUint64(v)) }
	return crypto.Keccak256Hash(s.Module[:], s.Data[:], s.Config[:], word(s.Stake), word(s.Reward),
		u(s.VoteBlocks), u(s.AnswerBlocks), u(s.RuleBlocks), u(uint64(s.Quorum)))
}

// CreateSwarm creates a swarm, putting pool into its reward pool.
func (c *Chain) CreateSwarm(ctx context.Context, s Spec, pool *big.Int) ([32]byte, *types.Receipt, error) {
	data, err := c.abi.TryPackCreateSwarm(s)
	if err != nil {
		return [32]byte{}, nil, err
	}
	rec, err := c.send(ctx, "create swarm", pool, data)
	return SwarmID(s), rec, err
}

// Join joins a swarm with a stake.
func (c *Chain) Join(ctx context.Context, id [32]byte, stake *big.Int) (*types.Receipt, error) {
	return c.send(ctx, "join", stake, c.abi.PackJoin(id))
}

// Leave leaves a swarm; Unstake later credits the stake back, and Withdraw pays credit out.
func (c *Chain) Leave(ctx context.Context, id [32]byte) (*types.Receipt, error) {
	return c.send(ctx, "leave", nil, c.abi.PackLeaveSwarm(id))
}

func (c *Chain) Unstake(ctx context.Context, id [32]byte) (*types.Receipt, error) {
	return c.send(ctx, "unstake", nil, c.abi.PackUnstake(id))
}

func (c *Chain) Withdraw(ctx context.Context) (*types.Receipt, error) {
	return c.send(ctx, "withdraw", nil, c.abi.PackWithdraw())
}

// Commit commits the account's state root for a round.
func (c *Chain) Commit(ctx context.Context, id [32]byte, round uint64, root [32]byte) (*types.Receipt, error) {
	return c.send(ctx, "commit", nil, c.abi.PackCommit(id, round, root))
}

// Vote votes for a round's best peer.
func (c *Chain) Vote(ctx context.Context, id [32]byte, round uint64, winner common.Address) (*types.Receipt, error) {
	return c.send(ctx, "vote", nil, c.abi.PackVote(id, round, winner))
}

// ClaimReward pays a closed round's reward to its most-voted member.
func (c *Chain) ClaimReward(ctx context.Context, id [32]byte, round uint64) (*types.Receipt, error) {
	return c.send(ctx, "claim reward", nil, c.abi.PackClaimReward(id, round))
}

// OpenDispute disputes accused's commitment for round, with a bond; evidence is the
// root the challenger computed instead. It returns the dispute's number.
func (c *Chain) OpenDispute(ctx context.Context, id [32]byte, round uint64, accused common.Address, evidence [32]byte, bond *big.Int) (uint64, *types.Receipt, error) {
	rec, err := c.send(ctx, "open dispute", bond, c.abi.PackOpenDispute(id, round, accused, evidence))
	if err != nil {
		return 0, rec, err
	}
	for _, l := range rec.Logs {
		if ev, err := c.abi.UnpackDisputeOpenedEvent(l); err == nil {
			return ev.Dispute.Uint64(), rec, nil
		}
	}
	return 0, rec, fmt.Errorf("open dispute: no DisputeOpened event in the receipt")
}

// Answer answers a dispute against the account.
func (c *Chain) Answer(ctx context.Context, d uint64) (*types.Receipt, error) {
	return c.send(ctx, "answer", nil, c.abi.PackAnswer(new(big.Int).SetUint64(d)))
}

// Rule adds referees' signatures (SignRuling), in any order, to dispute d's ruling; the
// dispute is settled once they reach the contract's rulingThreshold.
func (c *Chain) Rule(ctx context.Context, d uint64, accusedLost bool, ruling [32]byte, sigs [][]byte) (*types.Receipt, error) {
	x, err := c.Dispute(ctx, d)
	if err != nil {
		return nil, err
	}
	sorted, err := sortSignatures(c.RulingHash(x, accusedLost, ruling), sigs)
	if err != nil {
		return nil, err
	}
	return c.send(ctx, "rule", nil, c.abi.PackRule(new(big.Int).SetUint64(d), accusedLost, ruling, sorted))
}

// Expire ends a dispute past its deadline.
func (c *Chain) Expire(ctx context.Context, d uint64) (*types.Receipt, error) {
	return c.send(ctx, "expire", nil, c.abi.PackExpire(new(big.Int).SetUint64(d)))
}

// RulingThreshold is the number of referee signatures dispute d's ruling needs now.
func (c *Chain) RulingThreshold(ctx context.Context, d uint64) (uint32, error) {
	return call(ctx, c, "ruling threshold", c.abi.PackRulingThreshold(new(big.Int).SetUint64(d)), c.abi.UnpackRulingThreshold)
}

// RulingDigest is what referees sign for a ruling on dispute x (as the contract's
// rulingDigest computes it): bound to the chain, the contract and every particular of
// the dispute.
func (c *Chain) RulingDigest(x Dispute, accusedLost bool, ruling [32]byte) [32]byte {
	t := func(name string) abi.Type { ty, _ := newType(name); return ty }
	args := abiArgs(t("string"), t("uint256"), t("address"), t("uint256"), t("bytes32"), t("uint64"), t("address"), t("address"), t("bytes32"), t("bytes32"), t("bool"), t("bytes32"))
	packed, err := args.Pack("lockstep ruling v2", c.chainID, c.addr, x.Id, x.Swarm, x.Round, x.Challenger, x.Accused, x.Root, x.Evidence, accusedLost, ruling)
	if err != nil {
		panic(err) // fixed types
	}
	return crypto.Keccak256Hash(packed)
}

// RulingHash is the EIP-191 message hash of the ruling digest: what ecrecover sees.
func (c *Chain) RulingHash(x Dispute, accusedLost bool, ruling [32]byte) [32]byte {
	dg := c.RulingDigest(x, accusedLost, ruling)
	return [32]byte(accounts.TextHash(dg[:]))
}

// SignRuling signs a ruling on dispute d with the account's key, as a referee.
func (c *Chain) SignRuling(ctx context.Context, d uint64, accusedLost bool, ruling [32]byte) ([]byte, error) {
	x, err := c.Dispute(ctx, d)
	if err != nil {
		return nil, err
	}
	h := c.RulingHash(x, accusedLost, ruling)
	sig, err := crypto.Sign(h[:], c.key)
	if err != nil {
		return nil, err
	}
	sig[64] += 27
	return sig, nil
}

// sortSignatures orders signatures by signer, as the contract requires.
func sortSignatures(h [32]byte, sigs [][]byte) ([][]byte, error) {
	type signed struct {
		a common.Address
		s []byte
	}
	var out []signed
	for _, s := range sigs {
		if len(s) != 65 {
			return nil, fmt.Errorf("a signature of %d bytes, not 65", len(s))
		}
		norm := append([]byte(nil), s...)
		if norm[64] >= 27 {
			norm[64] -= 27
		}
		pub, err := crypto.SigToPub(h[:], norm)
		if err != nil {
			return nil, fmt.Errorf("a ruling signature: %w", err)
		}
		out = append(out, signed{crypto.PubkeyToAddress(*pub), s})
	}
	for i := 1; i < len(out); i++ {
		for j := i; j > 0 && strings.Compare(out[j].a.Hex(), out[j-1].a.Hex()) < 0; j-- {
			out[j], out[j-1] = out[j-1], out[j]
		}
	}
	res := make([][]byte, len(out))
	for i, s := range out {
		res[i] = s.s
	}
	return res, nil
}

// ---- reading

func (c *Chain) NodeCount(ctx context.Context) (uint64, error) {
	n, err := call(ctx, c, "node count", c.abi.PackNodeCount(), c.abi.UnpackNodeCount)
	return n.Uint64(), err
}

// Nodes lists the registered nodes.
func (c *Chain) Nodes(ctx context.Context) ([]NodeInfo, error) {
	var out []NodeInfo
	for off := uint64(0); ; off += 100 {
		page, err := call(ctx, c, "nodes", c.abi.PackNodes(new(big.Int).SetUint64(off), big.NewInt(100)), c.abi.UnpackNodes)
		if err != nil {
			return nil, err
		}
		out = append(out, page...)
		if len(page) < 100 {
			return out, nil
		}
	}
}

// Node is an account's registration (Registered is 0 when it has none).
func (c *Chain) Node(ctx context.Context, a common.Address) (NodeInfo, error) {
	return call(ctx, c, "node", c.abi.PackNodeInfo(a), c.abi.UnpackNodeInfo)
}

// Swarm reads a swarm (Created is 0 when there is none).
func (c *Chain) Swarm(ctx context.Context, id [32]byte) (Swarm, error) {
	return call(ctx, c, "swarm", c.abi.PackSwarmInfo(id), c.abi.UnpackSwarmInfo)
}

// Swarms lists every swarm.
func (c *Chain) Swarms(ctx context.Context) ([]Swarm, error) {
	n, err := call(ctx, c, "swarm count", c.abi.PackSwarmCount(), c.abi.UnpackSwarmCount)
	if err != nil {
		return nil, err
	}
	var out []Swarm
	for i := uint64(0); i < n.Uint64(); i++ {
		s, err := call(ctx, c, "swarm", c.abi.PackSwarmAt(new(big.Int).SetUint64(i)), c.abi.UnpackSwarmAt)
		if err != nil {
			return nil, err
		}
		out = append(out, s)
	}
	return out, nil
}

// Member reads an account's membership of a swarm.
func (c *Chain) Member(ctx context.Context, id [32]byte, a common.Address) (Member, error) {
	return call(ctx, c, "member", c.abi.PackMemberInfo(id, a), c.abi.UnpackMemberInfo)
}

// Round reads a round of a swarm.
func (c *Chain) Round(ctx context.Context, id [32]byte, r uint64) (Round, error) {
	return call(ctx, c, "round", c.abi.PackRoundInfo(id, r), c.abi.UnpackRoundInfo)
}

// RootOf is an account's commitment for a round (zero when it made none).
func (c *Chain) RootOf(ctx context.Context, id [32]byte, r uint64, a common.Address) ([32]byte, error) {
	return call(ctx, c, "root", c.abi.PackRootOf(id, r, a), c.abi.UnpackRootOf)
}

// Votes is the number of votes an account received for a round.
func (c *Chain) Votes(ctx context.Context, id [32]byte, r uint64, a common.Address) (uint32, error) {
	return call(ctx, c, "votes", c.abi.PackVotesOf(id, r, a), c.abi.UnpackVotesOf)
}

// Credit is what an account may withdraw.
func (c *Chain) Credit(ctx context.Context, a common.Address) (*big.Int, error) {
	return call(ctx, c, "credit", c.abi.PackCredit(a), c.abi.UnpackCredit)
}

// Dispute reads dispute d (numbered from 1).
func (c *Chain) Dispute(ctx context.Context, d uint64) (Dispute, error) {
	return call(ctx, c, "dispute", c.abi.PackDisputeInfo(new(big.Int).SetUint64(d)), c.abi.UnpackDisputeInfo)
}

// Disputes lists every dispute.
func (c *Chain) Disputes(ctx context.Context) ([]Dispute, error) {
	n, err := call(ctx, c, "dispute count", c.abi.PackDisputeCount(), c.abi.UnpackDisputeCount)
	if err != nil {
		return nil, err
	}
	var out []Dispute
	for d := uint64(1); d <= n.Uint64(); d++ {
		x, err := c.Dispute(ctx, d)
		if err != nil {
			return nil, err
		}
		out = append(out, x)
	}
	return out, nil
}

// DisputeOf finds the dispute of challenger against accused's commitment for a round (0
// when there is none).
func (c *Chain) DisputeOf(ctx context.Context, id [32]byte, round uint64, accused, challenger common.Address) (uint64, error) {
	k, err := disputeKey(id, round, accused, challenger)
	if err != nil {
		return 0, err
	}
	d, err := call(ctx, c, "dispute of", c.abi.PackDisputeOf(k), c.abi.UnpackDisputeOf)
	return d.Uint64(), err
}

// Commitment is one Committed event.
type Commitment struct {
	Round  uint64
	Member common.Address
	Root   [32]byte
	Block  uint64
}

// Commitments lists a swarm's commitments from block from on (logs).
func (c *Chain) Commitments(ctx context.Context, id [32]byte, from uint64) ([]Commitment, error) {
	logs, err := c.b.FilterLogs(ctx, ethereum.FilterQuery{
		FromBlock: new(big.Int).SetUint64(from), Addresses: []common.Address{c.addr},
		Topics: [][]common.Hash{{c.abi.abi.Events["Committed"].ID}, {common.Hash(id)}},
	})
	if err != nil {
		return nil, fmt.Errorf("reading commitments: %w", err)
	}
	var out []Commitment
	for i := range logs {
		ev, err := c.abi.UnpackCommittedEvent(&logs[i])
		if err != nil {
			continue
		}
		out = append(out, Commitment{Round: ev.Round, Member: ev.Member, Root: ev.Root, Block: logs[i].BlockNumber})
	}
	return out, nil
}

// DisputesOpened lists the disputes opened in a swarm between two blocks (inclusive),
// from their DisputeOpened events.
func (c *Chain) DisputesOpened(ctx context.Context, id [32]byte, from, to uint64) ([]uint64, error) {
	logs, err := c.b.FilterLogs(ctx, ethereum.FilterQuery{
		FromBlock: new(big.Int).SetUint64(from), ToBlock: new(big.Int).SetUint64(to), Addresses: []common.Address{c.addr},
		Topics: [][]common.Hash{{c.abi.abi.Events["DisputeOpened"].ID}, nil, {common.Hash(id)}},
	})
	if err != nil {
		return nil, fmt.Errorf("reading disputes: %w", err)
	}
	var out []uint64
	for i := range logs {
		if ev, err := c.abi.UnpackDisputeOpenedEvent(&logs[i]); err == nil {
			out = append(out, ev.Dispute.Uint64())
		}
	}
	return out, nil
}

// BlockNumber is the chain's newest block.
func (c *Chain) BlockNumber(ctx context.Context) (uint64, error) { return c.b.BlockNumber(ctx) }
