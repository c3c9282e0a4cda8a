// Command wasm is the Wasm build of the RL example task (testdata/tasks/rl).
package main

import _ "github.com/lockstep-ml/lockstep/testdata/tasks/rl"

func main() {}
