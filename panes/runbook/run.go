package runbook

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"time"

	tea "github.com/charmbracelet/bubbletea"

	"github.com/warroom-dev/warroom/incident"
	"github.com/warroom-dev/warroom/internal/sanitize"
	"github.com/warroom-dev/warroom/runbooks"
	"github.com/warroom-dev/warroom/runbooks/step"
	"github.com/warroom-dev/warroom/tui/common"
)

const (
	// outputKeep is how many output lines a step keeps in the pane: a
	// step printing 10 MB keeps the newest, memory stays bounded.
	outputKeep = 1000
	// lineKeep is the most bytes of one output line the pane keeps.
	lineKeep = 1000
)

// stepRun is a step handed to the shell, from the request to its end.
type stepRun struct {
	tag     string
	title   string // "High Error Rate › Rollback"
	lang    runbooks.Lang
	cmd     []string // what it runs, as the confirmation showed it
	id      string   // the action's ID, once started
	started time.Time
	// running is set once the shell says it started, until it ends.
	running    bool
	cancelling bool
	done       *common.ActionDoneMsg
	notRun     bool // recorded as not executed (dry-run, drill)
	lines      []string
	dropped    int // lines dropped from the front (bounded buffer)
	now        time.Time
}

// shown reports whether the run has something to show: it started or ended.
func (r *stepRun) shown() bool { return r.running || r.done != nil }

func (r *stepRun) add(lines ...string) {
	for _, l := range lines {
		l = sanitize.Line(l)
		if len(l) > lineKeep {
			l = l[:lineKeep] + "…"
		}
		r.lines = append(r.lines, l)
	}
	if over := len(r.lines) - outputKeep; over > 0 {
		r.lines = append(r.lines[:0:0], r.lines[over:]...)
		r.dropped += over
	}
}

func (m *Model) running() bool { return m.run != nil && m.run.running }

// tickMsg redraws a running step's elapsed time; tag ties it to its run.
type tickMsg struct{ tag string }

func tick(tag string) tea.Cmd {
	return tea.Tick(time.Second, func(time.Time) tea.Msg { return tickMsg{tag: tag} })
}

// runSelected asks for the selected step's variables (if it has any),
// then hands the step to the shell.
func (m *Model) runSelected() tea.Cmd {
	if m.open == nil || m.sel >= len(m.open.Steps) {
		return nil
	}
	if m.running() {
		return common.Flash("a step is running: esc cancels it", true)
	}
	rb, st := *m.open, m.open.Steps[m.sel]
	if m.c.Mode.Refuses(st.Destructive) {
		// Said before its variables are asked, as the shell would after.
		return common.Flash("read-only session: \""+sanitize.Line(st.Name)+"\" is destructive and not possible (restart without --read-only to act)", true)
	}
	if len(st.Vars) == 0 {
		return m.submit(rb, st, nil)
	}
	fields := make([]common.Field, 0, len(st.Vars))
	for _, name := range st.Vars {
		v, _ := rb.Variable(name)
		label := name
		if v.Secret {
			label += " (secret)"
		}
		f := common.Field{Name: name, Label: label, Placeholder: v.Description, Secret: v.Secret, MaxLen: 1000,
			Validate: func(s string) error {
				if strings.TrimSpace(s) == "" {
					return fmt.Errorf("%s is needed", name)
				}
				return nil
			}}
		if !v.Secret {
			f.Default = m.prefill(name, v.Default)
		}
		fields = append(fields, f)
	}
	return common.Input(common.InputRequest{
		Title:  sanitize.Line(rb.Title + " › " + st.Name),
		Fields: fields,
		OnSubmit: func(values map[string]string) tea.Cmd {
			return func() tea.Msg { return submitMsg{rb: rb, st: st, values: values} }
		},
	})
}

// submitMsg is the variables dialog's answer.
type submitMsg struct {
	rb     runbooks.Runbook
	st     runbooks.Step
	values map[string]string
}

// prefill is a variable's value from what the other panes have selected
// (the most recently updated first), else the configuration, else the
// runbook's default.
func (m *Model) prefill(name, def string) string {
	for i := len(m.order) - 1; i >= 0; i-- {
		if v := m.values[m.order[i]][name]; v != "" {
			return v
		}
	}
	if v := m.cfg.Defaults[name]; v != "" {
		return v
	}
	return def
}

// submit renders the step with its values and hands it to the shell as
// an in-place action.
func (m *Model) submit(rb runbooks.Runbook, st runbooks.Step, values map[string]string) tea.Cmd {
	r, err := step.Render(st, rb.Variables, values)
	if err != nil {
		return common.Flash("not run: "+sanitize.Line(err.Error()), true)
	}
	m.seq++
	title := rb.Title + " › " + st.Name
	run := &stepRun{tag: fmt.Sprintf("runbook#%d", m.seq), title: title, lang: st.Lang, cmd: r.Lines}
	m.pending = run // shown once the shell starts it: a cancelled confirmation leaves the last output
	kind := map[runbooks.Lang]string{runbooks.Bash: incident.ActionShell, runbooks.SQL: incident.ActionSQL,
		runbooks.PromQL: incident.ActionPromQL}[st.Lang]
	where := m.cfg.Where[st.Lang]
	if where == "" {
		where = map[runbooks.Lang]string{runbooks.Bash: "bash on this machine", runbooks.SQL: "PostgreSQL",
			runbooks.PromQL: "Prometheus"}[st.Lang]
	}
	var impact []string
	if st.Destructive {
		why := "it changes the system"
		if st.Why != "" {
			why = st.Why
		}
		impact = append(impact, "destructive: "+why)
	}
	if st.Lang == runbooks.SQL {
		if st.Destructive {
			impact = append(impact, "runs in one read-write transaction, committed at the end")
		} else {
			impact = append(impact, "runs in a read-only transaction")
		}
	}
	b, destructive := m.cfg.Runner, st.Destructive // copies: Run never touches the model
	return common.Do(common.Action{
		Title: title, Kind: kind, Op: "runbook." + string(st.Lang), Lines: r.Lines, Target: where,
		Impact: impact, Destructive: st.Destructive, Timeout: m.cfg.Timeout, Step: title, Tag: run.tag,
		InPlace: true, Secrets: r.Secrets,
		Run: func(ctx context.Context, progress func(string)) common.Outcome {
			res := step.Run(ctx, b, r, destructive, progress)
			return common.Outcome{ExitCode: res.ExitCode, Err: res.Err, Output: res.Output, Result: res.Summary}
		},
	})
}

// cancelRun asks the shell to cancel the running step.
func (m *Model) cancelRun() tea.Cmd {
	r := m.run
	if r == nil || !r.running || r.cancelling || r.id == "" {
		return nil
	}
	r.cancelling = true
	return common.Cancel(r.id)
}

// runUpdate follows the pane's own step through the shell's messages.
func (m *Model) runUpdate(msg tea.Msg) tea.Cmd {
	if p := m.pending; p != nil {
		var tag string
		switch msg := msg.(type) {
		case common.ActionStartedMsg:
			tag = msg.Tag
		case common.ActionDoneMsg:
			tag = msg.Tag
		}
		if tag == p.tag {
			m.run, m.pending, m.outScroll = p, nil, 0
		}
	}
	r := m.run
	switch msg := msg.(type) {
	case submitMsg:
		return m.submit(msg.rb, msg.st, msg.values)
	case common.ActionStartedMsg:
		if r == nil || msg.Tag != r.tag {
			return nil
		}
		r.id, r.started, r.running, r.now = msg.ID, msg.Started, true, msg.Started
		return tick(r.tag)
	case common.ActionProgressMsg:
		if r == nil || msg.Tag != r.tag {
			return nil
		}
		if msg.Dropped > 0 {
			// The console fell behind a fast step: say where lines are missing.
			r.add(fmt.Sprintf("… %d lines not shown (the step printed faster than the screen; the timeline keeps its first and last lines)", msg.Dropped))
		}
		r.add(msg.Lines...)
	case common.ActionDoneMsg:
		if r == nil || msg.Tag != r.tag {
			return nil
		}
		r.running, r.done, r.notRun, r.now = false, &msg, !msg.Executed, m.c.Now()
		if msg.Outcome.Output != "" {
			r.add(strings.Split(strings.TrimRight(msg.Outcome.Output, "\n"), "\n")...)
		}
		if err := msg.Outcome.Err; err != nil && !errors.Is(err, context.Canceled) {
			// The whole error, under the output: the status line has room
			// for its start only.
			r.add(strings.Split("error: "+strings.TrimSpace(sanitize.Text(err.Error())), "\n")...)
		}
	case tickMsg:
		if r == nil || msg.tag != r.tag || !r.running {
			return nil
		}
		r.now = m.c.Now()
		return tick(r.tag)
	}
	return nil
}

// status is the run's one-line account: what, how long, how it ended.
func (r *stepRun) status(mode common.Mode) (string, string) {
	switch {
	case r.running && r.cancelling:
		return "warn", "cancelling… " + common.Duration(r.now.Sub(r.started))
	case r.running:
		return "info", "running " + common.Duration(r.now.Sub(r.started)) + " · esc cancels"
	case r.notRun:
		why := "dry-run"
		if !mode.DryRun && mode.Drill {
			why = "drill: it would run on this machine"
		}
		return "warn", "would run — not executed (" + why + ")"
	case r.done == nil:
		return "", ""
	}
	d := r.done
	took := d.Duration.Round(100 * time.Millisecond).String()
	code := ""
	if d.Outcome.ExitCode != nil {
		code = fmt.Sprintf("exit %d · ", *d.Outcome.ExitCode)
	}
	switch {
	case d.Outcome.Err != nil && errors.Is(d.Outcome.Err, context.Canceled):
		return "warn", "cancelled · " + code + took
	case d.Outcome.Err != nil && errors.Is(d.Outcome.Err, context.DeadlineExceeded):
		return "bad", "timed out · " + code + took
	case d.Outcome.Err != nil:
		return "bad", "failed · " + code + took + " · " + sanitize.Line(d.Outcome.Err.Error())
	}
	res := code + took
	if d.Outcome.Result != "" {
		res = sanitize.Line(d.Outcome.Result) + " · " + took
	}
	return "ok", "done · " + res
}
