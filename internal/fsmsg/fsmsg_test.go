package fsmsg

import (
	"errors"
	"io/fs"
	"syscall"
	"testing"
)

// TestCause: a path error gives the system's reason alone; other errors stay whole.
func TestCause(t *testing.T) {
	pe := &fs.PathError{Op: "open", Path: "/x", Err: syscall.EACCES}
	if got := Cause(pe); got != syscall.EACCES {
		t.Errorf("Cause(%v) = %v, want %v", pe, got, syscall.EACCES)
	}
	other := errors.New("no path here")
	if got := Cause(other); got != other {
		t.Errorf("Cause(%v) = %v, want it unchanged", other, got)
	}
}

// TestNotWritable: a read-only file system is named without a chmod, which cannot help
// there; any other reason gives the permission to add, with the system's reason alone.
func TestNotWritable(t *testing.T) {
	for errno, want := range map[syscall.Errno]string{
		syscall.EROFS: "the directory /d is on a read-only file system; write elsewhere, " +
			"on a writable one",
		syscall.EACCES: "the directory /d is not writable (permission denied); make it " +
			"writable (chmod u+w /d) or write elsewhere",
	} {
		err := NotWritable("the directory /d", "/d", "write elsewhere",
			&fs.PathError{Op: "open", Path: "/d/.tmp-1", Err: errno})
		if err.Error() != want {
			t.Errorf("%v:\n got %s\nwant %s", errno, err, want)
		}
	}
}
