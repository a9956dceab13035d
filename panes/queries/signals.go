package queries

import (
	"fmt"
	"strconv"

	tea "github.com/charmbracelet/bubbletea"

	"github.com/warroom-dev/warroom/internal/sanitize"
	"github.com/warroom-dev/warroom/probes/pg"
	"github.com/warroom-dev/warroom/runbooks"
)

// What the pane publishes for the runbook sidebar (common.SignalsMsg,
// common.ContextMsg), each only when it differs from what it last sent.

// signals is what is burning in snapshot s, in the runbook's order:
// connections at PoolWarn of max_connections or more, sessions waiting on
// locks, active queries running longer than LongAfter (the "kill
// long-running queries" case, as O counts them).
func signals(s pg.Snapshot) []runbooks.Signal {
	var out []runbooks.Signal
	if s.MaxConnections > 0 && float64(s.Connections) >= PoolWarn*float64(s.MaxConnections) {
		out = append(out, runbooks.Signal{Kind: runbooks.SignalConnections, Weight: runbooks.Severity(float64(s.Connections), PoolWarn*float64(s.MaxConnections), float64(s.MaxConnections)),
			Text: fmt.Sprintf("%d/%d connections", s.Connections, s.MaxConnections)})
	}
	if n := s.Counts.Waiting; n > 0 {
		text := fmt.Sprintf("%d sessions waiting on locks", n)
		if n == 1 {
			text = "1 session waiting on a lock"
		}
		out = append(out, runbooks.Signal{Kind: runbooks.SignalLockWaits, Weight: runbooks.Severity(float64(n), 0, 4), Text: text})
	}
	long := 0
	for i := range s.Sessions {
		q := &s.Sessions[i]
		if q.State == "active" && !q.QueryStart.IsZero() && s.At.Sub(q.QueryStart) > LongAfter {
			long++
		}
	}
	if long > 0 {
		what := "queries"
		if long == 1 {
			what = "query"
		}
		out = append(out, runbooks.Signal{Kind: runbooks.SignalSlowQueries, Weight: runbooks.Severity(float64(long), 0, 5),
			Text: fmt.Sprintf("%d %s running > %dm", long, what, int(LongAfter.Minutes()))})
	}
	return out
}

// publishSignals sends the snapshot's signals if they differ from the
// last sent. It is called with every good snapshot from the feed, paused
// or not (what is burning is the latest, not what the list froze); a
// failed poll calls nothing: the last good account stands.
func (m *Model) publishSignals(s pg.Snapshot) tea.Cmd {
	return m.pub.Signals(tag, signals(s))
}

// selectionPID is what the pane has selected, for a runbook's variables:
// the opened session in the detail, else the row under the cursor (a
// blocker the snapshot does not list included: its pid is what a
// runbook's pg_terminate_backend wants); 0 for none.
func (m *Model) selectionPID() int {
	switch {
	case m.view == viewDetail:
		return m.detail.PID
	case m.selGone || m.cursor.Pos < 0 || m.cursor.Pos >= len(m.rows):
		return 0
	}
	return m.rows[m.cursor.Pos].pid
}

// publishContext sends the selected pid and the RDS instance if they
// differ from the last sent. An int compared per message: the map is
// built only on a change.
func (m *Model) publishContext() tea.Cmd {
	pid := m.selectionPID()
	if m.sentContext && pid == m.sentPID {
		return nil
	}
	vals := map[string]string{}
	if pid > 0 {
		vals["pid"] = strconv.Itoa(pid)
	}
	if id := sanitize.Line(m.cfg.RDSInstance); id != "" {
		vals["db_instance"] = id
	}
	first := !m.sentContext
	m.sentContext, m.sentPID = true, pid
	if first && len(vals) == 0 {
		return nil // nothing known, nothing said
	}
	return m.pub.Context(tag, vals)
}
