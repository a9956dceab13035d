package tui

import (
	"fmt"

	"github.com/charmbracelet/bubbles/key"
	tea "github.com/charmbracelet/bubbletea"

	"github.com/warroom-dev/warroom/internal/sanitize"
	"github.com/warroom-dev/warroom/tui/styles"
)

// journalModal tells the whole of a journal failure: the status bar's
// badge and the footer only have room for its start. It reads the shell's
// journalHealth live, so it also says when the journal writes again.
type journalModal struct {
	st   *styles.Styles
	keys DialogKeyMap
	jh   *journalHealth
	off  int
	w, h int
}

func (m *Model) journalModal() *journalModal {
	return &journalModal{st: m.c.Styles, keys: m.dialogKeys, jh: m.jh}
}

// showJournal opens the journal dialog (from the palette).
func (m *Model) showJournal() tea.Cmd {
	m.pushModal(m.journalModal())
	return nil
}

func (j *journalModal) SetSize(w, h int) {
	j.w, j.h = w, h
	j.off = min(j.off, j.layout().maxOff(j.st.Dialog.DangerBox, j.inner(), h))
}

func (j *journalModal) inner() int { return dialogInner(j.w, 90) }

func (j *journalModal) Update(msg tea.Msg) (modal, tea.Cmd, bool) {
	return j, nil, readingKey(msg, j.keys, &j.off, func() int { return j.layout().maxOff(j.st.Dialog.DangerBox, j.inner(), j.h) })
}

// readingKey handles a key of a dialog that is only read: close, or
// scroll *off within [0, maxOff()]. done: the dialog closes.
func readingKey(msg tea.Msg, keys DialogKeyMap, off *int, maxOff func() int) (done bool) {
	k, ok := msg.(tea.KeyMsg)
	if !ok {
		return false
	}
	switch {
	case key.Matches(k, keys.Close, keys.Hide):
		return true
	case key.Matches(k, keys.ScrollDown):
		*off = min(*off+1, maxOff())
	case key.Matches(k, keys.ScrollUp):
		*off = max(*off-1, 0)
	}
	return false
}

func (j *journalModal) layout() dialogLayout {
	inner := j.inner()
	jh := j.jh
	title := "The journal is failing: nothing new is saved"
	var body []string
	if jh.err == "" {
		title = "The journal is writing again"
		body = append(body, wrapLines(fmt.Sprintf("%d event(s) could not be recorded while it failed; everything since is on disk.", jh.lost), inner)...)
	} else {
		body = append(body, wrapLines(fmt.Sprintf("%d event(s) not recorded since %s. They are not on the timeline.", jh.lost, jh.since.Format("15:04:05")), inner)...)
		body = append(body, "")
		for _, l := range wrapLines(jh.err, inner) {
			body = append(body, j.st.Bad.Render(l))
		}
		body = append(body, "")
		body = append(body, wrapLines("Text typed into a dialog stays in it: enter there retries. Free space or fix the file; the next write that succeeds clears this.", inner)...)
	}
	if jh.path != "" {
		body = append(body, "")
		body = append(body, wrapHard("Journal: "+sanitize.Line(jh.path), inner)...)
	}
	return dialogLayout{
		head:   []string{j.st.Dialog.Title.Render(title)},
		body:   body,
		off:    j.off,
		hint:   hints(relabel(j.keys.Close, "close"), relabel(j.keys.Hide, "close")),
		scroll: scrollHint(j.keys),
	}
}

func (j *journalModal) View(width, height int) string {
	return j.layout().render(j.st, j.st.Dialog.DangerBox, j.inner(), height)
}
