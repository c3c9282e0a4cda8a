// Command wasm is the Wasm build of the DiLoCo outer step.
package main

import _ "github.com/lockstep-ml/lockstep/p2p/diloco/outer"

func main() {}
