package main

import (
	"bufio"
	"bytes"
	"embed"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"regexp"
	"runtime"
	"strings"
	"text/template"

	"github.com/spf13/cobra"
)

//go:embed newtask/*.tmpl
var newTaskFiles embed.FS

// sdkModule is the module path of the Lockstep SDK.
const sdkModule = "github.com/lockstep-ml/lockstep"

func newCmd() *cobra.Command {
	var module, sdk string
	cmd := &cobra.Command{
		Use:   "new DIR",
		Short: "Write a task module that trains, with its native test, to start a task from",
		Long: `Write a new task module in DIR (which must not exist or be empty): go.mod, task.go (a
small classifier written with the guest SDK), task_test.go (it trains natively and a
restored run continues to the same roots) and a README with the commands that test,
build and run it. The SDK comes from a Lockstep checkout: --sdk, else $LOCKSTEP_SDK, else
the checkout the current directory is in.`,
		Args: cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			return newTask(cmd.OutOrStdout(), args[0], module, sdk)
		},
	}
	cmd.Flags().StringVar(&module, "module", "", "the new module's path (default: DIR's base name)")
	cmd.Flags().StringVar(&sdk, "sdk", "", "a checkout of "+sdkModule+" (default $LOCKSTEP_SDK, else the checkout around the current directory)")
	return cmd
}

var taskName = regexp.MustCompile(`^[a-z][a-z0-9_]*$`)

func newTask(w io.Writer, dir, module, sdk string) error {
	name := filepath.Base(filepath.Clean(dir))
	if !taskName.MatchString(name) {
		return fmt.Errorf("%q: a task's directory name must be a lower-case Go identifier (it names the .wasm)", name)
	}
	if module == "" {
		module = name
	}
	sdk, err := findSDK(sdk)
	if err != nil {
		return err
	}
	if entries, err := os.ReadDir(dir); err == nil && len(entries) > 0 {
		return fmt.Errorf("%s exists and is not empty", dir)
	}
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return err
	}
	goVersion := strings.TrimPrefix(runtime.Version(), "go")
	if i := strings.IndexAny(goVersion, " -"); i >= 0 { // "1.26.8 X:..." or a devel build
		goVersion = goVersion[:i]
	}
	data := map[string]string{"Name": name, "Module": module, "SDK": sdk, "GoVersion": goVersion}
	var written []string
	for _, f := range []string{"go.mod", "task.go", "task_test.go", "README.md"} {
		tmpl, err := template.ParseFS(newTaskFiles, "newtask/"+f+".tmpl")
		if err != nil {
			return fmt.Errorf("BUG: template %s: %w", f, err)
		}
		var b bytes.Buffer
		if err := tmpl.Execute(&b, data); err != nil {
			return fmt.Errorf("BUG: template %s: %w", f, err)
		}
		if err := os.WriteFile(filepath.Join(dir, f), b.Bytes(), 0o644); err != nil {
			return err
		}
		written = append(written, f)
	}
	fmt.Fprintf(w, "wrote %s in %s (module %s, SDK from %s)\nnext:\n", strings.Join(written, ", "), dir, module, sdk)
	fmt.Fprintf(w, "  cd %s\n  go mod tidy\n  go test ./...\n", dir)
	fmt.Fprintf(w, "  GOOS=wasip1 GOARCH=wasm go build -buildmode=c-shared -trimpath -ldflags=-buildid= -o %s.wasm .\n", name)
	fmt.Fprintf(w, "  lockstep run %s.wasm --steps 300 --check-restore 100\n", name)
	return nil
}

// findSDK returns the absolute path of a Lockstep checkout: flag, else $LOCKSTEP_SDK,
// else the nearest directory above the current one whose go.mod is the SDK's module.
func findSDK(flag string) (string, error) {
	dir := flag
	if dir == "" {
		dir = os.Getenv("LOCKSTEP_SDK")
	}
	if dir != "" {
		abs, err := filepath.Abs(dir)
		if err != nil {
			return "", err
		}
		if !isSDK(abs) {
			return "", fmt.Errorf("%s is not a checkout of %s (its go.mod names another module, or there is none)", abs, sdkModule)
		}
		return abs, nil
	}
	wd, err := os.Getwd()
	if err != nil {
		return "", err
	}
	for d := wd; ; d = filepath.Dir(d) {
		if isSDK(d) {
			return d, nil
		}
		if filepath.Dir(d) == d {
			return "", fmt.Errorf("lockstep new needs the SDK's source: pass --sdk DIR or set LOCKSTEP_SDK to a checkout of %s, or run it inside one (go run ./cmd/lockstep new ../%s)", sdkModule, "mytask")
		}
	}
}

func isSDK(dir string) bool {
	f, err := os.Open(filepath.Join(dir, "go.mod"))
	if err != nil {
		return false
	}
	defer f.Close()
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		if line := strings.TrimSpace(sc.Text()); strings.HasPrefix(line, "module ") {
			return strings.Trim(strings.TrimSpace(strings.TrimPrefix(line, "module")), `"`) == sdkModule
		}
	}
	return false
}
