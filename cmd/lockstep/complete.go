package main

import (
	"fmt"
	"os"
	"path/filepath"
	"strings"

	"github.com/spf13/cobra"

	"github.com/lockstep-ml/lockstep/ledger"
	lsruntime "github.com/lockstep-ml/lockstep/runtime"
)

// addCompletions makes shell completion offer run IDs wherever a command takes a RUN (and
// for --resume) and the engines for --engine, throughout the command tree.
func addCompletions(c *cobra.Command) {
	if strings.Contains(c.Use, " RUN") && c.ValidArgsFunction == nil {
		c.ValidArgsFunction = completeRuns
	}
	if c.Flags().Lookup("resume") != nil {
		c.RegisterFlagCompletionFunc("resume", completeRuns)
	}
	if c.Flags().Lookup("engine") != nil {
		c.RegisterFlagCompletionFunc("engine", cobra.FixedCompletions(
			[]string{string(lsruntime.EngineCompiler), string(lsruntime.EngineInterpreter)}, cobra.ShellCompDirectiveNoFileComp))
	}
	for _, sub := range c.Commands() {
		addCompletions(sub)
	}
}

// completeRuns lists the runs in the data dir the command line names, with what each is.
// It never creates a data dir or a key: without a ledger there is nothing to offer.
func completeRuns(cmd *cobra.Command, _ []string, prefix string) ([]string, cobra.ShellCompDirective) {
	flag, _ := cmd.Flags().GetString("data-dir")
	dir := dataDir(flag)
	if _, err := os.Stat(filepath.Join(dir, ledger.KeyFile)); err != nil {
		return nil, cobra.ShellCompDirectiveNoFileComp
	}
	l, err := ledger.Open(dir, readOnly())
	if err != nil { // in use by a running node, say
		return nil, cobra.ShellCompDirectiveNoFileComp
	}
	defer l.Close()
	runs, _ := l.Runs()
	var out []string
	for _, r := range runs {
		if strings.HasPrefix(r.ID, prefix) {
			out = append(out, fmt.Sprintf("%s\t%s, module %.12s, %d steps", r.ID, r.Created.Format("2006-01-02 15:04"), r.Module, r.Steps))
		}
	}
	return out, cobra.ShellCompDirectiveNoFileComp
}

// readOnly is the ledger's options for commands that only read it.
func readOnly() ledger.Options {
	o := ledger.DefaultOptions()
	o.ReadOnly = true
	return o
}
