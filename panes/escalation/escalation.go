// Package escalation is the escalation pane: the severity's response
// clock, the escalation ladder with whom each rung pages, and the
// checklists' progress, all computed from the journal so a restart is
// where it should be. It keeps the ladder moving: each rung that falls due
// is recorded once (its ID derived from the incident and the level) and
// the notification hook is handed to the shell's action path for it. It
// acknowledges (a), changes the severity (s), resolves and reopens (R) and
// opens the playbook's checklists (c, C).
package escalation

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/charmbracelet/bubbles/key"
	tea "github.com/charmbracelet/bubbletea"

	"github.com/warroom-dev/warroom/incident"
	"github.com/warroom-dev/warroom/incident/notify"
	"github.com/warroom-dev/warroom/internal/sanitize"
	"github.com/warroom-dev/warroom/tui/common"
)

// Tag marks the actions this pane hands the shell.
const Tag = "escalation"

// TestTarget is the target of a test run of the hook.
const TestTarget = "the notification hook (test payload)"

// retryAfter is how long the pane waits before recording again an
// escalation step whose write failed.
const retryAfter = 10 * time.Second

// Config is the pane's configuration.
type Config struct {
	// Session is the incident as it was at start.
	Session incident.Session
	// Policy is the escalation policy; a zero Policy (no ladder) is the
	// playbook's (incident.DefaultPolicy). A drill's is Accelerated.
	Policy incident.Policy
	// Hook is the notification hook; nil when none is configured. In a
	// drill the shell records it as "would run" whatever it is.
	Hook *notify.Hook
	// Every is how often the ladder is checked (1s if zero).
	Every time.Duration
}

// KeyMap is the pane's bindings.
type KeyMap struct {
	Ack, Severity, Resolve key.Binding
	Triage, Security, Test key.Binding
}

// DefaultKeyMap returns the pane's bindings.
func DefaultKeyMap() KeyMap {
	return KeyMap{
		Ack:      key.NewBinding(key.WithKeys("a"), key.WithHelp("a", "acknowledge (stops the ladder)")),
		Severity: key.NewBinding(key.WithKeys("s"), key.WithHelp("s", "change severity")),
		Resolve:  key.NewBinding(key.WithKeys("R"), key.WithHelp("R", "resolve / reopen")),
		Triage:   key.NewBinding(key.WithKeys("c"), key.WithHelp("c", "triage checklist")),
		Security: key.NewBinding(key.WithKeys("C"), key.WithHelp("C", "security checklist")),
		Test:     key.NewBinding(key.WithKeys("T"), key.WithHelp("T", "test the notification hook")),
	}
}

// Model is the escalation pane.
type Model struct {
	c       common.Common
	keys    KeyMap
	policy  incident.Policy
	hook    *notify.Hook
	every   time.Duration
	session incident.Session
	w, h    int
	id      int64

	// inflight are the due events being recorded, by ID: the next tick
	// must not record them again before their EventMsg arrives.
	inflight map[string]bool
	// mine are the events this console recorded and whose arrival runs
	// the hook, with what the hook is told.
	mine map[string]notify.Payload
	// failedAt is when recording a due event last failed, and why: the
	// next try waits retryAfter.
	failedAt  time.Time
	failedErr string

	// cache is the last escalation state the view computed (see state).
	cache struct {
		ok    bool
		at    time.Time
		count int
		id    string
		st    incident.EscalationState
	}
}

type tickMsg struct{ id int64 }

// New makes the pane. It has no probe: its data is the incident itself.
func New(c common.Common, cfg Config) *Model {
	p := cfg.Policy
	if len(p.Ladder) == 0 {
		p = incident.DefaultPolicy()
	}
	p = cleanPolicy(p)
	every := cfg.Every
	if every <= 0 {
		every = time.Second
	}
	keys := DefaultKeyMap()
	keys.Test.SetEnabled(cfg.Hook != nil || c.Mode.Drill)
	return &Model{c: c, keys: keys, policy: p, hook: cfg.Hook, every: every, session: cfg.Session,
		id: time.Now().UnixNano(), inflight: map[string]bool{}, mine: map[string]notify.Payload{}}
}

func (m *Model) Title() string              { return "Escalation" }
func (m *Model) SetSize(w, h int)           { m.w, m.h = w, h }
func (m *Model) Capturing() bool            { return false }
func (m *Model) Backends() []common.Backend { return nil }

// ShortHelp implements help.KeyMap.
func (m *Model) ShortHelp() []key.Binding {
	return []key.Binding{m.keys.Ack, m.keys.Severity, m.keys.Resolve, m.keys.Triage}
}

// FullHelp implements help.KeyMap.
func (m *Model) FullHelp() [][]key.Binding {
	return [][]key.Binding{{m.keys.Ack, m.keys.Severity, m.keys.Resolve}, {m.keys.Triage, m.keys.Security, m.keys.Test}}
}

// Init checks the ladder at once: a console restarted mid-ladder records
// what fell due while it was down.
func (m *Model) Init() tea.Cmd { return m.check() }

func (m *Model) tick() tea.Cmd {
	id := m.id
	return tea.Tick(m.every, func(time.Time) tea.Msg { return tickMsg{id: id} })
}

// cleanPolicy is p with every name drawn from it (roles, teams,
// contacts: the config's, outside text) on one clean line.
func cleanPolicy(p incident.Policy) incident.Policy {
	contact := func(c incident.Contact) incident.Contact {
		return incident.Contact{Name: sanitize.Line(c.Name), Contact: sanitize.Line(c.Contact)}
	}
	p.Ladder = slices.Clone(p.Ladder)
	for i, r := range p.Ladder {
		p.Ladder[i].Role, p.Ladder[i].Contact = sanitize.Line(r.Role), contact(r.Contact)
	}
	p.Teams = slices.Clone(p.Teams)
	for i, t := range p.Teams {
		p.Teams[i] = incident.Team{Name: sanitize.Line(t.Name), Primary: contact(t.Primary), Secondary: contact(t.Secondary)}
	}
	p.OnCall = sanitize.Line(p.OnCall)
	return p
}

// Update handles the clock, the incident as the shell folded it, and keys.
func (m *Model) Update(msg tea.Msg) (common.Pane, tea.Cmd) {
	switch msg := msg.(type) {
	case tickMsg:
		if msg.id != m.id {
			return m, nil
		}
		return m, m.check()
	case common.EventMsg:
		return m, m.recorded(msg)
	case severityMsg:
		return m, m.changeSeverity(msg)
	case tea.KeyMsg:
		return m, m.key(msg)
	}
	return m, nil
}

// check records the escalation steps (and response-time breaches) that
// are due and not yet recorded, then re-arms the tick.
func (m *Model) check() tea.Cmd {
	var cmds []tea.Cmd
	now := m.c.Now()
	if !m.failedAt.IsZero() && now.Sub(m.failedAt) < retryAfter {
		return m.tick()
	}
	for _, ev := range m.policy.Due(m.session, now) {
		if m.inflight[ev.ID] {
			continue
		}
		m.inflight[ev.ID] = true
		if f := ev.Escalation; f != nil {
			who, _ := m.policy.Contact(f.Level)
			f.Who = who.Name
			m.mine[ev.ID] = m.payload(notify.KindEscalation, ev, f.Level, f.Role, who, now)
		}
		// Claimed: with a shared timeline, one console pages each rung.
		cmds = append(cmds, common.ClaimEvent(m.c.Journal, ev, false))
	}
	// In order: rungs a restarted console catches up on are recorded, and
	// their hooks started, up the ladder.
	return tea.Batch(m.tick(), tea.Sequence(cmds...))
}

// recorded takes an event the shell recorded, with the incident as it now
// stands; for one this console recorded, it hands the hook to the shell.
//
// With a shared timeline, an event another console claimed first
// (Remote, Claimed) runs no hook here: that console runs it. An event of
// another console that merely arrives (Remote, not Claimed) settles
// nothing of this console's own records.
func (m *Model) recorded(msg common.EventMsg) tea.Cmd {
	id := msg.Event.ID
	if msg.Claimed != "" {
		id = msg.Claimed
	}
	ours := !msg.Remote || msg.Claimed != ""
	if ours && m.inflight[id] {
		delete(m.inflight, id)
		if msg.Err != nil {
			m.failedAt, m.failedErr = m.c.Now(), incident.Clean(msg.Err.Error())
			delete(m.mine, id)
			return nil
		}
		m.failedAt, m.failedErr = time.Time{}, ""
	}
	if msg.Err != nil {
		return nil
	}
	m.session = msg.Session
	p, ok := m.mine[id]
	if !ok || !ours {
		return nil
	}
	delete(m.mine, id)
	if msg.Remote {
		return lostClaim(msg.Event)
	}
	p.Severity = m.session.Severity.String()
	// For the event as recorded: a claim made while the share was away
	// records under a new ID.
	return m.notify(p, msg.Event.ID)
}

// lostClaim tells the user whose ack, resolution or reopening another
// console recorded first that theirs was not recorded, and whose was.
func lostClaim(ev incident.Event) tea.Cmd {
	var what string
	switch ev.Kind {
	case incident.KindAck:
		what = "already acknowledged"
	case incident.KindResolved:
		what = "already resolved"
	case incident.KindReopened:
		what = "already reopened"
	default:
		return nil // an escalation step: the other console paged it
	}
	by := sanitize.Line(ev.Actor)
	if ev.Host != "" {
		by += " (" + sanitize.Line(ev.Host) + ")"
	}
	return common.Flash(what+" by "+by+" at "+ev.Time.Local().Format("15:04:05")+" on another console: yours was not recorded", false)
}

// payload is what the hook is told about ev.
func (m *Model) payload(kind notify.Kind, ev incident.Event, level int, role string, who incident.Contact, now time.Time) notify.Payload {
	p := notify.Payload{IncidentID: m.session.ID, Title: m.session.Title, Severity: m.session.Severity.String(),
		Kind: kind, Role: role, Who: who.Name, Contact: who.Contact, Actor: ev.Actor, Time: ev.Time,
		Summary: ev.Summary, Drill: m.c.Mode.Drill}
	if kind == notify.KindEscalation || kind == notify.KindAck {
		p.Level = level + 1
	}
	if t, ok := m.policy.OnCallTeam(); ok {
		p.Team = t.Name
	}
	if late := now.Sub(ev.Time); late > 2*time.Second {
		p.LateSeconds = int64(late / time.Second)
	}
	return p
}

// notify hands the shell the hook's run for the event forID, as an Auto
// action: no dialog, gated by the mode, recorded. Without a hook nothing
// runs, except in a drill, where it is shown as what would run.
func (m *Model) notify(p notify.Payload, forID string) tea.Cmd {
	if m.hook == nil && !m.c.Mode.Drill {
		return nil
	}
	a := m.hookAction(p, forID)
	a.Auto = true
	return common.Do(a)
}

// hookAction is the hook's run with payload p, for the event forID.
func (m *Model) hookAction(p notify.Payload, forID string) common.Action {
	title := "Notify: " + sanitize.Line(p.Summary)
	line := "no notification hook configured (escalation.hook)"
	hook := m.hook
	timeout := notify.DefaultTimeout
	if hook != nil {
		line = hook.Describe()
		if hook.Timeout > 0 {
			timeout = hook.Timeout
		}
	}
	return common.Action{
		Title: title, Kind: incident.ActionNotify, Op: "notify." + string(p.Kind),
		Lines: []string{line}, Target: forID, Tag: Tag,
		// The hook's own timeout ends it first, with its own message.
		Timeout: timeout + 5*time.Second,
		Run: func(ctx context.Context, _ func(string)) common.Outcome {
			if hook == nil {
				return common.Outcome{Err: errors.New("no notification hook is configured (escalation.hook)")}
			}
			res, err := hook.Run(ctx, p)
			out := common.Outcome{Err: err, Output: res.Output}
			if len(hook.Command) > 0 {
				code := res.ExitCode
				out.ExitCode = &code
			}
			if err == nil {
				out.Result = "sent"
				if res.Status != 0 {
					out.Result = "HTTP " + strconv.Itoa(res.Status)
				}
			}
			return out
		},
	}
}

// key handles the pane's keys.
func (m *Model) key(k tea.KeyMsg) tea.Cmd {
	switch {
	case key.Matches(k, m.keys.Ack):
		return m.ackDialog()
	case key.Matches(k, m.keys.Severity):
		return m.severityDialog()
	case key.Matches(k, m.keys.Resolve):
		return m.resolveDialog()
	case key.Matches(k, m.keys.Triage):
		return m.checklist(incident.ChecklistTriage)
	case key.Matches(k, m.keys.Security):
		return m.checklist(incident.ChecklistSecurity)
	case key.Matches(k, m.keys.Test):
		return m.testHook()
	}
	return nil
}

// declared is a flash for keys that need a declared incident.
func (m *Model) declared() (tea.Cmd, bool) {
	if m.session.Declared.IsZero() {
		return common.Flash("no incident is declared", true), false
	}
	return nil, true
}

// claim gives ev its ID now (id, derived from the incident, or a new one
// if "") and notes that its arrival runs the hook with p (kind empty: it
// does not).
func (m *Model) claim(ev incident.Event, kind notify.Kind, level int, role string, who incident.Contact, id string) incident.Event {
	now := m.c.Now()
	ev.ID = id
	if id == "" {
		ev.ID = incident.NewID(ev.Time)
	}
	if kind != "" {
		m.mine[ev.ID] = m.payload(kind, ev, level, role, who, now)
	}
	return ev
}

// ackDialog asks who acknowledges, at which rung.
func (m *Model) ackDialog() tea.Cmd {
	if cmd, ok := m.declared(); !ok {
		return cmd
	}
	st := m.policy.State(m.session, m.c.Now())
	level := m.ackRung(st)
	title := "Acknowledge: the ladder stops (rungs: " + m.rungList() + ")"
	if st.Acked {
		title = "Acknowledge again: recorded; the response time stays " + common.Duration(st.Response) + " (" + sanitize.Line(st.AckedBy) + ")"
	}
	n := len(m.policy.Ladder)
	// The response-time ack's ID as the incident stands now, as the
	// dialog opens: if another console acks while this one types, this
	// one's claim loses and says so, rather than making a second.
	ackID := m.session.ResponseAckID()
	return common.Input(common.InputRequest{
		Title: title,
		Fields: []common.Field{
			{Name: "who", Label: "Who", Default: m.c.Actor, MaxLen: 80, Validate: nonEmpty},
			{Name: "level", Label: "Rung", Default: fmt.Sprintf("%d %s", level+1, m.policy.Ladder[level].Role), MaxLen: 80,
				Validate: func(s string) error { _, err := rungOf(s, n); return err }},
		},
		OnSubmit: func(v map[string]string) tea.Cmd {
			i, _ := rungOf(v["level"], n)
			who := strings.TrimSpace(v["who"])
			role := m.policy.Ladder[i].Role
			ev := incident.Acknowledged(m.c.Actor, who, i, role, m.c.Now())
			ev = m.claim(ev, notify.KindAck, i, role, incident.Contact{Name: who}, ackID)
			return common.ClaimEvent(m.c.Journal, ev, true)
		},
	})
}

// ackRung is the rung an ack is for unless the dialog says otherwise: the
// paged rung whose contact is the actor, else the highest rung the
// schedule paged (on a P0 the team lead is paged beside the primary, who
// is the one expected to answer).
func (m *Model) ackRung(st incident.EscalationState) int {
	for i, r := range st.Rungs {
		if c, _ := m.policy.Contact(i); r.Paged && c.Known() && strings.EqualFold(c.Name, m.c.Actor) {
			return i
		}
	}
	level := 0
	for i, r := range st.Rungs {
		if r.Paged && !r.ByP0 {
			level = i
		}
	}
	return level
}

// rungList is "1 Primary On-Call, 2 Secondary On-Call, …".
func (m *Model) rungList() string {
	var roles []string
	for i, r := range m.policy.Ladder {
		roles = append(roles, fmt.Sprintf("%d %s", i+1, r.Role))
	}
	return strings.Join(roles, ", ")
}

// rungOf is the rung the field names by its number ("2" or "2 Secondary
// On-Call").
func rungOf(s string, n int) (int, error) {
	f := strings.Fields(s)
	if len(f) == 0 {
		return 0, fmt.Errorf("a rung from 1 to %d", n)
	}
	i, err := strconv.Atoi(f[0])
	if err != nil || i < 1 || i > n {
		return 0, fmt.Errorf("a rung from 1 to %d", n)
	}
	return i - 1, nil
}

func nonEmpty(s string) error {
	if strings.TrimSpace(s) == "" {
		return errors.New("required")
	}
	return nil
}

// severityDialog asks for the new severity and why, then for a
// confirmation that says what the change does.
func (m *Model) severityDialog() tea.Cmd {
	if cmd, ok := m.declared(); !ok {
		return cmd
	}
	cur := m.session.Severity
	return common.Input(common.InputRequest{
		Title: "Change severity (now " + cur.String() + ")",
		Fields: []common.Field{
			{Name: "severity", Label: "Severity", Placeholder: "P0, P1, P2 or P3", MaxLen: 2, Validate: func(s string) error {
				sev, err := incident.ParseSeverity(s)
				if err != nil {
					return errors.New("P0, P1, P2 or P3")
				}
				if sev == m.session.Severity {
					return errors.New("it is " + sev.String() + " already")
				}
				return nil
			}},
			{Name: "reason", Label: "Reason", Placeholder: "why (on the timeline and in the report)", MaxLen: 300, Validate: nonEmpty},
		},
		OnSubmit: func(v map[string]string) tea.Cmd {
			to, _ := incident.ParseSeverity(v["severity"])
			from, reason := m.session.Severity, strings.TrimSpace(v["reason"])
			change := severityMsg{to: to, reason: reason}
			return common.Confirm(common.ConfirmRequest{
				Title:     fmt.Sprintf("Change severity %s → %s?", from, to),
				Lines:     append(m.severityImpact(from, to, m.c.Now()), "Reason: "+sanitize.Line(reason)),
				OnConfirm: func() tea.Msg { return change },
			})
		},
	})
}

// severityMsg is a confirmed severity change: recorded when confirmed,
// at that time, from the severity of that moment.
type severityMsg struct {
	to     incident.Severity
	reason string
}

// changeSeverity records a confirmed change.
func (m *Model) changeSeverity(c severityMsg) tea.Cmd {
	from := m.session.Severity
	if from == c.to {
		return common.Flash("severity is "+from.String()+" already: nothing recorded", false)
	}
	ev := incident.SeverityChange(m.c.Actor, from, c.to, c.reason, m.c.Now())
	ev = m.claim(ev, notify.KindSeverity, 0, "", incident.Contact{}, "")
	return common.RecordEvent(m.c.Journal, ev)
}

// severityImpact says what changing from → to at does to the ladder and
// the clock, as a confirmation's lines.
func (m *Model) severityImpact(from, to incident.Severity, at time.Time) []string {
	after := m.session
	after.Apply(incident.SeverityChange(m.c.Actor, from, to, "", at))
	before := m.policy.State(m.session, at)
	st := m.policy.State(after, at)
	lines := []string{fmt.Sprintf("%s %s: %s, respond within %s.", to, to.Name(), to.Description(), span(m.policy.ResponseTime(to)))}
	for i, r := range st.Rungs {
		if r.Paged && !before.Rungs[i].Paged {
			lines = append(lines, "Pages "+r.Role+" at once ("+r.Why+").")
		}
	}
	switch {
	case st.Acked:
		lines = append(lines, "Acknowledged already: the response time stays.")
	case st.Breached && !before.Breached:
		lines = append(lines, "The response time is already past: it is BREACHED at once.")
	case !st.Breached:
		lines = append(lines, "Response due "+st.ResponseDue.Local().Format("15:04")+".")
	}
	if st.Next >= 0 && !st.NextAt.IsZero() {
		next := "Next: " + st.Rungs[st.Next].Role + " at " + st.NextAt.Local().Format("15:04:05") + " (in " + common.Duration(st.NextAt.Sub(at)) + ")"
		if st.Acked {
			next += ", acknowledged or not, while it is an open P0."
		} else {
			next += " unless acknowledged."
		}
		lines = append(lines, next)
	}
	if to > from {
		lines = append(lines, "Lowering pages nobody back: whoever was paged stays paged.")
	}
	return lines
}

// resolveDialog resolves an open incident, or reopens a resolved one.
func (m *Model) resolveDialog() tea.Cmd {
	if cmd, ok := m.declared(); !ok {
		return cmd
	}
	// The IDs as the incident stands when the dialog opens (see ackDialog).
	reopenID, resolveID := m.session.ReopenID(), m.session.ResolveID()
	if !m.session.Resolved.IsZero() {
		return common.Input(common.InputRequest{
			Title:  "Reopen the incident: the response clock and the ladder resume",
			Fields: []common.Field{{Name: "why", Label: "Why", Placeholder: "what came back", MaxLen: 300, Validate: nonEmpty}},
			OnSubmit: func(v map[string]string) tea.Cmd {
				ev := m.claim(incident.Reopening(m.c.Actor, v["why"], m.c.Now()), notify.KindReopened, 0, "", incident.Contact{}, reopenID)
				return common.ClaimEvent(m.c.Journal, ev, true)
			},
		})
	}
	return common.Input(common.InputRequest{
		Title:  "Resolve the incident: the response clock and the ladder stop (R reopens)",
		Fields: []common.Field{{Name: "how", Label: "Resolution", Placeholder: "optional: what fixed it", MaxLen: 300}},
		OnSubmit: func(v map[string]string) tea.Cmd {
			ev := m.claim(incident.Resolution(m.c.Actor, v["how"], m.c.Now()), notify.KindResolved, 0, "", incident.Contact{}, resolveID)
			return common.ClaimEvent(m.c.Journal, ev, true)
		},
	})
}

// checklist opens the named checklist's dialog.
func (m *Model) checklist(name string) tea.Cmd {
	l, ok := incident.ChecklistByName(name)
	if !ok {
		return nil
	}
	return common.OpenChecklist(l)
}

// testHook runs the hook once with a test payload, after a confirmation.
func (m *Model) testHook() tea.Cmd {
	if m.hook == nil && !m.c.Mode.Drill {
		return common.Flash("no notification hook is configured (escalation.hook in the config)", true)
	}
	now := m.c.Now()
	ev := incident.Event{Time: now, Actor: m.c.Actor, Summary: "test of the notification hook from warroom"}
	p := m.payload(notify.KindTest, ev, 0, "", incident.Contact{}, now)
	a := m.hookAction(p, TestTarget)
	a.Title = "Test the notification hook"
	return common.Do(a)
}

// Offers are the pane's actions for the command palette.
func (m *Model) Offers() []common.Offer {
	if m.session.Declared.IsZero() {
		return nil
	}
	resolve := "Resolve the incident"
	if !m.session.Resolved.IsZero() {
		resolve = "Reopen the incident"
	}
	out := []common.Offer{
		{Name: "Acknowledge the page", Key: m.keys.Ack.Help().Key, Cmd: m.ackDialog()},
		{Name: "Change severity", Key: m.keys.Severity.Help().Key, Cmd: m.severityDialog()},
		{Name: resolve, Key: m.keys.Resolve.Help().Key, Cmd: m.resolveDialog()},
		{Name: "Triage checklist", Key: m.keys.Triage.Help().Key, Cmd: m.checklist(incident.ChecklistTriage)},
		{Name: "Security incident checklist", Key: m.keys.Security.Help().Key, Cmd: m.checklist(incident.ChecklistSecurity)},
	}
	if m.hook != nil || m.c.Mode.Drill {
		out = append(out, common.Offer{Name: "Test the notification hook", Key: m.keys.Test.Help().Key, Cmd: m.testHook()})
	}
	return out
}
