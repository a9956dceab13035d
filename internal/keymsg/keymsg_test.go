package keymsg

import "testing"

// Each name comes back as bubbletea prints the key: what key.Matches
// compares with the bindings.
func TestNamesRoundTrip(t *testing.T) {
	for _, name := range []string{"enter", "esc", "tab", "shift+tab", "backspace", " ", "up", "down", "left", "right",
		"pgup", "pgdown", "home", "end", "ctrl+c", "ctrl+d", "ctrl+l", "ctrl+u", "K", "/", "é"} {
		if got := Of(name).String(); got != name {
			t.Errorf("Of(%q).String() = %q", name, got)
		}
	}
	if got := Of("space").String(); got != " " {
		t.Errorf(`Of("space") = %q, want " "`, got)
	}
}

func TestUnknownChordPanics(t *testing.T) {
	defer func() {
		if recover() == nil {
			t.Error(`Of("ctrl+x") did not panic`)
		}
	}()
	Of("ctrl+x")
}
