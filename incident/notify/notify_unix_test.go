//go:build unix

package notify

import (
	"context"
	"errors"
	"os"
	"path/filepath"
	"runtime"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"
)

// gone reports whether process pid has ended: no such process, or (on
// Linux) a zombie waiting for whoever inherited it to reap it. It waits
// up to upperBound for the SIGKILL to be acted on.
func gone(t *testing.T, pid int) bool {
	t.Helper()
	deadline := time.Now().Add(upperBound)
	for {
		err := syscall.Kill(pid, 0)
		if errors.Is(err, syscall.ESRCH) {
			return true
		}
		if runtime.GOOS == "linux" {
			stat, rerr := os.ReadFile("/proc/" + strconv.Itoa(pid) + "/stat")
			if rerr != nil && errors.Is(rerr, os.ErrNotExist) {
				return true
			}
			if i := strings.LastIndexByte(string(stat), ')'); i >= 0 && strings.HasPrefix(string(stat[i+1:]), " Z") {
				return true
			}
		}
		if time.Now().After(deadline) {
			return false
		}
		time.Sleep(20 * time.Millisecond)
	}
}

// childPid reads the pid a hook script wrote.
func childPid(t *testing.T, file string) int {
	t.Helper()
	data, err := os.ReadFile(file)
	if err != nil {
		t.Fatalf("the hook did not write its child's pid: %v", err)
	}
	pid, err := strconv.Atoi(strings.TrimSpace(string(data)))
	if err != nil || pid <= 1 {
		t.Fatalf("child pid %q: %v", data, err)
	}
	return pid
}

func TestCommandTimeoutKillsGroup(t *testing.T) {
	needSh(t)
	pidFile := filepath.Join(t.TempDir(), "child.pid")
	// A child in the background, its output elsewhere (so only the
	// process group ties it to the hook), the pid written, then the
	// command itself outlasts the timeout.
	h := Hook{
		Command: []string{"/bin/sh", "-c", `sleep 30 >/dev/null 2>&1 </dev/null & echo $! > "$1"; echo started; sleep 30 >/dev/null 2>&1`, "sh", pidFile},
		Timeout: time.Second,
	}
	start := time.Now()
	res, err := h.Run(context.Background(), samplePayload())
	if d := time.Since(start); d > upperBound {
		t.Errorf("Run took %v with a 1s timeout", d)
	}
	if err == nil || !errors.Is(err, ErrTimeout) || !strings.Contains(err.Error(), "timed out after 1s") {
		t.Fatalf("error = %v, want timed out after 1s", err)
	}
	if res.ExitCode != -1 || !strings.Contains(res.Output, "started") {
		t.Errorf("result = %+v, want exit -1 and the output so far", res)
	}
	pid := childPid(t, pidFile)
	if !gone(t, pid) {
		syscall.Kill(pid, syscall.SIGKILL)
		t.Errorf("the command's child %d outlived the timeout", pid)
	}
}

func TestCommandLeftoverHoldingOutput(t *testing.T) {
	needSh(t)
	pidFile := filepath.Join(t.TempDir(), "child.pid")
	// The command exits at once, leaving a child that holds its output.
	h := Hook{Command: []string{"/bin/sh", "-c", `sleep 30 & echo $! > "$1"; echo sent`, "sh", pidFile}}
	start := time.Now()
	res, err := h.Run(context.Background(), samplePayload())
	if d := time.Since(start); d > upperBound {
		t.Errorf("Run took %v", d)
	}
	if err != nil || res.ExitCode != 0 || res.Output != "sent\n" {
		t.Errorf("Run = %+v, %v; want success with output %q", res, err, "sent\n")
	}
	pid := childPid(t, pidFile)
	if !gone(t, pid) {
		syscall.Kill(pid, syscall.SIGKILL)
		t.Errorf("the child %d holding the hook's output outlived Run", pid)
	}
}

func TestCommandDetachedChildLeftAlone(t *testing.T) {
	needSh(t)
	pidFile := filepath.Join(t.TempDir(), "child.pid")
	// A child with its output elsewhere is the script's business.
	h := Hook{Command: []string{"/bin/sh", "-c", `sleep 30 >/dev/null 2>&1 </dev/null & echo $! > "$1"`, "sh", pidFile}}
	if _, err := h.Run(context.Background(), samplePayload()); err != nil {
		t.Fatal(err)
	}
	pid := childPid(t, pidFile)
	defer syscall.Kill(pid, syscall.SIGKILL)
	if err := syscall.Kill(pid, 0); err != nil {
		t.Errorf("the detached child %d was killed: %v", pid, err)
	}
}
