package main

import (
	"bufio"
	"context"
	"fmt"
	"os"
	"strconv"
	"strings"

	"k8s.io/client-go/kubernetes"
)

// clockTicks is USER_HZ, the unit of utime and stime in /proc/<pid>/stat:
// 100 on every Linux architecture Go supports.
const clockTicks = 100

// cpuSeconds is the CPU time (user + system) a process has used so far.
func cpuSeconds(pid int) (float64, error) {
	b, err := os.ReadFile(fmt.Sprintf("/proc/%d/stat", pid))
	if err != nil {
		return 0, err
	}
	return parseStatCPU(string(b))
}

// parseStatCPU reads utime and stime (fields 14 and 15) from a
// /proc/<pid>/stat line; the command name (field 2) may hold spaces and
// parentheses, so fields are counted after its last ')'.
func parseStatCPU(stat string) (float64, error) {
	i := strings.LastIndexByte(stat, ')')
	if i < 0 {
		return 0, fmt.Errorf("stat: no command name in %q", stat)
	}
	f := strings.Fields(stat[i+1:])
	// f[0] is field 3 (state): utime is field 14, stime 15.
	if len(f) < 13 {
		return 0, fmt.Errorf("stat: %d fields after the command name", len(f))
	}
	u, err1 := strconv.ParseUint(f[11], 10, 64)
	s, err2 := strconv.ParseUint(f[12], 10, 64)
	if err1 != nil || err2 != nil {
		return 0, fmt.Errorf("stat: utime %q stime %q", f[11], f[12])
	}
	return float64(u+s) / clockTicks, nil
}

// memMB is a field of /proc/<pid>/status in MB (VmRSS, VmHWM).
func memMB(pid int, field string) (float64, error) {
	f, err := os.Open(fmt.Sprintf("/proc/%d/status", pid))
	if err != nil {
		return 0, err
	}
	defer f.Close()
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		k, v, ok := strings.Cut(sc.Text(), ":")
		if !ok || k != field {
			continue
		}
		fs := strings.Fields(v) // "  123456 kB"
		if len(fs) != 2 || fs[1] != "kB" {
			return 0, fmt.Errorf("status: %s: %q", field, v)
		}
		kb, err := strconv.ParseFloat(fs[0], 64)
		if err != nil {
			return 0, err
		}
		return kb * 1024 / 1e6, nil
	}
	if err := sc.Err(); err != nil {
		return 0, err
	}
	return 0, fmt.Errorf("status: no %s for pid %d", field, pid)
}

// apiCounters are the API server's own counts of pod LISTs.
type apiCounters struct {
	lists     float64 // apiserver_request_total{verb="LIST",resource="pods"}
	listBytes float64 // apiserver_response_sizes_sum{verb="LIST",resource="pods"}
}

// scrapeAPIServer reads the API server's /metrics (the admin user may).
func scrapeAPIServer(ctx context.Context, cs kubernetes.Interface) (apiCounters, error) {
	body, err := cs.CoreV1().RESTClient().Get().AbsPath("/metrics").DoRaw(ctx)
	if err != nil {
		return apiCounters{}, fmt.Errorf("apiserver /metrics: %w", err)
	}
	return parseAPIMetrics(string(body)), nil
}

// parseAPIMetrics sums, over every label set with verb LIST on the pods
// resource (no subresource), the request count and the response bytes.
func parseAPIMetrics(text string) apiCounters {
	var c apiCounters
	for _, line := range strings.Split(text, "\n") {
		name, rest, ok := strings.Cut(line, "{")
		if !ok || (name != "apiserver_request_total" && name != "apiserver_response_sizes_sum") {
			continue
		}
		labels, value, ok := strings.Cut(rest, "} ")
		if !ok || !strings.Contains(labels, `verb="LIST"`) || !strings.Contains(labels, `resource="pods"`) {
			continue
		}
		if strings.Contains(labels, `subresource="`) && !strings.Contains(labels, `subresource=""`) {
			continue
		}
		v, err := strconv.ParseFloat(strings.Fields(value)[0], 64)
		if err != nil {
			continue
		}
		if name == "apiserver_request_total" {
			c.lists += v
		} else {
			c.listBytes += v
		}
	}
	return c
}
