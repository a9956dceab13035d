package escalation

import (
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/charmbracelet/x/ansi"

	"github.com/warroom-dev/warroom/incident"
	"github.com/warroom-dev/warroom/internal/sanitize"
	"github.com/warroom-dev/warroom/tui/common"
)

// View renders the response clock, the ladder, the hook's trouble and the
// checklists, in that order of importance (a short pane keeps the top).
func (m *Model) View() string { return common.Clip(m.view(), m.w, m.h) }

func (m *Model) view() string {
	st := m.c.Styles
	s := m.session
	if s.Declared.IsZero() {
		return st.Muted.Render("no incident declared")
	}
	now := m.c.Now()
	e := m.state(now)
	w := max(m.w, 1)
	var lines []string
	add := func(l string) { lines = append(lines, l) }

	// The severity, and the drill's clock.
	head := common.SeverityBadge(st, s.Severity)
	rest := " " + s.Severity.Description() + " · respond within " + span(m.policy.ResponseTime(s.Severity))
	if m.policy.Speed > 1 {
		head += " " + st.Status.Badge.Render(fmt.Sprintf(" DRILL CLOCK ×%d ", m.policy.Speed))
	}
	add(head + st.Muted.Render(common.Truncate(rest, max(w-ansi.StringWidth(head), 1))))

	// The response clock.
	left := e.ResponseDue.Sub(now)
	switch {
	case e.Resolved:
		add(st.OK.Render(common.Truncate("resolved "+clock(s.Resolved)+" · the clock and the ladder are stopped (R reopens)", w)))
	case e.Acked && e.Breached:
		add(st.Warn.Render(common.Truncate("acknowledged "+clock(e.AckedAt)+" by "+sanitize.Line(e.AckedBy)+" in "+common.Duration(e.Response)+" — after the response time", w)))
	case e.Acked:
		add(st.OK.Render(common.Truncate("acknowledged "+clock(e.AckedAt)+" by "+sanitize.Line(e.AckedBy)+" in "+common.Duration(e.Response), w)))
	case e.Breached:
		add(st.Bad.Render(common.Truncate("RESPONSE TIME BREACHED by "+common.Duration(-left)+" — not acknowledged (a acks)", w)))
	case e.Amber:
		add(st.Warn.Render(common.Truncate("respond in "+common.Duration(left)+" (due "+clock(e.ResponseDue)+") — not acknowledged", w)))
	default:
		add(common.Truncate("respond in "+st.Bold.Render(common.Duration(left))+st.Muted.Render(" (due "+clock(e.ResponseDue)+")"), w))
	}

	// Trouble first: a hook that failed, an escalation not recorded.
	if m.failedErr != "" {
		add(st.Bad.Render(common.Truncate("escalation NOT RECORDED: "+m.failedErr+" (retrying)", w)))
	}
	for _, h := range failedHooks(s) {
		what := strings.TrimPrefix(sanitize.Line(h.Title), "Notify: ")
		add(st.Bad.Render(common.Truncate("hook FAILED ("+what+"): "+sanitize.Line(h.Error)+" — page by hand", w)))
	}

	// The ladder.
	for i, r := range e.Rungs {
		add(m.rungLine(e, i, r, now, w))
	}

	// Whom the configuration does not name.
	var unknown []string
	for i := range e.Rungs {
		if who, where := m.policy.Contact(i); !who.Known() {
			unknown = append(unknown, where)
		}
	}
	if len(unknown) > 0 {
		add(st.Warn.Render(common.Truncate("not known: "+strings.Join(unknown, ", ")+" (escalation in the config)", w)))
	}

	// Checklists and the hook.
	var cl []string
	for _, l := range incident.Checklists() {
		done := s.Done(l.Name)
		if l.Name == incident.ChecklistSecurity && done == 0 {
			continue // shown once started
		}
		t := fmt.Sprintf("%s %d/%d", l.Name, done, len(l.Items))
		if done == len(l.Items) {
			t = st.OK.Render(t + " ✓")
		}
		cl = append(cl, t)
	}
	add(common.Truncate(strings.Join(cl, " · ")+st.Muted.Render("  (c triage, C security)"), w))
	add(st.Muted.Render(common.Truncate(m.hookLine(), w)))
	return strings.Join(lines, "\n")
}

// maxFailures is how many failed hook runs the pane lists.
const maxFailures = 3

// failedHooks are the hook runs whose latest outcome is a failure, the
// latest first, at most maxFailures.
func failedHooks(s incident.Session) []incident.HookRun {
	var out []incident.HookRun
	for _, h := range s.Hooks {
		if h.Failed() {
			out = append(out, h)
		}
	}
	slices.SortFunc(out, func(a, b incident.HookRun) int {
		if c := b.At.Compare(a.At); c != 0 {
			return c
		}
		return strings.Compare(b.ActionID, a.ActionID)
	})
	return out[:min(len(out), maxFailures)]
}

// state is the escalation state at now, computed at most once a second
// of the clock and once per change of the incident: a frame (30 a second)
// reuses it, and an incident with hundreds of severity changes or resolve
// and reopen pairs costs its computation once a second, not every frame.
func (m *Model) state(now time.Time) incident.EscalationState {
	sec := now.Truncate(time.Second)
	if m.cache.ok && m.cache.at.Equal(sec) && m.cache.count == m.session.Count && m.cache.id == m.session.ID {
		return m.cache.st
	}
	st := m.policy.State(m.session, sec)
	m.cache.ok, m.cache.at, m.cache.count, m.cache.id, m.cache.st = true, sec, m.session.Count, m.session.ID, st
	return st
}

// rungLine is one rung: mark, role, whom it pages, and when.
func (m *Model) rungLine(e incident.EscalationState, i int, r incident.RungState, now time.Time, w int) string {
	st := m.c.Styles
	mark, style := "  ", st.Muted
	switch {
	case i == e.Current:
		mark, style = "▶ ", st.Bold
	case r.Paged:
		mark, style = "✓ ", st.Text
	}
	who, _ := m.policy.Contact(i)
	name := sanitize.Line(who.Name)
	if !who.Known() {
		name = "not known"
	} else if who.Contact != "" {
		name += " " + sanitize.Line(who.Contact)
	}
	var status, why string
	switch {
	case r.Paged:
		status = "paged " + clock(r.At) + m.hookMark(i, r.At)
		if r.Why != "" && r.Why != "recorded" {
			why = " (" + r.Why + ")"
		}
	case i == e.Next && !e.NextAt.IsZero():
		status = "in " + common.Duration(e.NextAt.Sub(now))
	case e.Stopped == incident.StopAcked:
		status = "not needed: acknowledged"
	case e.Stopped == incident.StopResolved:
		status = "stopped: resolved"
	case !r.At.IsZero():
		status = "at " + clock(r.At)
	}
	// Dropped first when the line is too long: the contact, then why.
	line := mark + r.Role + " · " + name
	if status != "" {
		full := status
		if why != "" {
			full = "paged " + clock(r.At) + why + strings.TrimPrefix(status, "paged "+clock(r.At))
		}
		for _, l := range []string{line + " · " + full, mark + r.Role + " · " + full, mark + r.Role + " · " + status} {
			if line = l; ansi.StringWidth(l) <= w {
				break
			}
		}
	}
	return style.Render(common.Truncate(line, w))
}

// hookMark is what became of the hook for rung i, paged (due) at due:
// " · ✓ notified", " · ✗ HOOK FAILED", " · hook would run", " · ⟳
// notifying"; with the time it ran when that was well after the rung
// fell due (the console was not running then).
func (m *Model) hookMark(i int, due time.Time) string {
	h, ok := m.session.Hooks[incident.EscalationID(m.session.ID, i)]
	mark := ""
	switch {
	case !ok:
		return ""
	case h.Phase == incident.PhaseNotExecuted:
		mark = " · hook would run"
	case h.Phase == incident.PhaseStarted:
		mark = " · ⟳ notifying"
	case h.Failed():
		mark = " · ✗ HOOK FAILED"
	default:
		mark = " · ✓ notified"
	}
	if h.At.Sub(due) > lateAfter {
		mark += " " + clock(h.At) + " (late)"
	}
	return mark
}

// lateAfter is how long after a rung fell due its hook may run before the
// pane says it ran late.
const lateAfter = 10 * time.Second

// hookLine says how the ladder pages.
func (m *Model) hookLine() string {
	switch {
	case m.c.Mode.Drill && m.policy.Speed > 1:
		return fmt.Sprintf("drill: the ladder runs %d× fast (a 5m window takes %s); the hook would run, nobody is paged", m.policy.Speed, span(5*time.Minute/time.Duration(m.policy.Speed)))
	case m.c.Mode.Drill:
		return "drill: the hook would run, nobody is paged"
	case m.hook == nil:
		return "no notification hook configured: the ladder is recorded, page people by hand"
	case m.c.Mode.DryRun:
		return "dry-run: the hook would run (" + m.hook.Describe() + ")"
	}
	return "hook: " + m.hook.Describe()
}

// span renders a policy's duration: "15m", "2h", "30s", else as a clock.
func span(d time.Duration) string {
	switch {
	case d > 0 && d%time.Hour == 0:
		return fmt.Sprintf("%dh", d/time.Hour)
	case d > 0 && d%time.Minute == 0:
		return fmt.Sprintf("%dm", d/time.Minute)
	}
	return d.String()
}

// clock is a time of day, local.
func clock(t time.Time) string { return t.Local().Format("15:04:05") }
