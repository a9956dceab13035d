package tui

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync/atomic"
	"time"

	"github.com/charmbracelet/bubbles/key"
	tea "github.com/charmbracelet/bubbletea"

	"github.com/warroom-dev/warroom/incident"
	"github.com/warroom-dev/warroom/incident/report"
	"github.com/warroom-dev/warroom/internal/sanitize"
	"github.com/warroom-dev/warroom/tui/common"
	"github.com/warroom-dev/warroom/tui/styles"
)

// ---- vital signs and evidence ------------------------------------------------

// DefaultEvidenceAfter is how long after an action ends its evidence (the
// vital signs then) is recorded, unless Options.EvidenceAfter says.
const DefaultEvidenceAfter = 5 * time.Minute

// vitalsBoard is the latest VitalsMsg of each pane. It is changed on the
// UI goroutine only; the snapshot it publishes is immutable, so an
// action's goroutine may read it (its finished event records the vitals
// when it ended) without touching the model.
type vitalsBoard struct {
	seq  map[string]uint64
	by   map[string][]incident.Vital
	snap atomic.Pointer[[]incident.Vital]
}

func newVitalsBoard() *vitalsBoard {
	return &vitalsBoard{seq: map[string]uint64{}, by: map[string][]incident.Vital{}}
}

// set keeps msg if it is its source's newest.
func (b *vitalsBoard) set(msg common.VitalsMsg) {
	if seq, ok := b.seq[msg.Source]; ok && msg.Seq <= seq {
		return
	}
	b.seq[msg.Source] = msg.Seq
	b.by[msg.Source] = slices.Clone(msg.Vitals)
	sources := make([]string, 0, len(b.by))
	for s := range b.by {
		sources = append(sources, s)
	}
	slices.Sort(sources)
	var all []incident.Vital
	for _, s := range sources {
		all = append(all, b.by[s]...)
	}
	b.snap.Store(&all)
}

// Snapshot is every pane's latest vitals, by source name then in the
// pane's order; nil before any pane sent one. Safe from any goroutine.
func (b *vitalsBoard) Snapshot() []incident.Vital {
	if b == nil {
		return nil
	}
	if p := b.snap.Load(); p != nil {
		return *p
	}
	return nil
}

// followup is an action whose evidence is due.
type followup struct {
	startedID string
	title     string
	before    []incident.Vital
	ended     time.Time
	due       time.Time
}

// wantsEvidence reports whether an action gets an evidence event: what a
// pane does changes the world by definition; a runbook step only if it
// is destructive (a "check pod status" changes nothing to measure); a
// notification never.
func wantsEvidence(a common.Action) bool {
	return a.Kind != incident.ActionNotify && (a.Step == "" || a.Destructive)
}

// followUp schedules r's evidence, once it ended at ended.
func (m *Model) followUp(r *running, ended time.Time) {
	if !wantsEvidence(r.action) {
		return
	}
	m.followups = append(m.followups, followup{startedID: r.id, title: r.action.Title, before: r.before,
		ended: ended, due: ended.Add(m.evidenceAfter)})
}

// dueEvidence records the evidence of every follow-up that is due at now.
func (m *Model) dueEvidence(now time.Time) tea.Cmd {
	var cmds []tea.Cmd
	keep := m.followups[:0:0]
	for _, f := range m.followups {
		if now.Before(f.due) {
			keep = append(keep, f)
			continue
		}
		ev := incident.Evidence(common.SystemActor, f.startedID, f.title, f.before, m.vitals.Snapshot(), f.ended, now)
		cmds = append(cmds, common.RecordEvent(m.c.Journal, ev))
	}
	m.followups = keep
	return tea.Batch(cmds...)
}

// ---- the report --------------------------------------------------------------

// exportDialog asks for what only people know (the summary, the root
// cause, the impact, the resolution), prefilled with what the timeline
// already says, then records what changed as notes marked for the
// report and writes it.
func (m *Model) exportDialog() tea.Cmd {
	s := m.session
	fields := []common.Field{
		{Name: incident.SectionSummary, Label: "Summary (2–3 sentences)", Multiline: true, MaxLen: noteLimit},
		{Name: incident.SectionRootCause, Label: "Root cause", Multiline: true, MaxLen: noteLimit},
		{Name: incident.SectionImpact, Label: "Impact (users affected, revenue, SLA)", Multiline: true, MaxLen: noteLimit},
		{Name: incident.SectionResolution, Label: "Resolution", Multiline: true, MaxLen: noteLimit},
	}
	for i := range fields {
		fields[i].Default = s.Section(fields[i].Name)
		fields[i].Placeholder = "optional: left empty, the report keeps a prompt to fill in"
	}
	c, j, path, o := m.c, m.c.Journal, m.journalPath, m.reportOptions
	return common.Input(common.InputRequest{
		Title:  "Export the incident report",
		Fields: fields,
		OnSubmit: func(v map[string]string) tea.Cmd {
			var notes []incident.Event
			for _, f := range fields {
				if text := strings.TrimSpace(v[f.Name]); text != "" && text != strings.TrimSpace(f.Default) {
					notes = append(notes, incident.SectionNote(c.Actor, f.Name, text, c.Now()))
				}
			}
			return func() tea.Msg {
				var recorded []common.EventMsg
				for _, ev := range notes {
					msg := common.RecordEvent(j, ev)().(common.EventMsg)
					if msg.Err != nil {
						if len(recorded) == 0 {
							return msg // the dialog keeps the text and says why
						}
						break
					}
					recorded = append(recorded, msg)
				}
				return exportMsg{recorded: recorded, written: writeReport(path, o, c.Now())}
			}
		},
	})
}

// exportMsg is the export's outcome: the notes it recorded, then the files.
type exportMsg struct {
	recorded []common.EventMsg
	written  reportWritten
}

// reportWritten says where the report and the drafts went, or why not.
type reportWritten struct {
	path   string
	lines  int
	drafts []report.Draft
	paths  []string // each draft's file
	err    error
}

// writeReport writes the report of the journal at path (read back from
// disk: the report is the journal's, as `warroom report` would write
// it) and the drafts beside it. It runs in a Cmd.
func writeReport(journal string, o report.Options, now time.Time) reportWritten {
	if journal == "" {
		return reportWritten{err: errors.New("this session has no journal file to write a report from")}
	}
	events, skipped, err := incident.ReadFile(journal)
	if err != nil {
		return reportWritten{err: err}
	}
	o.Skipped = skipped
	out := report.DefaultPath(journal)
	md := report.Markdown(events, o)
	if err := writeFileAtomic(out, md); err != nil {
		return reportWritten{err: err}
	}
	w := reportWritten{path: out, lines: strings.Count(string(md), "\n"), drafts: report.Drafts(events, o, now)}
	for _, d := range w.drafts {
		p := report.DraftPath(out, d.Name)
		if err := writeFileAtomic(p, []byte(d.Text)); err != nil {
			w.err = err
			return w
		}
		w.paths = append(w.paths, p)
	}
	return w
}

// writeFileAtomic writes data to path through a temporary file renamed
// over it: a report being rewritten is never seen half written.
func writeFileAtomic(path string, data []byte) error {
	f, err := os.CreateTemp(filepath.Dir(path), "."+filepath.Base(path)+".*")
	if err != nil {
		return err
	}
	defer os.Remove(f.Name())
	if _, err := f.Write(data); err != nil {
		f.Close()
		return err
	}
	if err := f.Sync(); err != nil {
		f.Close()
		return err
	}
	if err := f.Close(); err != nil {
		return err
	}
	if err := os.Chmod(f.Name(), 0o644); err != nil {
		return err
	}
	return os.Rename(f.Name(), path)
}

// exported folds the notes the export recorded and shows where it went.
func (m *Model) exported(msg exportMsg) tea.Cmd {
	var cmds []tea.Cmd
	for _, ev := range msg.recorded {
		cmds = append(cmds, m.recorded(ev))
	}
	w := msg.written
	if w.err != nil && w.path == "" {
		m.setFlash("report not written: "+incident.Clean(w.err.Error()), true)
		return tea.Batch(cmds...)
	}
	m.pushModal(&draftsModal{st: m.c.Styles, keys: m.dialogKeys, w: w, copy: m.clipboard})
	return tea.Batch(cmds...)
}

// addSectionNote asks for a lesson learned or an action item: a note
// marked for that section of the report.
func (m *Model) addSectionNote(section, title, label string) tea.Cmd {
	c := m.c
	return common.Input(common.InputRequest{
		Title:  title,
		Fields: []common.Field{{Name: "text", Label: label, Multiline: true, MaxLen: noteLimit, Validate: nonEmpty}},
		OnSubmit: func(v map[string]string) tea.Cmd {
			return common.RecordEvent(c.Journal, incident.SectionNote(c.Actor, section, v["text"], c.Now()))
		},
	})
}

// ---- the drafts dialog -------------------------------------------------------

// draftsModal says where the report went and shows the communication
// drafts, one at a time (tab switches); c copies the one shown to the
// clipboard through OSC 52.
type draftsModal struct {
	st     *styles.Styles
	keys   DialogKeyMap
	w      reportWritten
	copy   func(string) tea.Cmd
	tab    int
	off    int
	notice string
	sw, sh int
}

// copiedMsg says whether a copy reached the terminal.
type copiedMsg struct {
	what string
	err  error
}

func (d *draftsModal) SetSize(w, h int) {
	d.sw, d.sh = w, h
	d.off = min(d.off, d.layout().maxOff(d.st.Dialog.Box, d.inner(), h))
}

func (d *draftsModal) inner() int { return dialogInner(d.sw, 90) }

func (d *draftsModal) Update(msg tea.Msg) (modal, tea.Cmd, bool) {
	if c, ok := msg.(copiedMsg); ok {
		if c.err != nil {
			d.notice = "not copied: " + incident.Clean(c.err.Error())
		} else {
			d.notice = "copied " + c.what + " (OSC 52: in tmux, `set -g set-clipboard on`)"
		}
		return d, nil, false
	}
	k, ok := msg.(tea.KeyMsg)
	if !ok {
		return d, nil, false
	}
	switch {
	case key.Matches(k, d.keys.Close, d.keys.Hide):
		return d, nil, true
	// Scrolling first: ↓ is also Next's, and here it scrolls.
	case key.Matches(k, d.keys.ScrollDown):
		d.off = min(d.off+1, d.layout().maxOff(d.st.Dialog.Box, d.inner(), d.sh))
	case key.Matches(k, d.keys.ScrollUp):
		d.off = max(d.off-1, 0)
	case key.Matches(k, d.keys.Next) && len(d.w.drafts) > 0:
		d.tab, d.off, d.notice = (d.tab+1)%len(d.w.drafts), 0, ""
	case key.Matches(k, d.keys.Prev) && len(d.w.drafts) > 0:
		d.tab, d.off, d.notice = (d.tab+len(d.w.drafts)-1)%len(d.w.drafts), 0, ""
	case key.Matches(k, d.keys.Copy) && len(d.w.drafts) > 0:
		return d, d.copy(d.w.drafts[d.tab].Text), false
	}
	return d, nil, false
}

func (d *draftsModal) layout() dialogLayout {
	inner := d.inner()
	w := d.w
	head := []string{d.st.Dialog.Title.Render("Incident report written")}
	head = append(head, wrapHard(fmt.Sprintf("%s (%d lines)", sanitize.Line(w.path), w.lines), inner)...)
	for _, p := range w.paths {
		head = append(head, wrapHard(sanitize.Line(p), inner)...)
	}
	if w.err != nil {
		for _, l := range wrapLines("drafts not saved: "+incident.Clean(w.err.Error()), inner) {
			head = append(head, d.st.Bad.Render(l))
		}
	}
	var body []string
	if len(w.drafts) > 0 {
		var tabs []string
		for i, dr := range w.drafts {
			t := " " + dr.Title + " "
			if i == d.tab {
				t = d.st.Dialog.Title.Render("[" + dr.Title + "]")
			}
			tabs = append(tabs, t)
		}
		head = append(head, "", strings.Join(tabs, "  "))
		for _, l := range strings.Split(sanitize.Text(w.drafts[d.tab].Text), "\n") {
			body = append(body, wrapLines(l, inner)...)
		}
	}
	next := key.NewBinding(key.WithKeys("tab"), key.WithHelp("tab", "next draft"))
	hint := hints(next, relabel(d.keys.Copy, "copy this draft"), relabel(d.keys.Close, "close"))
	if d.notice != "" {
		hint = d.notice + "\n" + hint
	}
	return dialogLayout{head: head, body: body, off: d.off, hint: hint, scroll: scrollHint(d.keys)}
}

func (d *draftsModal) View(width, height int) string {
	return d.layout().render(d.st, d.st.Dialog.Box, d.inner(), height)
}

// clipboard returns a Cmd that sets the terminal's clipboard to text.
func (m *Model) clipboard(text string) tea.Cmd {
	set := m.setClipboard
	if set == nil {
		return func() tea.Msg {
			return copiedMsg{err: errors.New("this console cannot reach the terminal's clipboard")}
		}
	}
	return func() tea.Msg {
		n := len([]rune(text))
		return copiedMsg{what: fmt.Sprintf("%d characters", n), err: set(text)}
	}
}
