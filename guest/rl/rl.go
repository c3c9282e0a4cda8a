// Package rl is the SDK for reinforcement-learning tasks of an RL swarm, in the manner of
// Gensyn's RL Swarm: every member runs its own policy, answers the same questions each
// round, shares its rollouts, and trains with group-relative policy optimisation (GRPO)
// on its own rollouts and rollouts transplanted from peers. guest/ABI.md ("RL tasks")
// states the host's side; this package implements the guest's.
//
// A task implements Task and registers itself with Register instead of guest.Register.
// Importing this package adds three exports to the Wasm build, each (step: i64) -> i32
// like lockstep_step, which the host calls with step 1 in a fresh instance (after
// lockstep_init and, for generate and train, a restore of the member's state):
//
//   - lockstep_rl_generate: Task.Generate answers the round's questions; the rows it
//     returns are written into the state tensor rl/rollouts (NewRollouts, in Init).
//   - lockstep_rl_score: Task.Score rewards each row of the batch (rl/batch) in [0, 1];
//     the rewards go to the host with guest.Output, as float32s. It changes no state.
//   - lockstep_rl_train: Task.Train scores the batch the same way and takes one
//     optimizer step.
//
// Rows are the unit of exchange: a Row is the index of its question within the round,
// then the T token ids of one completion, padded after its end token. Rows in a batch
// come from any member, so a task must treat them as untrusted input: a row whose
// question index or tokens are out of range scores 0 and contributes nothing.
//
// For writing Generate and Train there are Sample (autoregressive sampling with the
// Gumbel-max trick, through guest.SampleTokens), CompletionMask, Advantages (GRPO's
// group-relative advantages) and PolicyLoss (the token-mean policy-gradient loss); every
// float operation they do is a host operator. testdata/tasks/rl is a complete task.
package rl

import (
	"encoding/binary"
	"fmt"
	"math"

	"github.com/lockstep-ml/lockstep/guest"
)

// The names the host and the task share (guest/ABI.md, "RL tasks").
const (
	// RoundInput is the input holding the round: its number, then the question seed,
	// each a little-endian u64.
	RoundInput = "rl/round"
	// BatchInput is the input holding the rows to score or train on: a little-endian
	// int32 matrix of width 1+T.
	BatchInput = "rl/batch"
	// RolloutsState is the registered int32 state tensor [N, 1+T] that generate writes.
	RolloutsState = "rl/rollouts"
	// MaxBatchRows is the most rows a batch may hold.
	MaxBatchRows = 1 << 16
)

// Round is what the host tells every member about a round: its number and the seed of
// its questions (the same for every member; the task derives the questions from it).
type Round struct {
	Number, QuestionSeed uint64
}

// Bytes encodes r as the host passes it in RoundInput.
func (r Round) Bytes() []byte {
	b := binary.LittleEndian.AppendUint64(nil, r.Number)
	return binary.LittleEndian.AppendUint64(b, r.QuestionSeed)
}

// ParseRound decodes RoundInput's 16 bytes.
func ParseRound(b []byte) (Round, error) {
	if len(b) != 16 {
		return Round{}, fmt.Errorf("rl: %s has %d bytes, want 16", RoundInput, len(b))
	}
	return Round{Number: binary.LittleEndian.Uint64(b), QuestionSeed: binary.LittleEndian.Uint64(b[8:])}, nil
}

// Row is one rollout: the index of its question within the round, then the completion's
// token ids.
type Row []int32

// Question returns the index of the row's question within the round.
func (r Row) Question() int32 { return r[0] }

// Completion returns the row's token ids (shared with the row).
func (r Row) Completion() []int32 { return r[1:] }

// EncodeRows encodes rows as the host passes them in BatchInput: little-endian int32s,
// row after row.
func EncodeRows(rows []Row) []byte {
	var b []byte
	for _, r := range rows {
		for _, v := range r {
			b = binary.LittleEndian.AppendUint32(b, uint32(v))
		}
	}
	return b
}

// DecodeRows decodes a matrix of rows of width int32s each: at least one row and at most
// MaxBatchRows.
func DecodeRows(b []byte, width int) ([]Row, error) {
	if width < 1 || len(b)%(4*width) != 0 || len(b) == 0 || len(b)/(4*width) > MaxBatchRows {
		return nil, fmt.Errorf("rl: a batch of %d bytes is not 1 to %d rows of %d int32s", len(b), MaxBatchRows, width)
	}
	all := make([]int32, len(b)/4)
	for i := range all {
		all[i] = int32(binary.LittleEndian.Uint32(b[4*i:]))
	}
	rows := make([]Row, len(all)/width)
	for i := range rows {
		rows[i] = Row(all[i*width : (i+1)*width : (i+1)*width])
	}
	return rows, nil
}

// EncodeRewards encodes rewards as the score export hands them to the host: float32s,
// little-endian.
func EncodeRewards(rewards []float32) []byte {
	b := make([]byte, 0, 4*len(rewards))
	for _, r := range rewards {
		b = binary.LittleEndian.AppendUint32(b, math.Float32bits(r))
	}
	return b
}

// DecodeRewards decodes the score export's output.
func DecodeRewards(b []byte) ([]float32, error) {
	if len(b)%4 != 0 {
		return nil, fmt.Errorf("rl: %d bytes of rewards are not float32s", len(b))
	}
	out := make([]float32, len(b)/4)
	for i := range out {
		out[i] = math.Float32frombits(binary.LittleEndian.Uint32(b[4*i:]))
	}
	return out, nil
}

// Task is an RL task. Its guest.Task part is as for any task: Init builds the policy and
// registers its state, including the rollouts (NewRollouts), and must not need the round
// (the host also runs it without one); Step is a supervised warm-up step, with which the
// host makes the swarm's starting state. Then, each round:
type Task interface {
	guest.Task
	// Rollouts returns the rollouts NewRollouts registered in Init.
	Rollouts() *Rollouts
	// Generate answers the round's questions with the current policy: G completions per
	// question, drawn with randomness from the instance seed and the round. It returns
	// the N rows, ordered by question, then sample; they are written into the rollouts.
	// It must not change the parameters.
	Generate(r Round) ([]Row, error)
	// Score rewards each row of batch with the task's checker: one reward in [0, 1] per
	// row. It must not change the state.
	Score(r Round, batch []Row) ([]float32, error)
	// Train scores the batch as Score does and takes one optimizer step on it; rows with
	// the same question index form a group. It must not change the rollouts.
	Train(r Round, batch []Row) error
}

var registered Task

// Register makes t the task this module runs (call it from an init function): it is
// guest.Register, and the RL exports call t too.
func Register(t Task) {
	registered = t
	guest.Register(t)
}

// Rollouts is the state tensor rl/rollouts: the rows a member generated in its last
// round, which the host reads from its checkpoint.
type Rollouts struct {
	t        *guest.Tensor
	n, width int
}

// NewRollouts registers the int32 state tensor rl/rollouts of n rows (questions per
// round × group size) of 1+completionLen columns, zeros until the first Generate. Call it
// in Init.
func NewRollouts(n, completionLen int) *Rollouts {
	if n < 1 || completionLen < 1 {
		guest.Fail(fmt.Errorf("rl: NewRollouts(%d, %d): want at least one row and one token", n, completionLen))
		return &Rollouts{}
	}
	t := guest.State(RolloutsState, guest.FromInt32s(make([]int32, n*(1+completionLen)), n, 1+completionLen))
	return &Rollouts{t: t, n: n, width: 1 + completionLen}
}

// Rows returns the number of rows, N.
func (r *Rollouts) Rows() int { return r.n }

// Width returns the number of int32s per row, 1+T.
func (r *Rollouts) Width() int { return r.width }

// Tensor returns the registered tensor.
func (r *Rollouts) Tensor() *guest.Tensor { return r.t }

// Write replaces the rollouts with rows (exactly N of width 1+T), with the assign
// operator.
func (r *Rollouts) Write(rows []Row) {
	if guest.Err() != nil {
		return
	}
	if len(rows) != r.n {
		guest.Fail(fmt.Errorf("rl: %d rows generated, the rollouts hold %d", len(rows), r.n))
		return
	}
	flat := make([]int32, 0, r.n*r.width)
	for i, row := range rows {
		if len(row) != r.width {
			guest.Fail(fmt.Errorf("rl: generated row %d has %d values, want %d", i, len(row), r.width))
			return
		}
		flat = append(flat, row...)
	}
	guest.Assign(r.t, guest.FromInt32s(flat, r.n, r.width))
}

// Read returns the rows the rollouts hold.
func (r *Rollouts) Read() []Row {
	all := r.t.Int32s()
	if guest.Err() != nil {
		return nil
	}
	rows := make([]Row, r.n)
	for i := range rows {
		rows[i] = Row(all[i*r.width : (i+1)*r.width : (i+1)*r.width])
	}
	return rows
}

func readRound() (Round, error) {
	if n := guest.InputSize(RoundInput); guest.Err() != nil || n != 16 {
		if err := guest.Err(); err != nil {
			return Round{}, err
		}
		return Round{}, fmt.Errorf("rl: %s has %d bytes, want 16", RoundInput, n)
	}
	b := guest.ReadInput(RoundInput)
	if err := guest.Err(); err != nil {
		return Round{}, err
	}
	return ParseRound(b)
}

func readBatch(t Task) ([]Row, error) {
	width := t.Rollouts().Width()
	if width < 1 {
		return nil, fmt.Errorf("rl: the task registered no rollouts (call rl.NewRollouts in Init)")
	}
	if n := guest.InputSize(BatchInput); guest.Err() != nil || n > int64(4*width*MaxBatchRows) {
		if err := guest.Err(); err != nil {
			return nil, err
		}
		return nil, fmt.Errorf("rl: %s has %d bytes, more than %d rows of %d int32s", BatchInput, n, MaxBatchRows, width)
	}
	b := guest.ReadInput(BatchInput)
	if err := guest.Err(); err != nil {
		return nil, err
	}
	return DecodeRows(b, width)
}

func callGenerate(t Task) error {
	r, err := readRound()
	if err != nil {
		return err
	}
	rows, err := t.Generate(r)
	if err != nil {
		return err
	}
	t.Rollouts().Write(rows)
	return guest.Err()
}

func callScore(t Task) error {
	r, err := readRound()
	if err != nil {
		return err
	}
	batch, err := readBatch(t)
	if err != nil {
		return err
	}
	rewards, err := t.Score(r, batch)
	if err != nil {
		return err
	}
	if len(rewards) != len(batch) {
		return fmt.Errorf("rl: Score gave %d rewards for %d rows", len(rewards), len(batch))
	}
	for i, v := range rewards {
		if !(v >= 0 && v <= 1) {
			return fmt.Errorf("rl: Score gave row %d the reward %v, outside [0, 1]", i, v)
		}
	}
	guest.Output(EncodeRewards(rewards))
	return guest.Err()
}

func callTrain(t Task) error {
	r, err := readRound()
	if err != nil {
		return err
	}
	batch, err := readBatch(t)
	if err != nil {
		return err
	}
	if err := t.Train(r, batch); err != nil {
		return err
	}
	return guest.Err()
}
