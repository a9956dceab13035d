package escalation

import (
	"encoding/json"
	"errors"
	"os"
	"os/exec"
	"path/filepath"
	"reflect"
	"slices"
	"strings"
	"testing"
	"time"

	tea "github.com/charmbracelet/bubbletea"
	"github.com/charmbracelet/lipgloss"
	"github.com/charmbracelet/x/ansi"
	"github.com/charmbracelet/x/exp/golden"
	"github.com/muesli/termenv"

	"github.com/warroom-dev/warroom/incident"
	"github.com/warroom-dev/warroom/incident/notify"
	"github.com/warroom-dev/warroom/internal/keymsg"
	"github.com/warroom-dev/warroom/internal/memjournal"
	"github.com/warroom-dev/warroom/tui/common"
	"github.com/warroom-dev/warroom/tui/styles"
)

var t0 = time.Date(2026, 11, 27, 3, 0, 0, 0, time.UTC)

func init() { time.Local = time.UTC } // times of day in views and goldens

// rig is the pane with a clock the test moves, and the shell's part
// played by hand: events recorded are folded and handed back.
type rig struct {
	t       *testing.T
	now     time.Time
	j       *memjournal.Journal
	m       *Model
	session incident.Session
	actions []common.Action // handed to the shell
	other   []tea.Msg       // anything else the pane asked for
}

func newRig(t *testing.T, sev incident.Severity, mode common.Mode, hook *notify.Hook, p incident.Policy) *rig {
	t.Helper()
	r := &rig{t: t, now: t0, j: &memjournal.Journal{}}
	decl, _ := r.j.Append(incident.Declared("alice", "API 5xx", sev, t0))
	r.session = incident.Fold([]incident.Event{decl})
	lr := lipgloss.NewRenderer(os.Stdout)
	lr.SetColorProfile(termenv.Ascii)
	c := common.Common{Styles: styles.New(lr, styles.DefaultTheme()), Now: func() time.Time { return r.now },
		Actor: "alice", Mode: mode, Journal: r.j}
	r.m = New(c, Config{Session: r.session, Policy: p, Hook: hook, Every: time.Hour})
	r.m.SetSize(80, 20)
	return r
}

// do runs cmd and what it leads to, as the shell would: recorded events
// are folded and broadcast back to the pane; ticks are dropped (the test
// moves the clock and sends them).
func (r *rig) do(cmd tea.Cmd) {
	r.t.Helper()
	queue := []tea.Cmd{cmd}
	for len(queue) > 0 {
		c := queue[0]
		queue = queue[1:]
		if c == nil {
			continue
		}
		msg := runQuick(c)
		switch msg := msg.(type) {
		case nil:
		case tea.BatchMsg:
			queue = append(queue, msg...)
		case tickMsg:
		case common.EventMsg:
			if msg.Err == nil {
				r.session.Apply(msg.Event)
			}
			msg.Session = r.session
			_, next := r.m.Update(msg)
			queue = append(queue, next)
		case common.ActionRequest:
			r.actions = append(r.actions, msg.Action)
		case common.InputRequest, common.ConfirmRequest, common.ChecklistRequest, common.FlashMsg:
			r.other = append(r.other, msg)
		default:
			if v := reflect.ValueOf(msg); v.Kind() == reflect.Slice && v.Type().Elem() == reflect.TypeOf(tea.Cmd(nil)) {
				// tea.Sequence: in order, before anything queued after it.
				seq := make([]tea.Cmd, v.Len())
				for i := range seq {
					seq[i] = v.Index(i).Interface().(tea.Cmd)
				}
				queue = append(seq, queue...)
				continue
			}
			_, next := r.m.Update(msg)
			queue = append(queue, next)
		}
	}
}

// runQuick runs c unless it is a tick (which would sleep): ticks are the
// test's to send.
func runQuick(c tea.Cmd) tea.Msg {
	done := make(chan tea.Msg, 1)
	go func() { done <- c() }()
	select {
	case m := <-done:
		return m
	case <-time.After(200 * time.Millisecond):
		return nil // a tick: dropped
	}
}

func (r *rig) tick(at time.Duration) {
	r.t.Helper()
	r.now = t0.Add(at)
	_, cmd := r.m.Update(tickMsg{id: r.m.id})
	r.do(cmd)
}

func (r *rig) key(k string) {
	r.t.Helper()
	_, cmd := r.m.Update(keymsg.Of(k))
	r.do(cmd)
}

// submit answers the input dialog the pane asked for last.
func (r *rig) submit(values map[string]string) {
	r.t.Helper()
	req := r.lastInput()
	for _, f := range req.Fields {
		v, ok := values[f.Name]
		if !ok {
			v = f.Default
		}
		if f.Validate != nil {
			if err := f.Validate(v); err != nil {
				r.t.Fatalf("field %s = %q: %v", f.Name, v, err)
			}
		}
		values[f.Name] = v
	}
	r.do(req.OnSubmit(values))
}

func (r *rig) lastInput() common.InputRequest {
	r.t.Helper()
	for i := len(r.other) - 1; i >= 0; i-- {
		if req, ok := r.other[i].(common.InputRequest); ok {
			return req
		}
	}
	r.t.Fatal("no input dialog was asked for")
	return common.InputRequest{}
}

func levels(evs []incident.Event) []int {
	var out []int
	for _, e := range evs {
		if e.Escalation != nil {
			out = append(out, e.Escalation.Level)
		}
	}
	return out
}

func TestLadderRecordedOnceAndHookHandedOver(t *testing.T) {
	hook := &notify.Hook{Command: []string{"true"}}
	r := newRig(t, incident.P1, common.Mode{}, hook, incident.Policy{})
	r.do(r.m.Init())
	if got := levels(r.j.Of(incident.KindEscalation)); len(got) != 1 || got[0] != 0 {
		t.Fatalf("at the declaration: escalations %v, want [0] (the primary)", got)
	}
	if len(r.actions) != 1 || !r.actions[0].Auto || r.actions[0].Kind != incident.ActionNotify ||
		r.actions[0].Target != incident.EscalationID(r.session.ID, 0) {
		t.Fatalf("actions = %+v, want one Auto notify for the primary's escalation", r.actions)
	}
	r.tick(4 * time.Minute)
	if n := len(r.j.Of(incident.KindEscalation)); n != 1 {
		t.Fatalf("at 4m: %d escalations, want still 1", n)
	}
	r.tick(5 * time.Minute)
	r.tick(5*time.Minute + time.Second)
	if got := levels(r.j.Of(incident.KindEscalation)); len(got) != 2 || got[1] != 1 {
		t.Fatalf("at 5m: escalations %v, want [0 1]", got)
	}
	if len(r.actions) != 2 {
		t.Fatalf("%d hook runs, want 2", len(r.actions))
	}
	e := r.j.Of(incident.KindEscalation)[1]
	if !strings.Contains(e.Summary, "Secondary On-Call") || e.Actor != "warroom" {
		t.Errorf("escalation event = %+v", e)
	}
}

func TestInFlightStepNotRecordedTwice(t *testing.T) {
	r := newRig(t, incident.P1, common.Mode{}, nil, incident.Policy{})
	r.now = t0.Add(6 * time.Minute)
	// Two checks before either write is back: each step once.
	_, c1 := r.m.Update(tickMsg{id: r.m.id})
	_, c2 := r.m.Update(tickMsg{id: r.m.id})
	r.do(tea.Batch(c1, c2))
	if got := levels(r.j.Of(incident.KindEscalation)); len(got) != 2 {
		t.Fatalf("escalations %v, want levels 0 and 1 once each", got)
	}
	if r.j.Appends() != 3 { // the declaration and the two steps
		t.Errorf("%d appends, want 3: a step in flight was written again", r.j.Appends())
	}
	if len(r.actions) != 0 {
		t.Errorf("no hook configured and not a drill: %d actions handed over, want none", len(r.actions))
	}
}

func TestDrillHandsTheHookWithoutOne(t *testing.T) {
	r := newRig(t, incident.P1, common.Mode{Drill: true}, nil, incident.DefaultPolicy().Accelerated(10))
	r.tick(31 * time.Second)
	if got := levels(r.j.Of(incident.KindEscalation)); len(got) != 2 {
		t.Fatalf("drill ×10 at 31s: escalations %v, want 0 and 1", got)
	}
	if len(r.actions) != 2 || !r.actions[1].Auto || !strings.Contains(r.actions[1].Lines[0], "no notification hook") {
		t.Fatalf("actions = %+v", r.actions)
	}
	v := ansi.Strip(r.m.View())
	for _, want := range []string{"DRILL CLOCK ×10", "the ladder runs 10× fast"} {
		if !strings.Contains(v, want) {
			t.Errorf("view lacks %q:\n%s", want, v)
		}
	}
}

func TestFailedRecordRetriesLater(t *testing.T) {
	r := newRig(t, incident.P1, common.Mode{}, nil, incident.Policy{})
	r.j.Fail(errors.New("disk full"))
	r.tick(time.Second)
	if v := ansi.Strip(r.m.View()); !strings.Contains(v, "escalation NOT RECORDED: disk full") {
		t.Fatalf("view does not say the step was not recorded:\n%s", v)
	}
	r.j.Fail(nil)
	r.tick(5 * time.Second) // within retryAfter: no write
	if n := len(r.j.Of(incident.KindEscalation)); n != 0 {
		t.Fatalf("retried after 4s: %d events", n)
	}
	r.tick(12 * time.Second)
	if n := len(r.j.Of(incident.KindEscalation)); n != 1 {
		t.Fatalf("after retryAfter: %d escalation events, want 1", n)
	}
	if v := ansi.Strip(r.m.View()); strings.Contains(v, "NOT RECORDED") {
		t.Errorf("the failure is still shown after a good write:\n%s", v)
	}
}

func TestAckStopsTheLadderAndRunsTheHook(t *testing.T) {
	r := newRig(t, incident.P1, common.Mode{}, &notify.Hook{Command: []string{"true"}}, incident.Policy{})
	r.tick(time.Minute)
	r.key("a")
	r.submit(map[string]string{"who": "bob"})
	acks := r.j.Of(incident.KindAck)
	if len(acks) != 1 || acks[0].Ack.Who != "bob" || acks[0].Ack.Level != 0 || acks[0].Actor != "alice" {
		t.Fatalf("acks = %+v, want bob at level 0, recorded by alice", acks)
	}
	if r.session.AckedBy != "bob" {
		t.Errorf("AckedBy = %q", r.session.AckedBy)
	}
	last := r.actions[len(r.actions)-1]
	if last.Op != "notify.ack" || last.Target != acks[0].ID {
		t.Errorf("ack hook = %+v", last)
	}
	r.tick(20 * time.Minute)
	if got := levels(r.j.Of(incident.KindEscalation)); len(got) != 1 {
		t.Errorf("after the ack the ladder went on: %v", got)
	}
	if v := ansi.Strip(r.m.View()); !strings.Contains(v, "acknowledged") || !strings.Contains(v, "by bob in 1:00") {
		t.Errorf("view:\n%s", v)
	}
	// A later ack is recorded and changes nothing.
	r.now = t0.Add(25 * time.Minute)
	r.key("a")
	if !strings.Contains(r.lastInput().Title, "again") {
		t.Errorf("second ack dialog title = %q", r.lastInput().Title)
	}
	r.submit(map[string]string{"who": "carol", "level": "2"})
	if n := len(r.j.Of(incident.KindAck)); n != 2 || r.session.AckedBy != "bob" {
		t.Errorf("acks %d, AckedBy %q: want 2 and bob", n, r.session.AckedBy)
	}
}

func TestRaiseToP0PagesTheTeamLeadAtOnce(t *testing.T) {
	r := newRig(t, incident.P1, common.Mode{}, nil, incident.Policy{})
	r.tick(time.Minute)
	r.key("s")
	r.submit(map[string]string{"severity": "P0", "reason": "checkout down everywhere"})
	var conf *common.ConfirmRequest
	for _, m := range r.other {
		if c, ok := m.(common.ConfirmRequest); ok {
			conf = &c
		}
	}
	if conf == nil {
		t.Fatal("no confirmation before the change")
	}
	if n := len(r.j.Of(incident.KindSeverity)); n != 0 {
		t.Fatal("recorded before the confirmation")
	}
	if !strings.Contains(strings.Join(conf.Lines, "\n"), "Pages Team Lead at once") {
		t.Errorf("confirmation lines = %q", conf.Lines)
	}
	r.do(conf.OnConfirm)
	ch := r.j.Of(incident.KindSeverity)
	if len(ch) != 1 || ch[0].Severity.Reason != "checkout down everywhere" || ch[0].Severity.To != "P0" {
		t.Fatalf("severity events = %+v", ch)
	}
	r.tick(time.Minute + time.Second)
	if got := levels(r.j.Of(incident.KindEscalation)); len(got) != 2 || got[1] != 2 {
		t.Fatalf("escalations %v, want the primary and the team lead", got)
	}
	// Lowering pages nobody back, and says so.
	r.key("s")
	r.submit(map[string]string{"severity": "P2", "reason": "contained"})
	c := r.other[len(r.other)-1].(common.ConfirmRequest)
	if !strings.Contains(strings.Join(c.Lines, "\n"), "pages nobody back") {
		t.Errorf("lowering: %q", c.Lines)
	}
}

func TestResolveAndReopen(t *testing.T) {
	r := newRig(t, incident.P1, common.Mode{}, nil, incident.Policy{})
	r.tick(time.Second)
	r.key("R")
	r.submit(map[string]string{"how": "rolled back"})
	if r.session.Open() {
		t.Fatal("still open after R")
	}
	r.tick(40 * time.Minute)
	if got := levels(r.j.Of(incident.KindEscalation)); len(got) != 1 {
		t.Errorf("paged while resolved: %v", got)
	}
	if v := ansi.Strip(r.m.View()); !strings.Contains(v, "resolved") {
		t.Errorf("view:\n%s", v)
	}
	r.key("R")
	if !strings.Contains(r.lastInput().Title, "Reopen") {
		t.Fatalf("R on a resolved incident: %q", r.lastInput().Title)
	}
	r.submit(map[string]string{"why": "5xx again"})
	if !r.session.Open() || len(r.j.Of(incident.KindReopened)) != 1 {
		t.Fatal("not reopened")
	}
}

func TestChecklistKeysAndProgress(t *testing.T) {
	r := newRig(t, incident.P1, common.Mode{}, nil, incident.Policy{})
	r.key("c")
	r.key("C")
	var names []string
	for _, m := range r.other {
		if c, ok := m.(common.ChecklistRequest); ok {
			names = append(names, c.List.Name)
		}
	}
	if strings.Join(names, ",") != "triage,security" {
		t.Fatalf("checklists asked for: %v", names)
	}
	tri, _ := incident.ChecklistByName(incident.ChecklistTriage)
	for i := range 4 {
		ev, _ := r.j.Append(incident.Checked("bob", tri, i, true, t0.Add(time.Duration(i)*time.Second)))
		r.session.Apply(ev)
		r.m.Update(common.EventMsg{Event: ev, Session: r.session})
	}
	if v := ansi.Strip(r.m.View()); !strings.Contains(v, "triage 4/6") || strings.Contains(v, "security 0/6") {
		t.Errorf("view:\n%s", v)
	}
}

// The hook the pane hands over runs the configured command with the
// payload on its standard input.
func TestHookActionRunsTheCommand(t *testing.T) {
	if _, err := exec.LookPath("sh"); err != nil {
		t.Skip("no sh")
	}
	out := filepath.Join(t.TempDir(), "payload.json")
	hook := &notify.Hook{Command: []string{"sh", "-c", `cat > "$0"`, out}}
	p := incident.DefaultPolicy()
	p.Teams[0].Primary = incident.Contact{Name: "Alice Ng", Contact: "+1 555 0100"}
	r := newRig(t, incident.P1, common.Mode{}, hook, p)
	r.do(r.m.Init())
	if len(r.actions) != 1 {
		t.Fatalf("actions = %d", len(r.actions))
	}
	res := r.actions[0].Run(t.Context(), func(string) {})
	if res.Err != nil || res.ExitCode == nil || *res.ExitCode != 0 {
		t.Fatalf("run: %+v", res)
	}
	var got notify.Payload
	data, err := os.ReadFile(out)
	if err != nil {
		t.Fatal(err)
	}
	if err := json.Unmarshal(data, &got); err != nil {
		t.Fatalf("%v: %s", err, data)
	}
	if got.Kind != notify.KindEscalation || got.Level != 1 || got.Who != "Alice Ng" || got.Contact != "+1 555 0100" ||
		got.Team != "Platform" || got.IncidentID != r.session.ID || got.Severity != "P1" || got.Drill {
		t.Errorf("payload = %+v", got)
	}
	if e := r.j.Of(incident.KindEscalation)[0]; e.Escalation.Who != "Alice Ng" {
		t.Errorf("escalation Who = %q", e.Escalation.Who)
	}
}

func TestViewSaysWhomItDoesNotKnow(t *testing.T) {
	r := newRig(t, incident.P1, common.Mode{}, nil, incident.Policy{})
	r.tick(time.Second)
	v := ansi.Strip(r.m.View())
	for _, want := range []string{"Primary On-Call · not known · paged", "not known: Platform's primary, Platform's secondary, the Team Lead's contact", "no notification hook configured"} {
		if !strings.Contains(v, want) {
			t.Errorf("view lacks %q:\n%s", want, v)
		}
	}
}

func TestViewHookFailure(t *testing.T) {
	r := newRig(t, incident.P1, common.Mode{}, &notify.Hook{Command: []string{"false"}}, incident.Policy{})
	r.tick(time.Second)
	id := incident.EscalationID(r.session.ID, 0)
	ev, _ := r.j.Append(incident.Event{Time: r.now, Actor: "alice", Kind: incident.KindAction, Summary: "FAILED",
		Action: &incident.ActionFields{Phase: incident.PhaseFinished, Kind: incident.ActionNotify, Target: id, Error: "exit status 1",
			Title: "Notify: Paged Primary On-Call (P1 declared)"}})
	r.session.Apply(ev)
	r.m.Update(common.EventMsg{Event: ev, Session: r.session})
	v := ansi.Strip(r.m.View())
	if !strings.Contains(v, "hook FAILED (Paged Primary On-Call (P1 declared)): exit status 1 — page by hand") || !strings.Contains(v, "✗ HOOK FAILED") {
		t.Errorf("view:\n%s", v)
	}
}

// Golden views at the sizes the pane gets in a 120x36 console (a grid
// cell) and an 80x24 one (the focused pane alone, under tabs).
func TestGolden(t *testing.T) {
	p := incident.DefaultPolicy()
	p.Teams[0].Primary = incident.Contact{Name: "Alice Ng", Contact: "+1 555 0100"}
	p.Teams[0].Secondary = incident.Contact{Name: "Bob Roy", Contact: "@bob"}
	for _, sz := range []struct {
		name string
		w, h int
	}{{"120x36", 43, 11}, {"80x24", 78, 19}} {
		t.Run(sz.name, func(t *testing.T) {
			r := newRig(t, incident.P1, common.Mode{}, &notify.Hook{URL: "https://hooks.example.com/services/T0/B0/secret"}, p)
			r.m.SetSize(sz.w, sz.h)
			r.tick(6 * time.Minute)
			tri, _ := incident.ChecklistByName(incident.ChecklistTriage)
			ev, _ := r.j.Append(incident.Checked("bob", tri, 0, true, r.now))
			r.session.Apply(ev)
			r.m.Update(common.EventMsg{Event: ev, Session: r.session})
			v := r.m.View()
			for i, l := range strings.Split(v, "\n") {
				if w := ansi.StringWidth(l); w > sz.w {
					t.Errorf("line %d is %d cells wide, more than %d", i, w, sz.w)
				}
			}
			golden.RequireEqual(t, []byte(v))
		})
	}
}

func TestSeverityRecordedWhenConfirmed(t *testing.T) {
	r := newRig(t, incident.P1, common.Mode{}, nil, incident.Policy{})
	r.tick(time.Minute)
	r.key("s")
	r.submit(map[string]string{"severity": "P0", "reason": "worse"})
	conf := r.other[len(r.other)-1].(common.ConfirmRequest)
	r.now = t0.Add(11 * time.Minute) // read it, thought about it
	r.do(conf.OnConfirm)
	ch := r.j.Of(incident.KindSeverity)
	if len(ch) != 1 || !ch[0].Time.Equal(t0.Add(11*time.Minute)) {
		t.Fatalf("severity events %+v: want one at the confirmation (11m)", ch)
	}
	r.tick(11*time.Minute + time.Second)
	for _, e := range r.j.Of(incident.KindEscalation) {
		if e.Escalation != nil && e.Escalation.Level == 2 && !e.Time.Equal(t0.Add(11*time.Minute)) {
			t.Errorf("team lead paged at %v, want at the change (11m)", e.Time)
		}
	}
}

func TestAckDefaultsToTheScheduledRung(t *testing.T) {
	r := newRig(t, incident.P0, common.Mode{}, nil, incident.Policy{})
	r.tick(time.Minute) // P0: primary and team lead paged
	r.key("a")
	var rung string
	for _, f := range r.lastInput().Fields {
		if f.Name == "level" {
			rung = f.Default
		}
	}
	if rung != "1 Primary On-Call" {
		t.Errorf("rung prefilled %q, want the primary's (the team lead was paged beside it)", rung)
	}
	r.submit(map[string]string{"who": "alice"})
	if acks := r.j.Of(incident.KindAck); len(acks) != 1 || acks[0].Ack.Level != 0 {
		t.Errorf("acks = %+v", acks)
	}
}

func TestCatchUpRecordsTheLadderInOrder(t *testing.T) {
	r := newRig(t, incident.P1, common.Mode{}, &notify.Hook{Command: []string{"true"}}, incident.Policy{})
	r.tick(31 * time.Minute) // a console started late: four rungs and a breach at once
	if got := levels(r.j.Of(incident.KindEscalation)); !slices.Equal(got, []int{0, 1, 2, 3}) {
		t.Errorf("recorded %v, want the ladder in order", got)
	}
	var targets []string
	for _, a := range r.actions {
		targets = append(targets, a.Target)
	}
	var want []string
	for i := range 4 {
		want = append(want, incident.EscalationID(r.session.ID, i))
	}
	if !slices.Equal(targets, want) {
		t.Errorf("hooks handed in the order %v, want %v", targets, want)
	}
}

func TestConfigTextIsCleaned(t *testing.T) {
	p := incident.DefaultPolicy()
	p.Ladder[0].Role = "Primary\x1b[2J\x1b]0;pwned\x07 On-Call"
	p.Teams[0].Name = "Plat\x1b[31mform"
	r := newRig(t, incident.P1, common.Mode{}, nil, p)
	r.tick(time.Second)
	if v := r.m.View(); strings.Contains(v, "\x1b[2J") || strings.Contains(v, "\x1b]0") || strings.Contains(v, "\x1b[31m") {
		t.Errorf("control sequences from the config reached the screen: %q", v)
	}
}

func TestLateHookIsSaid(t *testing.T) {
	r := newRig(t, incident.P1, common.Mode{}, &notify.Hook{Command: []string{"true"}}, incident.Policy{})
	r.tick(6 * time.Minute) // the secondary was due at 5m: the console was down
	id := incident.EscalationID(r.session.ID, 1)
	ev, _ := r.j.Append(incident.Event{Time: r.now, Actor: "alice", Kind: incident.KindAction, Summary: "done",
		Action: &incident.ActionFields{Phase: incident.PhaseFinished, Kind: incident.ActionNotify, Target: id, Title: "Notify: x"}})
	r.session.Apply(ev)
	r.m.Update(common.EventMsg{Event: ev, Session: r.session})
	if v := ansi.Strip(r.m.View()); !strings.Contains(v, "✓ notified 03:06:00 (late)") {
		t.Errorf("view:\n%s", v)
	}
}
