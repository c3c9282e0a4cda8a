// Package nodetest holds the tests that start lockstep node processes (a swarm on
// loopback, a member killed and restarted) and the benchmark of their traffic and memory:
// a package of its own so that they run beside the CLI's other tests, each with its own
// time budget. It has no code of its own.
package nodetest
