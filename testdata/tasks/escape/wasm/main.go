// Command wasm is the Wasm build of the escape fixture.
package main

import _ "github.com/lockstep-ml/lockstep/testdata/tasks/escape"

func main() {}
