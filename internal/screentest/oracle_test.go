package screentest

import (
	"bytes"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/charmbracelet/x/ansi"

	tea "github.com/charmbracelet/bubbletea"
	"github.com/charmbracelet/lipgloss"
)

// frames is a model that shows each of its views in turn, one per key,
// and quits after the last.
type frames struct {
	views []string
	i     int
}

func (m *frames) Init() tea.Cmd { return nil }

func (m *frames) Update(msg tea.Msg) (tea.Model, tea.Cmd) {
	if _, ok := msg.(tea.KeyMsg); ok {
		m.i++
		if m.i >= len(m.views) {
			m.i = len(m.views) - 1
			return m, tea.Quit
		}
	}
	return m, nil
}

func (m *frames) View() string { return m.views[m.i] }

// render runs views through bubbletea's real standard renderer (alt
// screen, as warroom starts it) and returns what it wrote. Each view is
// shown until the renderer has flushed it (its first word is on the
// output), then the screen is cleared and resized before the next, so
// every path of the renderer is taken.
func render(t *testing.T, views ...string) []byte {
	t.Helper()
	out := &syncBuffer{}
	p := tea.NewProgram(&frames{views: views},
		tea.WithAltScreen(), tea.WithOutput(out), tea.WithInput(nil), tea.WithoutSignalHandler())
	go func() {
		p.Send(tea.WindowSizeMsg{Width: 40, Height: 10})
		for i, v := range views {
			word := strings.Fields(ansi.Strip(v))[0]
			out.waitFor(word)
			if i%2 == 1 {
				p.Send(tea.ClearScreen())
			}
			p.Send(tea.WindowSizeMsg{Width: 40 - i, Height: 10})
			p.Send(tea.KeyMsg{Type: tea.KeyEnter})
		}
	}()
	if _, err := p.Run(); err != nil {
		t.Fatal(err)
	}
	return out.bytes()
}

// syncBuffer is the renderer's output, readable while it writes.
type syncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (s *syncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

func (s *syncBuffer) bytes() []byte {
	s.mu.Lock()
	defer s.mu.Unlock()
	return bytes.Clone(s.b.Bytes())
}

// waitFor polls until the output shows word; it gives up after a while
// (the test then covers fewer paths, which TestCheckPassesRendererOutput
// reports) rather than hang.
func (s *syncBuffer) waitFor(word string) {
	for range 500 {
		if strings.Contains(ansi.Strip(string(s.bytes())), word) {
			return
		}
		time.Sleep(10 * time.Millisecond)
	}
}

// box is a styled frame like warroom's panes: colours, borders, padding.
func box(text string) string {
	r := lipgloss.NewRenderer(nil)
	r.SetColorProfile(2) // termenv.ANSI256: SGR colours even on a buffer
	return r.NewStyle().Border(lipgloss.RoundedBorder()).Foreground(lipgloss.Color("208")).Bold(true).Width(30).Render(text)
}

// The renderer's own output passes: the oracle's allowlist is derived from
// it, and this keeps them together when bubbletea changes.
func TestCheckPassesRendererOutput(t *testing.T) {
	out := render(t,
		box("first\nframe"),
		box("second frame, longer\nwith\nmore\nlines"),
		"short line", // fewer lines: erase below; shorter lines: erase right
		box("P1 ⏱ 0:51 👩‍💻 ❤️ 日本語 café"),
		strings.Repeat("wide line that is truncated by the renderer ", 3),
	)
	// The paths the allowlist covers were taken.
	for _, seq := range []string{"\x1b[?1049h", "\x1b[2J", "\x1b[H", "\x1b[K", "\x1b[J", "\r\n", "\x1b[?1049l"} {
		if !bytes.Contains(out, []byte(seq)) {
			t.Errorf("the renderer wrote no %q: the test no longer covers it", seq)
		}
	}
	AssertClean(t, out)
}

// A warroom-like stream: startup queries, a frame, stderr text, an exit
// message.
func TestCheckPassesStartupAndExit(t *testing.T) {
	out := "warroom: journal: torn last line skipped\r\n" +
		"\x1b]11;?\x1b\\\x1b[6n\x1b[?25l\x1b[?1049h\x1b[2J\x1b[H\x1b[?25l\x1b[?2004h" +
		"\x1b[H\r\x1b[1;38;5;232mP1\x1b[0m title\x1b[K\r\n\n\x1b[38;5;240m│\x1b[0m x\x1b[K\x1b[J\x1b[3;H" +
		"\x1b[H\n\nchanged\x1b[K\x1b[3;H" +
		"\x1b[2K\r\x1b[?2004l\x1b[?25h\x1b[?1002l\x1b[?1003l\x1b[?1006l\x1b[?1049l\x1b[?25h" +
		"journal: /tmp/j.jsonl\r\nresume:  warroom --journal /tmp/j.jsonl\r\n"
	AssertClean(t, []byte(out))
}

// Each forbidden family, spliced into a line of the real renderer's
// output as unsanitized text would reach it, is caught: the oracle can
// fail.
func TestCheckCatchesInjection(t *testing.T) {
	cases := map[string]string{
		"OSC 0 title":          "\x1b]0;pwned\a",
		"OSC 2 title (ST)":     "\x1b]2;pwned\x1b\\",
		"OSC 52 clipboard":     "\x1b]52;c;Y3VybCBldmlsLnNo\a",
		"OSC 8 hyperlink":      "\x1b]8;;https://evil.example\x1b\\click\x1b]8;;\x1b\\",
		"OSC 11 query":         "\x1b]11;?\a",
		"DCS":                  "\x1bPq#0;2;0;0;0\x1b\\",
		"APC":                  "\x1b_Gf=100;AAAA\x1b\\",
		"PM":                   "\x1b^privacy\x1b\\",
		"SOS":                  "\x1bXstring\x1b\\",
		"CSI 2J":               "\x1b[2J",
		"CSI H":                "\x1b[H",
		"CSI 10;10H":           "\x1b[10;10H",
		"CSI 3;H":              "\x1b[3;H",
		"CSI A up":             "\x1b[3A",
		"CSI 6n":               "\x1b[6n",
		"CSI mouse mode":       "\x1b[?1000h",
		"CSI alt screen off":   "\x1b[?1049l",
		"CSI scroll region":    "\x1b[1;3r",
		"CSI K mid-line":       "\x1b[K",
		"CSI 2K":               "\x1b[2K",
		"ESC 7 save cursor":    "\x1b7",
		"ESC c reset":          "\x1bc",
		"lone ESC":             "\x1b",
		"raw 8-bit CSI 0x9b":   "\x9b2J",
		"raw 8-bit OSC 0x9d":   "\x9d0;pwned\a",
		"U+009B in UTF-8":      "\u009b2J",
		"invalid UTF-8":        "\xff\xfe",
		"BEL":                  "\a",
		"BS":                   "\b\b\b",
		"TAB":                  "\t",
		"CR":                   "\roverwrite",
		"LF mid-line":          "\nnext",
		"CRLF mid-line":        "\r\nextra line",
		"DEL":                  "\x7f",
		"bidi override U+202E": "\u202egnp.exe",
		"bidi isolate U+2066":  "\u2066x\u2069",
	}
	clean := render(t, box("ok"), box("before after\nsecond line"))
	at := bytes.Index(clean, []byte("before ")) + len("before ")
	if at < len("before ") {
		t.Fatalf("the renderer did not draw the line: %q", clean)
	}
	for name, bad := range cases {
		t.Run(name, func(t *testing.T) {
			out := append(append(bytes.Clone(clean[:at]), bad...), clean[at:]...)
			if vs := Check(out); len(vs) == 0 {
				t.Errorf("Check passed %q in a frame's line", bad)
			}
		})
	}
}

// The oracle judges each byte once, with the state from the start:
// CheckSince reports only what comes after the mark.
func TestCheckSince(t *testing.T) {
	clean := render(t, box("clean"))
	out := append(bytes.Clone(clean), []byte("\x1b]0;late\a")...)
	if vs := CheckSince(out, len(clean)); len(vs) != 1 {
		t.Fatalf("CheckSince after the clean part = %v, want the one OSC", vs)
	}
	bad := append([]byte("\x1b]0;early\a"), clean...)
	if vs := CheckSince(bad, 12); len(vs) != 0 {
		t.Errorf("CheckSince after the OSC = %v, want none", vs)
	}
	if vs := Check(bad); len(vs) != 1 || vs[0].Offset != 0 {
		t.Errorf("Check = %v, want the OSC at 0", vs)
	}
}

// AssertClean fails, and says where.
func TestAssertCleanFails(t *testing.T) {
	rec := &recorder{TB: t}
	AssertClean(rec, []byte("\x1b[?1049h\x1b[H\rtitle \x1b]2;pwned\a here\x1b[1;H"))
	if !rec.failed || !strings.Contains(rec.msg, "OSC 2") || !strings.Contains(rec.msg, "title ") {
		t.Errorf("AssertClean did not fail naming the OSC and its place: failed=%v %q", rec.failed, rec.msg)
	}
}

type recorder struct {
	testing.TB
	failed bool
	msg    string
}

func (r *recorder) Helper() {}
func (r *recorder) Error(args ...any) {
	r.failed = true
	for _, a := range args {
		r.msg += a.(string)
	}
}
