// Package addition is the RL swarm example task (testdata/tasks/rl): a small
// character-level transformer learns two-digit addition, carries included, from a
// checker's rewards.
//
// A question is a pair (a, b), 0 ≤ a, b ≤ 99, shown as the prompt "ab+cd=" (each operand
// as two digits, so every prompt is 6 tokens); the answer is the digits of a+b, most
// significant first and without leading zeros, then the end token: "07+35=" → "42$".
// Completions are T = 4 tokens (at most 3 digits and the end token), padded with end
// tokens. Tokens: 0-9 the digits, 10 '+', 11 '=', 12 the end.
//
// The checker (Reward) is binary: 1 for the exact answer (the digits and the end token;
// what follows the end is ignored), else 0, and 0 for a row whose question index or
// tokens are out of range.
//
// Questions: a round asks Questions questions, drawn with guest.Sample from the training
// pairs by the round's question seed; each member answers each Group times. The held-out
// pairs are those whose SplitMix64 hash of 100a+b is 0 mod 16 (HeldOut; 644 of the
// 10,000), never asked in training or warm-up; Eval reports the fraction answered exactly
// by greedy decoding as the metric accuracy (and, as the reward is binary, the same
// number as reward).
//
// The warm-up (Step, Warmup steps recommended) is supervised by a sloppy teacher, so
// that the swarm starts from a policy that knows the right answers but prefers wrong ones,
// and RL has something to find: cross-entropy on the answers of Batch random training
// questions, AdamW at WarmupLR. Its first CarryFree steps ask only questions without a
// carry (about 30% of all; they are learned in about 100 steps, the same for every seed),
// the later ones every training question, and for a question with a carry the teacher
// gives the right answer only one time in four, else the column sums without carries
// ("57+68=" → "15$"). The policy then answers the carry-free questions and few others
// (held-out accuracy 0.33 to 0.39 after Warmup steps for swarm seeds 1 to 3; a warm-up on
// every question with the right answers instead reaches 0.06 to 0.36 after 200 steps,
// depending on when the seed happens to learn to carry), and its samples hold the right
// answer to a question with a carry now and then: RL has it to find and reinforce.
//
// Train is one GRPO step with the same AdamW at LR: advantages (r − mean) / (std + 1e-4)
// over the rows of each question (rl.Advantages, normalized), the token-mean
// policy-gradient loss (rl.PolicyLoss) over the completion tokens up to the end token.
// With the binary reward only a group holding both right and wrong answers teaches, which
// is where rows transplanted from peers help: they bring right answers to questions whose
// own rows are all wrong. Generate samples at Temperature. Eval decodes greedily with one
// teacher-forced pass: a greedy decoding gives the exact answer if and only if every
// answer token is the argmax given the answer's tokens before it.
//
// The Wasm build is testdata/tasks/rl/rl.wasm (copied to cmd/lockstep/tasks/rl.wasm):
//
//	GOOS=wasip1 GOARCH=wasm go build -buildmode=c-shared -trimpath -ldflags=-buildid= \
//	    -o testdata/tasks/rl/rl.wasm ./testdata/tasks/rl/wasm
package addition

import (
	"fmt"
	"slices"

	"github.com/lockstep-ml/lockstep/guest"
	"github.com/lockstep-ml/lockstep/guest/rl"
)

// The task's shape and hyperparameters.
const (
	Questions   = 16 // questions per round, Q
	Group       = 8  // completions per question and member, G
	Rows        = Questions * Group
	Batch       = 64   // questions per warm-up step
	Temperature = 1.0  // of Generate's sampling
	LR          = 1e-3 // AdamW's learning rate in Train
	WarmupLR    = 3e-3 // and in the warm-up steps
	CarryFree   = 100  // the first warm-up steps, on questions without a carry only
	Warmup      = 400  // the warm-up steps recommended before the first round
)

// Tokens.
const (
	Plus   = 10
	Equals = 11
	End    = 12
	Vocab  = 13
	T      = 4 // completion tokens
	prompt = 6
	ctx    = prompt + T - 1 // the model's positions: the prompt and all but the last answer token
)

const (
	dim    = 32
	heads  = 4
	layers = 2
)

// Question is one addition a + b.
type Question struct{ A, B int32 }

func mix64(z uint64) uint64 {
	z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9
	z = (z ^ (z >> 27)) * 0x94D049BB133111EB
	return z ^ (z >> 31)
}

// HeldOut reports whether q is a held-out question (Eval's), never asked in training.
func HeldOut(q Question) bool { return mix64(uint64(100*q.A+q.B)+0x5EED)%16 == 0 }

// training and heldOut are the two sets, in order of 100a+b.
var training, heldOut = func() (tr, ho []Question) {
	for a := int32(0); a < 100; a++ {
		for b := int32(0); b < 100; b++ {
			if q := (Question{a, b}); HeldOut(q) {
				ho = append(ho, q)
			} else {
				tr = append(tr, q)
			}
		}
	}
	return tr, ho
}()

// Carries reports whether a+b carries a digit (from the units, or out of the tens).
func Carries(q Question) bool {
	units := q.A%10 + q.B%10
	return units >= 10 || q.A/10+q.B/10+units/10 >= 10
}

// carryFree is the training questions without a carry: the first warm-up steps'.
var carryFree = func() (cf []Question) {
	for _, q := range training {
		if !Carries(q) {
			cf = append(cf, q)
		}
	}
	return cf
}()

// Sloppy returns the sloppy teacher's wrong answer to q: the column sums without carries,
// as the sum of a question (a, 0).
func Sloppy(q Question) Question {
	return Question{A: 10*((q.A/10+q.B/10)%10) + (q.A%10+q.B%10)%10}
}

// HeldOutQuestions returns the held-out questions.
func HeldOutQuestions() []Question { return append([]Question(nil), heldOut...) }

// RoundQuestions returns the Questions questions of the round with question seed seed.
func RoundQuestions(seed uint64) []Question {
	qs := make([]Question, Questions)
	for i, k := range guest.Sample(len(training), Questions, seed, 0) {
		qs[i] = training[k]
	}
	return qs
}

// Prompt returns q's prompt tokens.
func Prompt(q Question) []int32 {
	return []int32{q.A / 10, q.A % 10, Plus, q.B / 10, q.B % 10, Equals}
}

// Answer returns q's answer tokens: the digits of the sum and the end token.
func Answer(q Question) []int32 {
	s := q.A + q.B
	var digits []int32
	for {
		digits = append([]int32{s % 10}, digits...)
		s /= 10
		if s == 0 {
			break
		}
	}
	return append(digits, End)
}

// Completion returns q's answer padded to T tokens: the supervised target.
func Completion(q Question) []int32 {
	c := Answer(q)
	for len(c) < T {
		c = append(c, End)
	}
	return c
}

// Reward is the checker: 1 for the exact answer (what follows its end token is
// ignored), else 0; 0 for tokens out of range.
func Reward(q Question, completion []int32) float32 {
	want := Answer(q)
	if len(completion) < len(want) {
		return 0
	}
	for i, tok := range completion {
		if tok < 0 || tok >= Vocab || i < len(want) && tok != want[i] {
			return 0
		}
	}
	return 1
}

type block struct {
	ln1, ln2 *guest.LayerNormLayer
	attn     *guest.CausalSelfAttention
	mlp      *guest.MLP
}

// Task is the addition policy.
type Task struct {
	seed     uint64
	tok, pos *guest.Tensor
	blocks   []block
	lnf      *guest.LayerNormLayer
	head     *guest.Linear
	opt      *guest.AdamW
	rollouts *rl.Rollouts

	sampleEval bool // Eval by evalBySampling (tests)
}

func init() { rl.Register(&Task{}) }

var _ rl.Task = (*Task)(nil)

// Init builds the policy and its optimizer and registers the rollouts.
func (t *Task) Init(seed uint64) error {
	t.seed = seed
	r := &guest.RNG{Seed: seed, Stream: 1}
	t.tok = guest.Param("tok", r.Normal(0, 0.1, Vocab, dim))
	t.pos = guest.Param("pos", r.Normal(0, 0.1, ctx, dim))
	t.blocks = nil
	for l := 0; l < layers; l++ {
		name := fmt.Sprintf("block%d", l)
		t.blocks = append(t.blocks, block{
			ln1:  guest.NewLayerNorm(name+".ln1", dim),
			attn: guest.NewCausalSelfAttention(name+".attn", dim, heads, r),
			ln2:  guest.NewLayerNorm(name+".ln2", dim),
			mlp:  guest.NewMLP(name+".mlp", []int{dim, 4 * dim, dim}, guest.Gelu, r),
		})
	}
	t.lnf = guest.NewLayerNorm("lnf", dim)
	t.head = guest.NewLinear("head", dim, Vocab, r)
	t.opt = guest.NewAdamW("adamw", guest.Params(), guest.AdamW{LR: WarmupLR, ClipNorm: 1})
	t.rollouts = rl.NewRollouts(Rows, T)
	return guest.Err()
}

// Rollouts returns the registered rollouts.
func (t *Task) Rollouts() *rl.Rollouts { return t.rollouts }

// forward maps ids [B, L] (L ≤ ctx) to logits [B, L, Vocab].
func (t *Task) forward(ids *guest.Tensor) *guest.Tensor {
	l := ids.Dim(1)
	pos := t.pos
	if l < ctx {
		pos = guest.Slice(t.pos, 0, 0, l)
	}
	h := guest.Add(guest.Embedding(t.tok, ids), pos)
	for _, b := range t.blocks {
		h = guest.Add(h, b.attn.Forward(b.ln1.Forward(h)))
		h = guest.Add(h, b.mlp.Forward(b.ln2.Forward(h)))
	}
	return t.head.Forward(t.lnf.Forward(h))
}

// answerLogits returns the logits [M, T, Vocab] that predict the completions' tokens,
// teacher-forced: the model reads each prompt and all but the last completion token.
func (t *Task) answerLogits(prompts, completions [][]int32) *guest.Tensor {
	ids := make([]int32, 0, len(prompts)*ctx)
	for i, p := range prompts {
		ids = append(append(ids, p...), completions[i][:T-1]...)
	}
	logits := t.forward(guest.FromInt32s(ids, len(prompts), ctx))
	return guest.Slice(logits, 1, prompt-1, ctx)
}

// Step is a supervised warm-up step on Batch questions drawn by (seed, step): carry-free
// ones in the first CarryFree steps, then any training question, answered by the sloppy
// teacher (Sloppy three times in four where a carry is needed).
func (t *Task) Step(step uint64) error {
	qs := training
	if step <= CarryFree {
		qs = carryFree
	}
	var prompts, completions [][]int32
	var labels []int32
	for i, k := range guest.Sample(len(qs), Batch, t.seed, step) {
		q := qs[k]
		c := Completion(q)
		if Carries(q) && mix64(t.seed^mix64(step<<16|uint64(i)))%8 >= 2 { // right 2 in 8
			c = Completion(Sloppy(q))
		}
		prompts, completions = append(prompts, Prompt(q)), append(completions, c)
		labels = append(labels, c...)
	}
	logits := guest.Reshape(t.answerLogits(prompts, completions), -1, Vocab)
	loss := guest.CrossEntropy(logits, guest.FromInt32s(labels, len(labels)))
	guest.Backward(loss)
	t.opt.LR = WarmupLR
	t.opt.Step()
	guest.Metric("loss", float64(loss.Item()))
	return guest.Err()
}

// Generate answers the round's questions Group times each, sampling at Temperature with
// randomness from the instance seed and the round.
func (t *Task) Generate(r rl.Round) ([]rl.Row, error) {
	qs := RoundQuestions(r.QuestionSeed)
	var prompts [][]int32
	for _, q := range qs {
		for range Group {
			prompts = append(prompts, Prompt(q))
		}
	}
	rng := &guest.RNG{Seed: t.seed, Stream: 1<<32 | r.Number}
	completions := rl.Sample(prompts, T, End, Temperature, rng, t.forward)
	if err := guest.Err(); err != nil {
		return nil, err
	}
	rows := make([]rl.Row, len(completions))
	var total float32
	for i, c := range completions {
		q := i / Group
		rows[i] = append(rl.Row{int32(q)}, c...)
		total += Reward(qs[q], c)
	}
	guest.Metric("reward", float64(total)/float64(len(rows)))
	return rows, nil
}

// score checks each row against the round's questions; ok[i] says whether row i is well
// formed (a question of the round, tokens in range).
func score(qs []Question, batch []rl.Row) (rewards []float32, ok []bool) {
	rewards, ok = make([]float32, len(batch)), make([]bool, len(batch))
	for i, row := range batch {
		q := row.Question()
		if q < 0 || int(q) >= len(qs) {
			continue
		}
		ok[i] = true
		for _, tok := range row.Completion() {
			ok[i] = ok[i] && tok >= 0 && tok < Vocab
		}
		rewards[i] = Reward(qs[q], row.Completion())
	}
	return rewards, ok
}

// Score rewards each row with the checker.
func (t *Task) Score(r rl.Round, batch []rl.Row) ([]float32, error) {
	rewards, _ := score(RoundQuestions(r.QuestionSeed), batch)
	return rewards, nil
}

// Train takes one GRPO step on the batch: advantages (r − mean) / (std + 1e-4) over the
// rows of each question, the token-mean policy-gradient loss over the completions up to
// their end token. Rows that are not well formed count in their group's mean with
// reward 0 and are left out of the loss.
func (t *Task) Train(r rl.Round, batch []rl.Row) error {
	qs := RoundQuestions(r.QuestionSeed)
	rewards, ok := score(qs, batch)
	prompts := make([][]int32, len(batch))
	completions := make([][]int32, len(batch))
	groups := make([]int32, len(batch))
	rows := make([]rl.Row, len(batch))
	for i, row := range batch {
		groups[i] = row.Question()
		if !ok[i] {
			// Feed something harmless and mask it all out below.
			prompts[i], completions[i] = Prompt(Question{}), []int32{End, End, End, End}
			rows[i] = rl.Row{0, End, End, End, End}
			continue
		}
		prompts[i], completions[i], rows[i] = Prompt(qs[row.Question()]), row.Completion(), row
	}
	mask, tokens := rl.CompletionMask(rows, End)
	for i := range batch {
		if !ok[i] {
			tokens -= 1 // the all-end row counts one token in the mask; zero it below
		}
	}
	mask = guest.Mul(mask, guest.FromFloat32s(rowWeights(ok), len(batch), 1))
	if tokens < 1 {
		return fmt.Errorf("train: no well-formed row in a batch of %d", len(batch))
	}
	logp := guest.TokenLogProbs(t.answerLogits(prompts, completions), guest.FromInt32s(flat(completions), len(batch), T))
	loss := rl.PolicyLoss(logp, rl.Advantages(rewards, groups, true), mask, tokens)
	guest.Backward(loss)
	t.opt.LR = LR
	t.opt.Step()
	var total float32
	for _, v := range rewards {
		total += v
	}
	guest.Metric("reward", float64(total)/float64(len(batch)))
	guest.Metric("loss", float64(loss.Item()))
	return guest.Err()
}

func rowWeights(ok []bool) []float32 {
	w := make([]float32, len(ok))
	for i, o := range ok {
		if o {
			w[i] = 1
		}
	}
	return w
}

func flat(rows [][]int32) []int32 {
	var out []int32
	for _, r := range rows {
		out = append(out, r...)
	}
	return out
}

// Eval answers every held-out question greedily and reports the fraction answered
// exactly (accuracy, and reward, the same with a binary reward). It decodes with one
// teacher-forced pass instead of T: a greedy decoding is exact if and only if each
// answer token, up to the end token, is the argmax after the answer's tokens before it.
func (t *Task) Eval() error {
	if t.sampleEval {
		return t.evalBySampling()
	}
	prompts := make([][]int32, len(heldOut))
	completions := make([][]int32, len(heldOut))
	for i, q := range heldOut {
		prompts[i], completions[i] = Prompt(q), Completion(q)
	}
	best := guest.ArgMax(t.answerLogits(prompts, completions)).Int32s() // [M, T]
	if err := guest.Err(); err != nil {
		return err
	}
	right := 0
	for i, q := range heldOut {
		want := Answer(q)
		if slices.Equal(best[i*T:i*T+len(want)], want) {
			right++
		}
	}
	acc := float64(right) / float64(len(heldOut))
	guest.Metric("accuracy", acc)
	guest.Metric("reward", acc)
	return guest.Err()
}

// evalBySampling is Eval decoding with rl.Sample at temperature 0, in T passes: what the
// one-pass Eval must agree with (a test checks it).
func (t *Task) evalBySampling() error {
	prompts := make([][]int32, len(heldOut))
	for i, q := range heldOut {
		prompts[i] = Prompt(q)
	}
	completions := rl.Sample(prompts, T, End, 0, &guest.RNG{}, t.forward)
	if err := guest.Err(); err != nil {
		return err
	}
	right := 0
	for i, c := range completions {
		right += int(Reward(heldOut[i], c))
	}
	acc := float64(right) / float64(len(heldOut))
	guest.Metric("accuracy", acc)
	guest.Metric("reward", acc)
	return guest.Err()
}
