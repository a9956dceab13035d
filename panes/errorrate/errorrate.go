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
// Prometheus can answer any float64: +Inf (errors over zero requests), NaN
// (0/0), negative or above-1 "ratios" (counter resets, mismatched
// selectors), 1e308. Each is said for what it is, never drawn as a number
// it is not, and never allowed to set the graph's scale.
func (m *Model) View() string { return common.Clip(m.view(), m.w, m.h) }

func (m *Model) view() string {
	st := m.c.Styles
	now := m.c.Now()
	var b strings.Builder
	b.WriteString(common.StateLineFit(st, m.feed.State, now, 3*m.feed.Interval, m.w) + "\n")
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
	var peak, lastValid *prom.Point
	for i := range pts {
		if valid(pts[i].V) {
			if peak == nil || pts[i].V > peak.V {
				peak = &pts[i]
			}
			lastValid = &pts[i]
		}
	}
	switch {
	case valid(cur.V) && cur.V > Threshold:
		b.WriteString("5xx ratio now " + st.Bad.Render(percent(cur.V)+" ▲ above 5%") + "\n")
	case valid(cur.V):
		b.WriteString("5xx ratio now " + st.OK.Render(percent(cur.V)) + "\n")
	default:
		// Non-finite or invalid now: say what it is, then the last
		// number that meant something, so the reader is not left blind.
		line := "5xx ratio now " + st.Warn.Render(describe(cur.V))
		if lastValid != nil {
			line += st.Muted.Render(" · last valid " + percent(lastValid.V) + " at " + lastValid.T.Local().Format("15:04:05"))
		}
		b.WriteString(line + "\n")
	}
	if peak != nil {
		b.WriteString(st.Muted.Render(fmt.Sprintf("peak %s at %s · threshold 5%%", percent(peak.V), peak.T.Local().Format("15:04"))) + "\n")
	} else {
		b.WriteString(st.Muted.Render("no valid ratio in the window · threshold 5%") + "\n")
	}
	shown := pts
	if len(shown) > m.w {
		shown = shown[len(shown)-max(m.w, 0):]
	}
	legend := legendFor(shown)
	rows := max(m.h-5, 1)
	if legend != "" {
		rows = max(rows-1, 1)
	}
	for _, l := range sparkRows(pts, m.w, rows, Threshold) {
		b.WriteString(st.Info.Render(l) + "\n")
	}
	if legend != "" {
		b.WriteString(st.Warn.Render(legend) + "\n")
	}
	b.WriteString(st.Muted.Render(fmt.Sprintf("last %s · %s", m.cfg.Window, sanitize.Line(m.cfg.Query))) + "\n")
	b.WriteString(st.Muted.Render("graph with axes, handlers and alerts: not built yet"))
	return b.String()
}

// valid reports whether v can be a 5xx ratio: finite, 0..1.
func valid(v float64) bool { return v >= 0 && v <= 1 }

// percent renders a ratio as a percentage; an absurd magnitude as the raw
// ratio in short scientific form, so 1e308 neither prints 300 digits nor
// overflows to +Inf when multiplied by 100.
func percent(v float64) string {
	if math.Abs(v) < 1e4 {
		return fmt.Sprintf("%.2f%%", v*100)
	}
	return fmt.Sprintf("%.3g (as a ratio)", v)
}

// describe says what a value that is not a valid ratio is.
func describe(v float64) string {
	switch {
	case math.IsNaN(v):
		return "no value (NaN: 0/0, no requests?)"
	case math.IsInf(v, 1):
		return "+Inf (division by zero: no requests?)"
	case math.IsInf(v, -1):
		return "-Inf (invalid ratio)"
	case v < 0:
		return "invalid ratio " + percent(v) + " (negative: counter reset?)"
	case v > 1:
		return "invalid ratio " + percent(v) + " (above 100%)"
	}
	return percent(v)
}

// Marks for samples the graph cannot draw as a height: ASCII, one cell
// wide in every terminal.
const (
	markHigh    = '^' // +Inf or above 100%: off the top of the scale
	markInvalid = '!' // negative or -Inf
	markNaN     = '?' // no value
)

// legendFor names the marks present in pts ("" when there are none).
func legendFor(pts []prom.Point) string {
	var high, inv, nan bool
	for _, p := range pts {
		switch v := p.V; {
		case math.IsNaN(v):
			nan = true
		case v > 1:
			high = true
		case v < 0:
			inv = true
		}
	}
	var parts []string
	if high {
		parts = append(parts, "^ off-scale (+Inf or >100%, not to scale)")
	}
	if inv {
		parts = append(parts, "! invalid (<0)")
	}
	if nan {
		parts = append(parts, "? no value")
	}
	return strings.Join(parts, " · ")
}

var blocks = []rune(" ▁▂▃▄▅▆▇█")

// sparkRows draws the newest width points as rows of block characters,
// scaled to max(valid peak, 2×threshold) so the threshold sits at a steady
// height. Only valid ratios set the scale and get a height; the others get
// a mark (see markHigh), so one absurd sample never flattens the rest.
func sparkRows(pts []prom.Point, width, rows int, threshold float64) []string {
	if width <= 0 || rows <= 0 {
		return nil
	}
	if len(pts) > width {
		pts = pts[len(pts)-width:]
	}
	top := 2 * threshold
	for _, p := range pts {
		if valid(p.V) && p.V > top {
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
			case math.IsNaN(v):
				b.WriteRune(mark(r == rows-1, markNaN))
			case v > 1:
				b.WriteRune(mark(r == 0, markHigh))
			case v < 0:
				b.WriteRune(mark(r == rows-1, markInvalid))
			case v <= lo:
				b.WriteRune(' ')
			case v >= hi:
				b.WriteRune('█')
			default:
				// lo < v < hi, all finite: the index is in 1..8.
				b.WriteRune(blocks[min(max(int((v-lo)/(hi-lo)*8), 0), 8)])
			}
		}
		out[r] = b.String()
	}
	return out
}

func mark(here bool, r rune) rune {
	if here {
		return r
	}
	return ' '
}
