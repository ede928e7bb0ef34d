package main

import (
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"

	"github.com/seqnn/seqnn/internal/english"
	"github.com/seqnn/seqnn/train"
)

// lockName is the file in --out whose advisory lock a command holds while it writes there.
const lockName = ".lock"

// errLocked is what tryLock returns when another process holds the lock.
var errLocked = errors.New("locked")

// locksOut says whether the command writes --out, and so holds the lock on it: run,
// prepare, train and evaluate. (predict only reads; fetch writes the file --out names.)
func locksOut(cmd string) bool {
	switch cmd {
	case "run", "prepare", "train", "evaluate":
		return true
	}
	return false
}

// outLock is the exclusive hold that run, prepare, train and evaluate keep on --out for
// their whole run, so that a second command writing the same --out is refused at once
// instead of mixing its checkpoints and results with the first one's. It is an advisory
// lock on <out>/.lock (flock where the system has it), which the kernel releases when the
// process ends, however it ends: a killed command never leaves --out locked. While held,
// the file names the command and its pid, for the message another command gets; release
// removes it.
type outLock struct {
	cmd    string    // the command that holds it
	stdout io.Writer // where the note of removed temporary files goes
	dir    string    // the --out held; "" until then
	f      *os.File
}

// hold takes the lock on dir, an existing directory, unless it is held already, then
// removes the temporary files a killed command left in dir and its checkpoints, saying so
// in one line. Another command holding it is an error naming that command and the fix.
func (l *outLock) hold(dir string) error {
	if l == nil || l.f != nil {
		return nil
	}
	path := filepath.Join(dir, lockName)
	// A holder removes the file before it lets the lock go: a lock taken on a file that
	// is no longer the one at path was let go that way, and is taken again on the new one.
	for range 10 {
		f, err := os.OpenFile(path, os.O_RDWR|os.O_CREATE, 0o644)
		if err != nil {
			return notWritable(dir, dir, "the directory", err)
		}
		if err := tryLock(f); err != nil {
			f.Close()
			if errors.Is(err, errLocked) {
				return lockedError(dir, path)
			}
			return fmt.Errorf("--out %s: cannot lock %s (%v); choose another --out", dir,
				path, err)
		}
		if same(f, path) {
			l.f, l.dir = f, dir
			fmt.Fprintf(f, "demo %s (pid %d)\n", l.cmd, os.Getpid())
			return l.removeTemps()
		}
		unlock(f)
		f.Close()
	}
	return lockedError(dir, path)
}

// same says whether f is the file at path.
func same(f *os.File, path string) bool {
	a, err := f.Stat()
	if err != nil {
		return false
	}
	b, err := os.Stat(path)
	return err == nil && os.SameFile(a, b)
}

// lockedError says which command holds the lock on --out dir, as its lock file at path
// names it, and what to do.
func lockedError(dir, path string) error {
	holder := "another demo command"
	if b, err := os.ReadFile(path); err == nil && len(b) > 0 && len(b) < 200 {
		holder = strings.TrimSpace(string(b))
	}
	return fmt.Errorf("--out %s: %s is writing there now; wait for it to finish (or stop "+
		"it), or give another --out", dir, holder)
}

// removeTemps removes the temporary files of an atomic write that a command killed while
// writing left in --out and its checkpoints, which only the holder of the lock may do.
func (l *outLock) removeTemps() error {
	var removed []string
	for _, sub := range []string{"", "checkpoints"} {
		names, err := train.RemoveTemps(filepath.Join(l.dir, sub))
		for _, name := range names {
			removed = append(removed, filepath.Join(sub, name))
		}
		if err != nil {
			return fmt.Errorf("--out %s: cannot remove the temporary files a killed command "+
				"left in %s (%v); remove the files named .NAME.tmp-DIGITS there yourself",
				l.dir, filepath.Join(l.dir, sub), err)
		}
	}
	if len(removed) > 0 {
		fmt.Fprintf(l.stdout, "removed %s that a killed command left in %s: %s\n",
			english.Count(len(removed), "temporary file"), l.dir, strings.Join(removed, ", "))
	}
	return nil
}

// release removes the lock file and lets the lock go; safe on a lock never held, and
// twice. The file goes first, so that a command that opened it meanwhile sees, once it
// has the lock, that it holds a removed file (hold).
func (l *outLock) release() {
	if l == nil || l.f == nil {
		return
	}
	os.Remove(filepath.Join(l.dir, lockName))
	unlock(l.f)
	l.f.Close()
	l.f = nil
}
