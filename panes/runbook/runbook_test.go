package runbook

import (
	"io"
	"strings"
	"testing"
	"time"

	"github.com/charmbracelet/bubbles/key"
	tea "github.com/charmbracelet/bubbletea"
	"github.com/charmbracelet/lipgloss"
	"github.com/muesli/termenv"

	"github.com/warroom-dev/warroom/runbooks"
	"github.com/warroom-dev/warroom/tui/common"
	"github.com/warroom-dev/warroom/tui/styles"
)

func keys(m *Model, s string) {
	for _, r := range s {
		m.Update(tea.KeyMsg{Type: tea.KeyRunes, Runes: []rune{r}})
	}
}

func TestSearchBySymptomThenOpen(t *testing.T) {
	books, err := runbooks.Shipped()
	if err != nil {
		t.Fatal(err)
	}
	r := lipgloss.NewRenderer(io.Discard)
	r.SetColorProfile(termenv.Ascii)
	m := New(common.Common{Styles: styles.New(r, styles.DefaultTheme()), Now: time.Now}, runbooks.NewIndex(books), Config{})
	m.SetSize(40, 30)
	keys(m, "/")
	if !m.Capturing() {
		t.Fatal("/ should open the search field and capture keys")
	}
	keys(m, "pool exhausted")
	if !strings.Contains(m.View(), "▸ Database Connection Issues") {
		t.Fatalf("top match:\n%s", m.View())
	}
	m.Update(tea.KeyMsg{Type: tea.KeyEnter})
	if m.Capturing() || m.Title() != "Runbook · Database Connection Issues" {
		t.Fatalf("enter should open the match, title %q", m.Title())
	}
	keys(m, "t") // the full text, rather than the steps
	if !strings.Contains(m.View(), "Connection refused") {
		t.Errorf("runbook body not shown:\n%s", m.View())
	}
	m.Update(tea.KeyMsg{Type: tea.KeyEsc}) // from the text to the steps
	if m.Title() != "Runbook · Database Connection Issues" || !strings.Contains(m.View(), "1 Check database status") {
		t.Fatalf("esc in the text should go back to the steps:\n%s", m.View())
	}
	m.Update(tea.KeyMsg{Type: tea.KeyEsc})
	if m.Title() != "Runbooks" {
		t.Errorf("esc should go back to the list, title %q", m.Title())
	}
}

// Outside the search field its keys are off: tab must reach the shell.
func TestSearchKeysOnlyWhileTyping(t *testing.T) {
	m := New(common.Common{Now: time.Now}, runbooks.NewIndex(nil), Config{})
	tab := tea.KeyMsg{Type: tea.KeyTab}
	for _, col := range m.FullHelp() {
		if key.Matches(tab, col...) {
			t.Fatal("the pane claims tab while not typing")
		}
	}
}
