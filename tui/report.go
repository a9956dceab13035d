package tui

import (
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"io/fs"
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
	incident.Awaiting
	due   time.Time
	tries int
}

const (
	// settle is how long a console that starts gives its panes to
	// measure before it takes the evidence its last run left pending.
	settle = 30 * time.Second
	// staleEvidence: an action that ended longer ago than this when a
	// console starts gets no evidence (the numbers then say nothing of it).
	staleEvidence = time.Hour
	// retryEvidence is when evidence whose write failed is tried again.
	retryEvidence = 30 * time.Second
)

// followUp schedules r's evidence, once it ended at ended, how.
func (m *Model) followUp(r *running, outcome string, ended time.Time) {
	f := incident.ActionFields{Executed: true, Kind: r.action.Kind, Step: r.action.Step, Destructive: r.action.Destructive}
	if !incident.WantsEvidence(f) {
		return
	}
	m.followups = append(m.followups, followup{due: ended.Add(m.evidenceAfter),
		Awaiting: incident.Awaiting{StartedID: r.id, Title: r.action.Title, Before: r.before, Ended: ended, Outcome: outcome}})
}

// pendingEvidence are the follow-ups a console that starts at now takes
// over from the journal (incident.AwaitingEvidence): actions that ended
// within staleEvidence and have no evidence yet (the console that ran
// them closed first), due when they would have been, but not before the
// panes have measured.
func pendingEvidence(awaiting map[string]incident.Awaiting, after time.Duration, now time.Time) []followup {
	var out []followup
	for _, a := range awaiting {
		if a.Ended.IsZero() || now.Sub(a.Ended) > staleEvidence {
			continue
		}
		due := a.Ended.Add(after)
		if earliest := now.Add(settle); due.Before(earliest) {
			due = earliest
		}
		out = append(out, followup{Awaiting: a, due: due})
	}
	slices.SortFunc(out, func(a, b followup) int { return a.due.Compare(b.due) })
	return out
}

// maxEvidenceTries bounds the writes of one evidence event: a journal
// that keeps failing says so itself; the quit dialog stops asking.
const maxEvidenceTries = 3

// evidenceMsg is an evidence event's write, with its follow-up to try
// again if it failed.
type evidenceMsg struct {
	rec common.EventMsg
	f   followup
}

// dueEvidence records the evidence of every follow-up that is due at now.
func (m *Model) dueEvidence(now time.Time) tea.Cmd {
	var cmds []tea.Cmd
	keep := m.followups[:0:0]
	for _, f := range m.followups {
		if now.Before(f.due) || m.session.Has(incident.EvidenceID(f.StartedID)) {
			if now.Before(f.due) {
				keep = append(keep, f)
			}
			continue
		}
		ev := incident.Evidence(common.SystemActor, f.StartedID, f.Title, f.Outcome, f.Before, m.vitals.Snapshot(), f.Ended, now)
		rec := common.RecordEvent(m.c.Journal, ev)
		cmds = append(cmds, func() tea.Msg { return evidenceMsg{rec: rec().(common.EventMsg), f: f} })
	}
	m.followups = keep
	return tea.Batch(cmds...)
}

// evidenceRecorded folds a written evidence event, or schedules it again.
func (m *Model) evidenceRecorded(msg evidenceMsg) tea.Cmd {
	if msg.rec.Err != nil && msg.f.tries+1 < maxEvidenceTries {
		msg.f.due, msg.f.tries = m.c.Now().Add(retryEvidence), msg.f.tries+1
		m.followups = append(m.followups, msg.f)
	}
	return m.recorded(msg.rec)
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
		{Name: incident.SectionImpact, Label: "Impact (users, SLA)", Multiline: true, MaxLen: noteLimit},
		{Name: incident.SectionResolution, Label: "Resolution", Multiline: true, MaxLen: noteLimit},
	}
	for i := range fields {
		fields[i].Default = s.Section(fields[i].Name)
		fields[i].Placeholder = "optional — left empty, the report asks for it"
	}
	if m.exporting {
		m.setFlash("an export is under way: its dialog comes back if it fails", false)
		return nil
	}
	m.exporting = true
	c, j, path, o := m.c, m.c.Journal, m.journalPath, m.reportOptions
	// saved is what each section says in the journal, as this dialog
	// recorded it: a retry after a failed write records only the rest.
	// Only the dialog's Cmds touch it, one after the other.
	saved := map[string]string{}
	for _, f := range fields {
		saved[f.Name] = strings.TrimSpace(f.Default)
	}
	return common.Input(common.InputRequest{
		Title:  "Export the incident report",
		Fields: fields,
		OnSubmit: func(v map[string]string) tea.Cmd {
			now := c.Now()
			return func() tea.Msg {
				var recorded []common.EventMsg
				for _, f := range fields {
					text := strings.TrimSpace(v[f.Name])
					if text == "" || text == saved[f.Name] {
						continue
					}
					msg := common.RecordEvent(j, incident.SectionNote(c.Actor, f.Name, text, now))().(common.EventMsg)
					if msg.Err != nil {
						// The dialog keeps the text, says why, and enter
						// retries; what was saved is folded meanwhile.
						return exportMsg{recorded: recorded, failed: &msg}
					}
					saved[f.Name] = text
					recorded = append(recorded, msg)
				}
				return exportMsg{recorded: recorded, written: writeReport(path, o, now)}
			}
		},
		OnCancel: func() tea.Msg { return exportMsg{cancelled: true} },
	})
}

// exportMsg is the export's outcome: the notes it recorded, then the
// files; or the note whose write failed (nothing was written then).
type exportMsg struct {
	recorded  []common.EventMsg
	failed    *common.EventMsg
	cancelled bool // the dialog was closed without exporting
	written   reportWritten
}

// reportWritten says where the report and the drafts went, or why not.
type reportWritten struct {
	path   string
	lines  int
	drafts []report.Draft
	paths  []string // each draft's file
	kept   []string // files edited since warroom wrote them, kept aside
	err    error
}

// writeReport writes the report of the journal at path (read back from
// disk: the report is the journal's, as `warroom report` would write
// it) and the drafts beside it. A file that is not what warroom last
// wrote there — someone filled in a prompt — is kept aside as
// FILE.edited-YYYYMMDD-HHMMSS[-N], never overwritten: beside each file,
// .FILE.sha256 says what was written (across restarts). It runs in a Cmd.
func writeReport(journal string, o report.Options, now time.Time) reportWritten {
	if journal == "" {
		return reportWritten{err: errors.New("this session has no journal file to write a report from")}
	}
	events, skipped, err := incident.ReadFile(journal)
	if err != nil {
		return reportWritten{err: err}
	}
	o.Skipped, o.Cleaned = skipped, true // ReadFile cleaned them
	out := report.DefaultPath(journal)
	md, drafts := report.Export(events, o, now)
	w := reportWritten{path: out, lines: strings.Count(string(md), "\n"), drafts: drafts}
	write := func(path string, data []byte) error {
		sum := filepath.Join(filepath.Dir(path), "."+filepath.Base(path)+".sha256")
		if old, err := os.ReadFile(path); err == nil {
			h := sha256.Sum256(old)
			if written, err := os.ReadFile(sum); err != nil || strings.TrimSpace(string(written)) != hex.EncodeToString(h[:]) {
				aside, err := keepAside(path, now)
				if err != nil {
					return err
				}
				w.kept = append(w.kept, aside)
			}
		}
		if err := report.WriteFile(path, data); err != nil {
			return err
		}
		h := sha256.Sum256(data)
		return report.WriteFile(sum, []byte(hex.EncodeToString(h[:])+"\n"))
	}
	if err := write(out, md); err != nil {
		w.err = err
		return w
	}
	for _, d := range w.drafts {
		p := report.DraftPath(out, d.Name)
		if err := write(p, []byte(d.Text)); err != nil {
			w.err = err
			return w
		}
		w.paths = append(w.paths, p)
	}
	return w
}

// keepAside moves path to a name no file has yet, beside it, and
// returns that name: a link made exclusively, then the old name removed.
func keepAside(path string, now time.Time) (string, error) {
	base := path + ".edited-" + now.Format("20060102-150405")
	for i := 1; i < 100; i++ {
		aside := base
		if i > 1 {
			aside = fmt.Sprintf("%s-%d", base, i)
		}
		err := os.Link(path, aside)
		if errors.Is(err, fs.ErrExist) {
			continue
		}
		if err != nil {
			return "", err
		}
		return aside, os.Remove(path)
	}
	return "", fmt.Errorf("%s: too many edited copies kept aside", path)
}

// exported folds the notes the export recorded and shows where it went.
func (m *Model) exported(msg exportMsg) tea.Cmd {
	m.exporting = false
	if msg.cancelled {
		return nil
	}
	var cmds []tea.Cmd
	for _, ev := range msg.recorded {
		cmds = append(cmds, m.recorded(ev))
	}
	w := msg.written
	if w.err != nil && (w.path == "" || w.lines == 0) {
		text := "report not written: " + incident.Clean(w.err.Error())
		if len(w.kept) > 0 {
			text += " (the edited copy is kept as " + sanitize.Line(strings.Join(w.kept, ", ")) + ")"
		}
		m.setFlash(text, true)
		return tea.Batch(cmds...)
	}
	d := &draftsModal{st: m.c.Styles, keys: m.dialogKeys, w: w}
	d.copy = func(text string) tea.Cmd { return m.clipboard(d, text) }
	m.pushModal(d)
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

// copiedMsg says whether a copy reached the terminal, to the dialog
// that asked (another may be on top by then).
type copiedMsg struct {
	dialog *draftsModal
	what   string
	err    error
}

func (d *draftsModal) SetSize(w, h int) {
	d.sw, d.sh = w, h
	d.off = min(d.off, d.layout().maxOff(d.st.Dialog.Box, d.inner(), h))
}

func (d *draftsModal) inner() int { return dialogInner(d.sw, 90) }

func (d *draftsModal) Update(msg tea.Msg) (modal, tea.Cmd, bool) {
	if c, ok := msg.(copiedMsg); ok {
		if c.dialog != d {
			return d, nil, false
		}
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
	for _, p := range w.kept {
		for _, l := range wrapLines("edited since it was written, kept as "+sanitize.Line(p), inner) {
			head = append(head, d.st.Warn.Render(l))
		}
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
			if strings.TrimSpace(l) == "" {
				body = append(body, "") // paragraphs stay apart
				continue
			}
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

// clipboard returns a Cmd that sets the terminal's clipboard to text,
// for dialog d.
func (m *Model) clipboard(d *draftsModal, text string) tea.Cmd {
	set := m.setClipboard
	if set == nil {
		return func() tea.Msg {
			return copiedMsg{dialog: d, err: errors.New("this console cannot reach the terminal's clipboard")}
		}
	}
	return func() tea.Msg {
		n := len([]rune(text))
		return copiedMsg{dialog: d, what: fmt.Sprintf("%d characters", n), err: set(text)}
	}
}

// pendingFollowups is how many follow-ups still wait for their evidence
// (not recorded meanwhile by another path).
func (m *Model) pendingFollowups() int {
	n := 0
	for _, f := range m.followups {
		if !m.session.Has(incident.EvidenceID(f.StartedID)) {
			n++
		}
	}
	return n
}
