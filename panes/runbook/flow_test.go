package runbook_test

import (
	"bytes"
	"io"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	tea "github.com/charmbracelet/bubbletea"
	"github.com/charmbracelet/lipgloss"
	"github.com/charmbracelet/x/ansi"
	"github.com/charmbracelet/x/exp/teatest"
	"github.com/muesli/termenv"

	"github.com/warroom-dev/warroom/incident"
	"github.com/warroom-dev/warroom/panes/runbook"
	"github.com/warroom-dev/warroom/panes/timeline"
	"github.com/warroom-dev/warroom/runbooks"
	"github.com/warroom-dev/warroom/tui"
	"github.com/warroom-dev/warroom/tui/common"
	"github.com/warroom-dev/warroom/tui/styles"
)

const flowBook = `---
title: Disk Filling Up
symptoms: [disk full, no space left on device]
variables:
  - name: volume
    description: the volume to look at
    default: /var/lib/data
  - name: token
    description: an API token
    secret: true
---
# Disk Filling Up

**Investigation:**

- Count the big files
  ` + "```bash" + `
  for i in 1 2 3; do echo "scan-$i"; sleep 0.05; done
  echo "volume={volume}"
  echo "auth={token}"
  ` + "```" + `
`

// The whole flow as a person runs it, in the real shell: search, open,
// run, fill the variables, confirm, watch the output stream in, and find
// the step on the timeline — its secret nowhere on screen or on disk.
func TestSearchOpenRunFillConfirmStreamTimeline(t *testing.T) {
	dir := t.TempDir()
	if err := os.WriteFile(filepath.Join(dir, "disk.md"), []byte(flowBook), 0o600); err != nil {
		t.Fatal(err)
	}
	books, err := runbooks.Load(dir)
	if err != nil {
		t.Fatal(err)
	}
	path := filepath.Join(dir, "journal.jsonl")
	j, _, _, err := incident.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { j.Close() })
	decl, err := j.Append(incident.Declared("alice", "disk", incident.P2, time.Now()))
	if err != nil {
		t.Fatal(err)
	}
	r := lipgloss.NewRenderer(io.Discard)
	r.SetColorProfile(termenv.Ascii)
	c := common.Common{Styles: styles.New(r, styles.DefaultTheme()), Now: time.Now, Actor: "alice", Journal: j}
	m := tui.New(tui.Options{Common: c, JournalPath: path, Session: incident.Fold([]incident.Event{decl}), Panes: []tui.PaneSpec{
		{Pane: runbook.New(c, runbooks.NewIndex(books), runbook.Config{}), Tab: "Runbooks"},
		{Pane: timeline.New(c, timeline.Config{Events: []incident.Event{decl}}), Tab: "Timeline"},
	}})
	tm := teatest.NewTestModel(t, m, teatest.WithInitialTermSize(140, 40))
	t.Cleanup(func() { _ = tm.Quit() })
	wait := func(want ...string) {
		t.Helper()
		teatest.WaitFor(t, tm.Output(), func(b []byte) bool {
			plain := ansi.Strip(string(b))
			for _, w := range want {
				if !strings.Contains(plain, w) {
					return false
				}
			}
			return true
		}, teatest.WithDuration(10*time.Second), teatest.WithCheckInterval(20*time.Millisecond))
	}
	send := func(keys ...string) {
		for _, k := range keys {
			switch k {
			case "enter":
				tm.Send(tea.KeyMsg{Type: tea.KeyEnter})
			case "tab":
				tm.Send(tea.KeyMsg{Type: tea.KeyTab})
			default:
				tm.Send(tea.KeyMsg{Type: tea.KeyRunes, Runes: []rune(k)})
			}
			time.Sleep(20 * time.Millisecond)
		}
	}
	send("1", "/")
	for _, r := range "no space" {
		send(string(r))
	}
	wait("▸ Disk Filling Up")
	send("enter") // open
	wait("1 Count the big files")
	send("enter") // run: the variables dialog
	wait("volume", "/var/lib/data")
	send("tab")
	for _, r := range "tok-SECRET-42" {
		send(string(r))
	}
	send("enter") // the confirmation
	wait("echo \"volume=", "‹token›", "Disk Filling Up › Count the big files")
	send("y")
	wait("scan-3", "volume=/var/lib/data", "done")
	if err := tm.Quit(); err != nil {
		t.Fatal(err)
	}
	out := tm.FinalModel(t, teatest.WithFinalTimeout(10*time.Second)).(*tui.Model)
	if v := out.View(); strings.Contains(v, "tok-SECRET-42") {
		t.Fatalf("secret on screen:\n%s", v)
	}
	data, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	if bytes.Contains(data, []byte("tok-SECRET-42")) {
		t.Fatalf("secret in the journal:\n%s", data)
	}
	evs, _, err := incident.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	var fin *incident.Event
	for i, e := range evs {
		if e.Action != nil && e.Action.Phase == incident.PhaseFinished {
			fin = &evs[i]
		}
	}
	if fin == nil || fin.Action.ExitCode == nil || *fin.Action.ExitCode != 0 || fin.Action.Step != "Disk Filling Up › Count the big files" ||
		!strings.Contains(fin.Action.Output, "scan-1") || !strings.Contains(fin.Action.Output, "auth=‹secret›") {
		t.Fatalf("finished event %+v", fin)
	}
	if !strings.Contains(out.View(), "done: Disk Filling Up › Count the big files") {
		t.Errorf("the timeline does not show the step:\n%s", out.View())
	}
}
