// Package queries is the slow-queries pane: pg_stat_activity by duration,
// connections against max_connections, who blocks whom, and the RDS
// instance's status. (Cancel/terminate and failover come with the
// slow-queries issue.)
package queries

import (
	"context"
	"fmt"
	"strings"
	"time"

	"github.com/charmbracelet/bubbles/key"
	tea "github.com/charmbracelet/bubbletea"

	"github.com/warroom-dev/warroom/internal/sanitize"
	"github.com/warroom-dev/warroom/probes"
	"github.com/warroom-dev/warroom/probes/pg"
	"github.com/warroom-dev/warroom/probes/rds"
	"github.com/warroom-dev/warroom/tui/common"
)

// Config says what to watch.
type Config struct {
	Refresh     time.Duration
	RDSInstance string
}

// KeyMap is the pane's bindings.
type KeyMap struct {
	common.NavKeys
}

// Model is the slow-queries pane.
type Model struct {
	c      common.Common
	cfg    Config
	keys   KeyMap
	pg     *probes.Feed[pg.Snapshot]
	rds    *probes.Feed[rds.Instance]
	cursor common.Cursor
	w, h   int
}

// New makes the pane; nil probes mean not configured.
func New(c common.Common, pgProbe pg.Probe, rdsProbe rds.Probe, cfg Config) *Model {
	var fetchPG func(context.Context) (pg.Snapshot, error)
	if pgProbe != nil {
		fetchPG = pgProbe.Activity
	}
	var fetchRDS func(context.Context) (rds.Instance, error)
	if rdsProbe != nil && cfg.RDSInstance != "" {
		id := cfg.RDSInstance
		fetchRDS = func(ctx context.Context) (rds.Instance, error) { return rdsProbe.Describe(ctx, id) }
	}
	rdsRefresh := max(cfg.Refresh*5, 10*time.Second)
	m := &Model{
		c: c, cfg: cfg, keys: KeyMap{NavKeys: common.DefaultNavKeys()},
		pg:  probes.NewFeed("queries.pg", cfg.Refresh, c.Now, fetchPG, "set --postgres, DATABASE_URL or postgres.dsn"),
		rds: probes.NewFeed("queries.rds", rdsRefresh, c.Now, fetchRDS, "set --rds-instance or rds.instance"),
	}
	m.pg.OnChange = c.ProbeEvents("postgres")
	m.rds.OnChange = c.ProbeEvents("rds")
	return m
}

func (m *Model) Title() string            { return "Slow queries" }
func (m *Model) Init() tea.Cmd            { return tea.Batch(m.pg.Start(), m.rds.Start()) }
func (m *Model) SetSize(w, h int)         { m.w, m.h = w, h }
func (m *Model) Capturing() bool          { return false }
func (m *Model) ShortHelp() []key.Binding { return []key.Binding{m.keys.Up, m.keys.Down} }
func (m *Model) FullHelp() [][]key.Binding {
	return [][]key.Binding{m.keys.NavKeys.Bindings()}
}
func (m *Model) Backends() []common.Backend {
	bs := []common.Backend{{Name: "pg", State: m.pg.State}}
	if m.rds.Configured() {
		bs = append(bs, common.Backend{Name: "rds", State: m.rds.State})
	}
	return bs
}

// Update handles keys and this pane's poll results.
func (m *Model) Update(msg tea.Msg) (common.Pane, tea.Cmd) {
	if ok, cmd := m.pg.Update(msg); ok {
		return m, cmd
	}
	if ok, cmd := m.rds.Update(msg); ok {
		return m, cmd
	}
	if k, ok := msg.(tea.KeyMsg); ok {
		m.cursor.Handle(k, m.keys.NavKeys, len(m.busy()), m.rows())
	}
	return m, nil
}

func (m *Model) rows() int {
	r := m.h - 3
	if m.rds.Configured() {
		r--
	}
	return max(r, 1)
}

// busy is every session that is not plain idle, longest first (the probe
// orders by start time).
func (m *Model) busy() []pg.Session {
	var out []pg.Session
	for _, s := range m.pg.Data.Sessions {
		if s.State != "idle" {
			out = append(out, s)
		}
	}
	return out
}

// View renders connections, then the sessions.
func (m *Model) View() string { return common.Clip(m.view(), m.w, m.h) }

func (m *Model) view() string {
	st := m.c.Styles
	now := m.c.Now()
	var b strings.Builder
	b.WriteString(common.StateLineFit(st, m.pg.State, now, 3*m.pg.Interval, m.w) + "\n")
	if m.rds.Configured() {
		b.WriteString(m.rdsLine(now) + "\n")
	}
	if m.pg.State.LastOK.IsZero() {
		b.WriteString(common.FailureDetail(m.c.Styles, m.pg.State, m.w, max(m.h-2, 1)))
		return b.String() // no data yet: say nothing rather than "0 sessions"
	}
	snap := m.pg.Data
	sessions := m.busy()
	if snap.MaxConnections > 0 {
		conn := fmt.Sprintf("connections %d/%d", snap.Connections, snap.MaxConnections)
		switch ratio := float64(snap.Connections) / float64(snap.MaxConnections); {
		case ratio >= 0.9:
			conn = st.Bad.Render(conn + " — pool nearly exhausted")
		case ratio >= 0.75:
			conn = st.Warn.Render(conn)
		}
		blocked := 0
		for _, s := range sessions {
			if len(s.BlockedBy) > 0 {
				blocked++
			}
		}
		line := conn + st.Muted.Render(fmt.Sprintf(" · %d busy", len(sessions)))
		if blocked > 0 {
			line += " · " + st.Bad.Render(fmt.Sprintf("%d blocked", blocked))
		}
		b.WriteString(line + "\n")
	}
	const pidW, durW, stateW = 7, 8, 10
	queryW := max(m.w-pidW-durW-stateW-3, 10)
	b.WriteString(st.Table.Header.Render(common.PadLeft("PID", pidW)+" "+common.PadLeft("DURATION", durW)+" "+
		common.Pad("STATE", stateW)+" "+common.Pad("QUERY", queryW)) + "\n")
	cur := m.cursor // a copy: drawing never moves the cursor
	start, end := cur.Window(len(sessions), m.rows())
	at := snap.At
	if at.IsZero() {
		at = now
	}
	for i := start; i < end; i++ {
		s := sessions[i]
		since := s.QueryStart
		if s.State == "idle in transaction" && !s.XactStart.IsZero() {
			since = s.XactStart
		}
		dur := "-"
		if !since.IsZero() {
			dur = common.Duration(at.Sub(since))
		}
		state := shortState(s.State)
		q := sanitize.Line(s.Query)
		if len(s.BlockedBy) > 0 {
			q = fmt.Sprintf("⛔ blocked by %v · %s", s.BlockedBy, q)
		}
		line := common.PadLeft(fmt.Sprint(s.PID), pidW) + " " + common.PadLeft(dur, durW) + " " +
			common.Pad(state, stateW) + " " + common.Pad(q, queryW)
		switch {
		case i == cur.Pos:
			line = st.Table.Selected.Render(line)
		case len(s.BlockedBy) > 0:
			line = st.Bad.Render(line)
		case s.State == "idle in transaction":
			line = st.Warn.Render(line)
		}
		b.WriteString(line + "\n")
	}
	if len(sessions) == 0 && m.pg.State.Status == probes.OK {
		b.WriteString(st.Muted.Render("no active sessions") + "\n")
	}
	return strings.TrimRight(b.String(), "\n")
}

func (m *Model) rdsLine(now time.Time) string {
	st := m.c.Styles
	if m.rds.State.Status != probes.OK && m.rds.State.LastOK.IsZero() {
		return "RDS " + common.StateLineFit(st, m.rds.State, now, 3*m.rds.Interval, max(m.w-4, 0))
	}
	in := m.rds.Data
	status := sanitize.Line(in.Status)
	if status == "available" {
		status = st.OK.Render(status)
	} else {
		status = st.Warn.Render(status)
	}
	az := sanitize.Line(in.AZ)
	if in.MultiAZ {
		az += "→" + sanitize.Line(in.SecondaryAZ)
	}
	line := fmt.Sprintf("%s %s · %s %s · %s", sanitize.Line(in.ID), status, sanitize.Line(in.Engine), sanitize.Line(in.EngineVersion), az)
	if m.rds.State.Status == probes.Failing {
		// The age before the status it qualifies: a narrow pane cuts the
		// tail, and a stale "available" must not read as current.
		return common.Truncate("RDS "+st.Bad.Render("stale · "+m.rds.State.DataAge(now))+" · "+line+" · "+
			st.Bad.Render(probes.ErrorText(m.rds.State.LastErr)), m.w)
	}
	return common.Truncate("RDS "+line, m.w)
}

func shortState(s string) string {
	switch s {
	case "idle in transaction":
		return "idle-txn"
	case "idle in transaction (aborted)":
		return "idle-abrt"
	}
	return sanitize.Line(s)
}
