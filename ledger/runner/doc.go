// Package runner runs a task and commits its steps to the ledger, and recomputes the
// steps a run committed. It is the one loop behind `lockstep run`, `lockstep verify`,
// `lockstep trace` and the dispute game's recomputation (DESIGN.md, "Commitments: state
// roots always, operator traces on demand").
//
// A Runner trains: init, then steps, each ending in a state root committed to the ledger
// in groups (one synced transaction per group: a step counts as committed only once its
// group is synced), with full checkpoints every K steps; Resume continues a run from its
// newest stored checkpoint. A Replayer recomputes: a step in a fresh instance restored from
// the nearest stored checkpoint before it, every root checked against the run's signed
// records, and, on demand, the step's operator trace.
package runner
