// Package crosstest checks that lockstep cross-compiles without cgo for every release
// target. It is a package of its own so that its builds (each a cold compile of the whole
// binary, go-ethereum's node included, where the build cache is cold) have a test time
// limit of their own; .ci/run builds the targets first, so that here they come from the
// cache.
package crosstest
