// Command wasm is the Wasm build of the charlm task.
package main

import _ "github.com/lockstep-ml/lockstep/testdata/tasks/charlm"

func main() {}
