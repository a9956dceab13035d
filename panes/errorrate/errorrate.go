// Package errorrate is the error-rate pane: the share of 5xx responses from
// Prometheus, against the playbook's 5% threshold. (The braille graph with
// axes, topk handlers, alerts, zoom and pan come with the error-rate issue.)
package errorrate

import (
	"context"
	"fmt"
	"math"
	"strings"
	"time"

	"github.com/charmbracelet/bubbles/key"
	tea "github.com/charmbracelet/bubbletea"

	"github.com/warroom-dev/warroom/internal/sanitize"
	"github.com/warroom-dev/warroom/probes"
	"github.com/warroom-dev/warroom/probes/prom"
	"github.com/warroom-dev/warroom/tui/common"
)

// Threshold is the playbook's "High Error Rate" symptom: error rate > 5%.
const Threshold = 0.05

// Config says what to query.
type Config struct {
	Query   string
	Window  time.Duration
	Step    time.Duration
	Refresh time.Duration
}

// KeyMap is the pane's bindings (none yet: zoom and pan come with the graph).
type KeyMap struct{}

// Model is the error-rate pane.
type Model struct {
	c    common.Common
	cfg  Config
	keys KeyMap
	feed *probes.Feed[[]prom.Series]
	w, h int
}

// New makes the pane; probe nil means Prometheus is not configured.
func New(c common.Common, probe prom.Probe, cfg Config) *Model {
	if cfg.Query == "" {
		cfg.Query = prom.ErrorRatioQuery
	}
	if cfg.Window <= 0 {
		cfg.Window = 15 * time.Minute
	}
	if cfg.Step <= 0 {
		cfg.Step = 15 * time.Second
	}
	var fetch func(context.Context) ([]prom.Series, error)
	if probe != nil {
		q, win, step, now := cfg.Query, cfg.Window, cfg.Step, c.Now
		fetch = func(ctx context.Context) ([]prom.Series, error) {
			end := now()
			return probe.QueryRange(ctx, q, end.Add(-win), end, step)
		}
	}
	feed := probes.NewFeed("errors", cfg.Refresh, c.Now, fetch, "set --prometheus or prometheus.url")
	feed.OnChange = c.ProbeEvents("prometheus")
	return &Model{c: c, cfg: cfg, feed: feed}
}

func (m *Model) Title() string             { return "Error rate" }
func (m *Model) Init() tea.Cmd             { return m.feed.Start() }
func (m *Model) SetSize(w, h int)          { m.w, m.h = w, h }
func (m *Model) Capturing() bool           { return false }
func (m *Model) ShortHelp() []key.Binding  { return nil }
func (m *Model) FullHelp() [][]key.Binding { return nil }
func (m *Model) Backends() []common.Backend {
	return []common.Backend{{Name: "prom", State: m.feed.State}}
}

// Update handles this pane's poll results.
func (m *Model) Update(msg tea.Msg) (common.Pane, tea.Cmd) {
	_, cmd := m.feed.Update(msg)
	return m, cmd
}

// View renders the current ratio, a sparkline of the window and its peak.
func (m *Model) View() string {
	st := m.c.Styles
	now := m.c.Now()
	var b strings.Builder
	b.WriteString(common.StateLine(st, m.feed.State, now, 3*m.feed.Interval) + "\n")
	if m.feed.State.LastOK.IsZero() {
		b.WriteString(common.FailureDetail(m.c.Styles, m.feed.State, m.w, max(m.h-2, 1)))
		return b.String()
	}
	var pts []prom.Point
	if len(m.feed.Data) > 0 {
		pts = m.feed.Data[0].Points
	}
	if len(pts) == 0 {
		if m.feed.State.Status == probes.OK {
			b.WriteString(st.Muted.Render("no samples in the last " + m.cfg.Window.String() + " (no traffic, or the query matches nothing)"))
		}
		return b.String()
	}
	cur := pts[len(pts)-1]
	peak := cur
	for _, p := range pts {
		if !math.IsNaN(p.V) && p.V > peak.V {
			peak = p
		}
	}
	val := fmt.Sprintf("%.2f%%", cur.V*100)
	if cur.V > Threshold {
		val = st.Bad.Render(val + " ▲ above 5%")
	} else {
		val = st.OK.Render(val)
	}
	b.WriteString("5xx ratio now " + val + "\n")
	b.WriteString(st.Muted.Render(fmt.Sprintf("peak %.2f%% at %s · threshold 5%%", peak.V*100, peak.T.Local().Format("15:04"))) + "\n")
	rows := max(m.h-5, 1)
	for _, l := range sparkRows(pts, m.w, rows, Threshold) {
		b.WriteString(st.Info.Render(l) + "\n")
	}
	b.WriteString(st.Muted.Render(common.Truncate(fmt.Sprintf("last %s · %s", m.cfg.Window, sanitize.Line(m.cfg.Query)), m.w)) + "\n")
	b.WriteString(st.Muted.Render("graph with axes, handlers and alerts: not built yet"))
	return b.String()
}

var blocks = []rune(" ▁▂▃▄▅▆▇█")

// sparkRows draws the newest width points as rows of block characters,
// scaled to max(peak, 2×threshold) so the threshold sits at a steady height.
func sparkRows(pts []prom.Point, width, rows int, threshold float64) []string {
	if width <= 0 || rows <= 0 {
		return nil
	}
	if len(pts) > width {
		pts = pts[len(pts)-width:]
	}
	top := 2 * threshold
	for _, p := range pts {
		if !math.IsNaN(p.V) && p.V > top {
			top = p.V
		}
	}
	out := make([]string, rows)
	for r := 0; r < rows; r++ {
		var b strings.Builder
		lo := float64(rows-1-r) / float64(rows) * top
		hi := float64(rows-r) / float64(rows) * top
		for _, p := range pts {
			v := p.V
			switch {
			case math.IsNaN(v) || v <= lo:
				b.WriteRune(' ')
			case v >= hi:
				b.WriteRune('█')
			default:
				b.WriteRune(blocks[int((v-lo)/(hi-lo)*8)])
			}
		}
		out[r] = b.String()
	}
	return out
}
