// Command lockstep is the Lockstep node: it runs reproducible training and shows what it
// is doing. All logic lives in the packages it wires together; see README.md.
package main

import (
	"errors"
	"fmt"
	"os"
)

func main() {
	if err := run(os.Args[1:], os.Stdout, os.Stderr); err != nil {
		fmt.Fprintln(os.Stderr, "lockstep:", err)
		if errors.Is(err, errInterrupted) {
			os.Exit(130) // as a shell reports a process stopped by SIGINT
		}
		os.Exit(1)
	}
}
