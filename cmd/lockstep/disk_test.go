package main

import (
	"errors"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strings"
	"testing"
	"time"

	"github.com/lockstep-ml/lockstep/internal/diskspace"
)

// mountSmall mounts a tmpfs of size bytes for the test (root, or sudo without a
// password, as CI has), or skips.
func mountSmall(t *testing.T, size string) string {
	t.Helper()
	if runtime.GOOS != "linux" {
		t.Skip("needs a Linux tmpfs")
	}
	dir := t.TempDir()
	mount := exec.Command("mount", "-t", "tmpfs", "-o", "size="+size, "tmpfs", dir)
	if os.Geteuid() != 0 {
		mount = exec.Command("sudo", "-n", "mount", "-t", "tmpfs", "-o", "size="+size, "tmpfs", dir)
	}
	if out, err := mount.CombinedOutput(); err != nil {
		t.Skipf("cannot mount a small tmpfs to fill (needs root or sudo): %v %s", err, out)
	}
	t.Cleanup(func() {
		umount := exec.Command("umount", dir)
		if os.Geteuid() != 0 {
			umount = exec.Command("sudo", "-n", "umount", dir)
		}
		umount.Run()
	})
	return dir
}

// fill writes a file that leaves about leave bytes free on dir's file system.
func fill(t *testing.T, dir string, leave uint64) string {
	t.Helper()
	free, err := diskspace.Free(dir)
	if err != nil {
		t.Fatal(err)
	}
	path := filepath.Join(dir, "fill")
	f, err := os.OpenFile(path, os.O_CREATE|os.O_WRONLY|os.O_APPEND, 0o600)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	chunk := make([]byte, 1<<20)
	for n := uint64(0); free > leave && n < free-leave; n += uint64(len(chunk)) {
		if _, err := f.Write(chunk); err != nil {
			break // full
		}
	}
	return path
}

// A full disk is an error that names the data dir and the space needed, never a SIGBUS:
// committed steps are kept, reading commands work, a module compiles without its cache,
// a run that fills the disk stops cleanly, and once there is room again the run resumes.
func TestFullDisk(t *testing.T) {
	if testing.Short() {
		t.Skip("builds lockstep and fills a file system; skipped in -short mode")
	}
	mnt := mountSmall(t, "100m")
	bin := buildLockstep(t)
	data := filepath.Join(mnt, "node")
	lockstep := func(args ...string) (string, error) {
		out, err := exec.Command(bin, append(args, "--data-dir", data)...).CombinedOutput()
		var exit *exec.ExitError
		if errors.As(err, &exit) && exit.ExitCode() != 1 {
			t.Fatalf("lockstep %v died (%v), not an error:\n%s", args, err, out)
		}
		return string(out), err
	}
	if out, err := lockstep("run", logreg, "--steps", "30", "--json"); err != nil {
		t.Fatalf("%v\n%s", err, out)
	}
	out, _ := lockstep("ledger", "runs", "--json")
	run := out[strings.Index(out, `"id": "`)+7:][:12]
	os.RemoveAll(filepath.Join(data, "wasm-cache")) // so that reading must compile anew
	filled := fill(t, mnt, 16<<20)

	for _, args := range [][]string{
		{"run", logreg, "--steps", "5"},
		{"run", "--resume", run, "--steps", "40"},
	} {
		out, err := lockstep(args...)
		if err == nil || !strings.Contains(out, "not enough disk space") || !strings.Contains(out, data) {
			t.Errorf("lockstep %v on a full disk: %v\n%s", args, err, out)
		}
	}
	for _, args := range [][]string{
		{"ledger", "runs"}, {"ledger", "show", run}, {"ledger", "verify", run}, {"verify", run},
	} {
		if out, err := lockstep(args...); err != nil {
			t.Errorf("lockstep %v on a full disk: %v\n%s", args, err, out)
		}
	}

	// Room again: the run resumes. Then a long run fills the disk as it goes.
	os.Remove(filled)
	if out, err := lockstep("run", "--resume", run, "--steps", "40"); err != nil {
		t.Fatalf("resume with room again: %v\n%s", err, out)
	}
	cmd := exec.Command(bin, "run", logreg, "--steps", "10000000", "--keep-last", "4", "--data-dir", data)
	var stderr strings.Builder
	cmd.Stderr = &stderr
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	time.Sleep(time.Second)
	filled = fill(t, mnt, 40<<20) // under what a commit needs
	done := make(chan error, 1)
	go func() { done <- cmd.Wait() }()
	select {
	case err := <-done:
		var exit *exec.ExitError
		if !errors.As(err, &exit) || exit.ExitCode() != 1 || !strings.Contains(stderr.String(), "not enough disk space to commit step") {
			t.Errorf("a run filling the disk: %v\n%s", err, stderr.String())
		}
	case <-time.After(2 * time.Minute):
		cmd.Process.Kill()
		t.Fatal("the run did not stop on a full disk")
	}
	os.Remove(filled)
	out, err := lockstep("ledger", "runs", "--json")
	if err != nil {
		t.Fatal(err)
	}
	second := out[strings.LastIndex(out, `"id": "`)+7:][:12]
	if out, err := lockstep("ledger", "verify", second); err != nil {
		t.Errorf("the run stopped by the full disk does not verify: %v\n%s", err, out)
	}
}
