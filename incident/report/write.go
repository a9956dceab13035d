package report

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"

	"github.com/warroom-dev/warroom/incident"
)

// WriteFile writes a report or a draft to path through a temporary file
// renamed over it, fsync'd first: a report being rewritten is never seen
// half written. It is readable by its owner only, as the journal is. It
// refuses to replace anything but a regular file (a report named after a
// device, a FIFO or a directory is a mistake).
func WriteFile(path string, data []byte) error {
	if fi, err := os.Stat(path); err == nil && !fi.Mode().IsRegular() {
		return fmt.Errorf("%s is %s, not a regular file", path, incident.FileKind(fi.Mode()))
	} else if err != nil && !errors.Is(err, os.ErrNotExist) {
		return err
	}
	f, err := os.CreateTemp(filepath.Dir(path), "."+filepath.Base(path)+".*")
	if err != nil {
		return err
	}
	defer os.Remove(f.Name())
	if _, err := f.Write(data); err != nil {
		f.Close()
		return err
	}
	if err := f.Sync(); err != nil {
		f.Close()
		return err
	}
	if err := f.Close(); err != nil {
		return err
	}
	return os.Rename(f.Name(), path)
}
