package main

import (
	"errors"
	"fmt"
	"io/fs"
	"os"
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
			flagName, path, cause(err))
	case fi.IsDir():
		return fmt.Errorf("--%s %s: is a directory; give %s", flagName, path, what)
	}
	return nil
}

// outDir checks --out before a command writes into it: with create, it makes the
// directory; without, it only refuses a --out that is a file, and leaves a missing
// directory to the command, which says what to run first.
func outDir(dir string, create bool) error {
	fi, err := os.Stat(dir)
	switch {
	case err == nil && !fi.IsDir():
		return fmt.Errorf("--out %s: is a file, not a directory; choose a directory", dir)
	case err == nil || !create:
		return nil
	}
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return fmt.Errorf("--out %s: cannot create the directory (%v): choose a writable "+
			"directory", dir, err)
	}
	return nil
}

// writableDir checks that files can be created in the directory --out names, before a
// command writes there, by creating and removing an empty temporary file.
func writableDir(dir string) error {
	f, err := os.CreateTemp(dir, ".write-check-*")
	if err != nil {
		return fmt.Errorf("--out %s: the directory is not writable (%v); make it writable "+
			"(chmod u+w %s) or choose another --out", dir, cause(err), dir)
	}
	f.Close()
	os.Remove(f.Name())
	return nil
}

// cause is the system's reason inside a path error ("permission denied"), without the
// operation and path the message names already.
func cause(err error) error {
	var pe *fs.PathError
	if errors.As(err, &pe) {
		return pe.Err
	}
	return err
}
