// Package chain anchors what the ledger commits to on an Ethereum chain, through the
// Coordinator contract (contracts/Coordinator.sol).
package chain
