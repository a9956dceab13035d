//go:build unix

package step

import (
	"context"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"strconv"
	"sync"
	"sync/atomic"
	"syscall"
	"time"
)

var bashPath = sync.OnceValues(func() (string, error) { return exec.LookPath("bash") })

// runBash runs the script with bash -c in a new session (so its own
// process group, and no controlling terminal: a program that opens
// /dev/tty fails at once instead of stopping or drawing over the console),
// stdin /dev/null, stdout and stderr through one pipe read line by line.
//
// When ctx is done the group gets SIGTERM, and SIGKILL KillGrace later
// if it is still there (exec.Cmd's Cancel and WaitDelay, so a process
// that keeps the pipe open cannot hold Wait up). What the script leaves
// running when it exits is ended too (SIGTERM, then SIGKILL): nothing a
// step starts outlives it.
func runBash(ctx context.Context, b Backends, r Rendered, m *masker, progress func(string)) Result {
	path, err := bashPath()
	if err != nil {
		return Result{Err: fmt.Errorf("bash is needed to run this step: %w", err), Summary: "not run"}
	}
	grace := b.KillGrace
	if grace <= 0 {
		grace = DefaultKillGrace
	}
	w := newLineWriter(progress, m)
	cmd := exec.CommandContext(ctx, path, "-c", r.Text)
	cmd.Env = append(append(os.Environ(), b.Env...), r.Env...)
	cmd.Dir = b.Dir
	cmd.Stdout, cmd.Stderr = w, w
	cmd.SysProcAttr = &syscall.SysProcAttr{Setsid: true}
	var termAt atomic.Int64 // when ctx's end sent SIGTERM (UnixNano)
	cmd.Cancel = func() error {
		termAt.Store(time.Now().UnixNano())
		return syscall.Kill(-cmd.Process.Pid, syscall.SIGTERM)
	}
	cmd.WaitDelay = grace
	if err := cmd.Start(); err != nil {
		return failed(ctx, err)
	}
	pgid := cmd.Process.Pid
	werr := cmd.Wait()
	w.flush()
	if groupAlive(pgid) {
		// The group outlived its leader: SIGTERM (unless ctx's end sent
		// it already), SIGKILL once the grace since then is over.
		deadline := time.Now().Add(grace)
		if t := termAt.Load(); t != 0 {
			deadline = time.Unix(0, t).Add(grace)
		} else {
			_ = syscall.Kill(-pgid, syscall.SIGTERM)
		}
		for time.Now().Before(deadline) && groupAlive(pgid) {
			time.Sleep(20 * time.Millisecond)
		}
		if groupAlive(pgid) {
			_ = syscall.Kill(-pgid, syscall.SIGKILL)
		}
		w.note("warroom: ended the processes the step left running")
	}
	ps := cmd.ProcessState
	if ps == nil {
		return failed(ctx, werr)
	}
	ws, _ := ps.Sys().(syscall.WaitStatus)
	var res Result
	if ws.Signaled() {
		res.Summary = "killed (" + signalName(ws.Signal()) + ")"
	} else {
		code := ps.ExitCode()
		res.ExitCode = &code
		res.Summary = "exit " + strconv.Itoa(code)
	}
	switch {
	case ctx.Err() != nil:
		res.Err = &stopped{cause: ctx.Err(), what: res.Summary}
	case ws.Signaled():
		res.Err = errors.New(res.Summary)
	case *res.ExitCode != 0:
		res.Err = fmt.Errorf("exit status %d", *res.ExitCode)
	}
	return res
}

func signalName(s syscall.Signal) string {
	switch s {
	case syscall.SIGTERM:
		return "SIGTERM"
	case syscall.SIGKILL:
		return "SIGKILL"
	case syscall.SIGINT:
		return "SIGINT"
	case syscall.SIGHUP:
		return "SIGHUP"
	case syscall.SIGQUIT:
		return "SIGQUIT"
	case syscall.SIGPIPE:
		return "SIGPIPE"
	case syscall.SIGSEGV:
		return "SIGSEGV"
	case syscall.SIGABRT:
		return "SIGABRT"
	}
	return "signal " + strconv.Itoa(int(s))
}
