package rl

import (
	"fmt"

	"github.com/lockstep-ml/lockstep/guest"
)

// Sample completes each prompt (all of one length L) with n tokens from the policy:
// forward maps int32 ids [B, L'] to logits [B, L', V]; step k feeds the prompts and the
// k tokens drawn so far and draws the next token from the last position's logits with
// guest.SampleTokens (temperature 0: greedy), advancing r. After a row's end token the
// rest of its completion is end tokens. It returns the B completions.
func Sample(prompts [][]int32, n int, end int32, temperature float32, r *guest.RNG, forward func(ids *guest.Tensor) *guest.Tensor) [][]int32 {
	b := len(prompts)
	if b == 0 || n < 1 {
		guest.Fail(fmt.Errorf("rl: Sample of %d tokens for %d prompts", n, b))
		return nil
	}
	l := len(prompts[0])
	seqs := make([][]int32, b)
	for i, p := range prompts {
		if len(p) != l || l == 0 {
			guest.Fail(fmt.Errorf("rl: Sample: prompt %d has %d tokens, prompt 0 %d (all must have one length, at least 1)", i, len(p), l))
			return nil
		}
		seqs[i] = append(make([]int32, 0, l+n), p...)
	}
	done := make([]bool, b)
	ids := make([]int32, 0, b*(l+n))
	for k := 0; k < n && guest.Err() == nil; k++ {
		ids = ids[:0]
		for _, s := range seqs {
			ids = append(ids, s...)
		}
		width := l + k
		logits := forward(guest.FromInt32s(ids, b, width))
		last := guest.Slice(logits, 1, width-1, width) // [B, 1, V]
		next := guest.SampleTokens(last, temperature, r).Int32s()
		if guest.Err() != nil {
			return nil
		}
		for i := range seqs {
			tok := next[i]
			if done[i] {
				tok = end
			}
			done[i] = done[i] || tok == end
			seqs[i] = append(seqs[i], tok)
		}
	}
	if guest.Err() != nil {
		return nil
	}
	out := make([][]int32, b)
	for i, s := range seqs {
		out[i] = s[l:]
	}
	return out
}

// CompletionMask returns the float32 mask [M, T] of the rows' completion tokens that
// count: 1 up to and including the first end token, 0 after it (the padding); a
// completion without an end token counts whole. It also returns the number of ones.
func CompletionMask(rows []Row, end int32) (*guest.Tensor, int) {
	if len(rows) == 0 {
		guest.Fail(fmt.Errorf("rl: CompletionMask of no rows"))
		return nil, 0
	}
	t := len(rows[0].Completion())
	m := make([]float32, 0, len(rows)*t)
	ones := 0
	for _, r := range rows {
		live := true
		for _, tok := range r.Completion() {
			if live {
				m = append(m, 1)
				ones++
			} else {
				m = append(m, 0)
			}
			live = live && tok != end
		}
	}
	return guest.FromFloat32s(m, len(rows), t), ones
}

// AdvantageEps is added to a group's standard deviation before dividing by it
// (Advantages with normalize).
const AdvantageEps = 1e-4

// Advantages returns GRPO's group-relative advantages [M] of rows with the given rewards,
// rows with the same group (question index) forming a group:
//
//	A_i = r_i − mean_g(r)                             (normalize false: Dr. GRPO)
//	A_i = (r_i − mean_g(r)) / (std_g(r) + AdvantageEps)  (normalize true: GRPO)
//
// with mean and std (the population standard deviation) over the rows of i's group. A
// group whose rewards are all equal (all right, or all wrong) gives 0: it teaches
// nothing. Every float operation is a host operator: the sums over a group are a matmul
// with the rows' 0/1 membership matrix.
func Advantages(rewards []float32, groups []int32, normalize bool) *guest.Tensor {
	m := len(rewards)
	if m == 0 || len(groups) != m {
		guest.Fail(fmt.Errorf("rl: Advantages of %d rewards and %d groups", m, len(groups)))
		return nil
	}
	// Groups numbered in order of first appearance (no map: this runs in Wasm, and the
	// numbering must not depend on anything but the rows).
	var ids []int32
	number := make([]int, m)
	for i, g := range groups {
		k := -1
		for j, id := range ids {
			if id == g {
				k = j
				break
			}
		}
		if k < 0 {
			k = len(ids)
			ids = append(ids, g)
		}
		number[i] = k
	}
	kn := len(ids)
	member := make([]float32, m*kn)
	counts := make([]float32, kn)
	for i, k := range number {
		member[i*kn+k] = 1
		counts[k]++ // exact: integers far below 2^24
	}
	a := guest.FromFloat32s(member, m, kn)
	n := guest.FromFloat32s(counts, kn, 1)
	r := guest.FromFloat32s(rewards, m, 1)
	groupMean := func(x *guest.Tensor) *guest.Tensor { // x [M, 1] -> each row's group mean [M, 1]
		return guest.MatMul(a, guest.Div(guest.MatMulT(a, x, true, false), n))
	}
	centered := guest.Sub(r, groupMean(r))
	if normalize {
		std := guest.Sqrt(groupMean(guest.Square(centered)))
		centered = guest.Div(centered, guest.Add(std, guest.Scalar(AdvantageEps)))
	}
	return guest.Reshape(centered, m)
}

// PolicyLoss returns the token-mean policy-gradient loss of GRPO for one optimizer step
// on freshly generated rows, where the probability ratio is 1 and needs no clipping:
//
//	loss = −Σ_i Σ_t A_i · mask_it · logp_it / Σ_i Σ_t mask_it
//
// logp [M, T] holds the log-probabilities of the completions' tokens (guest.TokenLogProbs),
// adv [M] the advantages (Advantages), mask [M, T] and tokens what CompletionMask returned.
// Its gradient flows into logp.
func PolicyLoss(logp, adv, mask *guest.Tensor, tokens int) *guest.Tensor {
	if guest.Err() != nil {
		return nil
	}
	if tokens < 1 {
		guest.Fail(fmt.Errorf("rl: PolicyLoss over %d tokens", tokens))
		return nil
	}
	w := guest.Mul(guest.Reshape(adv, -1, 1), mask) // [M, T], no gradient
	total := guest.Sum(guest.Reshape(guest.Mul(logp, w), -1), 0)
	return guest.Scale(total, -1/float32(tokens))
}
