package queries

import (
	"fmt"
	"strings"
	"time"

	"github.com/charmbracelet/bubbles/key"
	tea "github.com/charmbracelet/bubbletea"
	"github.com/charmbracelet/x/ansi"

	"github.com/warroom-dev/warroom/internal/sanitize"
	"github.com/warroom-dev/warroom/probes"
	"github.com/warroom-dev/warroom/probes/pg"
	"github.com/warroom-dev/warroom/tui/common"
)

func (m *Model) detailKey(k tea.KeyMsg) tea.Cmd {
	switch {
	case key.Matches(k, m.keys.Back):
		m.view = viewList
		m.detail = pg.Session{}
		return nil
	case key.Matches(k, m.keys.Cancel, m.keys.Terminate):
		if m.detailGone {
			return common.Flash(fmt.Sprintf("pid %d has ended: nothing to signal", m.detail.PID), true)
		}
		sig := pg.Cancel
		if key.Matches(k, m.keys.Terminate) {
			sig = pg.Terminate
		}
		return common.Do(m.signalAction(sig, []pg.Session{m.detail}))
	case key.Matches(k, m.keys.Older):
		return m.olderInput()
	case key.Matches(k, m.keys.Failover):
		return m.failoverKey()
	}
	lines := m.detailLines()
	m.scroll.Handle(k, m.keys.NavKeys, len(lines), max(m.h, 1))
	return nil
}

func (m *Model) instanceKey(k tea.KeyMsg) tea.Cmd {
	switch {
	case key.Matches(k, m.keys.Back):
		m.view = viewList
		return nil
	case key.Matches(k, m.keys.Failover):
		return m.failoverKey()
	}
	lines := m.instanceLines(m.c.Now())
	m.scroll.Handle(k, m.keys.NavKeys, len(lines), max(m.h, 1))
	return nil
}

func (m *Model) detailView() string {
	lines := m.detailLines()
	start, end := m.scroll.Window(len(lines), m.h)
	return strings.Join(lines[start:end], "\n")
}

// detailLines is the opened session: who, what it waits for, who it blocks,
// its times, and its whole query, wrapped.
func (m *Model) detailLines() []string {
	st := m.c.Styles
	s := &m.detail
	at := m.at()
	if m.detailGone {
		at = m.detailAt // its ages as they were when it was last seen
	}
	var out []string
	head := fmt.Sprintf("pid %d · %s@%s · app %s · client %s", s.PID, sanitize.Line(s.User), sanitize.Line(s.Database),
		or(sanitize.Line(s.App), "-"), or(sanitize.Line(s.Client), "-"))
	out = append(out, wrap(st.Accent.Render(head), m.w)...)
	if m.detailGone {
		out = append(out, st.Bad.Render("this session has ended (or its query finished and it went idle): last seen at "+
			m.detailAt.Local().Format("15:04:05")))
	}
	if m.pg.State.Status == probes.Failing {
		out = append(out, st.Bad.Render("postgres failing: as of "+m.shown.At.Local().Format("15:04:05")))
	}
	state := "state " + sanitize.Line(s.State)
	if s.WaitEvent != "" {
		state += " · waiting on " + sanitize.Line(s.WaitEvent)
	}
	out = append(out, state)
	ago := func(label string, t time.Time) string {
		if t.IsZero() {
			return label + " -"
		}
		return fmt.Sprintf("%s %s (%s ago)", label, t.Local().Format("15:04:05"), common.Duration(at.Sub(t)))
	}
	out = append(out, ago("query started", s.QueryStart), ago("transaction started", s.XactStart), ago("backend started", s.BackendStart))
	if s.XminAge > 0 {
		out = append(out, fmt.Sprintf("xmin age %s transactions (holds back vacuum)", humanCount(s.XminAge)))
	}
	if s.WaitsOnLock() || len(s.BlockedBy) > 0 {
		l := "waits for lock: " + or(sanitize.Line(s.Lock), "(not read)")
		if len(s.BlockedBy) > 0 {
			l += " · blocked by " + pidList(s.BlockedBy, 20)
		}
		out = append(out, wrap(st.Bad.Render(l), m.w)...)
	}
	if n := m.tr.blocks[s.PID]; n > 0 && !m.detailGone {
		l := fmt.Sprintf("%d session(s) wait behind it", n)
		if f := m.detailFrees; f > 0 {
			l += fmt.Sprintf("; terminating it frees %d", f)
		} else {
			l += "; they also wait on others: terminating it alone may not free them"
		}
		out = append(out, wrap(st.Bad.Render(l), m.w)...)
	}
	out = append(out, "", st.Muted.Render("query:"))
	q := sanitize.Text(s.Query)
	if strings.TrimSpace(q) == "" {
		q = "(none)"
	}
	for _, l := range strings.Split(q, "\n") {
		out = append(out, wrap("  "+strings.ReplaceAll(l, "\t", "    "), m.w)...)
	}
	hint := "c cancel its query · K terminate it · esc back"
	if s.State != "active" {
		hint = "no query running: c does nothing to it · K terminate it · esc back"
	}
	out = append(out, "", st.Muted.Render(hint))
	return out
}

func or(s, def string) string {
	if s == "" {
		return def
	}
	return s
}

func wrap(s string, w int) []string {
	if w < 10 {
		return []string{s}
	}
	return strings.Split(ansi.Wrap(s, w, " ,;"), "\n")
}
