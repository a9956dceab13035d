package queries

import (
	"fmt"
	"time"

	tea "github.com/charmbracelet/bubbletea"

	"github.com/warroom-dev/warroom/incident"
	"github.com/warroom-dev/warroom/probes"
	"github.com/warroom-dev/warroom/probes/pg"
)

// What the pane publishes for the shell's action evidence
// (common.VitalsMsg): connections in use against max_connections, and the
// longest-running active query. They come from the feed's latest answer,
// paused or not (as the signals do): when PostgreSQL fails (the list
// keeps its last good data), has not answered yet or is not configured,
// nothing was measured and both are unknown, with why. Sent only when a
// value (or why it is unknown) changes.

// vitals are the pane's vital signs in snapshot s, measured at at:
// connections are the client backends (ours included), counted against
// max_connections when it is known; the longest query is the longest an
// active session's query has run by the server's clock (0 when none is
// active).
func vitals(s pg.Snapshot, at time.Time) []incident.Vital {
	conn := incident.Measured(tag, incident.VitalConnections, float64(s.Connections), incident.UnitCount, at)
	if s.MaxConnections > 0 {
		conn = conn.WithMax(float64(s.MaxConnections))
	}
	serverNow := s.At
	if serverNow.IsZero() {
		serverNow = at
	}
	var longest time.Duration
	for i := range s.Sessions {
		q := &s.Sessions[i]
		if q.State == "active" && !q.QueryStart.IsZero() {
			longest = max(longest, serverNow.Sub(q.QueryStart))
		}
	}
	if s.Hidden > 0 {
		// Backends of other roles (no pg_read_all_stats) show no query:
		// the longest may be one of them. Unknown, not the visible best.
		why := fmt.Sprintf("%d backends of other roles are not readable (grant pg_read_all_stats)", s.Hidden)
		return []incident.Vital{conn, incident.Unknown(tag, incident.VitalLongestQuery, incident.UnitSeconds, why, at)}
	}
	return []incident.Vital{conn, incident.Measured(tag, incident.VitalLongestQuery, longest.Seconds(), incident.UnitSeconds, at)}
}

// unknownVitals is every vital of the pane unknown, for why.
func unknownVitals(why string, at time.Time) []incident.Vital {
	return []incident.Vital{
		incident.Unknown(tag, incident.VitalConnections, incident.UnitCount, why, at),
		incident.Unknown(tag, incident.VitalLongestQuery, incident.UnitSeconds, why, at),
	}
}

// currentVitals are the vitals as the PostgreSQL feed stands, at at.
func (m *Model) currentVitals(at time.Time) []incident.Vital {
	st := m.pg.State
	switch st.Status {
	case probes.OK:
		return vitals(m.pg.Data, at)
	case probes.NotConfigured:
		return unknownVitals("not configured", at)
	case probes.Connecting:
		return unknownVitals("not polled yet", at)
	}
	why := probes.ErrorText(st.LastErr)
	if why == "" {
		why = "failing"
	}
	return unknownVitals(why, at)
}

// publishVitals sends the vitals if they differ from the last sent.
func (m *Model) publishVitals() tea.Cmd {
	return m.pub.Vitals(tag, m.currentVitals(m.c.Now()))
}
