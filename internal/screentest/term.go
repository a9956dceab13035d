// Package screentest runs the real warroom binary in a pseudo-terminal and
// judges what it writes there. Start gives a Term that tests drive with
// keys and read back as raw bytes; Check is the screen oracle: it fails
// any escape sequence or control the bubbletea renderer would not have
// written, so text that leaks unsanitized onto the screen (an OSC title
// from a journal, a cursor move from query text) is caught end to end.
//
// The Term is a minimal terminal: it answers the two queries the program
// makes at startup (termenv's background-colour OSC 11 and the cursor
// position report), so startup does not wait for termenv's 5 s timeout.
package screentest

import (
	"bytes"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/charmbracelet/x/ansi"
	"github.com/creack/pty"
)

var (
	buildOnce sync.Once
	buildDir  string
	buildBin  string
	buildErr  error
)

// EnvBinary names a prebuilt warroom binary to test instead of building
// one (a release build, or a tree other work is editing).
const EnvBinary = "WARROOM_SCREENTEST_BIN"

// EnvDump names a directory where a failed test's raw terminal output is
// written (<test name>.out), to replay with cat or read with less -R.
const EnvDump = "WARROOM_SCREENTEST_DUMP"

// Build compiles ./cmd/warroom once per test process (into a temp dir
// outside the repo) and returns the binary path. Fails the test on a build
// error. Under -race the binary is built with -race too, so the real
// program's races show up in these tests.
func Build(t testing.TB) string {
	t.Helper()
	buildOnce.Do(func() {
		if bin := os.Getenv(EnvBinary); bin != "" {
			buildBin, buildErr = filepath.Abs(bin)
			return
		}
		buildBin, buildErr = build()
	})
	if buildErr != nil {
		t.Fatalf("screentest: build warroom: %v", buildErr)
	}
	return buildBin
}

func build() (string, error) {
	root, err := moduleRoot()
	if err != nil {
		return "", err
	}
	buildDir, err = os.MkdirTemp("", "warroom-screentest-")
	if err != nil {
		return "", err
	}
	bin := filepath.Join(buildDir, "warroom")
	args := []string{"build", "-o", bin}
	if raceEnabled {
		args = append(args, "-race")
	}
	cmd := exec.Command("go", append(args, "./cmd/warroom")...)
	cmd.Dir = root
	if out, err := cmd.CombinedOutput(); err != nil {
		return "", fmt.Errorf("%v\n%s", err, out)
	}
	return bin, nil
}

// RemoveBuild deletes the binary Build made, if any; call it from
// TestMain after m.Run (the binary is shared by every test of the process,
// so no single test can own it).
func RemoveBuild() {
	if buildDir != "" {
		_ = os.RemoveAll(buildDir)
	}
}

// moduleRoot is the directory of the main module's go.mod, found from the
// test's working directory (its package directory).
func moduleRoot() (string, error) {
	out, err := exec.Command("go", "env", "GOMOD").Output()
	if err != nil {
		return "", fmt.Errorf("go env GOMOD: %w", err)
	}
	mod := strings.TrimSpace(string(out))
	if mod == "" || mod == os.DevNull {
		return "", errors.New("not inside the warroom module")
	}
	return filepath.Dir(mod), nil
}

// Options says how to start the program.
type Options struct {
	// Args are the program's arguments (e.g. "demo", "--journal", path).
	Args []string
	// Env is appended to a minimal environment: HOME (a fresh temp dir, so
	// no user config or state is read), USER, PATH, TERM=xterm-256color,
	// LANG=C.UTF-8.
	Env []string
	// Dir is the working directory (default: a fresh temp dir).
	Dir string
	// Cols and Rows are the terminal size (default 120x36).
	Cols, Rows int
}

// Term is the program running in a pseudo-terminal, with everything it
// wrote so far.
type Term struct {
	tb   testing.TB
	cmd  *exec.Cmd
	ptmx *os.File

	mu      sync.Mutex
	out     []byte
	grew    chan struct{} // closed and replaced whenever out grows
	mark    int           // the last Mark, for WaitFor; -1 before any
	queried int           // how far out was scanned for terminal queries

	exited   chan struct{} // closed when the process has been waited for
	exitCode int
	exitErr  error
	readDone chan struct{} // closed when the reader has seen EOF/EIO
}

// ptyOK reports whether this machine can open a pseudo-terminal.
var ptyOK = sync.OnceValue(func() error {
	p, tty, err := pty.Open()
	if err != nil {
		return err
	}
	_ = tty.Close()
	return p.Close()
})

// Start runs the binary (Build) in a new pty of the given size; t.Cleanup
// kills it and waits. The test is skipped if no pty can be opened.
func Start(t testing.TB, o Options) *Term {
	t.Helper()
	if err := ptyOK(); err != nil {
		t.Skipf("screentest: no pseudo-terminal on this machine: %v", err)
	}
	bin := Build(t)
	if o.Cols <= 0 {
		o.Cols = 120
	}
	if o.Rows <= 0 {
		o.Rows = 36
	}
	if o.Dir == "" {
		o.Dir = t.TempDir()
	}
	cmd := exec.Command(bin, o.Args...)
	cmd.Dir = o.Dir
	cmd.Env = append([]string{
		"HOME=" + t.TempDir(),
		"USER=screentest",
		"PATH=" + os.Getenv("PATH"),
		"TERM=xterm-256color",
		"LANG=C.UTF-8",
	}, o.Env...)
	ptmx, err := pty.StartWithSize(cmd, &pty.Winsize{Cols: uint16(o.Cols), Rows: uint16(o.Rows)})
	if err != nil {
		t.Fatalf("screentest: start %s in a pty: %v", bin, err)
	}
	term := &Term{
		tb:       t,
		cmd:      cmd,
		ptmx:     ptmx,
		grew:     make(chan struct{}),
		mark:     -1,
		exited:   make(chan struct{}),
		readDone: make(chan struct{}),
	}
	go term.read()
	go func() {
		err := cmd.Wait()
		term.mu.Lock()
		term.exitCode, term.exitErr = cmd.ProcessState.ExitCode(), err
		term.mu.Unlock()
		close(term.exited)
	}()
	t.Cleanup(term.stop)
	return term
}

// stop kills the program if it still runs and releases the pty; for a
// failed test it dumps the output if asked to (EnvDump).
func (t *Term) stop() {
	defer t.dump()
	select {
	case <-t.exited:
	default:
		_ = t.cmd.Process.Signal(syscall.SIGKILL)
		<-t.exited
	}
	// The reader ends with EIO once the child's side is closed; closing
	// our side ends it in any case.
	select {
	case <-t.readDone:
	case <-time.After(2 * time.Second):
	}
	_ = t.ptmx.Close()
	<-t.readDone
}

func (t *Term) dump() {
	dir := os.Getenv(EnvDump)
	if dir == "" || !t.tb.Failed() {
		return
	}
	name := strings.NewReplacer("/", "_", " ", "_").Replace(t.tb.Name()) + ".out"
	if err := os.WriteFile(filepath.Join(dir, name), t.Output(), 0o644); err == nil {
		t.tb.Logf("screentest: the raw output is in %s", filepath.Join(dir, name))
	}
}

// read appends everything the program writes to out, answering terminal
// queries as it goes.
func (t *Term) read() {
	defer close(t.readDone)
	buf := make([]byte, 32*1024)
	for {
		n, err := t.ptmx.Read(buf)
		if n > 0 {
			t.mu.Lock()
			t.out = append(t.out, buf[:n]...)
			replies := t.queriesLocked()
			close(t.grew)
			t.grew = make(chan struct{})
			t.mu.Unlock()
			for _, r := range replies {
				_, _ = t.ptmx.Write([]byte(r))
			}
		}
		if err != nil {
			return // EIO: the program and its children closed the pty
		}
	}
}

// queries a terminal answers, and the answers: a dark background, white
// text, the cursor at the top left.
var queries = []struct{ ask, answer string }{
	{"\x1b]11;?", "\x1b]11;rgb:0000/0000/0000\x1b\\"},
	{"\x1b]10;?", "\x1b]10;rgb:ffff/ffff/ffff\x1b\\"},
	{"\x1b[6n", "\x1b[1;1R"},
}

// queriesLocked finds the queries written since the last scan, in order.
func (t *Term) queriesLocked() []string {
	var replies []string
	for {
		at, which := -1, -1
		for i, q := range queries {
			if j := bytes.Index(t.out[t.queried:], []byte(q.ask)); j >= 0 && (at < 0 || j < at) {
				at, which = j, i
			}
		}
		if at < 0 {
			break
		}
		replies = append(replies, queries[which].answer)
		t.queried += at + len(queries[which].ask)
	}
	// Keep a tail that could be the start of a query split across reads.
	if tail := len(t.out) - 8; tail > t.queried {
		t.queried = tail
	}
	return replies
}

// keys are the byte sequences of named keys, as a terminal sends them.
var keys = map[string]string{
	"enter": "\r", "tab": "\t", "shift+tab": "\x1b[Z", "esc": "\x1b",
	"backspace": "\x7f", "space": " ", "delete": "\x1b[3~",
	"up": "\x1b[A", "down": "\x1b[B", "right": "\x1b[C", "left": "\x1b[D",
	"home": "\x1b[H", "end": "\x1b[F", "pgup": "\x1b[5~", "pgdown": "\x1b[6~",
}

// keyBytes is the byte sequence for a key name; ctrl+a..ctrl+z are the
// C0 controls; anything else is sent as is.
func keyBytes(k string) string {
	if s, ok := keys[k]; ok {
		return s
	}
	if rest, ok := strings.CutPrefix(k, "ctrl+"); ok && len(rest) == 1 && rest[0] >= 'a' && rest[0] <= 'z' {
		return string(rune(rest[0] - 'a' + 1))
	}
	return k
}

// Pauses between writes: bubbletea v1 reads input in chunks and parses a
// burst as one message (a lone ESC followed by a key would read as alt+key).
const (
	keyPause  = 40 * time.Millisecond
	escPause  = 250 * time.Millisecond
	typePause = 10 * time.Millisecond
)

// Send writes each key separately, with a short pause between. Names like
// "tab", "enter", "esc", "ctrl+c", "up", "down" map to their byte
// sequences; anything else is sent literally.
func (t *Term) Send(keys ...string) {
	t.tb.Helper()
	for _, k := range keys {
		t.write(keyBytes(k))
		if k == "esc" {
			// A lone ESC is told from the start of an escape sequence
			// (alt+key) only if the program reads it before the next key:
			// on a loaded machine 40 ms was seen to be too short ("esc",
			// ":" read as alt+:).
			time.Sleep(escPause)
			continue
		}
		time.Sleep(keyPause)
	}
}

// Type sends text one rune at a time, with a pause between.
func (t *Term) Type(text string) {
	t.tb.Helper()
	for _, r := range text {
		t.write(string(r))
		time.Sleep(typePause)
	}
}

func (t *Term) write(s string) {
	t.tb.Helper()
	if _, err := t.ptmx.Write([]byte(s)); err != nil {
		t.tb.Errorf("screentest: write %q: %v", s, err)
	}
}

// Mark is the current length of the raw output; WaitFor looks only after
// the last Mark.
func (t *Term) Mark() int {
	t.mu.Lock()
	defer t.mu.Unlock()
	t.mark = len(t.out)
	return t.mark
}

// Since is a copy of the raw output after mark.
func (t *Term) Since(mark int) []byte {
	t.mu.Lock()
	defer t.mu.Unlock()
	if mark > len(t.out) {
		mark = len(t.out)
	}
	return bytes.Clone(t.out[max(mark, 0):])
}

// Output is a copy of all raw output.
func (t *Term) Output() []byte { return t.Since(0) }

// WaitFor waits until the output since the last Mark (all output if Mark
// was never called), stripped of escape sequences, contains substr. On
// timeout or exit it returns an error with the tail of that stripped text.
func (t *Term) WaitFor(substr string, timeout time.Duration) error {
	t.mu.Lock()
	mark := t.mark
	t.mu.Unlock()
	_, err := t.WaitForSince(max(mark, 0), substr, timeout)
	return err
}

// WaitForSince waits until the output after mark, stripped of escape
// sequences, contains substr, and returns how long that took from the call.
func (t *Term) WaitForSince(mark int, substr string, timeout time.Duration) (time.Duration, error) {
	start := time.Now()
	deadline := time.NewTimer(timeout)
	defer deadline.Stop()
	for {
		t.mu.Lock()
		seen := strings.Contains(ansi.Strip(string(t.out[min(max(mark, 0), len(t.out)):])), substr)
		grew := t.grew
		t.mu.Unlock()
		if seen {
			return time.Since(start), nil
		}
		select {
		case <-grew:
		case <-t.readDone:
			// Nothing more will come: one last look, then give up.
			if strings.Contains(ansi.Strip(string(t.Since(mark))), substr) {
				return time.Since(start), nil
			}
			return time.Since(start), fmt.Errorf("screentest: the program closed the terminal without showing %q; it showed:\n%s", substr, tail(t.Since(mark)))
		case <-deadline.C:
			return time.Since(start), fmt.Errorf("screentest: %q not shown within %v; the end of what was shown:\n%s", substr, timeout, tail(t.Since(mark)))
		}
	}
}

// tail is the end of the stripped output, for error messages.
func tail(b []byte) string {
	s := ansi.Strip(string(b))
	// Lines the renderer skipped (unchanged) are bare line feeds.
	for strings.Contains(s, "\n\n") {
		s = strings.ReplaceAll(s, "\n\n", "\n")
	}
	const n = 2000
	if len(s) > n {
		s = "…" + s[len(s)-n:]
	}
	return s
}

// Resize changes the terminal size; the program gets SIGWINCH.
func (t *Term) Resize(cols, rows int) {
	t.tb.Helper()
	if err := pty.Setsize(t.ptmx, &pty.Winsize{Cols: uint16(cols), Rows: uint16(rows)}); err != nil {
		t.tb.Errorf("screentest: resize to %dx%d: %v", cols, rows, err)
	}
}

// Wait waits for the program to exit and returns its exit status (-1 if a
// signal ended it). After the exit it also waits, briefly, for the last
// output to be read.
func (t *Term) Wait(timeout time.Duration) (exitCode int, err error) {
	select {
	case <-t.exited:
	case <-time.After(timeout):
		return -1, fmt.Errorf("screentest: the program did not exit within %v; the end of what it showed:\n%s", timeout, tail(t.Output()))
	}
	select {
	case <-t.readDone:
	case <-time.After(time.Second):
	}
	t.mu.Lock()
	defer t.mu.Unlock()
	var ee *exec.ExitError
	if errors.As(t.exitErr, &ee) {
		return t.exitCode, nil // a non-zero status is an answer, not an error
	}
	return t.exitCode, t.exitErr
}

// Pid is the program's process id.
func (t *Term) Pid() int { return t.cmd.Process.Pid }
