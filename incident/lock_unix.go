//go:build unix

package incident

import (
	"errors"
	"fmt"
	"io"
	"os"
	"syscall"
)

// lock takes an exclusive, non-blocking flock on f. flock locks belong to
// the open file description, so a second Open of the same path, even in
// this process, is refused. flock cannot say who holds it, so lock also
// takes a POSIX record lock (fcntl F_SETLK) over the whole file: the
// refused side asks for it with F_GETLK, which names the holder's pid when
// the holder is another process.
//
// The record lock is only for that message. POSIX record locks belong to
// the process and are dropped when the process closes any descriptor of the
// file (a ReadFile of the same journal, say); the flock still excludes, and
// the pid is then reported as unknown.
func lock(f *os.File, path string) error {
	fd := int(f.Fd())
	if err := syscall.Flock(fd, syscall.LOCK_EX|syscall.LOCK_NB); err != nil {
		if errors.Is(err, syscall.EWOULDBLOCK) {
			return &LockedError{Path: path, PID: holder(fd)}
		}
		return fmt.Errorf("journal %s: lock: %w", path, err)
	}
	// Best effort: on systems where flock and fcntl locks interact this may
	// fail while the flock is ours; the journal is locked either way.
	lk := syscall.Flock_t{Type: syscall.F_WRLCK, Whence: io.SeekStart}
	syscall.FcntlFlock(f.Fd(), syscall.F_SETLK, &lk)
	return nil
}

// holder returns the pid holding a conflicting record lock on fd, or 0.
func holder(fd int) int {
	lk := syscall.Flock_t{Type: syscall.F_WRLCK, Whence: io.SeekStart}
	if err := syscall.FcntlFlock(uintptr(fd), syscall.F_GETLK, &lk); err != nil || lk.Type == syscall.F_UNLCK || lk.Pid <= 0 {
		return 0
	}
	return int(lk.Pid)
}
