// Package ledger keeps what a node has committed to, in Badger in the node's data
// directory: each run's metadata (module, seed, inputs, configuration), a record of every
// step (step, state root, time) signed with the node's secp256k1 key, and
// full checkpoints every K steps, content-addressed and compressed with zstd, so an
// unchanged tensor is stored once. The module and inputs are stored with the run, so a run
// can be resumed, verified or exported from the ledger alone.
//
// A step counts as committed once Commit returns: its record is synced to disk. Resuming
// restores the newest stored checkpoint and recomputes the steps after it, checking every
// recomputed root against the signed record, so a crash loses at most the work since the
// last commit and never silently changes history.
package ledger
