package main

import (
	"bytes"
	"io"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	tea "github.com/charmbracelet/bubbletea"

	"github.com/warroom-dev/warroom/incident"
	"github.com/warroom-dev/warroom/internal/drill"
	"github.com/warroom-dev/warroom/internal/sanitize"
)

// isolate gives the test its own home, config and state directories and
// no backend from the environment; it returns the default journals' folder.
func isolate(t *testing.T) string {
	t.Helper()
	root := t.TempDir()
	t.Setenv("HOME", filepath.Join(root, "home"))
	t.Setenv("XDG_CONFIG_HOME", filepath.Join(root, "config"))
	t.Setenv("XDG_STATE_HOME", filepath.Join(root, "state"))
	for _, k := range []string{"KUBECONFIG", "DATABASE_URL", "PGHOST", "PGDATABASE", "PGSERVICE", "AWS_REGION", "AWS_DEFAULT_REGION", "AWS_PROFILE", "NO_COLOR"} {
		t.Setenv(k, "")
	}
	return filepath.Join(root, "state", "warroom")
}

// headless runs the real session in process: no terminal, the screen
// thrown away, the program quit as soon as it starts.
func headless(now func() time.Time) sys {
	return sys{now: now, scriptEvery: time.Second, out: io.Discard, headless: true,
		started: func(p *tea.Program) { go p.Quit() }}
}

func fixedClock(t time.Time) func() time.Time { return func() time.Time { return t } }

// journalOf is the journal path from the exit message on stdout.
func journalOf(t *testing.T, stdout string) string {
	t.Helper()
	m := regexp.MustCompile(`(?m)^journal: (.*)$`).FindStringSubmatch(stdout)
	if m == nil {
		t.Fatalf("no journal line in the exit message %q", stdout)
	}
	return m[1]
}

func readEvents(t *testing.T, path string) []incident.Event {
	t.Helper()
	evs, skipped, err := incident.ReadFile(path)
	if err != nil || len(skipped) > 0 {
		t.Fatalf("read %s: %v, skipped %v", path, err, skipped)
	}
	return evs
}

func kinds(evs []incident.Event) []incident.Kind {
	var out []incident.Kind
	for _, e := range evs {
		out = append(out, e.Kind)
	}
	return out
}

// Issue 7 item 8: without a terminal, warroom says so and exits 2 before
// it opens, locks or creates any journal.
func TestNoTerminalDeclaresNothing(t *testing.T) {
	for _, tc := range []struct {
		name    string
		args    func(dir string) []string
		noInput bool
	}{
		{"console, default journal", func(string) []string { return nil }, false},
		{"demo, default journal", func(string) []string { return []string{"demo"} }, false},
		{"console, --journal", func(d string) []string { return []string{"--journal", filepath.Join(d, "j.jsonl")} }, false},
		{"demo, --journal, no stdin", func(d string) []string { return []string{"demo", "--journal", filepath.Join(d, "j.jsonl")} }, true},
	} {
		t.Run(tc.name, func(t *testing.T) {
			state := isolate(t)
			dir := t.TempDir()
			r, w, err := os.Pipe()
			if err != nil {
				t.Fatal(err)
			}
			defer r.Close()
			defer w.Close()
			screen, err := os.Create(filepath.Join(t.TempDir(), "screen"))
			if err != nil {
				t.Fatal(err)
			}
			defer screen.Close()
			s := osSys()
			s.in, s.out = r, screen // a pipe and a regular file: no terminal
			if tc.noInput {
				s.in = nil
			}
			s.started = func(p *tea.Program) { t.Error("the program started without a terminal"); p.Kill() }
			var out, errOut bytes.Buffer
			code := runSys(tc.args(dir), &out, &errOut, s)
			if code != 2 || !strings.Contains(errOut.String(), "not a terminal") {
				t.Fatalf("exit %d, stderr %q", code, errOut.String())
			}
			if out.Len() != 0 {
				t.Errorf("stdout: %q", out.String())
			}
			for _, d := range []string{dir, state} {
				if ents, _ := os.ReadDir(d); len(ents) > 0 {
					t.Errorf("%s holds %d file(s) (first %s): nothing may be written without a terminal", d, len(ents), ents[0].Name())
				}
			}
		})
	}
}

// The check itself: a terminal on both sides passes, anything else fails.
// /dev/ptmx (a pseudo-terminal's master side) is a terminal.
func TestTerminalCheck(t *testing.T) {
	ptm, err := os.OpenFile("/dev/ptmx", os.O_RDWR, 0)
	if err != nil {
		t.Skipf("no pseudo-terminal here: %v", err)
	}
	defer ptm.Close()
	r, w, err := os.Pipe()
	if err != nil {
		t.Fatal(err)
	}
	defer r.Close()
	defer w.Close()
	for _, c := range []struct {
		name string
		in   *os.File
		out  io.Writer
		ok   bool
	}{
		{"tty/tty", ptm, ptm, true},
		{"pipe/tty", r, ptm, false},
		{"tty/pipe", ptm, w, false},
		{"nil/tty", nil, ptm, false},
		{"tty/buffer", ptm, &bytes.Buffer{}, false},
	} {
		s := osSys()
		s.in, s.out = c.in, c.out
		if err := s.terminal(); (err == nil) != c.ok {
			t.Errorf("%s: terminal() = %v, want ok=%v", c.name, err, c.ok)
		}
	}
}

// Issue 7 item 8: two warrooms started in the same second get a journal
// each; the second neither resumes the first's incident nor changes its
// severity.
func TestTwoStartsInOneSecondGetTwoJournals(t *testing.T) {
	state := isolate(t)
	at := time.Date(2026, 3, 4, 5, 6, 7, 0, time.UTC)
	start := func(args ...string) string {
		var out, errOut bytes.Buffer
		if code := runSys(args, &out, &errOut, headless(fixedClock(at))); code != 0 {
			t.Fatalf("%q: exit %d, stderr %q", args, code, errOut.String())
		}
		return journalOf(t, out.String())
	}
	first := start("--title", "first", "--severity", "P2")
	second := start("--title", "second", "--severity", "P0")
	if first == second {
		t.Fatalf("both starts wrote to %s", first)
	}
	for path, want := range map[string]struct {
		title string
		sev   incident.Severity
	}{first: {"first", incident.P2}, second: {"second", incident.P0}} {
		if filepath.Dir(path) != state {
			t.Errorf("%s is not in the state folder %s", path, state)
		}
		// One declaration, and nothing else but the ladder's first page
		// (the escalation pane may record it before the headless program
		// quits).
		evs := readEvents(t, path)
		if len(evs)-countKind(t, path, incident.KindEscalation) != 1 || evs[0].Kind != incident.KindDeclared {
			t.Fatalf("%s: events %v, want one declaration", path, kinds(evs))
		}
		if s := incident.Fold(evs); s.Title != want.title || s.Severity != want.sev {
			t.Errorf("%s: %q %s, want %q %s", path, s.Title, s.Severity, want.title, want.sev)
		}
	}
	// The drill's default journals too.
	if a, b := start("demo"), start("demo"); a == b || !strings.HasPrefix(filepath.Base(a), "drill-20260304-050607") {
		t.Errorf("drill journals %s and %s", a, b)
	}
}

func TestNewJournalNamesAreExclusive(t *testing.T) {
	dir := t.TempDir()
	at := time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC)
	var got []string
	for range 3 {
		p, err := newJournal(dir, "incident", at)
		if err != nil {
			t.Fatal(err)
		}
		got = append(got, filepath.Base(p))
	}
	want := []string{"incident-20260102-030405.jsonl", "incident-20260102-030405-2.jsonl", "incident-20260102-030405-3.jsonl"}
	if strings.Join(got, " ") != strings.Join(want, " ") {
		t.Errorf("names %q, want %q", got, want)
	}
}

// writeIncident makes a journal holding one declared incident.
func writeIncident(t *testing.T, title string, sev incident.Severity) string {
	t.Helper()
	path := filepath.Join(t.TempDir(), "old.jsonl")
	j, _, _, err := incident.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := j.Append(incident.Declared("bob", title, sev, time.Date(2026, 3, 1, 9, 0, 0, 0, time.UTC))); err != nil {
		t.Fatal(err)
	}
	if err := j.Close(); err != nil {
		t.Fatal(err)
	}
	return path
}

// Issue 7 item 8: a new declaration (a --title of its own, or the drill)
// pointed at the journal of another incident is refused and says how to
// resume that one; resuming stays one flag away.
func TestDeclaringIntoAnotherIncidentsJournalIsRefused(t *testing.T) {
	isolate(t)
	now := fixedClock(time.Date(2026, 3, 1, 9, 30, 0, 0, time.UTC))
	for _, args := range [][]string{
		{"--title", "API 5xx spike", "--severity", "P0"},
		{"--title", "API 5xx spike"},
		{"demo"},
	} {
		path := writeIncident(t, "Payments down", incident.P2)
		var out, errOut bytes.Buffer
		code := runSys(append(args, "--journal", path), &out, &errOut, headless(now))
		msg := errOut.String()
		if code != 2 {
			t.Fatalf("%q: exit %d, stderr %q", args, code, msg)
		}
		for _, w := range []string{"already holds another incident", `"Payments down"`, "P2", "to resume it: ", "--journal " + path, "leave out --journal"} {
			if !strings.Contains(msg, w) {
				t.Errorf("%q: stderr %q lacks %q", args, msg, w)
			}
		}
		if evs := readEvents(t, path); len(evs) != 1 {
			t.Errorf("%q: the refused start wrote to the journal: %v", args, kinds(evs))
		}
	}

	// Resuming: --journal alone, or with the incident's own title.
	for _, args := range [][]string{{}, {"--title", "Payments down"}} {
		path := writeIncident(t, "Payments down", incident.P2)
		var out, errOut bytes.Buffer
		if code := runSys(append(args, "--journal", path), &out, &errOut, headless(now)); code != 0 {
			t.Fatalf("resume %q: exit %d, stderr %q", args, code, errOut.String())
		}
		// Nothing but the ladder's due steps (the escalation pane may
		// record them before the headless program quits).
		if evs := readEvents(t, path); len(evs)-countKind(t, path, incident.KindEscalation) != 1 {
			t.Errorf("resume %q wrote %v", args, kinds(evs))
		}
	}
}

// On resume, --severity on the command line is a severity change; the
// config file's severity is only the default for a new incident.
func TestResumeChangesSeverityOnlyWhenAsked(t *testing.T) {
	isolate(t)
	now := fixedClock(time.Date(2026, 3, 1, 9, 30, 0, 0, time.UTC))
	path := writeIncident(t, "Payments down", incident.P2)
	cfg := writeConfig(t, "severity: P3\n")
	var out, errOut bytes.Buffer
	if code := runSys([]string{"--config", cfg, "--journal", path}, &out, &errOut, headless(now)); code != 0 {
		t.Fatalf("exit %d, stderr %q", code, errOut.String())
	}
	// (The escalation pane may record the ladder's due steps before the
	// program quits: only a severity change is what this is about.)
	if evs := readEvents(t, path); countKind(t, path, incident.KindSeverity) != 0 || incident.Fold(evs).Severity != incident.P2 {
		t.Fatalf("the config's severity changed a resumed incident: %v", kinds(evs))
	}
	if code := runSys([]string{"--config", cfg, "--journal", path, "--severity", "P0"}, &out, &errOut, headless(now)); code != 0 {
		t.Fatalf("exit %d, stderr %q", code, errOut.String())
	}
	evs := readEvents(t, path)
	if s := incident.Fold(evs); countKind(t, path, incident.KindSeverity) != 1 || s.Severity != incident.P0 {
		t.Fatalf("--severity P0 on resume: %v, severity %s", kinds(evs), s.Severity)
	}
}

// The refusal for a drill journal says to resume it with demo.
func TestRefusalForADrillJournalResumesWithDemo(t *testing.T) {
	isolate(t)
	path := writeIncident(t, drill.Title, drill.Severity)
	var out, errOut bytes.Buffer
	code := runSys([]string{"--title", "real one", "--journal", path}, &out, &errOut, headless(time.Now))
	if code != 2 || !strings.Contains(errOut.String(), " demo --journal "+path) {
		t.Fatalf("exit %d, stderr %q", code, errOut.String())
	}
}

// A drill's journal resumed without `demo` would run the real console (real
// backends, real actions) under the drill's story: refused, with the way to
// resume it as a drill.
func TestRealConsoleRefusesADrillJournal(t *testing.T) {
	isolate(t)
	path := writeIncident(t, drill.Title, drill.Severity)
	var out, errOut bytes.Buffer
	s := headless(time.Now)
	s.started = func(p *tea.Program) { t.Error("the program started"); p.Kill() }
	code := runSys([]string{"--journal", path}, &out, &errOut, s)
	if code != 2 || !strings.Contains(errOut.String(), "is a drill's") || !strings.Contains(errOut.String(), " demo --journal "+path) {
		t.Fatalf("exit %d, stderr %q", code, errOut.String())
	}
}

// Issue 7 item 12: a journal (or the log beside it) that is not a regular
// file is refused before it is opened, exit 2, saying what it is.
func TestJournalMustBeARegularFile(t *testing.T) {
	isolate(t)
	dir := t.TempDir()
	cases := map[string]struct{ journal, want string }{
		"device":    {os.DevNull, "a character device"},
		"directory": {dir, "a directory"},
	}
	if fifo, ok := makeFIFO(t, "journal.jsonl"); ok {
		cases["fifo"] = struct{ journal, want string }{fifo, "a named pipe (FIFO)"}
	}
	if fifo, ok := makeFIFO(t, "beside.log"); ok {
		cases["fifo log"] = struct{ journal, want string }{filepath.Join(filepath.Dir(fifo), "beside.jsonl"), "the log beside it"}
	}
	for name, c := range cases {
		for _, args := range [][]string{{"--journal", c.journal}, {"demo", "--journal", c.journal}} {
			var out, errOut bytes.Buffer
			s := headless(time.Now)
			s.started = func(p *tea.Program) { t.Errorf("%s: the program started", name); p.Kill() }
			code := runSys(args, &out, &errOut, s)
			if code != 2 || !strings.Contains(errOut.String(), c.want) || !strings.Contains(errOut.String(), "not a regular file") {
				t.Errorf("%s %q: exit %d, stderr %q", name, args, code, errOut.String())
			}
		}
	}
	// The same from the config file.
	var out, errOut bytes.Buffer
	if code := run([]string{"--config", writeConfig(t, "journal: "+os.DevNull+"\n")}, &out, &errOut); code != 2 || !strings.Contains(errOut.String(), "a character device") {
		t.Errorf("journal: /dev/null in the config: exit %d, stderr %q", code, errOut.String())
	}
}

// repeatedPrefix finds "x: x:" in an error line, and a path named twice
// in a row ("config /p: open /p: …").
func repeatedPrefix(line string) string {
	segs := strings.Split(line, ": ")
	for i := 0; i+1 < len(segs); i++ {
		a, b := strings.TrimSpace(segs[i]), strings.TrimSpace(segs[i+1])
		if a == b {
			return a
		}
		fa, fb := strings.Fields(a), strings.Fields(b)
		if len(fa) > 1 && len(fb) > 1 && fa[len(fa)-1] == fb[len(fb)-1] && strings.HasPrefix(fa[len(fa)-1], "/") {
			return fa[len(fa)-1]
		}
	}
	return ""
}

func TestRepeatedPrefixCatchesDoubles(t *testing.T) {
	for _, bad := range []string{"warroom: postgres: postgres: cannot parse", "warroom: warroom: x", "warroom: config /a/b: open /a/b: no such file"} {
		if repeatedPrefix(bad) == "" {
			t.Errorf("%q not caught", bad)
		}
	}
	if p := repeatedPrefix("warroom: config /a/b: line 2: unknown key"); p != "" {
		t.Errorf("false alarm %q", p)
	}
}

// Issue 7 item 16: every error run prints is one clean line, never says a
// prefix twice ("postgres: postgres:") and never shows a password.
func TestErrorsAreOneCleanLineWithoutDoubledPrefixes(t *testing.T) {
	const pw = "Planted-pw-7"
	isolate(t)
	notDir := filepath.Join(t.TempDir(), "file")
	if err := os.WriteFile(notDir, nil, 0o600); err != nil {
		t.Fatal(err)
	}
	locked := filepath.Join(t.TempDir(), "locked.jsonl")
	j, _, _, err := incident.Open(locked)
	if err != nil {
		t.Fatal(err)
	}
	defer j.Close()
	missing := filepath.Join(t.TempDir(), "missing.yaml")
	cases := [][]string{
		{"--postgres", "postgres://u:" + pw + "@db:notaport/x"},
		{"--postgres", "host=db port=notaport password=" + pw},
		{"--prometheus", "ftp://admin:" + pw + "@prom:9090"},
		{"--kubeconfig", filepath.Join(t.TempDir(), "nope")},
		{"--rds-instance", "db1", "--region", "eu-west-1", "--profile", "no-such-profile"},
		{"--config", missing},
		{"--config", writeConfig(t, "postgres:\n  dsn: postgres://u:"+pw+"@db/x\n  dsn: again\n")},
		{"--config", writeConfig(t, "kube:\n  \"postgres://u:"+pw+"@db/x\": 1\n")},
		{"--config", writeConfig(t, "title: a\n---\ntitle: b\n")},
		{"--journal", os.DevNull},
		{"--journal", filepath.Join(notDir, "j.jsonl")},
		{"--journal", locked},
		{"demo", "--journal", locked},
		{"--runbooks", filepath.Join(t.TempDir(), "none")},
		{"--log-level", "loud"},
		{"--severity", "P9"},
		{"--refresh", "1ms"},
		{"extra"},
		{"--no-such-flag"},
	}
	for _, args := range cases {
		var out, errOut bytes.Buffer
		s := headless(time.Now)
		s.started = func(p *tea.Program) { t.Errorf("%q: the program started", args); p.Kill() }
		code := runSys(args, &out, &errOut, s)
		msg := errOut.String()
		if code == 0 {
			t.Errorf("%q: exit 0", args)
			continue
		}
		line, rest, _ := strings.Cut(msg, "\n")
		switch {
		case rest != "" || !strings.HasPrefix(line, "warroom: "):
			t.Errorf("%q: not one line: %q", args, msg)
		case !sanitize.IsSafe(line):
			t.Errorf("%q: control characters: %q", args, line)
		case strings.Contains(msg, pw):
			t.Errorf("%q: password shown: %q", args, line)
		case repeatedPrefix(line) != "":
			t.Errorf("%q: %q said twice: %q", args, repeatedPrefix(line), line)
		}
	}
}

// Issue 7 item 16: the exit message and the torn-line warning print the
// journal's path without its escape sequences.
func TestJournalPathIsSanitizedOnExit(t *testing.T) {
	isolate(t)
	path := filepath.Join(t.TempDir(), "evil\x1b]0;pwned\x07\x1b[2J.jsonl")
	if err := os.WriteFile(path, []byte(`{"v":2,"kind":"no`), 0o600); err != nil { // a torn line
		t.Fatal(err)
	}
	var out, errOut bytes.Buffer
	if code := runSys([]string{"demo", "--journal", path}, &out, &errOut, headless(time.Now)); code != 0 {
		t.Fatalf("exit %d, stderr %q", code, errOut.String())
	}
	if !strings.Contains(errOut.String(), "skipped") || !strings.Contains(out.String(), "journal: ") {
		t.Fatalf("stdout %q, stderr %q", out.String(), errOut.String())
	}
	for name, s := range map[string]string{"stdout": out.String(), "stderr": errOut.String()} {
		if !sanitize.IsSafe(s) {
			t.Errorf("%s carries control characters: %q", name, s)
		}
	}
}
