package main

import (
	"context"
	"fmt"
	"io"
	"os"
	"os/signal"
	"runtime"
	"runtime/debug"
	"strings"
	"syscall"

	"github.com/spf13/cobra"
	"github.com/spf13/pflag"

	"github.com/lockstep-ml/lockstep/kernels"
	lsruntime "github.com/lockstep-ml/lockstep/runtime"
)

// run executes the lockstep command line with args, writing to stdout and stderr.
func run(args []string, stdout, stderr io.Writer) error {
	root := &cobra.Command{
		Use:           "lockstep",
		Short:         "Reproducible, verifiable ML training in a WebAssembly sandbox",
		SilenceUsage:  true,
		SilenceErrors: true,
	}
	root.SetArgs(args)
	root.SetOut(stdout)
	root.SetErr(stderr)
	// SIGTERM too: systemctl stop and docker stop send it, and a node should stop as
	// cleanly for them as for Ctrl-C.
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	root.SetContext(ctx)
	root.SetFlagErrorFunc(suggestFlag)
	root.AddCommand(versionCmd(), demoCmd(), runCmd(), inspectCmd(), idCmd(), ledgerCmd(), traceCmd(), verifyCmd(), disputeCmd(), rulingCmd(), newCmd(), nodeCmd(), swarmCmd(), chainCmd())
	addCompletions(root)
	return root.ExecuteContext(ctx)
}

// suggestFlag adds the flags a mistyped one may have meant to cobra's "unknown flag".
func suggestFlag(cmd *cobra.Command, err error) error {
	name, ok := strings.CutPrefix(err.Error(), "unknown flag: --")
	if !ok {
		return err
	}
	var near []string
	cmd.Flags().VisitAll(func(f *pflag.Flag) {
		if d := editDistance(name, f.Name); d <= 2 || strings.HasPrefix(f.Name, name) {
			near = append(near, "--"+f.Name)
		}
	})
	if len(near) == 0 {
		return fmt.Errorf("%w (lockstep %s --help lists the flags)", err, cmd.Name())
	}
	return fmt.Errorf("%w: did you mean %s?", err, strings.Join(near, " or "))
}

// editDistance is the Levenshtein distance between a and b.
func editDistance(a, b string) int {
	prev := make([]int, len(b)+1)
	for j := range prev {
		prev[j] = j
	}
	for i := 1; i <= len(a); i++ {
		cur := make([]int, len(b)+1)
		cur[0] = i
		for j := 1; j <= len(b); j++ {
			cost := 1
			if a[i-1] == b[j-1] {
				cost = 0
			}
			cur[j] = min(prev[j]+1, cur[j-1]+1, prev[j-1]+cost)
		}
		prev = cur
	}
	return prev[len(b)]
}

// runtimeInfo describes this machine's kernels briefly, for headers.
func runtimeInfo() string {
	return fmt.Sprintf("%s, matmul kernel %s, %s/%s", kernels.Profile, kernels.MatMulKernel(), runtime.GOOS, runtime.GOARCH)
}

func versionCmd() *cobra.Command {
	return &cobra.Command{
		Use:   "version",
		Short: "Print the version, the RepOps profile and the kernels in use",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			v := "(devel)"
			if bi, ok := debug.ReadBuildInfo(); ok && bi.Main.Version != "" {
				v = bi.Main.Version
			}
			w := cmd.OutOrStdout()
			wz := "unknown"
			if bi, ok := debug.ReadBuildInfo(); ok {
				for _, d := range bi.Deps {
					if d.Path == "github.com/tetratelabs/wazero" {
						wz = d.Version
					}
				}
			}
			fmt.Fprintf(w, "lockstep %s\n", v)
			fmt.Fprintf(w, "task ABI:       version %d\n", lsruntime.ABIVersion)
			fmt.Fprintf(w, "sandbox:        wazero %s, default engine %s\n", wz, lsruntime.DefaultEngine())
			fmt.Fprintf(w, "repops profile: %s\n", kernels.Profile)
			fmt.Fprintf(w, "matmul kernel:  %s\n", kernels.MatMulKernel())
			fmt.Fprintf(w, "platform:       %s/%s, %s, GOMAXPROCS=%d\n", runtime.GOOS, runtime.GOARCH, runtime.Version(), runtime.GOMAXPROCS(0))
			return nil
		},
	}
}
