// Package ledger keeps what a node has committed to, in Badger in the node's data
// directory: each run's metadata (module, seed, inputs, configuration), a record of every
// step (step, state root, time) signed with the node's secp256k1 key, and
// full checkpoints every K steps, content-addressed and compressed with zstd, so an
// unchanged tensor is stored once. The module and inputs are stored with the run, so a run
// can be resumed, verified or exported from the ledger alone.
//
// Verify reads back everything a resume or an export needs: the signed records, the
// module, every input and every stored checkpoint, each re-hashed.
//
// An export is one checksummed file of a run. Import checks all of it and stores it in as
// many transactions as it takes, the run's metadata (what lists a run) last: a run is
// there whole or not at all, and what an import killed part way wrote is removed when the
// ledger is next opened.
//
// A step counts as committed once Commit returns: its record is synced to disk. Resuming
// restores the newest stored checkpoint and recomputes the steps after it, checking every
// recomputed root against the signed record, so a crash loses at most the work since the
// last commit and never silently changes history.
//
// The node key (KeyFile, LoadOrCreateKey) is created once per data directory, exclusively,
// so every process of the directory signs as the same node, and stored with its address
// and a checksum, so a damaged key file is refused (ErrKeyDamaged) instead of being read
// as another key or replaced by a new one.
package ledger
