package tui_test

import (
	"os"
	"strings"
	"testing"

	"github.com/charmbracelet/bubbles/help"

	"github.com/warroom-dev/warroom/tui"
	"github.com/warroom-dev/warroom/tui/common"
)

// The README's keys table must list every binding the program has, so the
// documentation cannot drift from the key maps either.
func TestReadmeListsEveryBinding(t *testing.T) {
	data, err := os.ReadFile("../README.md")
	if err != nil {
		t.Fatal(err)
	}
	doc := string(data)
	start := strings.Index(doc, "## Keys")
	end := strings.Index(doc, "## Flags")
	if start < 0 || end < start {
		t.Fatal("README has no '## Keys' section before '## Flags'")
	}
	section := doc[start:end]
	f := newShell(t, common.Mode{})
	maps := []help.KeyMap{tui.DefaultKeyMap(f.model.Panes()), tui.DefaultDialogKeyMap(), tui.DefaultChecklistKeyMap(9)}
	for i := 0; i < f.model.Panes(); i++ {
		maps = append(maps, f.model.Pane(i))
	}
	for _, km := range maps {
		for _, col := range km.FullHelp() {
			for _, b := range col {
				for _, k := range strings.Split(b.Help().Key, "/") {
					if k == "" { // the key "/" itself
						k = "/"
					}
					if !strings.Contains(section, "`"+k+"`") && !strings.Contains(section, "`"+b.Help().Key+"`") {
						t.Errorf("README keys table lacks `%s` (%s)", k, b.Help().Desc)
					}
				}
			}
		}
	}
}
