package main

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"slices"
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
func completeRuns(cmd *cobra.Command, args []string, prefix string) ([]string, cobra.ShellCompDirective) {
	flag, _ := cmd.Flags().GetString("data-dir")
	dir := dataDir(flag)
	directive := cobra.ShellCompDirectiveNoFileComp
	if strings.Contains(cmd.Use, ".lsx") { // it takes an exported run's file too
		directive = cobra.ShellCompDirectiveDefault
	}
	if _, err := os.Stat(filepath.Join(dir, ledger.KeyFile)); err != nil {
		return nil, directive
	}
	r, done, err := openReader(dir)
	if err != nil {
		return nil, directive
	}
	defer done()
	runs, _ := r.Runs()
	var out []string
	for _, run := range runs {
		if strings.HasPrefix(run.ID, prefix) && !slices.Contains(args, run.ID) {
			out = append(out, fmt.Sprintf("%s\t%s, module %.12s, seed %d", run.ID, run.Created.Format("2006-01-02 15:04"), run.Module, run.Seed))
		}
	}
	return out, directive
}

// openReader opens the ledger in dir for reading or, while a running process holds it,
// a client of that process (ledger.ServeReads). done releases it.
func openReader(dir string) (ledger.Reader, func(), error) {
	l, err := ledger.Open(dir, readOnly())
	if errors.Is(err, ledger.ErrInUse) {
		c, derr := ledger.Dial(filepath.Join(dir, ledger.SocketFile))
		if derr != nil {
			return nil, nil, fmt.Errorf("%w: another lockstep process holds the ledger in %s and does not answer reads (%v)", ledger.ErrInUse, dir, derr)
		}
		return c, func() {}, nil
	}
	if err != nil {
		return nil, nil, err
	}
	return l, func() { l.Close() }, nil
}

// readOnly is the ledger's options for commands that only read it.
func readOnly() ledger.Options {
	o := ledger.DefaultOptions()
	o.ReadOnly = true
	return o
}
