// Package demotest runs the demo's RL act as a lockstep process, on its embedded chain: a
// package of its own so that it has its own time budget beside the node processes'
// trials (nodetest). It has no code of its own.
package demotest
