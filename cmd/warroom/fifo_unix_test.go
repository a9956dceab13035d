//go:build unix

package main

import (
	"path/filepath"
	"syscall"
	"testing"
)

// makeFIFO makes a named pipe called name in a new folder.
func makeFIFO(t *testing.T, name string) (string, bool) {
	t.Helper()
	p := filepath.Join(t.TempDir(), name)
	if err := syscall.Mkfifo(p, 0o600); err != nil {
		t.Logf("no FIFO: %v", err)
		return "", false
	}
	return p, true
}
