package e2e

import (
	"bytes"
	"context"
	"encoding/base64"
	"encoding/json"
	"os"
	"path/filepath"
	"regexp"
	"sort"
	"strings"
	"testing"
	"time"

	"github.com/charmbracelet/x/ansi"
	"github.com/jackc/pgx/v5"

	"github.com/warroom-dev/warroom/incident"
	"github.com/warroom-dev/warroom/internal/screentest"
	"github.com/warroom-dev/warroom/internal/testenv"
)

// The injection tests feed the real program hostile text through every
// way text reaches it from outside — each field of each journal line, the
// journal's path, flags, the config file, a runbook, Postgres query text —
// open every view that shows it, and let the screen oracle judge the whole
// output. Each payload carries the name of its field (a tag) inside every
// sequence, so a violation names the field that leaked: an OSC title
// "T2-note.summary" came from a note's summary.

// rawC1 stands for a raw 0x9B byte (8-bit CSI): JSON cannot carry one, so
// it is put into the file after encoding (see writeJournal).
const rawC1 = "@RAW9B@" // nothing JSON escapes

// hostile is every family of terminal injection, tagged.
func hostile(tag string) string {
	return tag + " " +
		"\x1b]0;T0-" + tag + "\a" + // window and icon title (BEL)
		"\x1b]2;T2-" + tag + "\x1b\\" + // window title: tmux's pane title (ST)
		"\x1b]52;c;" + base64.StdEncoding.EncodeToString([]byte("clip-"+tag)) + "\a" + // clipboard
		"\x1b]8;;https://evil.example/" + tag + "\x1b\\link\x1b]8;;\x1b\\" + // hyperlink
		"\x1bPdcs-" + tag + "\x1b\\" + // DCS
		"\x1b_apc-" + tag + "\x1b\\" + // APC
		"\x1b^pm-" + tag + "\x1b\\" + // PM
		"\x1b[2J\x1b[H\x1b[10;10H" + // erase, home, cursor move
		rawC1 + "31m" + // 8-bit CSI as a raw byte
		"\u009b2J\u009d0;C1-" + tag + "\a" + // 8-bit CSI and OSC as U+009B, U+009D
		"\abel \bbs \u202egnp.exe\u202c \u2066iso\u2069 \rcr-" + tag + " esc\x1b"
}

// writeJournal writes lines (JSON values, or raw strings written as they
// are) one per line, with rawC1 made a raw 0x9B byte.
func writeJournal(t *testing.T, path string, lines []any) {
	t.Helper()
	var b bytes.Buffer
	for _, l := range lines {
		if s, ok := l.(string); ok {
			b.WriteString(s)
		} else {
			j, err := json.Marshal(l)
			if err != nil {
				t.Fatal(err)
			}
			b.Write(j)
		}
		b.WriteByte('\n')
	}
	data := bytes.ReplaceAll(b.Bytes(), []byte(rawC1), []byte{0x9b})
	if err := os.WriteFile(path, data, 0o600); err != nil {
		t.Fatal(err)
	}
}

type obj = map[string]any

// hostileJournal is a journal with hostile text in every string field of
// every event kind (docs/events.md), version 1 lines, a line that is not
// JSON and a torn last line. The incident is open, acknowledged and
// escalated, so every part of the escalation pane is drawn.
func hostileJournal(t *testing.T, path string) {
	t0 := time.Now().UTC().Add(-10 * time.Minute).Truncate(time.Second)
	at := func(i int) string { return t0.Add(time.Duration(i) * 20 * time.Second).Format(time.RFC3339Nano) }
	ev := func(i int, kind, tag string, typed obj) obj {
		e := obj{"v": 2, "time": at(i), "actor": hostile(tag + ".actor"), "kind": kind,
			"summary": hostile(tag + ".summary"), "detail": hostile(tag+".detail") + "\n" + hostile(tag+".detail2")}
		for k, v := range typed {
			e[k] = v
		}
		return e
	}
	started := incident.NewID(t0.Add(8 * 20 * time.Second))
	action := func(tag, phase string) obj {
		return obj{"phase": phase, "title": hostile(tag + ".title"), "kind": hostile(tag + ".kind"),
			"op": hostile(tag + ".op"), "lines": []string{hostile(tag + ".lines0"), hostile(tag + ".lines1")},
			"target": hostile(tag + ".target"), "destructive": true, "executed": phase != "not-executed",
			"mode": hostile(tag + ".mode"), "step": hostile(tag + ".step")}
	}
	finished := action("action-finished", "finished")
	finished["ref"] = started
	finished["exit_code"] = 1
	finished["error"] = hostile("action-finished.error") + "\n" + hostile("action-finished.error2")
	finished["output"] = hostile("action-finished.output") + "\n" + hostile("action-finished.output2")
	finished["duration_ms"] = 1234
	startedEv := ev(8, "action", "action-started", obj{"action": action("action-started", "started")})
	startedEv["id"] = started

	lines := []any{
		// A declaration whose severity is hostile (shown as unknown), then
		// the one that counts.
		ev(0, "declared", "declared0", obj{"severity": obj{"to": hostile("declared0.to"), "reason": hostile("declared0.reason")}}),
		ev(1, "declared", "declared", obj{"severity": obj{"to": "P1", "from": hostile("declared.from"), "reason": hostile("declared.reason")}}),
		ev(2, "severity", "severity-bad", obj{"severity": obj{"from": hostile("severity-bad.from"), "to": hostile("severity-bad.to"), "reason": hostile("severity-bad.reason")}}),
		ev(3, "severity", "severity", obj{"severity": obj{"from": "P1", "to": "P0", "reason": hostile("severity.reason")}}),
		ev(4, "ack", "ack", obj{"ack": obj{"who": hostile("ack.who"), "level": 0, "role": hostile("ack.role")}}),
		ev(5, "escalation", "escalation", obj{"escalation": obj{"level": 1, "role": hostile("escalation.role"), "who": hostile("escalation.who")}}),
		ev(6, "note", "note", nil),
		ev(7, "action", "action-not-executed", obj{"action": action("action-not-executed", "not-executed")}),
		startedEv,
		ev(9, "action", "action-finished", obj{"ref": started, "action": finished}),
		ev(10, "alert", "alert", obj{"alert": obj{"name": hostile("alert.name"), "state": hostile("alert.state"),
			"labels": obj{hostile("alert.labelkey"): hostile("alert.labelvalue"), "service": hostile("alert.service")}}}),
		ev(11, "probe", "probe-lost", obj{"probe": obj{"backend": hostile("probe-lost.backend"), "state": "lost", "error": hostile("probe-lost.error") + "\n" + hostile("probe-lost.error2")}}),
		ev(12, "probe", "probe-recovered", obj{"probe": obj{"backend": hostile("probe-recovered.backend"), "state": hostile("probe-recovered.state"), "down_for_ms": 60000}}),
		ev(13, "checklist", "checklist", obj{"checklist": obj{"list": hostile("checklist.list"), "item": 0, "text": hostile("checklist.text"), "checked": true}}),
		ev(14, "resolved", "resolved", nil),
		ev(15, "reopened", "reopened", nil),
		ev(16, hostile("unknown.kind"), "unknown", nil),
		func() obj { e := ev(17, "note", "id", nil); e["id"] = hostile("id.id"); return e }(),
		// Version 1 lines: no v, no id; their typed fields come from the text.
		obj{"time": at(18), "actor": hostile("v1-step.actor"), "kind": "step-started", "summary": hostile("v1-step.summary"), "detail": hostile("v1-step.detail")},
		obj{"time": at(19), "actor": "warroom", "kind": "probe", "summary": "postgres lost: " + hostile("v1-probe.summary")},
		obj{"time": at(20), "actor": "alice", "kind": "severity", "summary": "Severity P0 → " + hostile("v1-severity.summary"), "detail": hostile("v1-severity.detail")},
		// Not JSON: skipped, and its parse error is reported.
		"\x1b]2;T2-garbage-line\a\x1b[2J not json " + rawC1,
		// A torn last line.
		`{"v":2,"time":"` + at(21) + `","kind":"note","summary":"` + strings.ReplaceAll(jsonString(hostile("torn.summary")), `"`, ""),
	}
	writeJournal(t, path, lines)
}

// tagged finds the field tag inside a leaked payload (see hostile).
var tagged = regexp.MustCompile(`(?:T0|T2|C1|dcs|apc|pm)-([A-Za-z0-9.-]+)|evil\.example/([A-Za-z0-9.-]+)`)

// leakedFields names the fields whose payloads are in the violations.
func leakedFields(vs []screentest.Violation) []string {
	seen := map[string]bool{}
	var out []string
	for _, v := range vs {
		for _, m := range tagged.FindAllStringSubmatch(v.Seq, -1) {
			f := m[1] + m[2]
			if !seen[f] {
				seen[f] = true
				out = append(out, f)
			}
		}
	}
	sort.Strings(out)
	return out
}

// jsonString is s as JSON, without its quotes.
func jsonString(s string) string {
	b, _ := json.Marshal(s)
	return string(b[1 : len(b)-1])
}

const wait = 20 * time.Second

func waitShown(t *testing.T, term *screentest.Term, text string) {
	t.Helper()
	if err := term.WaitFor(text, wait); err != nil {
		t.Fatal(err)
	}
}

// quit asks to quit, waits for the dialog, confirms, and checks the exit.
func quit(t *testing.T, term *screentest.Term) {
	t.Helper()
	term.Mark()
	term.Send("q")
	waitShown(t, term, "Quit")
	term.Send("y")
	code, err := term.Wait(wait)
	if err != nil {
		t.Fatal(err)
	}
	if code != 0 {
		t.Errorf("exit status %d, want 0; the end of the output:\n%s", code, tailOf(term.Output()))
	}
}

func tailOf(b []byte) string {
	s := ansi.Strip(string(b))
	for strings.Contains(s, "\n\n") {
		s = strings.ReplaceAll(s, "\n\n", "\n")
	}
	return s[max(len(s)-1500, 0):]
}

// judge runs the oracle over the whole output and checks the program drew
// what it was given (the test would pass vacuously otherwise) and did not
// panic.
func judge(t *testing.T, out []byte, mustShow ...string) {
	t.Helper()
	screentest.AssertClean(t, out)
	if leaked := leakedFields(screentest.Check(out)); len(leaked) > 0 {
		t.Errorf("fields whose escape sequences reached the terminal: %s", strings.Join(leaked, ", "))
	}
	plain := ansi.Strip(string(out))
	for _, s := range mustShow {
		if !strings.Contains(plain, s) {
			t.Errorf("the program never showed %q: the hostile input did not reach the screen, so the test proves nothing", s)
		}
	}
	if strings.Contains(plain, "panic") {
		t.Errorf("the program panicked:\n%s", tailOf(out))
	}
}

// Every field of every journal line is untrusted (issue 7, item 2: one
// changed the tmux pane title on every redraw). The journal is resumed by
// the real program and every view that shows its fields is opened:
// timeline (each event's detail, each kind's filter, zoomed), escalation,
// help, palette, note dialog (with a hostile paste), quit confirmation, in
// the grid and in the one-pane layout, and the exit message.
func TestInjectionJournal(t *testing.T) {
	screentest.Build(t) // once per process: not part of the figure
	start := time.Now()
	dir := t.TempDir()
	// The path is hostile too: it is shown in the quit dialog and printed
	// on exit.
	path := filepath.Join(dir, "j-\x1b]2;T2-journal.path\a-\x1b[2J\u202e.jsonl")
	hostileJournal(t, path)

	term := screentest.Start(t, screentest.Options{Args: []string{"--journal", path}})
	waitShown(t, term, "Timeline")
	waitShown(t, term, "declared.summary") // the title, in the status bar

	// Timeline, zoomed: every event's detail, every kind's filter.
	term.Send("6", "z")
	for range 24 {
		term.Send("enter", "up")
	}
	term.Send("G", "enter", "g", "enter")
	for range 20 {
		term.Send("f")
	}
	term.Send("esc", "z")

	// Escalation, zoomed and not.
	term.Send("4", "z")
	waitShown(t, term, "ack.who")
	term.Send("z")

	// Help, scrolled to the end.
	term.Mark()
	term.Send("?")
	waitShown(t, term, "Keys")
	term.Send("G", "j", "j", "esc")

	// Palette: the panes' actions on their selection, and going to panes.
	term.Mark()
	term.Send(":")
	waitShown(t, term, "find an action")
	term.Type("go")
	term.Send("down", "down", "esc")

	// The note dialog, with a hostile paste (bracketed) and typed text.
	term.Mark()
	term.Send("n")
	waitShown(t, term, "Add a note")
	term.Type("typed ")
	term.Send("\x1b[200~" + strings.ReplaceAll(hostile("paste"), rawC1, "\x9b") + "\x1b[201~")
	term.Send("enter")
	waitShown(t, term, "typed paste")

	// The one-pane layout with tabs, every pane.
	term.Resize(80, 24)
	for range 6 {
		term.Send("tab")
	}
	term.Resize(120, 36)

	quit(t, term)
	out := term.Output()
	judge(t, out, "declared.summary", "note.summary", "ack.who", "action-finished.summary", "typed paste")
	t.Logf("%d bytes of output judged; the test took %v", len(out), time.Since(start).Round(time.Millisecond))
}

// The incident's title and actor from flags and from the config file, and
// a runbook, all hostile.
func TestInjectionConfigAndRunbook(t *testing.T) {
	books := t.TempDir()
	runbook := "# " + hostile("runbook.file-title") + "\n\n## Runbooks\n\n" +
		"### " + hostile("runbook.title") + "\n\n**Symptoms:**\n- hostile symptom " + hostile("runbook.symptom") + "\n\n" +
		"**Investigation:**\n\n```bash\n" + hostile("runbook.code") + "\n```\n\n" + hostile("runbook.body") + "\n"
	if err := os.WriteFile(filepath.Join(books, "hostile.md"), []byte(strings.ReplaceAll(runbook, rawC1, "\x9b")), 0o600); err != nil {
		t.Fatal(err)
	}
	// YAML double-quoted strings carry escapes as \e, \a, \x9b, \u202e.
	yamlQuote := func(s string) string {
		r := strings.NewReplacer("\\", "\\\\", "\"", "\\\"", "\x1b", "\\e", "\a", "\\a", "\b", "\\b", "\r", "\\r", rawC1, "\\x9b",
			"\u009b", "\\u009b", "\u009d", "\\u009d", "\u202e", "\\u202e", "\u202c", "\\u202c", "\u2066", "\\u2066", "\u2069", "\\u2069")
		return `"` + r.Replace(s) + `"`
	}
	flagText := func(s string) string { return strings.ReplaceAll(s, rawC1, "\x9b") }

	for _, tc := range []struct {
		name string
		args func(dir string) []string
	}{
		{"flags", func(dir string) []string {
			return []string{"--title", flagText(hostile("flags.title")), "--actor", flagText(hostile("flags.actor")),
				"--runbooks", books, "--journal", filepath.Join(dir, "j.jsonl")}
		}},
		{"config", func(dir string) []string {
			cfg := "title: " + yamlQuote(hostile("config.title")) + "\n" +
				"actor: " + yamlQuote(hostile("config.actor")) + "\n" +
				"runbooks:\n  - " + yamlQuote(books) + "\n"
			p := filepath.Join(dir, "config.yaml")
			if err := os.WriteFile(p, []byte(cfg), 0o600); err != nil {
				t.Fatal(err)
			}
			return []string{"--config", p, "--journal", filepath.Join(dir, "j.jsonl")}
		}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			screentest.Build(t)
			start := time.Now()
			term := screentest.Start(t, screentest.Options{Args: tc.args(t.TempDir())})
			waitShown(t, term, "Timeline")
			waitShown(t, term, tc.name+".title")

			// The runbook: listed, searched, opened, scrolled.
			term.Send("5")
			term.Mark()
			term.Send("/")
			// Typed only once the field is open: under load "/" and the
			// text would arrive as one burst, read as one key "/hostile".
			waitShown(t, term, "/ symptom, e.g.")
			term.Type("hostile")
			waitShown(t, term, "runbook.title")
			term.Send("enter") // its steps, the code of each
			waitShown(t, term, "runbook.code")
			term.Send("t") // its whole text
			waitShown(t, term, "runbook.body")
			term.Send("G", "esc", "esc")

			term.Send("6", "enter", "4", "?")
			waitShown(t, term, "Keys")
			term.Send("esc", ":")
			waitShown(t, term, "find an action")
			term.Send("esc")

			quit(t, term)
			judge(t, term.Output(), tc.name+".title", "@"+tc.name+".ac", "runbook.title", "runbook.code", "runbook.body")
			t.Logf("the test took %v", time.Since(start).Round(time.Millisecond))
		})
	}
}

// Query text is what any database user writes: a session whose query
// carries escapes is shown in the slow-queries pane of the real program,
// against a real PostgreSQL.
func TestInjectionPostgresQueryText(t *testing.T) {
	dsn := testenv.PostgresDSN(t)
	screentest.Build(t)
	start := time.Now()
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	cfg, err := pgx.ParseConfig(dsn)
	if err != nil {
		t.Fatal(err)
	}
	// application_name is the client's to choose: hostile too (no raw
	// 0x9B: the server takes UTF-8 only).
	pgText := func(tag string) string { return strings.ReplaceAll(hostile(tag), rawC1, "") }
	cfg.RuntimeParams["application_name"] = "app " + strings.ReplaceAll(pgText("pg.app"), "\x1b]", "\x1b] ")
	conn, err := pgx.ConnectConfig(ctx, cfg)
	if err != nil {
		// Some escapes may be refused in application_name: fall back to a
		// plain one, the query text is what matters.
		cfg.RuntimeParams["application_name"] = "screentest"
		if conn, err = pgx.ConnectConfig(ctx, cfg); err != nil {
			t.Fatalf("connect: %v", err)
		}
	}
	defer conn.Close(context.Background())
	sleeping := make(chan error, 1)
	go func() {
		_, err := conn.Exec(ctx, "SELECT pg_sleep(60) /* "+pgText("pg.query")+" */")
		sleeping <- err
	}()

	term := screentest.Start(t, screentest.Options{Args: []string{"--postgres", dsn, "--journal", filepath.Join(t.TempDir(), "j.jsonl"), "--refresh", "500ms"}})
	waitShown(t, term, "Slow queries")
	waitShown(t, term, "pg_slee") // cut to the column: "pg_slee…"
	term.Send("3", "z")
	waitShown(t, term, "pg.query")
	term.Send("enter", "down", "up", "z", ":")
	waitShown(t, term, "find an action")
	term.Send("esc")
	quit(t, term)
	judge(t, term.Output(), "pg_slee", "pg.query")

	cancel()
	<-sleeping
	t.Logf("the test took %v", time.Since(start).Round(time.Millisecond))
}
