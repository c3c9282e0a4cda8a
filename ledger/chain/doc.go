// Package chain anchors what the ledger commits to on an Ethereum chain, through the
// Coordinator contract (contracts/Coordinator.sol; RATIONALE.md explains its choices).
//
// The contract registers nodes from their own accounts, bound to their libp2p peer IDs by
// their public keys; describes swarms (task hashes, stake, reward, deadlines in blocks,
// referee quorum); takes one state root per member per round and RL Swarm's votes, and
// pays a round's reward to its most-voted member; and settles disputes: a challenger's
// bond against the accused's stake, a ruling signed by a quorum of referees (members who
// are not parties), the loser's stake or bond credited to the winner, an accused that does
// not answer in time losing.
//
// Coordinator (coordinator.go) is abigen v2's binding, generated from the committed ABI
// and bytecode (contracts/), which solc 0.8.37 builds from the source; TestGenerated*
// checks both. Chain is one account's client of a deployed coordinator. Embedded is a
// chain inside the process (go-ethereum's node and simulated beacon, kept on disk),
// DevKey its faucet and EnsureDev its coordinator; any Ethereum JSON-RPC endpoint serves
// as well. Submitter sends a node's submissions from the ledger's outbox, in order, with
// retries, so that nothing committed locally is lost on the way to the chain, and Watch
// answers disputes against the node, ends expired ones and claims rewards.
package chain
