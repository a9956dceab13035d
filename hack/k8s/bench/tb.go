package main

import (
	"fmt"
	"os"
	"sync"
	"testing"
)

// runTB lets internal/screentest, which is written for tests, run a
// program outside of one: the benchmark is a command, not a test (it
// starts its own backends, runs for minutes and prints figures).
// testing.TB cannot be implemented outside the testing package, but an
// embedded one satisfies its unexported method; every method screentest
// calls is defined here, so the nil one is never reached.
type runTB struct {
	testing.TB
	name string

	mu       sync.Mutex
	cleanups []func()
	failed   bool
	errs     []string
}

func newTB(name string) *runTB { return &runTB{name: name} }

func (t *runTB) Helper()      {}
func (t *runTB) Name() string { return t.name }

func (t *runTB) Cleanup(f func()) {
	t.mu.Lock()
	defer t.mu.Unlock()
	t.cleanups = append(t.cleanups, f)
}

// done runs the cleanups, last registered first: the program is killed and
// its pty closed, then its temporary directories go.
func (t *runTB) done() {
	t.mu.Lock()
	fs := t.cleanups
	t.cleanups = nil
	t.mu.Unlock()
	for i := len(fs) - 1; i >= 0; i-- {
		fs[i]()
	}
}

func (t *runTB) TempDir() string {
	dir, err := os.MkdirTemp("", "warroom-bench-")
	if err != nil {
		t.Fatalf("temp dir: %v", err)
	}
	t.Cleanup(func() { _ = os.RemoveAll(dir) })
	return dir
}

func (t *runTB) Failed() bool {
	t.mu.Lock()
	defer t.mu.Unlock()
	return t.failed
}

func (t *runTB) Log(args ...any) { logf("%s: %s", t.name, fmt.Sprint(args...)) }
func (t *runTB) Logf(format string, args ...any) {
	logf("%s: %s", t.name, fmt.Sprintf(format, args...))
}

func (t *runTB) Error(args ...any) { t.Errorf("%s", fmt.Sprint(args...)) }
func (t *runTB) Errorf(format string, args ...any) {
	t.mu.Lock()
	t.failed = true
	t.errs = append(t.errs, fmt.Sprintf(format, args...))
	t.mu.Unlock()
	logf("%s: error: %s", t.name, fmt.Sprintf(format, args...))
}

// Fatal, Skip and their kin end the whole benchmark: the programs started
// so far are stopped first (see fatal).
func (t *runTB) Fatal(args ...any) { fatal("%s: %s", t.name, fmt.Sprint(args...)) }
func (t *runTB) Fatalf(format string, args ...any) {
	fatal("%s: %s", t.name, fmt.Sprintf(format, args...))
}
func (t *runTB) FailNow()         { fatal("%s: failed", t.name) }
func (t *runTB) Skip(args ...any) { fatal("%s: %s", t.name, fmt.Sprint(args...)) }
func (t *runTB) Skipf(format string, args ...any) {
	fatal("%s: %s", t.name, fmt.Sprintf(format, args...))
}
func (t *runTB) SkipNow() { fatal("%s: skipped", t.name) }
func (t *runTB) Fail() {
	t.mu.Lock()
	defer t.mu.Unlock()
	t.failed = true
}

// live are the TBs whose programs may still run: fatal cleans them up
// before exiting, so no console outlives the benchmark.
var (
	liveMu sync.Mutex
	live   = map[*runTB]bool{}
)

func track(t *runTB) *runTB {
	liveMu.Lock()
	defer liveMu.Unlock()
	live[t] = true
	return t
}

func release(t *runTB) {
	t.done()
	liveMu.Lock()
	defer liveMu.Unlock()
	delete(live, t)
}

// atExit are run by fatal, last first, after the consoles are stopped:
// stopping a child process, removing a temporary directory.
var atExit []func()

func onFatal(f func()) {
	liveMu.Lock()
	defer liveMu.Unlock()
	atExit = append(atExit, f)
}

var fatalOnce sync.Once

// fatal logs, stops what this process started and exits 1. A second call
// (a signal and a failing step at once) waits for the first to finish.
func fatal(format string, args ...any) {
	logf("FATAL: "+format, args...)
	fatalOnce.Do(cleanExit)
	select {} // not reached: cleanExit exits
}

func cleanExit() {
	liveMu.Lock()
	ts := make([]*runTB, 0, len(live))
	for t := range live {
		ts = append(ts, t)
	}
	fs := atExit
	atExit = nil
	liveMu.Unlock()
	for _, t := range ts {
		t.done()
	}
	for i := len(fs) - 1; i >= 0; i-- {
		fs[i]()
	}
	os.Exit(1)
}
