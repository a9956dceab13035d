package runbook

import (
	"fmt"
	"runtime"
	"slices"
	"testing"
	"time"

	tea "github.com/charmbracelet/bubbletea"

	"github.com/warroom-dev/warroom/runbooks"
	"github.com/warroom-dev/warroom/tui/common"
)

// streamingPane is the pane showing a running step, zoomed (the most it
// draws).
func streamingPane(b *testing.B) *Model {
	books, err := runbooks.Shipped()
	if err != nil {
		b.Fatal(err)
	}
	m := New(testCommon(), runbooks.NewIndex(books), Config{})
	m.SetSize(156, 44)
	m.rows = m.rows[:1]
	m.openSelected()
	m.pending = &stepRun{tag: "runbook#1", title: "API Service Down › Check pod logs", lang: runbooks.Bash}
	m.Update(common.ActionStartedMsg{ID: "a1", Tag: "runbook#1", Started: time.Now()})
	return m
}

// 10 MB of step output reaching the pane as the shell hands it over (at
// most 200 lines a message: the action's stream merges bursts), with a
// redraw after each message and a key every ten: ns/op is one message of
// 200 lines of 50 bytes with its redraw; the figures say how long a key
// and a frame take while it streams and what the pane keeps.
func BenchmarkStream10MBThroughThePane(b *testing.B) {
	const lineLen, perMsg = 50, 200
	msgs := 10 << 20 / (lineLen * perMsg) // 1048 messages = 10 MB
	batch := make([]string, perMsg)
	for i := range batch {
		batch[i] = fmt.Sprintf("%-49s", fmt.Sprintf("2026-11-27T03:12:%02d ERROR upstream timeout id=%d", i%60, i))
	}
	down := tea.KeyMsg{Type: tea.KeyDown}
	var keys, frames []time.Duration
	b.ReportAllocs()
	for b.Loop() {
		m := streamingPane(b)
		for i := range msgs {
			m.Update(common.ActionProgressMsg{ID: "a1", Tag: "runbook#1", Lines: batch})
			t0 := time.Now()
			_ = m.View()
			frames = append(frames, time.Since(t0))
			if i%10 == 0 {
				t0 = time.Now()
				m.Update(down)
				_ = m.View()
				keys = append(keys, time.Since(t0))
			}
		}
		if len(m.run.lines) > outputKeep {
			b.Fatalf("kept %d lines", len(m.run.lines))
		}
	}
	b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(b.N*msgs), "ns/msg")
	b.ReportMetric(float64(quantile(keys, 0.99).Microseconds()), "p99-key-µs")
	b.ReportMetric(float64(quantile(frames, 0.99).Microseconds()), "p99-frame-µs")
	var ms runtime.MemStats
	runtime.GC()
	runtime.ReadMemStats(&ms)
	b.ReportMetric(float64(ms.HeapInuse)/(1<<20), "heap-MB")
}

// quantile is the q-quantile of ds (sorted in place).
func quantile(ds []time.Duration, q float64) time.Duration {
	if len(ds) == 0 {
		return 0
	}
	slices.Sort(ds)
	return ds[int(q*float64(len(ds)-1))]
}
