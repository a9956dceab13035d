//go:build unix

package incident

import (
	"fmt"
	"io/fs"
	"os"
	"syscall"
)

// openFile opens path with flag without ever blocking on it: a FIFO opened
// for reading blocks until a writer comes, and a device can be read
// forever. What path names is looked at first (following symlinks), and
// anything but a regular file (or a path that does not exist yet, when
// flag creates) is refused there; the file is then opened O_NONBLOCK, in
// case it was swapped for a FIFO in between, and the open descriptor is
// checked again (fstat) before O_NONBLOCK is cleared. The caller checks
// the returned FileInfo (the descriptor's) for its size.
func openFile(path string, flag int) (*os.File, fs.FileInfo, error) {
	if fi, err := os.Stat(path); err == nil && !fi.Mode().IsRegular() {
		return nil, nil, &NotRegularError{Path: path, Mode: fi.Mode()}
	}
	return openNonblock(path, flag)
}

// openNonblock is openFile after the first look: it opens O_NONBLOCK and
// refuses the descriptor if it is not a regular file.
func openNonblock(path string, flag int) (*os.File, fs.FileInfo, error) {
	f, err := os.OpenFile(path, flag|syscall.O_NONBLOCK, 0o600)
	if err != nil {
		return nil, nil, err
	}
	fi, err := f.Stat()
	if err != nil {
		f.Close()
		return nil, nil, err
	}
	if !fi.Mode().IsRegular() {
		f.Close()
		return nil, nil, &NotRegularError{Path: path, Mode: fi.Mode()}
	}
	rc, err := f.SyscallConn()
	if err == nil {
		cerr := rc.Control(func(fd uintptr) { err = syscall.SetNonblock(int(fd), false) })
		if err == nil {
			err = cerr
		}
	}
	if err != nil {
		f.Close()
		return nil, nil, fmt.Errorf("%s: %w", path, err)
	}
	return f, fi, nil
}
