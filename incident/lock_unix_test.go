//go:build unix

package incident

import (
	"bufio"
	"errors"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"
)

func TestJournalLockInProcess(t *testing.T) {
	path := filepath.Join(t.TempDir(), "inc.jsonl")
	j, _, _ := openT(t, path)
	appendT(t, j, Note("alice", "first", time.Time{}))

	_, _, _, err := Open(path)
	var le *LockedError
	if !errors.As(err, &le) || le.Path != path {
		t.Fatalf("second Open: %v, want *LockedError for %s", err, path)
	}
	// This process's own record lock is invisible to F_GETLK: no wrong pid.
	if le.PID != 0 || !strings.Contains(err.Error(), "pid is unknown") {
		t.Errorf("error %q (pid %d)", err, le.PID)
	}
	// The refused Open did not disturb the holder.
	appendT(t, j, Note("alice", "second", time.Time{}))
	// ReadFile takes no lock.
	if evs, _, err := ReadFile(path); err != nil || len(evs) != 2 {
		t.Fatalf("ReadFile while locked: %d events, %v", len(evs), err)
	}
	if err := j.Close(); err != nil {
		t.Fatal(err)
	}
	j2, evs, _ := openT(t, path)
	if len(evs) != 2 {
		t.Errorf("reopen after Close: %d events", len(evs))
	}
	j2.Close()
}

func TestLockedErrorMessage(t *testing.T) {
	for _, c := range []struct {
		pid  int
		want string
	}{
		{12345, "journal /x/y.jsonl is in use by another warroom (pid 12345): open it there, or pass a different --journal"},
		{0, "journal /x/y.jsonl is in use by another warroom (its pid is unknown; it may be this process): open it there, or pass a different --journal"},
		{os.Getpid(), "journal /x/y.jsonl is already open in this warroom process (pid " + strconv.Itoa(os.Getpid()) + "): open it there, or pass a different --journal"},
	} {
		if got := (&LockedError{Path: "/x/y.jsonl", PID: c.pid}).Error(); got != c.want {
			t.Errorf("pid %d:\n got %s\nwant %s", c.pid, got, c.want)
		}
	}
}

const lockHelperEnv = "WARROOM_TEST_HOLD_LOCK"

// TestHelperHoldsLock is not a test: TestJournalLockOtherProcess runs it in
// a child process to hold a journal's lock until its stdin closes.
func TestHelperHoldsLock(t *testing.T) {
	path := os.Getenv(lockHelperEnv)
	if path == "" {
		t.Skip("helper process for TestJournalLockOtherProcess")
	}
	j, _, _, err := Open(path)
	if err != nil {
		fmt.Println("error:", err)
		os.Exit(1)
	}
	fmt.Println("locked")
	io.Copy(io.Discard, os.Stdin)
	j.Close()
}

func TestJournalLockOtherProcess(t *testing.T) {
	path := filepath.Join(t.TempDir(), "inc.jsonl")
	cmd := exec.Command(os.Args[0], "-test.run=^TestHelperHoldsLock$", "-test.count=1")
	cmd.Env = append(os.Environ(), lockHelperEnv+"="+path)
	cmd.Stderr = os.Stderr
	cmd.WaitDelay = 10 * time.Second
	stdin, err := cmd.StdinPipe()
	if err != nil {
		t.Fatal(err)
	}
	stdout, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { cmd.Process.Kill(); cmd.Wait() })
	out := bufio.NewScanner(stdout)
	if !out.Scan() || out.Text() != "locked" {
		t.Fatalf("helper did not take the lock: %q %v", out.Text(), out.Err())
	}

	_, _, _, err = Open(path)
	var le *LockedError
	if !errors.As(err, &le) {
		t.Fatalf("Open while another process holds it: %v, want *LockedError", err)
	}
	if le.PID != cmd.Process.Pid || !strings.Contains(err.Error(), fmt.Sprintf("(pid %d)", cmd.Process.Pid)) {
		t.Errorf("LockedError %q names pid %d, want the helper's %d", err, le.PID, cmd.Process.Pid)
	}

	stdin.Close()
	for out.Scan() {
	}
	if err := cmd.Wait(); err != nil {
		t.Fatalf("helper: %v", err)
	}
	j, _, _, err := Open(path)
	if err != nil {
		t.Fatalf("Open after the holder exited: %v", err)
	}
	j.Close()
}
