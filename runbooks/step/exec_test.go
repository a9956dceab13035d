//go:build unix

package step

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"runtime"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/warroom-dev/warroom/internal/sanitize"
	"github.com/warroom-dev/warroom/runbooks"
)

// collector gathers progress lines; safe for concurrent use.
type collector struct {
	mu    sync.Mutex
	lines []string
	seen  chan string // each line, if set (never blocks: buffered)
}

func (c *collector) progress(l string) {
	c.mu.Lock()
	c.lines = append(c.lines, l)
	c.mu.Unlock()
	if c.seen != nil {
		select {
		case c.seen <- l:
		default:
		}
	}
}

func (c *collector) all() []string {
	c.mu.Lock()
	defer c.mu.Unlock()
	return append([]string(nil), c.lines...)
}

func bash(code string) Rendered {
	return Rendered{Lang: runbooks.Bash, Text: code, Lines: lines(code)}
}

func TestRunStreamsInOrder(t *testing.T) {
	var c collector
	res := Run(context.Background(), Backends{}, bash(`for ((i=1; i<=1000; i++)); do echo $i; if (( i % 100 == 0 )); then echo "err $i" >&2; fi; done`), false, c.progress)
	if res.Err != nil || res.ExitCode == nil || *res.ExitCode != 0 || res.Summary != "exit 0" {
		t.Fatalf("result = %+v", res)
	}
	got := c.all()
	var want []string
	for i := 1; i <= 1000; i++ {
		want = append(want, strconv.Itoa(i))
		if i%100 == 0 {
			want = append(want, "err "+strconv.Itoa(i))
		}
	}
	if strings.Join(got, ",") != strings.Join(want, ",") {
		t.Fatalf("got %d lines, not 1..1000 in order with stderr merged: first %q", len(got), got[:min(len(got), 12)])
	}
}

func TestRunExitCodeAndEnv(t *testing.T) {
	var c collector
	dir := t.TempDir()
	res := Run(context.Background(), Backends{Env: []string{"WARROOM_STEP_TEST=from-env"}, Dir: dir},
		bash(`echo "$WARROOM_STEP_TEST"; pwd; printf '\033[31mred\033[0m\n'; printf 'no newline'; exit 3`), false, c.progress)
	if res.ExitCode == nil || *res.ExitCode != 3 || res.Summary != "exit 3" || res.Err == nil || res.Err.Error() != "exit status 3" {
		t.Fatalf("result = %+v", res)
	}
	real, _ := filepath.EvalSymlinks(dir)
	want := []string{"from-env", real, "red", "no newline"}
	if got := c.all(); strings.Join(got, "|") != strings.Join(want, "|") {
		t.Fatalf("lines = %q, want %q", got, want)
	}
}

func TestRunTimeoutKillsTheStep(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), 300*time.Millisecond)
	defer cancel()
	start := time.Now()
	res := Run(ctx, Backends{KillGrace: time.Second}, bash("sleep 100"), false, nil)
	if took := time.Since(start); took > 20*time.Second {
		t.Fatalf("Run took %v for a 300ms timeout", took)
	}
	if !errors.Is(res.Err, context.DeadlineExceeded) || !strings.HasPrefix(res.Err.Error(), "timed out") {
		t.Fatalf("Err = %v, want a timeout", res.Err)
	}
	if res.ExitCode != nil || res.Summary != "killed (SIGTERM)" {
		t.Fatalf("result = %+v, want killed (SIGTERM)", res)
	}
}

// gone reports whether pid no longer runs (a zombie nobody reaps counts
// as gone: it runs nothing).
func gone(pid int) bool {
	if syscall.Kill(pid, 0) != nil {
		return true
	}
	b, err := os.ReadFile("/proc/" + strconv.Itoa(pid) + "/stat")
	if err != nil {
		return runtime.GOOS == "linux"
	}
	i := strings.LastIndexByte(string(b), ')')
	return i > 0 && strings.HasPrefix(strings.TrimSpace(string(b[i+1:])), "Z")
}

func TestCancelKillsGrandchildren(t *testing.T) {
	pids := filepath.Join(t.TempDir(), "pids")
	script := fmt.Sprintf(`
sleep 300 & echo $! >> %[1]q
bash -c 'sleep 300 & echo $! >> %[1]q; sleep 300 >/dev/null 2>&1 & echo $! >> %[1]q; wait' & echo $! >> %[1]q
(sleep 300; echo never) & echo $! >> %[1]q
while [ "$(wc -l < %[1]q)" -lt 5 ]; do sleep 0.01; done
echo started
wait`, pids)
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	c := collector{seen: make(chan string, 16)}
	done := make(chan Result, 1)
	go func() { done <- Run(ctx, Backends{KillGrace: 2 * time.Second}, bash(script), false, c.progress) }()
	select {
	case l := <-c.seen:
		if l != "started" {
			t.Fatalf("first line %q", l)
		}
	case res := <-done:
		t.Fatalf("the script ended early: %+v %q", res, c.all())
	case <-time.After(30 * time.Second):
		t.Fatal("the script did not start its children")
	}
	b, err := os.ReadFile(pids)
	if err != nil {
		t.Fatal(err)
	}
	var all []int
	for _, f := range strings.Fields(string(b)) {
		pid, err := strconv.Atoi(f)
		if err != nil {
			t.Fatal(err)
		}
		if gone(pid) {
			t.Fatalf("pid %d is not running before the cancel", pid)
		}
		all = append(all, pid)
	}
	if len(all) != 5 {
		t.Fatalf("pids %v", all)
	}
	cancel()
	res := <-done
	if !errors.Is(res.Err, context.Canceled) {
		t.Fatalf("Err = %v, want cancelled", res.Err)
	}
	for _, pid := range all {
		if !gone(pid) {
			t.Errorf("pid %d still runs after the cancel", pid)
			_ = syscall.Kill(pid, syscall.SIGKILL)
		}
	}
}

func TestSIGTERMIgnoredGetsSIGKILL(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	c := collector{seen: make(chan string, 4)}
	done := make(chan Result, 1)
	const grace = 400 * time.Millisecond
	go func() {
		done <- Run(ctx, Backends{KillGrace: grace}, bash(`trap '' TERM; echo ready; while :; do sleep 0.05; done`), false, c.progress)
	}()
	if l := <-c.seen; l != "ready" {
		t.Fatalf("first line %q", l)
	}
	start := time.Now()
	cancel()
	var res Result
	select {
	case res = <-done:
	case <-time.After(30 * time.Second):
		t.Fatal("Run did not return after the cancel")
	}
	if took := time.Since(start); took < grace {
		t.Errorf("killed after %v, before the grace %v", took, grace)
	}
	if res.Summary != "killed (SIGKILL)" || !errors.Is(res.Err, context.Canceled) {
		t.Fatalf("result = %+v, want killed (SIGKILL), cancelled", res)
	}
}

func TestLeftoverBackgroundProcessIsEnded(t *testing.T) {
	pidFile := filepath.Join(t.TempDir(), "pid")
	var c collector
	res := Run(context.Background(), Backends{KillGrace: time.Second},
		bash(fmt.Sprintf(`sleep 300 >/dev/null 2>&1 & echo $! > %q; echo bye`, pidFile)), false, c.progress)
	if res.Err != nil || res.Summary != "exit 0" {
		t.Fatalf("result = %+v", res)
	}
	b, err := os.ReadFile(pidFile)
	if err != nil {
		t.Fatal(err)
	}
	pid, _ := strconv.Atoi(strings.TrimSpace(string(b)))
	if pid == 0 || !gone(pid) {
		t.Fatalf("the step's background sleep (pid %d) outlived it", pid)
	}
	if got := c.all(); len(got) != 2 || got[0] != "bye" || !strings.Contains(got[1], "ended the processes") {
		t.Fatalf("lines = %q", got)
	}
}

func TestLongLineIsCutAndMemoryBounded(t *testing.T) {
	var c collector
	var before, after runtime.MemStats
	runtime.GC()
	runtime.ReadMemStats(&before)
	res := Run(context.Background(), Backends{}, bash(`head -c 10000000 /dev/zero | tr '\0' a; echo; echo next`), false, c.progress)
	runtime.ReadMemStats(&after)
	if res.Err != nil {
		t.Fatal(res.Err)
	}
	got := c.all()
	if len(got) != 2 || got[1] != "next" {
		t.Fatalf("%d lines, want the cut line and \"next\"", len(got))
	}
	if want := strings.Repeat("a", LineMax) + " …"; got[0] != want {
		t.Fatalf("cut line has %d bytes, want %d", len(got[0]), len(want))
	}
	// 10 MB went through: what was allocated meanwhile is a small part.
	if alloc := after.TotalAlloc - before.TotalAlloc; alloc > 4<<20 {
		t.Fatalf("allocated %d bytes while streaming a 10 MB line", alloc)
	}
}

func TestLineWriterCutsAtRuneBoundary(t *testing.T) {
	var got []string
	w := newLineWriter(func(l string) { got = append(got, l) }, nil)
	line := strings.Repeat("a", LineMax-1) + "é" + "tail\nnext\n" // é straddles the limit
	for i := 0; i < len(line); i += 7 {                           // in small writes
		_, _ = w.Write([]byte(line[i:min(i+7, len(line))]))
	}
	w.flush()
	if len(got) != 2 || got[0] != strings.Repeat("a", LineMax-1)+" …" || got[1] != "next" {
		t.Fatalf("got %d lines: %q…", len(got), got[0][max(0, len(got[0])-8):])
	}
}

// TestInjectionStaysLiteral runs real bash: whatever the value, the
// command prints it as it is and runs nothing else.
func TestInjectionStaysLiteral(t *testing.T) {
	values := []string{
		`'; touch X; echo '`, `$(touch X)`, "`touch X`", `a"b`, `a b`, `*`,
		`"; touch X; "`, `\`, `\'`, `$HOME`, `${HOME}`, `'`, `''`, `done`, `!x`, `}`, `{a,b}`, `~root`,
		`a;touch X`, `a|touch X`, `a&&touch X`, `>X`, `#`, ` leading`, "tab\there", "$'\\x41'", "é ünïcode ✓", "",
		`[x]`, `a$b`, "x-y",
	}
	contexts := map[string]string{
		"outside":  `printf '%s\n' {v}`,
		"single":   `printf '%s\n' 'pre{v}post'`,
		"double":   `printf '%s\n' "pre{v}post"`,
		"dollar":   `printf '%s\n' $'pre{v}post'`,
		"assigned": `x={v}; printf '%s\n' "$x"`,
		"subst":    `printf '%s\n' "$(printf '%s' {v})"`,
	}
	for name, code := range contexts {
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			injection(t, name, code, values, false)
		})
		// A secret comes through the environment: the same literal.
		t.Run(name+"/secret", func(t *testing.T) {
			t.Parallel()
			injection(t, name, code, values, true)
		})
	}
}

func injection(t *testing.T, name, code string, values []string, secret bool) {
	var vars []runbooks.Variable
	if secret {
		vars = []runbooks.Variable{{Name: "v", Secret: true}}
	}
	for _, v := range values {
		dir := t.TempDir()
		r, err := Render(runbooks.Step{Lang: runbooks.Bash, Code: code}, vars, map[string]string{"v": v})
		if err != nil {
			t.Errorf("%s %q: %v", name, v, err)
			continue
		}
		if secret {
			if len(v) >= 4 && !strings.Contains(code, v) && strings.Contains(r.Text, v) {
				t.Errorf("%s %q: the secret is in the script %q", name, v, r.Text)
			}
			r.Secrets = nil // to compare what the step printed
		}
		var c collector
		res := Run(context.Background(), Backends{Dir: dir}, r, false, c.progress)
		if res.Err != nil {
			t.Errorf("%s %q: %v (script %q)", name, v, res.Err, r.Text)
			continue
		}
		if _, err := os.Stat(filepath.Join(dir, "X")); err == nil {
			t.Errorf("%s %q: X was created (script %q)", name, v, r.Text)
		}
		want := v
		switch name {
		case "single", "double", "dollar":
			want = "pre" + v + "post"
		case "subst":
			want = strings.TrimRight(v, "\n")
		}
		var wantLines []string
		for _, l := range strings.Split(want, "\n") {
			wantLines = append(wantLines, sanitize.Line(l))
		}
		if got := c.all(); strings.Join(got, "\n") != strings.Join(wantLines, "\n") {
			t.Errorf("%s %q: printed %q, want %q (script %q)", name, v, got, wantLines, r.Text)
		}
	}
}

func BenchmarkStream10MB(b *testing.B) {
	// 10 MB in 100-byte lines, from a producer fast enough not to be
	// what is measured.
	r := bash(`yes "$(printf '%099d' 0)" | head -n 100000`)
	b.SetBytes(10_000_000)
	b.ReportAllocs()
	for b.Loop() {
		n := 0
		res := Run(context.Background(), Backends{}, r, false, func(string) { n++ })
		if res.Err != nil || n != 100_000 {
			b.Fatalf("%v, %d lines", res.Err, n)
		}
	}
}
