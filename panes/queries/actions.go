package queries

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strconv"
	"strings"
	"time"

	tea "github.com/charmbracelet/bubbletea"

	"github.com/warroom-dev/warroom/incident"
	"github.com/warroom-dev/warroom/internal/sanitize"
	"github.com/warroom-dev/warroom/probes/pg"
	"github.com/warroom-dev/warroom/probes/rds"
	"github.com/warroom-dev/warroom/tui/common"
)

// signalKey acts on the marked sessions, else the selected one.
func (m *Model) signalKey(sig pg.Signal) tea.Cmd {
	if !m.have {
		return common.Flash("no sessions read yet", true)
	}
	var targets []pg.Session
	if len(m.marked) > 0 {
		for i := range m.shown.Sessions {
			s := &m.shown.Sessions[i]
			if t, ok := m.marked[s.PID]; ok && t == s.Target() {
				targets = append(targets, *s)
			}
		}
		if len(targets) == 0 {
			return common.Flash("the marked sessions have ended", true)
		}
	} else {
		s, ok := m.selected()
		if !ok {
			switch {
			case m.selGone:
				return common.Flash("the selected session has ended or left this view: move the cursor to choose another", true)
			case m.cursor.Pos < len(m.rows) && m.rows[m.cursor.Pos].s == nil:
				return common.Flash(fmt.Sprintf("pid %d is not listed (another role's session, or not a client backend): it cannot be signalled from here", m.rows[m.cursor.Pos].pid), true)
			}
			return common.Flash("no session selected", true)
		}
		targets = []pg.Session{*s}
	}
	return common.Do(m.signalAction(sig, targets))
}

// sessionLine is one target as the dialog lists it.
func (m *Model) sessionLine(s *pg.Session) string {
	at := m.at()
	d := "-"
	if t := ByQuery.Since(s); !t.IsZero() {
		d = common.Duration(at.Sub(t))
	}
	q := sanitize.Line(s.Query)
	const maxQ = 160
	if len([]rune(q)) > maxQ {
		q = string([]rune(q)[:maxQ-1]) + "…"
	}
	return fmt.Sprintf("pid %d %s@%s (%s) %s %s: %s", s.PID, sanitize.Line(s.User), sanitize.Line(s.Database),
		or(sanitize.Line(s.App), "-"), sanitize.Line(s.State), d, q)
}

// signalAction cancels or terminates the sessions, each bound to its
// backend (pid and backend start) so a pid reused in between is not hit.
func (m *Model) signalAction(sig pg.Signal, ss []pg.Session) common.Action {
	probe := m.probe
	targets := make([]pg.Target, len(ss))
	pids := make([]int, len(ss))
	for i := range ss {
		targets[i], pids[i] = ss[i].Target(), ss[i].PID
	}
	var impact []string
	freed := 0
	if sig == pg.Terminate {
		freed = m.tr.frees(pids)
	}
	for i := range ss {
		s := &ss[i]
		l := m.sessionLine(s)
		if n := m.tr.blocks[s.PID]; n > 0 {
			l += fmt.Sprintf(" — %d session(s) wait behind it", n)
		}
		impact = append(impact, l)
		if sig == pg.Cancel && s.State != "active" {
			impact = append(impact, fmt.Sprintf("  pid %d runs no query (%s): cancel does nothing to it and frees none of its locks — terminate ends it", s.PID, sanitize.Line(s.State)))
		}
	}
	verb, noun := "Cancel the query of", "its query stops; the session and its transaction stay"
	if sig == pg.Terminate {
		verb, noun = "Terminate", "its transaction rolls back, its locks are released, its connection closes"
	}
	title := fmt.Sprintf("%s backend %d", verb, pids[0])
	if len(ss) > 1 {
		title = fmt.Sprintf("%s %d backends", verb, len(ss))
	}
	held := m.tr.waitingBehind(pids)
	switch {
	case sig == pg.Terminate && freed > 0:
		if len(ss) == 1 {
			title = fmt.Sprintf("Terminate the blocker, backend %d: frees %d session(s)", pids[0], freed)
		}
		impact = append([]string{fmt.Sprintf("frees %d session(s) that wait only on what it ends", freed)}, impact...)
	case sig == pg.Terminate && held > 0:
		// They wait on others too, directly or up the chain (two reads
		// ahead of an ALTER, a queue behind a root): maybe freed, maybe
		// not. Say what is known.
		what := "it"
		if len(pids) > 1 {
			what = "them"
		}
		impact = append([]string{fmt.Sprintf("%d session(s) wait behind %s, but also on other sessions: ending %s may not free them — the root blockers (b) are what to end", held, what, what)}, impact...)
	}
	impact = append(impact, "each: "+noun+"; a pid that has ended or was reused in between is not signalled")
	return common.Action{
		Title:       title,
		Kind:        incident.ActionSQL,
		Op:          sig.Op(),
		Lines:       signalLines(sig, targets),
		Target:      pg.PIDsText(pids...),
		Impact:      impact,
		Destructive: sig == pg.Terminate,
		Timeout:     30 * time.Second,
		Tag:         tag,
		Run: func(ctx context.Context, progress func(string)) common.Outcome {
			return runSignals(ctx, probe, sig, targets, progress)
		},
	}
}

// signalLines is the statement and the values it runs with, per backend.
func signalLines(sig pg.Signal, ts []pg.Target) []string {
	lines := strings.Split(pg.SignalSQL(sig), "\n")
	for _, t := range ts {
		l := fmt.Sprintf("  -- pid %d", t.PID)
		if !t.BackendStart.IsZero() {
			l += ", backend_start " + t.BackendStart.UTC().Format("2006-01-02 15:04:05.000000Z")
		}
		if t.OlderThan > 0 {
			l += ", query older than " + t.OlderThan.String()
		}
		lines = append(lines, l)
	}
	return lines
}

// runSignals sends sig to each target, one statement each, and says per
// pid what happened: sent, not matched any more, or PostgreSQL's refusal.
func runSignals(ctx context.Context, probe pg.Probe, sig pg.Signal, ts []pg.Target, progress func(string)) common.Outcome {
	var sent, skipped []int
	var errs []error
	past := "terminated"
	if sig == pg.Cancel {
		past = "cancelled"
	}
	for _, t := range ts {
		if ctx.Err() != nil {
			errs = append(errs, fmt.Errorf("pid %d: not sent: %w", t.PID, ctx.Err()))
			continue
		}
		ok, err := probe.Signal(ctx, sig, t)
		switch {
		case err != nil:
			errs = append(errs, fmt.Errorf("pid %d: %s", t.PID, pg.ErrorText(err)))
			progress(fmt.Sprintf("pid %d: refused: %s", t.PID, pg.ErrorText(err)))
		case ok:
			sent = append(sent, t.PID)
			progress(fmt.Sprintf("pid %d: %s", t.PID, past))
		default:
			skipped = append(skipped, t.PID)
			progress(fmt.Sprintf("pid %d: no longer matched (ended, reused or its query finished): nothing sent", t.PID))
		}
	}
	var parts []string
	if len(sent) > 0 {
		parts = append(parts, past+" "+ints(sent))
	}
	if len(skipped) > 0 {
		parts = append(parts, "not signalled (no longer matched) "+ints(skipped))
	}
	out := common.Outcome{Result: strings.Join(parts, "; ")}
	if len(errs) > 0 {
		out.Err = errors.Join(errs...)
	}
	return out
}

func ints(xs []int) string {
	s := make([]string, len(xs))
	for i, x := range xs {
		s[i] = strconv.Itoa(x)
	}
	return strings.Join(s, ", ")
}

// MaxOlderMinutes bounds "older than N minutes": a day.
const MaxOlderMinutes = 24 * 60

// olderInput asks for N, then lists exactly the sessions it will end.
func (m *Model) olderInput() tea.Cmd {
	if !m.have {
		return common.Flash("no sessions read yet", true)
	}
	return common.Input(common.InputRequest{
		Title: "Terminate every active query running longer than N minutes",
		Fields: []common.Field{{Name: "minutes", Label: "Minutes", Default: strconv.Itoa(int(LongAfter / time.Minute)), MaxLen: 4,
			Validate: func(s string) error { _, err := parseMinutes(s); return err }}},
		OnSubmit: func(v map[string]string) tea.Cmd {
			n, err := parseMinutes(v["minutes"])
			if err != nil {
				return common.Flash(err.Error(), true)
			}
			return m.olderThan(n)
		},
	})
}

func parseMinutes(s string) (time.Duration, error) {
	n, err := strconv.Atoi(strings.TrimSpace(s))
	if err != nil || n < 1 || n > MaxOlderMinutes {
		return 0, fmt.Errorf("minutes: a whole number from 1 to %d", MaxOlderMinutes)
	}
	return time.Duration(n) * time.Minute, nil
}

// olderThan is the playbook's "kill long-running queries", made exact: the
// non-idle sessions whose query started more than d ago in the shown
// snapshot, each re-checked by the statement that ends it.
func (m *Model) olderThan(d time.Duration) tea.Cmd {
	at := m.at()
	var ss []pg.Session
	for _, s := range m.shown.Sessions {
		if s.State == "active" && !s.QueryStart.IsZero() && at.Sub(s.QueryStart) > d {
			ss = append(ss, s)
		}
	}
	if len(ss) == 0 {
		return common.Flash(fmt.Sprintf("no active query has run longer than %s", d), false)
	}
	slices.SortFunc(ss, func(a, b pg.Session) int { return a.QueryStart.Compare(b.QueryStart) })
	a := m.signalAction(pg.Terminate, ss)
	targets := make([]pg.Target, len(ss))
	for i := range ss {
		targets[i] = ss[i].Target()
		targets[i].OlderThan = d
	}
	probe := m.probe
	a.Title = fmt.Sprintf("Terminate %d backend(s) whose active query has run longer than %s", len(ss), d)
	a.Lines = signalLines(pg.Terminate, targets)
	a.Impact = append([]string{
		fmt.Sprintf("exactly these %d, as read at %s; each is re-checked (same backend, still active, query older than %s) by the statement that ends it", len(ss), at.Local().Format("15:04:05"), d),
		"(the playbook's `WHERE duration > interval '5 minutes'` names no column of pg_stat_activity: this statement is the one that works)",
		"idle-in-transaction sessions are not included: their last query has finished (K on one ends it)",
	}, a.Impact...)
	a.Run = func(ctx context.Context, progress func(string)) common.Outcome {
		return runSignals(ctx, probe, pg.Terminate, targets, progress)
	}
	return common.Do(a)
}

// failoverKey offers the reboot with failover, or says why not.
func (m *Model) failoverKey() tea.Cmd {
	id := m.cfg.RDSInstance
	switch {
	case !m.rds.Configured():
		return common.Flash("RDS is not configured: set --rds-instance (and --region/--profile)", true)
	case m.rds.State.LastOK.IsZero():
		return common.Flash("RDS instance "+id+" is not read yet: its Multi-AZ setting is unknown", true)
	case !m.rds.Data.MultiAZ:
		return common.Flash(fmt.Sprintf("reboot with failover refused: %s is Single-AZ — there is no standby to fail over to", id), true)
	}
	return common.Do(m.failoverAction(m.rds.Data))
}

func (m *Model) failoverAction(in rds.Instance) common.Action {
	probe, id := m.rdsP, in.ID
	impact := []string{
		fmt.Sprintf("%s (%s, Multi-AZ): the standby in %s becomes the primary; %s becomes the standby", id, sanitize.Line(in.Status),
			or(sanitize.Line(in.SecondaryAZ), "the other AZ"), or(sanitize.Line(in.AZ), "the current AZ")),
		"every connection drops; clients reconnect once DNS for " + or(sanitize.Line(in.Endpoint), "the endpoint") + " moves (typically 1–2 minutes)",
		"the instance is re-checked for Multi-AZ just before the reboot",
	}
	return common.Action{
		Title:       "Reboot RDS instance " + id + " with failover",
		Kind:        incident.ActionAWS,
		Op:          rds.OpFailover,
		Lines:       []string{"aws rds reboot-db-instance --db-instance-identifier " + id + " --force-failover"},
		Target:      "rds " + id,
		Impact:      impact,
		Destructive: true,
		Timeout:     60 * time.Second,
		Tag:         tag,
		Run: func(ctx context.Context, _ func(string)) common.Outcome {
			got, err := probe.Failover(ctx, id)
			if err != nil {
				return common.Outcome{Err: err}
			}
			return common.Outcome{Result: fmt.Sprintf("%s: %s", id, got.Status)}
		},
	}
}

// actionDone shows this pane's action outcome in place: PostgreSQL's
// refusal (a role without pg_signal_backend) stays until the next action.
func (m *Model) actionDone(msg common.ActionDoneMsg) {
	if !msg.Executed {
		return
	}
	o := msg.Outcome
	switch {
	case o.Err != nil:
		// One error per pid, one line: "; " between them, not " ⏎ ".
		m.lastAct, m.lastActErr = sanitize.Line(strings.ReplaceAll(o.Err.Error(), "\n", "; ")), true
		if o.Result != "" {
			m.lastAct = sanitize.Line(o.Result) + " · " + m.lastAct
		}
	default:
		m.lastAct, m.lastActErr = sanitize.Line(o.Result), false
	}
	if len(m.marked) > 0 && o.Err == nil {
		clear(m.marked)
	}
}

// Offers puts the pane's actions in the command palette.
func (m *Model) Offers() []common.Offer {
	var out []common.Offer
	if m.probe != nil && m.have {
		if s, ok := m.selected(); ok && m.view != viewDetail {
			k := m.signalAction(pg.Terminate, []pg.Session{*s})
			c := m.signalAction(pg.Cancel, []pg.Session{*s})
			out = append(out,
				common.Offer{Name: k.Title, Key: m.keys.Terminate.Help().Key, Cmd: common.Do(k)},
				common.Offer{Name: c.Title, Key: m.keys.Cancel.Help().Key, Cmd: common.Do(c)})
		}
		out = append(out, common.Offer{Name: "Terminate every active query older than N minutes", Key: m.keys.Older.Help().Key, Cmd: m.olderInput()})
	}
	if m.rds.Configured() {
		out = append(out, common.Offer{Name: "Reboot RDS instance " + m.cfg.RDSInstance + " with failover", Key: m.keys.Failover.Help().Key, Cmd: m.failoverKey()})
	}
	return out
}
