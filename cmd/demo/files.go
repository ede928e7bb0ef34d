package main

import (
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"

	"github.com/seqnn/seqnn/internal/fsmsg"
)

// inputFile checks that the file a flag names can be read before a command opens it,
// so that the error names the flag and the fix instead of a bare system call; what
// says what the flag wants, for "give ..." ("a CSV file of windows").
func inputFile(flagName, path, what string) error {
	fi, err := os.Stat(path)
	switch {
	case errors.Is(err, fs.ErrNotExist):
		return fmt.Errorf("--%s %s: no such file; check the path", flagName, path)
	case err != nil:
		return fmt.Errorf("--%s %s: cannot read it (%v); check the path and its permissions",
			flagName, path, fsmsg.Cause(err))
	case fi.IsDir():
		return fmt.Errorf("--%s %s: is a directory; give %s", flagName, path, what)
	}
	return nil
}

// outDir checks --out before a command reads or writes anything there: with create, it
// makes the directory; without, it only refuses a --out that is a file, and leaves a
// missing directory to the command, which says what to run first. Once the directory
// exists, it takes the command's lock on it (o.lock, nil for commands that write no
// --out), which refuses a second command writing there.
func outDir(o *options, create bool) error {
	dir := o.out
	fi, err := os.Stat(dir)
	switch {
	case err == nil && !fi.IsDir():
		return fmt.Errorf("--out %s: is a file, not a directory; choose a directory", dir)
	case err == nil:
		return o.lock.hold(dir)
	case !create:
		return nil
	}
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return fmt.Errorf("--out %s: cannot create the directory (%v): choose a writable "+
			"directory", dir, err)
	}
	return o.lock.hold(dir)
}

// writableDir checks that files can be created in the directory --out names, before a
// command writes there, by creating and removing an empty temporary file.
func writableDir(dir string) error {
	return probeDir(dir, dir, "the directory")
}

// writableOut checks, before anything is written, that train can write everything
// under --out: the directory itself and its checkpoints directory, when there is one
// (when there is none, train creates it in the writable --out).
func writableOut(out string) error {
	if err := writableDir(out); err != nil {
		return err
	}
	ckpts := filepath.Join(out, "checkpoints")
	fi, err := os.Stat(ckpts)
	switch {
	case errors.Is(err, fs.ErrNotExist):
		return nil
	case err == nil && !fi.IsDir():
		return fmt.Errorf("--out %s: %s is a file, where the checkpoints go; move it away "+
			"or choose another --out", out, ckpts)
	case err == nil:
		return probeDir(out, ckpts, "its checkpoints directory "+ckpts)
	}
	return fmt.Errorf("--out %s: cannot read %s (%v); choose another --out", out, ckpts,
		fsmsg.Cause(err))
}

// probeDir creates and removes an empty temporary file in dir, what the message calls
// it, to check that files can be created there for --out.
func probeDir(out, dir, what string) error {
	f, err := os.CreateTemp(dir, ".write-check-*")
	if err != nil {
		return notWritable(out, dir, what, err)
	}
	f.Close()
	os.Remove(f.Name())
	return nil
}

// notWritable is the error of a directory dir under --out out, called what, in which a
// file could not be created (err); see fsmsg.NotWritable.
func notWritable(out, dir, what string, err error) error {
	return fmt.Errorf("--out %s: %v", out, fsmsg.NotWritable(what, dir, "choose another --out",
		err))
}
