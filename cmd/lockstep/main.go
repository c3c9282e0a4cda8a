// Command lockstep is the Lockstep node: it runs reproducible training and shows what it
// is doing. All logic lives in the packages it wires together; see README.md.
package main

import (
	"fmt"
	"os"
)

func main() {
	if err := run(os.Args[1:], os.Stdout, os.Stderr); err != nil {
		fmt.Fprintln(os.Stderr, "lockstep:", err)
		os.Exit(1)
	}
}
