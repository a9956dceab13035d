package screentest

import (
	"strings"
	"testing"
	"time"
)

// The Term runs the real binary and reports its exit status and output.
func TestTermVersionAndUsageError(t *testing.T) {
	term := Start(t, Options{Args: []string{"version"}})
	if err := term.WaitFor("warroom ", 30*time.Second); err != nil {
		t.Fatal(err)
	}
	if code, err := term.Wait(30 * time.Second); err != nil || code != 0 {
		t.Errorf("warroom version: exit %d, %v; want 0", code, err)
	}

	bad := Start(t, Options{Args: []string{"extra", "arguments"}})
	if code, err := bad.Wait(30 * time.Second); err != nil || code != 2 {
		t.Errorf("warroom extra arguments: exit %d, %v; want 2 (a usage error)", code, err)
	}
	if out := string(bad.Output()); !strings.Contains(out, "warroom:") {
		t.Errorf("no error message on the terminal: %q", out)
	}
	AssertClean(t, bad.Output())
}

// A key name is its terminal byte sequence; anything else is sent as is.
func TestKeyBytes(t *testing.T) {
	for k, want := range map[string]string{
		"enter": "\r", "esc": "\x1b", "ctrl+c": "\x03", "ctrl+l": "\x0c", "up": "\x1b[A",
		"shift+tab": "\x1b[Z", "q": "q", "ctrl+": "ctrl+", "\x1b[200~x\x1b[201~": "\x1b[200~x\x1b[201~",
	} {
		if got := keyBytes(k); got != want {
			t.Errorf("keyBytes(%q) = %q, want %q", k, got, want)
		}
	}
}
