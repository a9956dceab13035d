package e2e

import (
	"bytes"
	"errors"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"syscall"
	"testing"
	"time"
	"unsafe"

	"github.com/charmbracelet/x/ansi"
	"github.com/creack/pty"

	"github.com/warroom-dev/warroom/incident"
	"github.com/warroom-dev/warroom/internal/screentest"
)

// failingRe is the shell's "the journal is failing" indication, badge or
// flash, whatever its exact wording.
var failingRe = regexp.MustCompile(`(?i)journal[^\n]{0,24}fail`)

// TestFaultsJournalFull fills the journal's filesystem mid-session: the
// console runs under RLIMIT_FSIZE (set on the running process, so the
// limit can be lifted again; Go ignores SIGXFSZ, so writes fail with
// EFBIG after a short write, as on a full disk). A note saved then must
// not be lost: the dialog keeps the text and the failure stays visible;
// once there is room again, enter saves it to the journal.
func TestFaultsJournalFull(t *testing.T) {
	t.Parallel()
	lat := newLatencies()
	defer lat.report(t, "journal-full")
	c := startConsole(t, lat)
	c.waitScreen("the declared event on the timeline", keyDeadline, func(s *vtScreen) bool {
		return paneHas(s, "6 Timeline", "declared")
	})
	for range 3 {
		c.probe("healthy")
	}

	st, err := os.Stat(c.journal)
	if err != nil {
		t.Fatal(err)
	}
	// Room for a fragment of the next line only: a short write, then EFBIG.
	setFileSizeLimit(t, c.term.Pid(), uint64(st.Size())+16)
	text := "saved on a full disk and kept"
	c.note(text)
	if !c.poll(keyDeadline, func(s *vtScreen) bool { return failingRe.MatchString(s.String()) }) {
		t.Errorf("no journal failure shown after a failed write; the screen:\n%s", c.screenNow())
	} else {
		for _, l := range c.sync().Lines() {
			if failingRe.MatchString(l) {
				t.Logf("the failure shown: %s", strings.TrimSpace(l))
			}
		}
	}
	if !c.poll(keyDeadline, func(s *vtScreen) bool { return strings.Contains(s.String(), text) }) {
		t.Fatalf("the note's text is gone from the screen after the failed write (lost); the screen:\n%s", c.screenNow())
	}
	if found, _ := journalNote(c.journal, text); found {
		t.Fatalf("the note is in the journal although the write had no room: the limit did not apply")
	}
	// Keys still answer in the dialog: typing is the probe here (`?`
	// would be text).
	for range 5 {
		c.probeTyping("journal failing", text)
	}

	setFileSizeLimit(t, c.term.Pid(), rlimInfinity)
	c.term.Send("enter") // retry
	if err := c.journalHas(text, keyDeadline); err != nil {
		t.Fatalf("after the disk had room again and enter: %v\nthe screen:\n%s", err, c.screenNow())
	}
	c.dialogClosed()
	if !c.poll(keyDeadline, func(s *vtScreen) bool { return !failingRe.MatchString(s.String()) }) {
		t.Errorf("the journal failure is still shown after a successful write; the screen:\n%s", c.screenNow())
	}
	for range 3 {
		c.probe("journal recovered")
	}
}

// probeTyping measures a keypress-to-frame inside an input that shows
// text: one character typed until it is drawn after text, then a
// backspace until it is gone.
func (c *faultConsole) probeTyping(phase, text string) {
	c.t.Helper()
	const ch = "§"
	mark := c.term.Mark()
	start := time.Now()
	sent := c.sendAsync(ch)
	_, err := c.term.WaitForSince(mark, text+ch, keyDeadline)
	took := time.Since(start)
	<-sent
	if err != nil {
		c.t.Fatalf("%s: a typed character not drawn within %v (frozen?): %v", phase, keyDeadline, err)
	}
	c.lat.add(phase, took)
	start = time.Now()
	sent = c.sendAsync("backspace")
	gone := c.poll(keyDeadline, func(s *vtScreen) bool { return !strings.Contains(s.String(), text+ch) })
	took = time.Since(start)
	<-sent
	if !gone {
		c.t.Fatalf("%s: backspace not drawn within %v (frozen?); the screen:\n%s", phase, keyDeadline, c.screenNow())
	}
	c.lat.add(phase, took)
}

const rlimInfinity = ^uint64(0)

// setFileSizeLimit sets the soft RLIMIT_FSIZE of a running process
// (prlimit(2); its hard limit is kept).
func setFileSizeLimit(t *testing.T, pid int, soft uint64) {
	t.Helper()
	type rlimit struct{ Cur, Max uint64 }
	var old rlimit
	prlimit := func(newLim, oldLim *rlimit) error {
		_, _, errno := syscall.RawSyscall6(syscall.SYS_PRLIMIT64, uintptr(pid), uintptr(syscall.RLIMIT_FSIZE),
			uintptr(unsafe.Pointer(newLim)), uintptr(unsafe.Pointer(oldLim)), 0, 0)
		if errno != 0 {
			return errno
		}
		return nil
	}
	if err := prlimit(nil, &old); err != nil {
		t.Fatalf("prlimit(%d): %v", pid, err)
	}
	if err := prlimit(&rlimit{Cur: min(soft, old.Max), Max: old.Max}, nil); err != nil {
		t.Fatalf("prlimit(%d, FSIZE=%d): %v", pid, soft, err)
	}
}

// TestFaultsJournalReadOnly starts the console on a journal it may not
// write — an existing read-only journal, and a new one in a read-only
// directory — and expects a clean error: exit status 2 naming the
// journal, the terminal never switched to the full screen, nothing
// written. As root, permissions do not apply, so the program runs as
// nobody then.
func TestFaultsJournalReadOnly(t *testing.T) {
	t.Parallel()
	base, cred := unprivileged(t)
	bin := filepath.Join(base, "warroom")
	copyExecutable(t, screentest.Build(t), bin, 0o755)

	t.Run("file", func(t *testing.T) {
		dir := mkdirMode(t, base, "file", 0o755)
		journal := filepath.Join(dir, "incident.jsonl")
		j, _, _, err := incident.Open(journal)
		if err != nil {
			t.Fatal(err)
		}
		if _, err := j.Append(incident.Declared("faults", "read-only journal", incident.P2, time.Now())); err != nil {
			t.Fatal(err)
		}
		j.Close()
		if err := os.Chmod(journal, 0o444); err != nil {
			t.Fatal(err)
		}
		before, _ := os.ReadFile(journal)
		code, out := runInPTY(t, bin, cred, base, "--journal", journal)
		checkCleanError(t, code, out, journal)
		if after, _ := os.ReadFile(journal); !bytes.Equal(before, after) {
			t.Errorf("the read-only journal changed:\nbefore %q\nafter  %q", before, after)
		}
	})
	t.Run("directory", func(t *testing.T) {
		dir := mkdirMode(t, base, "dir", 0o555)
		journal := filepath.Join(dir, "incident.jsonl")
		code, out := runInPTY(t, bin, cred, base, "--journal", journal)
		checkCleanError(t, code, out, journal)
		if entries, _ := os.ReadDir(dir); len(entries) > 0 {
			t.Errorf("files were created in the read-only directory: %v", entries)
		}
	})
}

func checkCleanError(t *testing.T, code int, out []byte, journal string) {
	t.Helper()
	text := ansi.Strip(string(out))
	if code != 2 {
		t.Errorf("exit status %d, want 2 (a setup error); output:\n%s", code, text)
	}
	if !strings.Contains(text, journal) || !strings.Contains(strings.ToLower(text), "permission denied") {
		t.Errorf("the error does not name the journal and the reason; output:\n%s", text)
	}
	if bytes.Contains(out, []byte("\x1b[?1049h")) {
		t.Errorf("the full screen was entered before the error; output:\n%q", out)
	}
}

// unprivileged is a world-readable temp dir and, when the test runs as
// root, the credential of nobody to run the program with (nil otherwise).
func unprivileged(t *testing.T) (string, *syscall.Credential) {
	t.Helper()
	base, err := os.MkdirTemp("", "warroom-faults-ro-")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		_ = filepath.Walk(base, func(p string, info os.FileInfo, err error) error {
			if err == nil && info.IsDir() {
				_ = os.Chmod(p, 0o755) // so RemoveAll may empty it
			}
			return nil
		})
		_ = os.RemoveAll(base)
	})
	if err := os.Chmod(base, 0o755); err != nil {
		t.Fatal(err)
	}
	if os.Geteuid() != 0 {
		return base, nil
	}
	const nobody = 65534
	return base, &syscall.Credential{Uid: nobody, Gid: nobody}
}

func mkdirMode(t *testing.T, base, name string, mode os.FileMode) string {
	t.Helper()
	dir := filepath.Join(base, name)
	if err := os.Mkdir(dir, 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.Chmod(dir, mode); err != nil {
		t.Fatal(err)
	}
	return dir
}

func copyExecutable(t *testing.T, from, to string, mode os.FileMode) {
	t.Helper()
	data, err := os.ReadFile(from)
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(to, data, mode); err != nil {
		t.Fatal(err)
	}
}

// runInPTY runs bin in a pty of its own (screentest's cannot change the
// user) as cred, and returns its exit status and all it wrote. A program
// still running after 20 s is killed: it went on with a journal it could
// not write.
func runInPTY(t *testing.T, bin string, cred *syscall.Credential, home string, args ...string) (int, []byte) {
	t.Helper()
	cmd := exec.Command(bin, args...)
	cmd.Dir = home
	cmd.Env = []string{"HOME=" + home, "USER=faults", "PATH=" + os.Getenv("PATH"), "TERM=xterm-256color", "LANG=C.UTF-8"}
	if cred != nil {
		cmd.SysProcAttr = &syscall.SysProcAttr{Credential: cred}
	}
	ptmx, err := pty.StartWithSize(cmd, &pty.Winsize{Cols: faultCols, Rows: faultRows})
	if err != nil {
		t.Skipf("no pseudo-terminal or cannot run as uid %v: %v", cred, err)
	}
	defer ptmx.Close()
	var out bytes.Buffer
	read := make(chan struct{})
	go func() {
		defer close(read)
		answered := 0
		buf := make([]byte, 4096)
		for {
			n, err := ptmx.Read(buf)
			out.Write(buf[:n])
			// bubbletea's init asks the terminal its background (OSC 11,
			// then a cursor report as a fence) before main runs: answer
			// as a terminal would, or every run waits termenv's 5 s.
			if q := bytes.Count(out.Bytes(), []byte("\x1b[6n")); q > answered {
				answered = q
				_, _ = ptmx.Write([]byte("\x1b]11;rgb:0000/0000/0000\x1b\\\x1b[1;1R"))
			}
			if err != nil {
				return // EIO once the program exits
			}
		}
	}()
	exited := make(chan error, 1)
	go func() { exited <- cmd.Wait() }()
	select {
	case err = <-exited:
	case <-time.After(20 * time.Second):
		_ = cmd.Process.Kill()
		<-exited
		<-read
		t.Fatalf("warroom %s still runs after 20 s on a journal it cannot write; output:\n%s", strings.Join(args, " "), ansi.Strip(out.String()))
	}
	<-read
	var ee *exec.ExitError
	if err != nil && !errors.As(err, &ee) {
		t.Fatalf("run: %v", err)
	}
	return cmd.ProcessState.ExitCode(), out.Bytes()
}
