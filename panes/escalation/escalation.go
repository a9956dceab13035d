// Package escalation is the escalation pane: the severity's response clock
// and the playbook's ladder, computed from the journal so it survives
// restarts. (Acknowledge, change severity, checklists and the notification
// hook come with the escalation issue.)
package escalation

import (
	"fmt"
	"strings"
	"time"

	"github.com/charmbracelet/bubbles/key"
	tea "github.com/charmbracelet/bubbletea"

	"github.com/warroom-dev/warroom/incident"
	"github.com/warroom-dev/warroom/internal/sanitize"
	"github.com/warroom-dev/warroom/tui/common"
)

// Config carries the incident as it was at start.
type Config struct {
	Session incident.Session
}

// KeyMap is the pane's bindings (none yet).
type KeyMap struct{}

// Model is the escalation pane.
type Model struct {
	c       common.Common
	session incident.Session
	w, h    int
}

// New makes the pane. It has no probe: its data is the incident itself.
func New(c common.Common, cfg Config) *Model {
	return &Model{c: c, session: cfg.Session}
}

func (m *Model) Title() string              { return "Escalation" }
func (m *Model) Init() tea.Cmd              { return nil }
func (m *Model) SetSize(w, h int)           { m.w, m.h = w, h }
func (m *Model) Capturing() bool            { return false }
func (m *Model) ShortHelp() []key.Binding   { return nil }
func (m *Model) FullHelp() [][]key.Binding  { return nil }
func (m *Model) Backends() []common.Backend { return nil }

// Update takes the incident as the shell folded it with each event.
func (m *Model) Update(msg tea.Msg) (common.Pane, tea.Cmd) {
	if ev, ok := msg.(common.EventMsg); ok && ev.Err == nil {
		m.session = ev.Session
	}
	return m, nil
}

// View renders the response clock and the ladder.
func (m *Model) View() string { return common.Clip(m.view(), m.w, m.h) }

func (m *Model) view() string {
	st := m.c.Styles
	s := m.session
	if s.Declared.IsZero() {
		return st.Muted.Render("no incident declared")
	}
	now := m.c.Now()
	if !s.Resolved.IsZero() {
		now = s.Resolved
	}
	e := incident.DefaultPolicy().State(s, now)
	var b strings.Builder
	sev := common.SeverityBadge(st, s.Severity)
	b.WriteString(sev + " " + st.Muted.Render(common.Truncate(s.Severity.Description()+" · respond within "+human(s.Severity.ResponseTime()), max(m.w-12, 1))) + "\n")
	left := e.ResponseDue.Sub(now)
	switch {
	case !s.Resolved.IsZero():
		b.WriteString(st.OK.Render("resolved at "+s.Resolved.Local().Format("15:04:05")) + "\n")
	case e.Acked && e.Breached:
		b.WriteString(st.Warn.Render("acknowledged "+e.AckedAt.Local().Format("15:04")+" — after the response time") + "\n")
	case e.Acked:
		b.WriteString(st.OK.Render("acknowledged "+e.AckedAt.Local().Format("15:04")+" by "+sanitize.Line(e.AckedBy)) + "\n")
	case e.Breached:
		b.WriteString(st.Bad.Render("RESPONSE TIME BREACHED by "+common.Duration(-left)+" — not acknowledged") + "\n")
	case e.Amber:
		b.WriteString(st.Warn.Render("respond in "+common.Duration(left)) + st.Muted.Render(" (due "+e.ResponseDue.Local().Format("15:04")+")") + "\n")
	default:
		b.WriteString("respond in " + st.Bold.Render(common.Duration(left)) + st.Muted.Render(" (due "+e.ResponseDue.Local().Format("15:04")+")") + "\n")
	}
	b.WriteString("\n")
	for i, r := range e.Rungs {
		mark, style := "  ", st.Muted
		switch {
		case i == e.Current:
			mark, style = "▶ ", st.Bold
		case r.Paged:
			mark, style = "✓ ", st.Text
		}
		line := mark + r.Role
		if r.Window > 0 {
			line += fmt.Sprintf(" (%s)", human(r.Window))
		}
		switch {
		case r.Paged && r.Why != "":
			line += " · " + r.Why
		case i == e.Next && !e.NextAt.IsZero():
			line += " · paged in " + common.Duration(e.NextAt.Sub(now))
		}
		b.WriteString(style.Render(common.Truncate(line, m.w)) + "\n")
	}
	b.WriteString(st.Muted.Render("paging is not wired yet: the ladder shows who should be paged"))
	return b.String()
}

// human renders the playbook's whole durations: "15m", "2h", "24h".
func human(d time.Duration) string {
	if d >= time.Hour && d%time.Hour == 0 {
		return fmt.Sprintf("%dh", d/time.Hour)
	}
	return fmt.Sprintf("%dm", d/time.Minute)
}
