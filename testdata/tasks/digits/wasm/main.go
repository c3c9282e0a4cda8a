// Command wasm is the Wasm build of the digits task: the guest SDK exports the ABI and
// calls the task the digits package registers.
package main

import _ "github.com/lockstep-ml/lockstep/testdata/tasks/digits"

func main() {}
