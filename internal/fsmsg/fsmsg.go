// Package fsmsg words file-system errors for seqnn's messages: the system's reason
// without the operation and path a message names already, and what to do about a
// directory in which no file can be created. Callers put their own prefix in front
// ("write PATH: ", "--out DIR: ").
package fsmsg

import (
	"errors"
	"fmt"
	"io/fs"
	"syscall"
)

// Cause is the system's reason inside a path error ("permission denied"), without the
// operation and path the message names already; any other error is returned as it is.
func Cause(err error) error {
	var pe *fs.PathError
	if errors.As(err, &pe) {
		return pe.Err
	}
	return err
}

// NotWritable is the error of the directory dir, called what in the message, in which a
// file could not be created (err). instead is the caller's other way out ("choose
// another --out"). On a read-only file system it says so, as no chmod helps there;
// otherwise it names the permission to give.
func NotWritable(what, dir, instead string, err error) error {
	if errors.Is(err, syscall.EROFS) {
		return fmt.Errorf("%s is on a read-only file system; %s, on a writable one", what,
			instead)
	}
	return fmt.Errorf("%s is not writable (%v); make it writable (chmod u+w %s) or %s", what,
		Cause(err), dir, instead)
}
