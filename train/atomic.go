package train

import (
	"bufio"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"syscall"

	"github.com/seqnn/seqnn/internal/fsmsg"
)

// writeFileAtomic writes path through write: into a temporary file in the same directory,
// flushed, synced and closed, then renamed over path. On any error the temporary file is
// removed and path is left as it was.
func writeFileAtomic(path string, write func(w io.Writer) error) (err error) {
	dir, base := filepath.Split(path)
	if dir == "" {
		dir = "."
	}
	f, err := os.CreateTemp(dir, "."+base+".tmp-*")
	if err != nil {
		return createError(path, dir, err)
	}
	defer func() {
		if err != nil {
			f.Close()
			os.Remove(f.Name())
		}
	}()

	bw := bufio.NewWriter(f)
	if err = write(bw); err != nil {
		return fmt.Errorf("write %s: %w", path, err)
	}
	if err = bw.Flush(); err != nil {
		return fmt.Errorf("write %s: %w", path, err)
	}
	if err = f.Chmod(0o644); err != nil {
		return fmt.Errorf("write %s: %w", path, err)
	}
	if err = f.Sync(); err != nil {
		return fmt.Errorf("write %s: sync: %w", path, err)
	}
	if err = f.Close(); err != nil {
		return fmt.Errorf("write %s: %w", path, err)
	}
	if err = os.Rename(f.Name(), path); err != nil {
		return fmt.Errorf("write %s: %w", path, err)
	}
	syncDir(dir)
	return nil
}

// createError is the error of a file that could not be created in dir to write path:
// for a directory without write permission or on a read-only file system it says which
// and what to do, instead of naming the temporary file.
func createError(path, dir string, err error) error {
	if errors.Is(err, syscall.EROFS) || errors.Is(err, fs.ErrPermission) {
		dir = filepath.Clean(dir)
		return fmt.Errorf("write %s: %v", path, fsmsg.NotWritable("the directory "+dir, dir,
			"write to another directory", err))
	}
	return fmt.Errorf("write %s: %w", path, err)
}

// syncDir makes a rename in dir durable. Some file systems cannot sync a directory; the
// file is already complete by then, so a failure here is ignored.
func syncDir(dir string) {
	d, err := os.Open(dir)
	if err != nil {
		return
	}
	d.Sync()
	d.Close()
}

// tempMark separates the name of the file a temporary file of writeFileAtomic stands for
// from os.CreateTemp's random digits: ".cnn-log.csv.tmp-2115473853".
const tempMark = ".tmp-"

// IsTempName says whether name has the form of writeFileAtomic's temporary files: a dot,
// the name of the file written, ".tmp-" and the decimal digits os.CreateTemp adds.
func IsTempName(name string) bool {
	i := strings.LastIndex(name, tempMark)
	digits := name[i+len(tempMark):]
	return strings.HasPrefix(name, ".") && i >= 2 && digits != "" &&
		strings.Trim(digits, "0123456789") == ""
}

// RemoveTemps removes from dir the temporary files of writeFileAtomic (IsTempName) that a
// process killed while writing left behind, and returns their names. It must only run
// while no other process writes into dir, whose temporary files it would take. A missing
// dir holds none.
func RemoveTemps(dir string) ([]string, error) {
	entries, err := os.ReadDir(dir)
	if errors.Is(err, fs.ErrNotExist) {
		return nil, nil
	}
	if err != nil {
		return nil, err
	}
	var removed []string
	for _, e := range entries {
		if !e.Type().IsRegular() || !IsTempName(e.Name()) {
			continue
		}
		if err := os.Remove(filepath.Join(dir, e.Name())); err != nil {
			return removed, err
		}
		removed = append(removed, e.Name())
	}
	return removed, nil
}
