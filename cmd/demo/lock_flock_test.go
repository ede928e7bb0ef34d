//go:build darwin || dragonfly || freebsd || linux || netbsd || openbsd

package main

import (
	"bufio"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"
)

// TestHoldLockProcess is not a test: run by TestKilledHolder in a process of its own,
// it takes the lock on $DEMO_TEST_HOLD, says so, and waits to be killed.
func TestHoldLockProcess(t *testing.T) {
	out := os.Getenv("DEMO_TEST_HOLD")
	if out == "" {
		t.Skip("run by TestKilledHolder")
	}
	l := &outLock{cmd: "train", stdout: os.Stderr}
	if err := l.hold(out); err != nil {
		t.Fatal(err)
	}
	os.Stdout.WriteString("held\n")
	time.Sleep(time.Minute)
}

// TestKilledHolder: a command in another process holding --out refuses this one, naming
// it by pid; killed with SIGKILL, it leaves its lock file but no lock, and the next
// command runs.
func TestKilledHolder(t *testing.T) {
	dir := t.TempDir()
	csv := writeCSV(t, dir, 272+29*68)
	out := filepath.Join(dir, "out")
	if err := os.Mkdir(out, 0o755); err != nil {
		t.Fatal(err)
	}
	cmd := exec.Command(os.Args[0], "-test.run=^TestHoldLockProcess$")
	cmd.Env = append(os.Environ(), "DEMO_TEST_HOLD="+out)
	pipe, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	defer cmd.Process.Kill()
	if line, err := bufio.NewReader(pipe).ReadString('\n'); line != "held\n" {
		t.Fatalf("holder: %q, %v", line, err)
	}

	args := []string{"prepare", "--data", csv, "--stride", "68", "--out", out}
	code, _, stderr := runDemo(args...)
	want := "demo train (pid " + strconv.Itoa(cmd.Process.Pid) + ") is writing"
	if code != exitError || !strings.Contains(stderr, want) {
		t.Errorf("prepare while another process holds out: exit %d, %q", code, stderr)
	}
	cmd.Process.Kill()
	cmd.Wait()
	if _, err := os.Stat(filepath.Join(out, lockName)); err != nil {
		t.Fatalf("the killed holder's lock file: %v", err)
	}
	if code, _, stderr := runDemo(args...); code != exitOK {
		t.Errorf("prepare after the holder was killed: exit %d: %s", code, stderr)
	}
}
