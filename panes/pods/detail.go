package pods

import (
	"context"
	"fmt"
	"strings"

	"github.com/charmbracelet/bubbles/key"
	tea "github.com/charmbracelet/bubbletea"

	"github.com/warroom-dev/warroom/internal/sanitize"
	"github.com/warroom-dev/warroom/probes"
	"github.com/warroom-dev/warroom/probes/kube"
	"github.com/warroom-dev/warroom/tui/common"
)

// LogLines is how many log lines the detail keeps: the last 200, in a
// bounded buffer, however fast a followed container writes.
const LogLines = 200

// detail is one pod opened: its state from the watch's caches and its log.
type detail struct {
	c        common.Common
	probe    kube.Probe
	ns, name string

	d       kube.Detail
	found   bool
	gone    bool             // it was found, then no more: d is its last known state
	dep     *kube.Deployment // the pod's deployment, from the pane's snapshot
	depName string           // its name, as the list knew it when the pod was opened
	seq     int              // of the last detail read asked for
	seen    int              // of the last detail read taken
	read    bool             // a detail read has answered

	container string // whose log; "" until the detail names one
	previous  bool
	follow    bool
	logs      probes.Lines
	logStream *probes.Stream[probes.Lines]
	logCancel context.CancelFunc
	logErr    error
	logDone   bool

	parent context.Context // the session: a log stream ends with it
	scroll common.Cursor   // top line of the body
	w, h   int
}

// detailMsg is a detail read from the watch's caches.
type detailMsg struct {
	ns, name string
	d        kube.Detail
	found    bool
	seq      int // reads can answer out of order: an older one is dropped
}

// logEndMsg says a log stream ended (EOF, cancelled or an error).
type logEndMsg struct {
	id  int64
	err error
}

func newDetail(c common.Common, probe kube.Probe, ns, name string) *detail {
	return &detail{c: c, probe: probe, ns: ns, name: name}
}

// refresh reads the pod and its events from the watch's caches, in a Cmd.
func (d *detail) refresh(w *kube.Watch) tea.Cmd {
	if w == nil {
		return nil
	}
	ns, name := d.ns, d.name
	d.seq++
	seq := d.seq
	return func() tea.Msg {
		det, ok := w.Detail(ns, name)
		return detailMsg{ns: ns, name: name, d: det, found: ok, seq: seq}
	}
}

// startLogs (re)starts the log stream for the current container and
// toggles; the old one is cancelled.
func (d *detail) startLogs() tea.Cmd {
	d.close()
	d.logs, d.logErr, d.logDone = probes.Lines{}, nil, false
	if d.probe == nil || (d.container == "" && d.read) {
		return nil
	}
	parent := d.parent
	if parent == nil {
		parent = context.Background()
	}
	ctx, cancel := context.WithCancel(parent)
	s := probes.NewLineStream("pods-log", LogLines)
	d.logStream, d.logCancel = s, cancel
	req := kube.LogRequest{Namespace: d.ns, Pod: d.name, Container: d.container, Previous: d.previous, Follow: d.follow, TailLines: LogLines}
	probe := d.probe
	id := s.ID()
	run := func() tea.Msg {
		defer s.Close()
		err := probe.Logs(ctx, req, s)
		return logEndMsg{id: id, err: err}
	}
	return tea.Batch(run, s.Next())
}

// close stops the log stream.
func (d *detail) close() {
	if d.logCancel != nil {
		d.logCancel()
		d.logCancel = nil
	}
}

var keepLog = probes.AppendLines(LogLines)

// update handles the detail's own messages; it reports whether msg was one.
func (d *detail) update(msg tea.Msg) (bool, tea.Cmd) {
	switch msg := msg.(type) {
	case detailMsg:
		if msg.ns != d.ns || msg.name != d.name || msg.seq <= d.seen {
			return true, nil
		}
		d.seen = msg.seq
		first := !d.read
		if !msg.found && d.found {
			// Gone (deleted, replaced): keep its last known state, say so.
			d.gone = true
			return true, nil
		}
		d.d, d.found, d.read, d.gone = msg.d, msg.found, true, false
		if first && d.container == "" && msg.found {
			d.container = defaultContainer(msg.d)
			return true, d.startLogs()
		}
		return true, nil
	case logEndMsg:
		if d.logStream == nil || msg.id != d.logStream.ID() {
			return true, nil
		}
		if msg.err != nil && msg.err != context.Canceled {
			d.logErr = msg.err
		}
		d.logDone = true
		return true, nil
	}
	if d.logStream != nil {
		if sm, ok := d.logStream.Match(msg); ok {
			if sm.Closed {
				return true, nil
			}
			d.logs = keepLog(d.logs, sm.Data)
			return true, d.logStream.Next()
		}
	}
	return false, nil
}

// defaultContainer is the container whose log tells most: the first one
// restarting or not ready, else the first app container.
func defaultContainer(det kube.Detail) string {
	for _, c := range det.Containers {
		// A failing init container holds the pod back: its log first.
		if c.Init && !c.Sidecar && (c.Restarts > 0 || (c.State == "Terminated" && c.ExitCode != 0) || (c.State == "Waiting" && c.Reason != "PodInitializing")) {
			return c.Name
		}
	}
	first := ""
	for _, c := range det.Containers {
		if c.Init && !c.Sidecar {
			continue
		}
		if first == "" {
			first = c.Name
		}
		if c.Restarts > 0 || !c.Ready {
			return c.Name
		}
	}
	return first
}

func (d *detail) key(k tea.KeyMsg, keys KeyMap) tea.Cmd {
	switch {
	case key.Matches(k, keys.Previous):
		d.previous = !d.previous
		if d.previous {
			d.follow = false // a terminated container's log does not grow
		}
		return d.startLogs()
	case key.Matches(k, keys.Follow):
		d.follow = !d.follow
		if d.follow {
			d.previous = false
		}
		return d.startLogs()
	case key.Matches(k, keys.Container):
		names := []string{}
		for _, c := range d.d.Containers {
			names = append(names, c.Name)
		}
		for i, n := range names {
			if n == d.container && len(names) > 1 {
				d.container = names[(i+1)%len(names)]
				return d.startLogs()
			}
		}
		return nil
	}
	d.scroll.Handle(k, keys.NavKeys, max(len(d.lines(d.w))-d.h+1, 1), max(d.h, 1))
	return nil
}

// lines is the detail's body: state, containers, events, log.
func (d *detail) lines(width int) []string {
	st := d.c.Styles
	now := d.c.Now()
	var out []string
	add := func(s string) { out = append(out, common.Truncate(s, width)) }
	if !d.read {
		return []string{st.Muted.Render("reading pod " + sanitize.Line(d.name) + "…")}
	}
	if !d.found {
		add(st.Warn.Render("pod " + sanitize.Line(d.ns+"/"+d.name) + " is gone (deleted or replaced) · esc goes back"))
	} else {
		if d.gone {
			add(st.Warn.Render("pod " + sanitize.Line(d.ns+"/"+d.name) + " is gone (deleted or replaced): its last known state · esc goes back"))
		}
		p := d.d.Pod
		head := fmt.Sprintf("%s · %s · %d/%d ready · %s · restarts %s · node %s", sanitize.Line(p.Namespace), sanitize.Line(p.Name), p.Ready, p.Total,
			sanitize.Line(p.Status), p.RestartsText(now), sanitize.Line(orNone(p.Node)))
		add(st.Bold.Render(head))
		if d.d.Reason != "" || d.d.Message != "" {
			add(st.Warn.Render(sanitize.Line(strings.TrimSpace(d.d.Reason + " " + d.d.Message))))
		}
		if dep := d.dep; dep != nil {
			add("")
			add(st.Table.Header.Render("DEPLOYMENT " + sanitize.Line(dep.Name) + " · rollout " + sanitize.Line(dep.Rollout())))
			add(st.Muted.Render(fmt.Sprintf("  %-9s %-28s %-7s %-8s %s", "REVISION", "IMAGE", "AGE", "REPLICAS", "CHANGE-CAUSE")))
			for i, r := range dep.History {
				if i == 5 {
					add(st.Muted.Render(fmt.Sprintf("  … %d older revisions", len(dep.History)-i)))
					break
				}
				mark := " "
				if r.Revision == dep.Revision {
					mark = "▸"
				}
				add(fmt.Sprintf("%s %-9d %-28s %-7s %-8d %s", mark, r.Revision, common.Truncate(sanitize.Line(r.Image), 28), age(now, r.Created), r.Replicas, sanitize.Line(r.ChangeCause)))
			}
		}
		add("")
		add(st.Table.Header.Render("CONTAINERS"))
		for _, c := range d.d.Containers {
			kind := ""
			switch {
			case c.Sidecar:
				kind = " (sidecar)"
			case c.Init:
				kind = " (init)"
			}
			state := c.State
			if c.Reason != "" {
				state += ": " + c.Reason
			}
			if c.State == "Terminated" {
				state += fmt.Sprintf(" (exit %d)", c.ExitCode)
			}
			if !c.Since.IsZero() {
				state += " · " + probes.Ago(now, c.Since)
			}
			line := fmt.Sprintf("%s%s  %s  ready=%t  restarts=%d  %s", sanitize.Line(c.Name), kind, sanitize.Line(c.Image), c.Ready, c.Restarts, sanitize.Line(state))
			if c.State == "Running" && c.Ready {
				add(line)
			} else {
				add(st.Bad.Render(line))
			}
			if c.Message != "" {
				add("    " + sanitize.Line(c.Message))
			}
			if t := c.Last; t != nil {
				last := fmt.Sprintf("    last termination: %s, exit code %d", orNone(t.Reason), t.ExitCode)
				if t.Signal != 0 {
					last += fmt.Sprintf(", signal %d", t.Signal)
				}
				if !t.FinishedAt.IsZero() {
					last += ", " + probes.Ago(now, t.FinishedAt) + " (" + t.FinishedAt.Local().Format("15:04:05") + ")"
				}
				add(st.Warn.Render(sanitize.Line(last)))
				if t.Message != "" {
					add("    " + sanitize.Line(t.Message))
				}
			}
		}
		add("")
		add(st.Table.Header.Render(fmt.Sprintf("EVENTS (newest %d)", kube.MaxEvents)))
		if len(d.d.Events) == 0 {
			add(st.Muted.Render("no events (they expire after an hour; or events are forbidden: see the list's warnings)"))
		}
		for _, e := range d.d.Events {
			line := fmt.Sprintf("%-8s %-8s %-18s %s", probes.Ago(now, e.Last), sanitize.Line(e.Type), sanitize.Line(e.Reason), sanitize.Line(e.Message))
			if e.Count > 1 {
				line += fmt.Sprintf(" (x%d)", e.Count)
			}
			if e.Type == "Warning" {
				add(st.Warn.Render(line))
			} else {
				add(line)
			}
		}
	}
	add("")
	which := "current"
	if d.previous {
		which = "previous (the last crash)"
	}
	mode := ""
	switch {
	case d.follow && d.logDone:
		mode = " · the followed stream ended (the container exited?) · f twice follows again"
	case d.follow:
		mode = " · following"
	}
	add(st.Table.Header.Render(fmt.Sprintf("LOG %s · %s container · last %d lines%s", sanitize.Line(orNone(d.container)), which, LogLines, mode)))
	if d.logs.Dropped > 0 {
		add(st.Muted.Render(fmt.Sprintf("… %d earlier lines not kept", d.logs.Dropped)))
	}
	for _, l := range d.logs.Lines {
		add(sanitize.Line(l))
	}
	switch {
	case d.logErr != nil:
		add(st.Bad.Render("log: " + probes.ErrorText(d.logErr)))
	case d.logDone && len(d.logs.Lines) == 0:
		add(st.Muted.Render("(empty log)"))
	case !d.logDone && len(d.logs.Lines) == 0:
		add(st.Muted.Render("reading the log…"))
	}
	return out
}

func orNone(s string) string {
	if s == "" {
		return "<none>"
	}
	return s
}

// view draws the body from the scroll offset; a followed log keeps its
// newest lines in sight.
func (d *detail) view(width, height int) string {
	lines := d.lines(width)
	maxOff := max(len(lines)-height, 0)
	off := min(d.scroll.Pos, maxOff)
	if d.follow {
		off = maxOff
	}
	end := min(off+height, len(lines))
	return strings.Join(lines[off:end], "\n")
}
