package main

import (
	"context"
	"fmt"
	"io"
	"os"
	"os/signal"
	"runtime"
	"runtime/debug"

	"github.com/spf13/cobra"

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
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt)
	defer stop()
	root.SetContext(ctx)
	root.AddCommand(versionCmd(), demoCmd(), runCmd(), inspectCmd(), idCmd(), ledgerCmd(), traceCmd(), verifyCmd(), disputeCmd(), rulingCmd(), newCmd())
	return root.ExecuteContext(ctx)
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
