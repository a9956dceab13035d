package report

import (
	"bufio"
	"bytes"
	"encoding/json"
	"flag"
	"fmt"
	"math/rand/v2"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/yuin/goldmark"
	"github.com/yuin/goldmark/ast"
	"github.com/yuin/goldmark/extension"
	east "github.com/yuin/goldmark/extension/ast"
	"github.com/yuin/goldmark/text"
	"github.com/yuin/goldmark/util"

	"github.com/warroom-dev/warroom/incident"
)

var update = flag.Bool("update", false, "rewrite the golden files in testdata")

// golden compares got with testdata/name, or writes it with -update.
func golden(t *testing.T, name string, got []byte) {
	t.Helper()
	path := filepath.Join("testdata", name)
	if *update {
		if err := os.WriteFile(path, got, 0o644); err != nil {
			t.Fatal(err)
		}
		return
	}
	want, err := os.ReadFile(path)
	if err != nil {
		t.Fatalf("%v (run go test -update to write it)", err)
	}
	if !bytes.Equal(got, want) {
		t.Errorf("%s differs from the golden file (go test -update rewrites it):\n%s", name, lineDiff(string(want), string(got)))
	}
}

// lineDiff shows the first lines where want and got differ.
func lineDiff(want, got string) string {
	w, g := strings.Split(want, "\n"), strings.Split(got, "\n")
	for i := 0; i < max(len(w), len(g)); i++ {
		var a, b string
		if i < len(w) {
			a = w[i]
		}
		if i < len(g) {
			b = g[i]
		}
		if a != b {
			return fmt.Sprintf("line %d:\nwant %q\n got %q", i+1, a, b)
		}
	}
	return "(same lines)"
}

// readJournal reads a fixture as the console does.
func readJournal(t *testing.T, path string) ([]incident.Event, []incident.Skipped) {
	t.Helper()
	evs, skipped, err := incident.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	return evs, skipped
}

// rawEvents decodes a fixture line by line without incident's reader:
// no upgrade, no IDs given, nothing cleaned.
func rawEvents(t *testing.T, path string) []incident.Event {
	t.Helper()
	f, err := os.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	var evs []incident.Event
	sc := bufio.NewScanner(f)
	sc.Buffer(nil, 1<<20)
	for sc.Scan() {
		var ev incident.Event
		if err := json.Unmarshal(sc.Bytes(), &ev); err != nil {
			t.Fatalf("%s: %v", path, err)
		}
		evs = append(evs, ev)
	}
	return evs
}

// heading is one heading of a parsed document.
type heading struct {
	Level int
	Text  string
}

var md = goldmark.New(goldmark.WithExtensions(extension.Table))

func parse(src []byte) ast.Node { return md.Parser().Parse(text.NewReader(src)) }

// plain is the text a node shows.
func plain(n ast.Node, src []byte) string {
	var b strings.Builder
	ast.Walk(n, func(c ast.Node, entering bool) (ast.WalkStatus, error) {
		if !entering {
			return ast.WalkContinue, nil
		}
		switch x := c.(type) {
		case *ast.Text:
			// Backslash escapes are resolved when rendering: resolve them.
			b.Write(util.UnescapePunctuations(x.Segment.Value(src)))
			if x.SoftLineBreak() || x.HardLineBreak() {
				b.WriteByte('\n')
			}
		case *ast.String:
			b.Write(x.Value)
		}
		return ast.WalkContinue, nil
	})
	return b.String()
}

func headings(doc ast.Node, src []byte) []heading {
	var hs []heading
	ast.Walk(doc, func(n ast.Node, entering bool) (ast.WalkStatus, error) {
		if h, ok := n.(*ast.Heading); ok && entering {
			hs = append(hs, heading{h.Level, plain(h, src)})
		}
		return ast.WalkContinue, nil
	})
	return hs
}

// count is how many nodes of kind k the document has.
func count(doc ast.Node, k ast.NodeKind) int {
	n := 0
	ast.Walk(doc, func(c ast.Node, entering bool) (ast.WalkStatus, error) {
		if entering && c.Kind() == k {
			n++
		}
		return ast.WalkContinue, nil
	})
	return n
}

// sections maps each level-2 heading's text to the blocks under it.
func sections(doc ast.Node, src []byte) map[string][]ast.Node {
	out := map[string][]ast.Node{}
	cur := ""
	for c := doc.FirstChild(); c != nil; c = c.NextSibling() {
		if h, ok := c.(*ast.Heading); ok && h.Level <= 2 {
			cur = plain(h, src)
			out[cur] = nil
			continue
		}
		out[cur] = append(out[cur], c)
	}
	return out
}

func codeText(n ast.Node, src []byte) string {
	var b strings.Builder
	lines := n.Lines()
	for i := range lines.Len() {
		seg := lines.At(i)
		b.Write(seg.Value(src))
	}
	return b.String()
}

var standardHeadings = []heading{
	{2, "Summary"}, {2, "Timeline"}, {2, "Root Cause"}, {2, "Impact"}, {2, "Resolution"},
	{2, "Lessons Learned"}, {2, "Action Items"}, {2, "Prevention"},
	{2, "Actions and their effect"}, {2, "Runbook steps"}, {2, "Escalation"}, {2, "Backends"},
}

func wantHeadings(title string, extra ...heading) []heading {
	return append(append([]heading{{1, "Incident Report: " + title}}, standardHeadings...), extra...)
}

func equalHeadings(a, b []heading) bool {
	if len(a) != len(b) {
		return false
	}
	for i := range a {
		if a[i] != b[i] {
			return false
		}
	}
	return true
}

// checkDoc parses a report and checks its headings, its <details>
// blocks (HTML blocks around a fenced code block) and that every runbook
// step's command is a fenced code block.
func checkDoc(t *testing.T, src []byte, want []heading, details int) ast.Node {
	t.Helper()
	doc := parse(src)
	if got := headings(doc, src); !equalHeadings(got, want) {
		t.Errorf("headings:\n got %v\nwant %v", got, want)
	}
	var opens, closes int
	for c := doc.FirstChild(); c != nil; c = c.NextSibling() {
		hb, ok := c.(*ast.HTMLBlock)
		if !ok {
			continue
		}
		switch s := strings.TrimSpace(codeText(hb, src)); s {
		case "<details><summary>Output</summary>":
			opens++
			if next, ok := c.NextSibling().(*ast.FencedCodeBlock); !ok || string(next.Language(src)) != "text" {
				t.Errorf("<details> not followed by a fenced text block but %T", c.NextSibling())
			}
		case "</details>":
			closes++
		default:
			t.Errorf("unexpected HTML block %q", s)
		}
	}
	if opens != details || closes != details {
		t.Errorf("%d <details> and %d </details>, want %d", opens, closes, details)
	}
	if n := count(doc, ast.KindRawHTML); n != 0 {
		t.Errorf("%d inline HTML nodes", n)
	}
	return doc
}

func TestGoldenFull(t *testing.T) {
	evs, _ := readJournal(t, "testdata/full.jsonl")
	got := Markdown(evs, Options{})
	golden(t, "full.md", got)
	doc := checkDoc(t, got, wantHeadings("API 5xx spike after api rollout"), 1)
	secs := sections(doc, got)

	// The runbook step: its command in a fenced sh block, its output in
	// a fenced text block.
	var codes []string
	for _, n := range secs["Runbook steps"] {
		if fc, ok := n.(*ast.FencedCodeBlock); ok {
			codes = append(codes, string(fc.Language(got))+":"+codeText(fc, got))
		}
	}
	if len(codes) != 2 || !strings.HasPrefix(codes[0], "sh:kubectl get pods -n agent-platform -l app=api\n") ||
		!strings.HasPrefix(codes[1], "text:NAME ") || !strings.Contains(codes[1], "api:2.14.0\n") {
		t.Errorf("runbook step code blocks: %q", codes)
	}
	// One action-item row per note, Status Open.
	var rows [][]string
	ast.Walk(doc, func(n ast.Node, entering bool) (ast.WalkStatus, error) {
		if r, ok := n.(*east.TableRow); ok && entering {
			var cells []string
			for c := r.FirstChild(); c != nil; c = c.NextSibling() {
				cells = append(cells, plain(c, got))
			}
			rows = append(rows, cells)
		}
		return ast.WalkContinue, nil
	})
	if len(rows) != 2 || rows[0][0] != "Check required settings against every namespace's config map before a rollout" ||
		rows[0][1] != "To fill in: owner" || rows[1][3] != "Open" {
		t.Errorf("action item rows %q", rows)
	}
	s := string(got)
	for _, want := range []string{
		"**Duration:** 02:01 – 02:40 UTC (39 min)",
		"**Severity:** P0 Critical (declared P1; P1 → P0 at 02:13 by alice: customer-facing outage)",
		"**Participants:** alice (declared), bob, carol",
		// Acknowledged while P1: judged against the P1 target, not the final P0's.
		"Response time: acknowledged by bob at 02:08, in 7 min, within the P1 target of 30 min (the severity when it was acknowledged; later P0).",
		"before → at end: bad pods 4 → 3; CrashLoopBackOff 3 → 0; 5xx 12.6% → 9.1%; longest query unknown → 4.2s",
		"after 5 min: bad pods 4 → 0; CrashLoopBackOff 3 → 0; 5xx 12.6% → 0.8%; connections 92/100 → 41/100; longest query unknown → 300ms",
		"FAILED (800 ms): deployments.apps \"worker\" is forbidden",
		"would run — not executed (dry-run)",
		"5xx: highest recorded with an action or its evidence: 12.6% at 02:17",
		"longest query: highest recorded with an action or its evidence: 4.2s at 02:18",
		"postgres recovered, down for 1 min",
	} {
		if !strings.Contains(s, want) {
			t.Errorf("report lacks %q", want)
		}
	}
}

func TestGoldenOngoing(t *testing.T) {
	evs, _ := readJournal(t, "testdata/ongoing.jsonl")
	got := Markdown(evs, Options{})
	golden(t, "ongoing.md", got)
	doc := checkDoc(t, got, wantHeadings("Slow agent runs: queue backlog in worker"), 1)
	s := string(got)
	for _, want := range []string{
		"**Duration:** 23:40 UTC – ongoing (as of 2025-03-05 00:35, the journal's last event; 55 min so far)",
		"Response time: not acknowledged; unacknowledged for 55 min as of 2025-03-05 00:35, the journal's last event: within the P2 target of 2 h so far (due 2025-03-05 01:40).",
		"no outcome recorded",
		"\n**2025-03-05**\n",
	} {
		if !strings.Contains(s, want) {
			t.Errorf("report lacks %q", want)
		}
	}
	// The output holds ``` lines: its fence is longer, and the block
	// holds them all.
	for _, n := range sections(doc, got)["Runbook steps"] {
		if fc, ok := n.(*ast.FencedCodeBlock); ok && string(fc.Language(got)) == "text" {
			if body := codeText(fc, got); !strings.HasSuffix(body, "```\nrepeated 212 times\n```\n") {
				t.Errorf("output block cut short: %q", body)
			}
		}
	}
}

func TestGoldenTornJournal(t *testing.T) {
	data, err := os.ReadFile("testdata/torn.jsonl")
	if err != nil {
		t.Fatal(err)
	}
	path := filepath.Join(t.TempDir(), "inc.jsonl")
	if err := os.WriteFile(path, data, 0o600); err != nil {
		t.Fatal(err)
	}
	evs, skipped := readJournal(t, path)
	if len(skipped) != 1 || skipped[0].Line != 5 {
		t.Fatalf("skipped %+v, want line 5", skipped)
	}
	got := Markdown(evs, Options{Skipped: skipped})
	golden(t, "torn.md", got)
	doc := checkDoc(t, got, wantHeadings("Login failures for SSO users", heading{2, "Journal lines not read"}), 0)
	last := sections(doc, got)["Journal lines not read"]
	if len(last) != 2 || plain(last[1], got) != "line 5: unexpected end of JSON input (164 characters)" {
		t.Errorf("the skipped line is not listed as its number, reason and length: %d blocks", len(last))
	}
	// Never its content.
	if strings.Contains(string(got), "uploading the new IdP") || strings.Contains(string(got), "0195a2c5-c550") {
		t.Errorf("the skipped line's content is in the report:\n%s", got)
	}
}

func TestGoldenVersion1(t *testing.T) {
	evs, _ := readJournal(t, "testdata/v1.jsonl")
	for _, ev := range evs {
		if ev.V != 1 {
			t.Fatalf("fixture line is not version 1: %+v", ev)
		}
	}
	got := Markdown(evs, Options{})
	golden(t, "v1.md", got)
	checkDoc(t, got, wantHeadings("Database connections exhausted"), 0)
	s := string(got)
	for _, want := range []string{
		"**Severity:** P0 Critical (declared P1; P1 → P0 at 14:06 by erin)",
		"**14:08 — Terminate idle-in-transaction sessions** (frank): done — terminated 37 sessions",
		"postgres recovered, down for 1 min 30 s",
		// Acknowledged while P1 (raised to P0 at 14:06).
		"acknowledged by frank at 14:04, in 2 min 30 s, within the P1 target of 30 min (the severity when it was acknowledged; later P0).",
		// A version 1 ack has no level: no rung is named.
		"- 14:04 — acknowledged by frank\n",
	} {
		if !strings.Contains(s, want) {
			t.Errorf("report lacks %q", want)
		}
	}
	// Raw, as a test would pass them (no IDs, not upgraded): the same.
	if raw := Markdown(rawEvents(t, "testdata/v1.jsonl"), Options{}); !bytes.Equal(raw, got) {
		t.Errorf("raw version 1 events give another report:\n%s", lineDiff(string(got), string(raw)))
	}
}

// The events as ReadFile gives them and as they are in the file give the
// same report.
func TestRawEventsSameAsRead(t *testing.T) {
	for _, name := range []string{"full", "ongoing"} {
		evs, _ := readJournal(t, "testdata/"+name+".jsonl")
		a, b := Markdown(evs, Options{}), Markdown(rawEvents(t, "testdata/"+name+".jsonl"), Options{})
		if !bytes.Equal(a, b) {
			t.Errorf("%s: %s", name, lineDiff(string(a), string(b)))
		}
	}
}

func TestStable(t *testing.T) {
	evs, _ := readJournal(t, "testdata/full.jsonl")
	first := Markdown(evs, Options{})
	if again := Markdown(evs, Options{}); !bytes.Equal(first, again) {
		t.Fatal("two reports of the same events differ")
	}
	r := rand.New(rand.NewPCG(1, 2))
	for i := range 20 {
		mixed := append(append([]incident.Event(nil), evs...), evs[:r.IntN(len(evs))]...)
		mixed = append(mixed, evs[r.IntN(len(evs))])
		r.Shuffle(len(mixed), func(i, j int) { mixed[i], mixed[j] = mixed[j], mixed[i] })
		if got := Markdown(mixed, Options{}); !bytes.Equal(got, first) {
			t.Fatalf("shuffle %d with duplicates: %s", i, lineDiff(string(first), string(got)))
		}
	}
	// Drafts too, for a fixed now.
	now := evs[len(evs)-1].Time.Add(time.Minute)
	d1 := Drafts(evs, Options{}, now)
	slicesReverse(evs)
	d2 := Drafts(append(evs, evs...), Options{}, now)
	for i := range d1 {
		if d1[i] != d2[i] {
			t.Errorf("draft %s differs for reordered events", d1[i].Name)
		}
	}
}

func slicesReverse(evs []incident.Event) {
	for i, j := 0, len(evs)-1; i < j; i, j = i+1, j-1 {
		evs[i], evs[j] = evs[j], evs[i]
	}
}

// The secrets of a raw journal (never through the cleaner) reach neither
// the report nor the drafts.
func TestSecretsNeverWritten(t *testing.T) {
	const vaultValue = "corp-vault-7781-zq"
	secrets := []string{
		"hunter2", "gh-pass-9f8e7d", "s3cr3tBearerToken0123456789abcdef",
		"AKIA2E3XQ7PLMN4RT6YB", "wJalrXUtnFEMI/K7MDENG/bPxRfiCYzq8Lm3Ty", vaultValue,
	}
	lines := []string{
		`{"v":2,"id":"01954f6f-7760-7101-8367-000000000001","time":"2025-03-01T02:01:00Z","actor":"alice","kind":"declared","summary":"DB login broken for postgres://app:hunter2@db.internal/agents (` + vaultValue + `)","severity":{"to":"P0"}}`,
		`{"v":2,"id":"01954f6f-7760-7101-8367-000000000002","time":"2025-03-01T02:02:00Z","actor":"bob","kind":"alert","summary":"DBDown firing","alert":{"name":"DBDown","state":"firing","labels":{"service":"` + vaultValue + `"}}}`,
		`{"v":2,"id":"01954f6f-7760-7101-8367-000000000003","time":"2025-03-01T02:03:00Z","actor":"bob","kind":"note","summary":"dsn is host=db user=app password=hunter2 dbname=agents","detail":"tried psql 'host=db port=5432 user=app password=hunter2 dbname=agents'\ncloned https://deploy:gh-pass-9f8e7d@git.internal/infra.git"}`,
		`{"v":2,"id":"01954f6f-7760-7101-8367-000000000004","time":"2025-03-01T02:04:00Z","actor":"bob","kind":"action","summary":"started: Call the API","action":{"phase":"started","title":"Call the API","kind":"shell","lines":["curl -H 'Authorization: Bearer s3cr3tBearerToken0123456789abcdef' https://api.internal/health","AWS_ACCESS_KEY_ID=AKIA2E3XQ7PLMN4RT6YB AWS_SECRET_ACCESS_KEY=wJalrXUtnFEMI/K7MDENG/bPxRfiCYzq8Lm3Ty aws rds describe-db-instances"],"executed":true,"step":"DB › Check with ` + vaultValue + `","target":"deployment/` + vaultValue + `"}}`,
		`{"v":2,"id":"01954f6f-7760-7101-8367-000000000005","time":"2025-03-01T02:04:03Z","actor":"bob","kind":"action","summary":"FAILED: Call the API","action":{"phase":"finished","ref":"01954f6f-7760-7101-8367-000000000004","title":"Call the API","kind":"shell","lines":["curl -H 'Authorization: Bearer s3cr3tBearerToken0123456789abcdef' https://api.internal/health"],"executed":true,"step":"DB › Check","exit_code":1,"error":"401 for Bearer s3cr3tBearerToken0123456789abcdef","output":"> Authorization: Bearer s3cr3tBearerToken0123456789abcdef\naws_secret_access_key = wJalrXUtnFEMI/K7MDENG/bPxRfiCYzq8Lm3Ty\nvault says ` + vaultValue + `\nAKIA2E3XQ7PLMN4RT6YB"}}`,
		`{"v":2,"id":"01954f6f-7760-7101-8367-000000000006","time":"2025-03-01T02:05:00Z","actor":"bob","kind":"probe","summary":"postgres lost","probe":{"backend":"postgres","state":"lost","error":"FATAL: password authentication failed; dsn postgres://app:hunter2@db/x"}}`,
		`{"v":2,"id":"01954f6f-7760-7101-8367-000000000007","time":"2025-03-01T02:06:00Z","actor":"carol","kind":"note","summary":"Report summary","detail":"the password=hunter2 DSN leaked; ` + vaultValue + `","note":{"section":"summary"}}`,
		`{"v":2,"id":"01954f6f-7760-7101-8367-000000000008","time":"2025-03-01T02:07:00Z","actor":"carol","kind":"note","summary":"Report impact","detail":"everyone behind https://deploy:gh-pass-9f8e7d@git.internal and ` + vaultValue + `","note":{"section":"impact"}}`,
		`{"v":2,"id":"01954f6f-7760-7101-8367-000000000009","time":"2025-03-01T02:08:00Z","actor":"carol","kind":"note","summary":"Report prevention","detail":"rotate AKIA2E3XQ7PLMN4RT6YB","note":{"section":"prevention"}}`,
		`{"v":2,"id":"01954f6f-7760-7101-8367-000000000010","time":"2025-03-01T02:09:00Z","actor":"carol","kind":"note","summary":"Report resolution","detail":"Authorization: Bearer s3cr3tBearerToken0123456789abcdef revoked","note":{"section":"resolution"}}`,
	}
	var evs []incident.Event
	for _, l := range lines {
		var ev incident.Event
		if err := json.Unmarshal([]byte(l), &ev); err != nil {
			t.Fatalf("%s: %v", l, err)
		}
		evs = append(evs, ev)
	}
	o := Options{Secrets: []string{vaultValue}}
	outs := map[string]string{"report": string(Markdown(evs, o))}
	for _, d := range Drafts(evs, o, evs[len(evs)-1].Time) {
		outs[d.Name] = d.Text
	}
	if len(outs) != 3 {
		t.Fatalf("outputs %v", outs)
	}
	for name, out := range outs {
		for _, s := range secrets {
			if strings.Contains(out, s) || strings.Contains(out, esc(s)) {
				t.Errorf("%s holds the secret %q:\n%s", name, s, out)
			}
		}
	}
	// The variable's value is masked as the shell masks it, and the rest
	// of the text is still there.
	if !strings.Contains(outs["report"], SecretMask) || !strings.Contains(outs["customer-email"], "everyone behind") {
		t.Errorf("masking removed more than the secrets:\n%s", outs["report"])
	}
}

// Text from events cannot add headings, HTML, table cells, or close a
// fence.
func TestEscaping(t *testing.T) {
	at := time.Date(2025, 3, 1, 2, 0, 0, 0, time.UTC)
	nasty := "# heading\n<b>x</b>\na | b\n```\n- item\n1. one\n---\n===\n    indented\n> quote\n[link](http://x) ![img](y) &amp; *em* _u_ ~~s~~ \\"
	started := incident.Event{ID: incident.NewID(at.Add(5 * time.Minute)), Time: at.Add(5 * time.Minute), Actor: "a|b", Kind: incident.KindAction,
		Summary: "started: ## step", Action: &incident.ActionFields{Phase: incident.PhaseStarted, Title: "## <i>step</i>", Kind: incident.ActionShell,
			Lines: []string{"echo '```' '~~~~'", "echo ``````"}, Executed: true, Step: "# Runbook › <script>x</script>"}}
	evs := []incident.Event{
		incident.Declared("alice", "# <script>alert(1)</script> `x` | y ##", incident.P1, at),
		incident.Note("bob", "# foo <b>bold</b> a | b ```", at.Add(time.Minute)),
		incident.SectionNote("bob", incident.SectionSummary, nasty, at.Add(2*time.Minute)),
		incident.SectionNote("bob", incident.SectionLessons, nasty, at.Add(3*time.Minute)),
		incident.SectionNote("bob", incident.SectionAction, "a | b | c\n# x", at.Add(4*time.Minute)),
		started,
		{ID: incident.NewID(at.Add(6 * time.Minute)), Time: at.Add(6 * time.Minute), Actor: "a|b", Kind: incident.KindAction, Summary: "done",
			Action: &incident.ActionFields{Phase: incident.PhaseFinished, Ref: started.ID, Title: "## <i>step</i>", Kind: incident.ActionShell,
				Lines: started.Action.Lines, Executed: true, Step: started.Action.Step, Output: "</details>\n```\n````\n# not a heading\n<script>"}},
		incident.Resolution("alice", "<b>fixed</b> | # done", at.Add(7*time.Minute)),
	}
	got := Markdown(evs, Options{})
	doc := checkDoc(t, got, wantHeadings("# <script>alert(1)</script> `x` | y ##"), 1)
	if n := count(doc, east.KindTable); n != 1 {
		t.Errorf("%d tables, want the action items' one", n)
	}
	ast.Walk(doc, func(n ast.Node, entering bool) (ast.WalkStatus, error) {
		if r, ok := n.(*east.TableRow); ok && entering && r.ChildCount() != 4 {
			t.Errorf("a table row of %d cells", r.ChildCount())
		}
		return ast.WalkContinue, nil
	})
	for _, k := range []ast.NodeKind{ast.KindThematicBreak, ast.KindCodeBlock, ast.KindLink, ast.KindImage, ast.KindCodeSpan, ast.KindEmphasis, east.KindStrikethrough} {
		// Emphasis is only ours (bold labels): none may come from the
		// note, so none may be inside the Summary section.
		if k == ast.KindEmphasis {
			for _, n := range sections(doc, got)["Summary"] {
				if c := count(n, k); c != 0 {
					t.Errorf("emphasis from a note in the summary")
				}
			}
			continue
		}
		if c := count(doc, k); c != 0 {
			t.Errorf("%d nodes of kind %s", c, k)
		}
	}
	// Fenced blocks: exactly the step's command and output, whole.
	var fenced []string
	ast.Walk(doc, func(n ast.Node, entering bool) (ast.WalkStatus, error) {
		if fc, ok := n.(*ast.FencedCodeBlock); ok && entering {
			fenced = append(fenced, codeText(fc, got))
		}
		return ast.WalkContinue, nil
	})
	if len(fenced) != 2 || fenced[0] != "echo '```' '~~~~'\necho ``````\n" || fenced[1] != "</details>\n```\n````\n# not a heading\n<script>\n" {
		t.Errorf("fenced blocks %q", fenced)
	}
	// The summary note reads back as written, line by line.
	secs := sections(doc, got)
	var summary []string
	for _, n := range secs["Summary"] {
		summary = append(summary, plain(n, got))
	}
	want := strings.ReplaceAll(nasty, "    indented", "indented") // leading spaces would make a code block
	if strings.Join(summary, "\n") != want {
		t.Errorf("summary reads back as\n%q\nwant\n%q", strings.Join(summary, "\n"), want)
	}
	// Lists: only ours (Timeline, Lessons, Actions, Escalation…), never
	// one a note started: the Summary section is a single paragraph.
	if len(secs["Summary"]) != 1 || secs["Summary"][0].Kind() != ast.KindParagraph {
		t.Errorf("summary is %d blocks", len(secs["Summary"]))
	}
	if n := secs["Lessons Learned"]; len(n) != 1 || n[0].Kind() != ast.KindList || n[0].ChildCount() != 1 {
		t.Errorf("lessons: want one list of one item")
	}
}

// With no section notes, every prompt section holds the marked prompt and
// nothing else.
func TestPrompts(t *testing.T) {
	at := time.Date(2025, 3, 1, 2, 0, 0, 0, time.UTC)
	evs := []incident.Event{
		incident.Declared("alice", "Checkout errors", incident.P2, at),
		incident.Note("alice", "looking at the payments service", at.Add(time.Minute)),
	}
	got := Markdown(evs, Options{})
	doc := parse(got)
	secs := sections(doc, got)
	isPrompt := func(n ast.Node) bool {
		return n.Kind() == ast.KindBlockquote && strings.HasPrefix(plain(n, got), "To fill in:")
	}
	for _, name := range []string{"Summary", "Root Cause", "Resolution", "Lessons Learned", "Prevention"} {
		blocks := secs[name]
		if len(blocks) != 1 || !isPrompt(blocks[0]) {
			t.Errorf("%s: %d blocks, want just the prompt", name, len(blocks))
		}
	}
	if b := secs["Lessons Learned"]; len(b) == 1 && !strings.Contains(plain(b[0], got), "What went well") {
		t.Errorf("lessons prompt lacks the playbook's bullets")
	}
	// Impact: the prompt with the playbook's bullets, then only what was
	// measured (here: the duration so far).
	imp := secs["Impact"]
	if len(imp) != 3 || !isPrompt(imp[0]) {
		t.Fatalf("impact: %d blocks", len(imp))
	}
	for _, b := range []string{"Users affected", "Revenue impact", "SLA impact"} {
		if !strings.Contains(plain(imp[0], got), b) {
			t.Errorf("impact prompt lacks %q", b)
		}
	}
	if l := imp[2]; l.Kind() != ast.KindList || l.ChildCount() != 1 || !strings.HasPrefix(plain(l, got), "Duration: 1 min so far") {
		t.Errorf("measured: %q", plain(imp[2], got))
	}
	// Action items: one row of prompts.
	if rows := count(doc, east.KindTableRow); rows != 1 {
		t.Errorf("%d action item rows", rows)
	}
	if !strings.Contains(string(got), "| **To fill in:** action | **To fill in:** owner | **To fill in:** date | Open |") {
		t.Error("action items row is not a prompt")
	}
	if !strings.Contains(string(got), "**Author:** **To fill in:** your name") {
		t.Error("author is not a prompt")
	}
	// The drafts: placeholders where the journal says nothing.
	for _, d := range Drafts(evs, Options{}, at.Add(time.Hour)) {
		for _, want := range map[string][]string{
			"status-page":    {"[impact: to fill in]"},
			"customer-email": {"[what happened: to fill in]", "[impact: to fill in]", "[resolution — the incident is still open: to fill in]", "[prevention: to fill in]"},
		}[d.Name] {
			if !strings.Contains(d.Text, want) {
				t.Errorf("%s lacks %q:\n%s", d.Name, want, d.Text)
			}
		}
	}
}

func TestNoDeclaration(t *testing.T) {
	got := Markdown(nil, Options{})
	checkDoc(t, got, wantHeadings("(no declaration in the journal)"), 0)
	at := time.Date(2025, 3, 1, 2, 0, 0, 0, time.UTC)
	got = Markdown([]incident.Event{incident.Note("bob", "hello", at)}, Options{})
	checkDoc(t, got, wantHeadings("(no declaration in the journal)"), 0)
	if !strings.Contains(string(got), "- 02:00 — hello (bob)") {
		t.Errorf("timeline:\n%s", got)
	}
	for _, d := range Drafts(nil, Options{}, at) {
		if !strings.Contains(d.Text, "to fill in]") {
			t.Errorf("%s without declaration has no placeholder", d.Name)
		}
	}
}

func TestGoldenDrafts(t *testing.T) {
	for _, name := range []string{"full", "ongoing"} {
		evs, _ := readJournal(t, "testdata/"+name+".jsonl")
		now := evs[len(evs)-1].Time.Add(2 * time.Minute)
		ds := Drafts(evs, Options{}, now)
		if len(ds) != 2 || ds[0].Name != "status-page" || ds[0].Title != "Status page update" ||
			ds[1].Name != "customer-email" || ds[1].Title != "Customer email" {
			t.Fatalf("drafts %+v", ds)
		}
		for _, d := range ds {
			golden(t, name+"."+d.Name+".md", []byte(d.Text))
		}
	}
	evs, _ := readJournal(t, "testdata/full.jsonl")
	ds := Drafts(evs, Options{}, time.Date(2025, 3, 1, 3, 0, 0, 0, time.UTC))
	if sp := ds[0].Text; !strings.HasPrefix(sp, "**Resolved: API 5xx spike after api rollout**") || strings.Contains(sp, "Next update") ||
		!strings.Contains(sp, "affecting api ") {
		t.Errorf("resolved status page:\n%s", sp)
	}
}

func TestNextUpdate(t *testing.T) {
	at := time.Date(2025, 3, 1, 2, 0, 0, 0, time.UTC)
	now := time.Date(2025, 3, 1, 2, 14, 0, 0, time.UTC)
	berlin, err := time.LoadLocation("Europe/Berlin")
	if err != nil {
		t.Skip("no tzdata:", err)
	}
	for _, c := range []struct {
		sev  incident.Severity
		o    Options
		want string
	}{
		{incident.P0, Options{}, "**Next update:** by 02:44 UTC (in 30 minutes)"},
		{incident.P1, Options{}, "**Next update:** by 03:14 UTC (in 1 hour)"},
		{incident.P2, Options{}, "**Next update:** by 06:14 UTC (in 4 hours)"},
		{incident.P3, Options{}, "**Next update:** by 2025-03-02 02:14 UTC (in 24 hours)"},
		{incident.P1, Options{UpdateEvery: map[incident.Severity]time.Duration{incident.P1: 90 * time.Minute}}, "**Next update:** by 03:44 UTC (in 1 hour 30 minutes)"},
		{incident.P0, Options{Location: berlin}, "**Next update:** by 03:44 CET (in 30 minutes)"},
	} {
		evs := []incident.Event{incident.Declared("alice", "API down", c.sev, at)}
		sp := Drafts(evs, c.o, now)[0].Text
		if !strings.Contains(sp, c.want+"\n") {
			t.Errorf("%s %+v: want %q in\n%s", c.sev, c.o.UpdateEvery, c.want, sp)
		}
	}
	// Raised to P0: the P0 interval.
	evs := []incident.Event{incident.Declared("alice", "API down", incident.P2, at),
		incident.SeverityChange("alice", incident.P2, incident.P0, "", at.Add(time.Minute))}
	if sp := Drafts(evs, Options{}, now)[0].Text; !strings.Contains(sp, "(in 30 minutes)") {
		t.Errorf("after a raise to P0:\n%s", sp)
	}
}

func TestLocation(t *testing.T) {
	berlin, err := time.LoadLocation("Europe/Berlin")
	if err != nil {
		t.Skip("no tzdata:", err)
	}
	evs, _ := readJournal(t, "testdata/full.jsonl")
	got := string(Markdown(evs, Options{Location: berlin}))
	for _, want := range []string{"**Date:** 2025-03-01 (all times Europe/Berlin)", "**Duration:** 03:01 – 03:40 CET (39 min)", "- 03:01 — API 5xx spike"} {
		if !strings.Contains(got, want) {
			t.Errorf("report in Berlin time lacks %q", want)
		}
	}
}

func TestResponseTimeOver(t *testing.T) {
	at := time.Date(2025, 3, 1, 2, 0, 0, 0, time.UTC)
	evs := []incident.Event{
		incident.Declared("alice", "API down", incident.P0, at),
		incident.Acknowledged("bob", "bob", 1, "Secondary On-Call", at.Add(22*time.Minute)),
	}
	got := string(Markdown(evs, Options{}))
	if !strings.Contains(got, "in 22 min, 7 min over the P0 target of 15 min.") || !strings.Contains(got, "acknowledged by bob (Secondary On-Call)") {
		t.Errorf("response time over target:\n%s", got)
	}
	// A policy's own target.
	p := incident.DefaultPolicy()
	p.Response[incident.P0] = 30 * time.Minute
	if got := string(Markdown(evs, Options{Policy: p})); !strings.Contains(got, "in 22 min, within the P0 target of 30 min.") {
		t.Errorf("policy target not used:\n%s", got)
	}
}

func TestPaths(t *testing.T) {
	for _, c := range [][2]string{
		{"inc.jsonl", "inc.report.md"},
		{"inc", "inc.report.md"},
		{"/var/lib/warroom/2025-03-01.jsonl", "/var/lib/warroom/2025-03-01.report.md"},
	} {
		if got := DefaultPath(c[0]); got != c[1] {
			t.Errorf("DefaultPath(%q) = %q, want %q", c[0], got, c[1])
		}
	}
	for _, c := range [][3]string{
		{"x.report.md", "status-page", "x.status-page.md"},
		{"out.md", "status-page", "out.status-page.md"},
		{"out", "status-page", "out.status-page.md"},
		{"/tmp/a/inc.report.md", "customer-email", "/tmp/a/inc.customer-email.md"},
	} {
		if got := DraftPath(c[0], c[1]); got != c[2] {
			t.Errorf("DraftPath(%q, %q) = %q, want %q", c[0], c[1], got, c[2])
		}
	}
}

// genJournal is a generated journal of n events: notes, alerts, acks,
// probes, and actions (runbook steps with output, actions with vitals
// and evidence).
func genJournal(n int) []incident.Event {
	at := time.Date(2025, 3, 1, 2, 0, 0, 0, time.UTC)
	r := rand.New(rand.NewPCG(7, 7))
	vitals := func() []incident.Vital {
		return []incident.Vital{
			incident.Measured("errorrate", incident.Vital5xx, r.Float64()/5, incident.UnitRatio, at),
			incident.Measured("pods", incident.VitalCrashLoop, float64(r.IntN(5)), incident.UnitCount, at),
			incident.Measured("queries", incident.VitalConnections, float64(r.IntN(100)), incident.UnitCount, at).WithMax(100),
			incident.Unknown("queries", incident.VitalLongestQuery, incident.UnitSeconds, "timeout", at),
		}
	}
	output := strings.Repeat("api-6f9c7d5b8-2xkqp    0/1     CrashLoopBackOff   5          6m\n", 20)
	evs := []incident.Event{incident.Declared("alice", "Generated incident", incident.P1, at)}
	for len(evs) < n {
		at = at.Add(time.Duration(1+r.IntN(20)) * time.Second)
		id := incident.NewID(at)
		switch k := r.IntN(10); {
		case k < 3:
			evs = append(evs, incident.Event{ID: id, Time: at, Actor: "bob", Kind: incident.KindNote, Summary: fmt.Sprintf("note %d: 5xx at 12%% on api | <b>", len(evs))})
		case k < 5:
			evs = append(evs, incident.Event{ID: id, Time: at, Actor: "warroom", Kind: incident.KindAlert, Summary: "HighErrorRate firing",
				Alert: &incident.AlertFields{Name: "HighErrorRate", State: "firing", Labels: map[string]string{"service": "api"}}})
		case k < 6:
			evs = append(evs, incident.Event{ID: id, Time: at, Actor: "warroom", Kind: incident.KindProbe, Summary: "postgres lost",
				Probe: &incident.ProbeFields{Backend: "postgres", State: incident.ProbeLost, Error: "dial tcp: connection refused"}})
		default:
			f := incident.ActionFields{Phase: incident.PhaseStarted, Title: "Roll back deployment/api", Kind: incident.ActionKube, Op: "kube.rollout-undo",
				Lines: []string{"kubectl rollout undo deployment/api -n agent-platform"}, Target: "deployment/api in agent-platform",
				Destructive: true, Executed: true, Vitals: vitals()}
			if k == 9 {
				f.Step, f.Kind = "API Service Down › Check pods", incident.ActionShell
			}
			start := incident.Event{ID: id, Time: at, Actor: "carol", Kind: incident.KindAction, Summary: "started: " + f.Title, Action: &f}
			g := f
			code := 0
			g.Phase, g.Ref, g.ExitCode, g.DurationMS, g.Output, g.Vitals = incident.PhaseFinished, id, &code, 1200, output, vitals()
			end := at.Add(2 * time.Second)
			evs = append(evs, start, incident.Event{ID: incident.NewID(end), Time: end, Actor: "carol", Kind: incident.KindAction, Summary: "done: " + f.Title, Action: &g})
			evs = append(evs, incident.Evidence("warroom", id, f.Title, "", f.Vitals, vitals(), end, end.Add(5*time.Minute)))
		}
	}
	return evs[:n]
}

func TestGeneratedJournal(t *testing.T) {
	evs := genJournal(2000)
	got := Markdown(evs, Options{})
	steps := 0
	for _, ev := range evs {
		if f := ev.Action; f != nil && f.Phase == incident.PhaseFinished && f.Step != "" && f.Output != "" {
			steps++
		}
	}
	if steps == 0 {
		t.Fatal("the generated journal has no runbook step")
	}
	doc := checkDoc(t, got, wantHeadings("Generated incident"), steps)
	if items := sections(doc, got)["Timeline"]; len(items) != 1 || items[0].ChildCount() != 2000 {
		t.Errorf("timeline: %d blocks", len(items))
	}
}

// BenchmarkExport10k is what `e` and warroom report cost on a
// 10,000-event journal: read it (incident.ReadFile) and write the report
// and drafts (Export, Cleaned). The journal is written once, through
// incident's own Append, outside the timer. ReadFile+Export is the whole;
// Export times the report and drafts of events read once.
func BenchmarkExport10k(b *testing.B) {
	path := filepath.Join(b.TempDir(), "inc.jsonl")
	j, _, _, err := incident.Open(path)
	if err != nil {
		b.Fatal(err)
	}
	for _, ev := range genJournal(10_000) {
		if _, err := j.Append(ev); err != nil {
			b.Fatal(err)
		}
	}
	if err := j.Close(); err != nil {
		b.Fatal(err)
	}
	now := time.Date(2025, 3, 2, 0, 0, 0, 0, time.UTC)
	export := func(b *testing.B, evs []incident.Event, skipped []incident.Skipped) int {
		md, drafts := Export(evs, Options{Skipped: skipped, Cleaned: true}, now)
		return len(md) + len(drafts[0].Text) + len(drafts[1].Text)
	}
	read := func(b *testing.B) ([]incident.Event, []incident.Skipped) {
		evs, skipped, err := incident.ReadFile(path)
		if err != nil || len(evs) != 10_000 {
			b.Fatalf("%d events, %v", len(evs), err)
		}
		return evs, skipped
	}
	b.Run("ReadFile+Export", func(b *testing.B) {
		b.ReportAllocs()
		size := 0
		for b.Loop() {
			evs, skipped := read(b)
			size = export(b, evs, skipped)
		}
		b.ReportMetric(float64(size), "bytes/export")
	})
	b.Run("Export", func(b *testing.B) {
		evs, skipped := read(b)
		b.ReportAllocs()
		size := 0
		for b.Loop() {
			size = export(b, evs, skipped)
		}
		b.ReportMetric(float64(size), "bytes/export")
	})
}

// BenchmarkMarkdown10k is the report alone, of events built in memory
// (cleaned in full: not Cleaned).
func BenchmarkMarkdown10k(b *testing.B) {
	evs := genJournal(10_000)
	b.ReportAllocs()
	size := 0
	for b.Loop() {
		size = len(Markdown(evs, Options{}))
	}
	b.ReportMetric(float64(size), "bytes/report")
}
