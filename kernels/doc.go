// Package kernels is RepOps profile R0: the reproducible float32 operators that every
// Lockstep training step runs on. Each operator returns the same bits on every machine:
// amd64 (any GOAMD64 level), arm64, riscv64, ppc64le, s390x and wasm, at any GOMAXPROCS.
//
// The rules every operator follows, and the exact order of IEEE operations each one
// performs, are written in SPEC.md beside this file; that document is the contract, and the
// code is one implementation of it. In short: binary32 storage and arithmetic, one correctly
// rounded IEEE operation per step, no fused multiply-add, reductions in an order fixed by
// the shapes alone, transcendentals built from those operations (never the math package),
// canonical NaNs, counter-based randomness, and a tensor hash that names the profile.
//
// Operators are plain functions over *Tensor. They validate every shape and argument and
// return an *OpError naming the operator and the problem; they never panic on bad input.
// Most return new tensors; the optimizer updates (SGD, AdamW, ClipGradNorm) write into the
// tensors they are given, as an optimizer step does.
//
// Matrix multiplication has a plain reference (matmulRef) and a blocked fast path (with
// AVX assembly on amd64) that must match it bit for bit; the tests hold them to that.
package kernels
