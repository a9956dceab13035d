package report

import (
	"bytes"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/yuin/goldmark/ast"

	"github.com/warroom-dev/warroom/incident"
)

// responseLine is the report's "Response time:" paragraph.
func responseLine(t *testing.T, md []byte) string {
	t.Helper()
	for _, l := range strings.Split(string(md), "\n") {
		if strings.HasPrefix(l, "Response time: ") {
			return l
		}
	}
	t.Fatalf("no response time in\n%s", md)
	return ""
}

// The response time is judged at the severity in force when the first
// ack came, whatever the severity became later.
func TestResponseTimeSeverityAtAck(t *testing.T) {
	at := time.Date(2025, 3, 1, 2, 0, 0, 0, time.UTC)
	for _, c := range []struct {
		name string
		evs  []incident.Event
		want string
	}{
		{"raised after the ack", []incident.Event{
			incident.Declared("alice", "API down", incident.P1, at),
			incident.Acknowledged("bob", "bob", 0, "Primary On-Call", at.Add(20*time.Minute)),
			incident.SeverityChange("alice", incident.P1, incident.P0, "outage", at.Add(25*time.Minute)),
		}, "Response time: acknowledged by bob at 02:20, in 20 min, within the P1 target of 30 min (the severity when it was acknowledged; later P0)."},
		{"raised before the ack", []incident.Event{
			incident.Declared("alice", "API down", incident.P2, at),
			incident.SeverityChange("alice", incident.P2, incident.P0, "outage", at.Add(5*time.Minute)),
			incident.Acknowledged("bob", "bob", 0, "Primary On-Call", at.Add(20*time.Minute)),
		}, "Response time: acknowledged by bob at 02:20, in 20 min, 5 min over the P0 target of 15 min."},
		{"lowered after the ack", []incident.Event{
			incident.Declared("alice", "API down", incident.P0, at),
			incident.Acknowledged("bob", "bob", 0, "Primary On-Call", at.Add(20*time.Minute)),
			incident.SeverityChange("alice", incident.P0, incident.P2, "", at.Add(30*time.Minute)),
		}, "Response time: acknowledged by bob at 02:20, in 20 min, 5 min over the P0 target of 15 min (the severity when it was acknowledged; later P2)."},
	} {
		if got := responseLine(t, Markdown(c.evs, Options{})); got != c.want {
			t.Errorf("%s:\n got %q\nwant %q", c.name, got, c.want)
		}
	}
}

// Unacknowledged: for how long, as of the last event or the resolution,
// in open time, against the target of the severity in force then; the
// breaches the console recorded are named.
func TestResponseTimeUnacknowledged(t *testing.T) {
	at := time.Date(2025, 3, 1, 2, 0, 0, 0, time.UTC)
	p := incident.DefaultPolicy()
	for _, c := range []struct {
		name string
		evs  []incident.Event
		want string
	}{
		{"open, over", []incident.Event{
			incident.Declared("alice", "API down", incident.P1, at),
			incident.Note("alice", "still looking", at.Add(45*time.Minute)),
		}, "Response time: not acknowledged; unacknowledged for 45 min as of 02:45, the journal's last event: 15 min over the P1 target of 30 min (due 02:30)."},
		{"open, within", []incident.Event{
			incident.Declared("alice", "API down", incident.P2, at),
			incident.Note("alice", "still looking", at.Add(45*time.Minute)),
		}, "Response time: not acknowledged; unacknowledged for 45 min as of 02:45, the journal's last event: within the P2 target of 2 h so far (due 04:00)."},
		{"resolved", []incident.Event{
			incident.Declared("alice", "API down", incident.P0, at),
			incident.Resolution("alice", "it went away", at.Add(10*time.Minute)),
			incident.Note("alice", "written later", at.Add(50*time.Minute)),
		}, "Response time: not acknowledged; unacknowledged for 10 min until the resolution at 02:10: within the P0 target of 15 min."},
		{"reopened: open time only", []incident.Event{
			incident.Declared("alice", "API down", incident.P0, at),
			incident.Resolution("alice", "", at.Add(10*time.Minute)),
			incident.Reopening("alice", "back", at.Add(30*time.Minute)),
			incident.Note("alice", "again", at.Add(40*time.Minute)),
		}, "Response time: not acknowledged; unacknowledged for 20 min as of 02:40, the journal's last event: 5 min over the P0 target of 15 min (due 02:35)."},
	} {
		md := Markdown(c.evs, Options{})
		if got := responseLine(t, md); got != c.want {
			t.Errorf("%s:\n got %q\nwant %q", c.name, got, c.want)
		}
		// The verdict is the escalation clock's.
		evs := prepare(c.evs, newCleaner(nil, false))
		st := p.State(incident.Fold(evs), evs[len(evs)-1].Time)
		if over := strings.Contains(c.want, " over the "); over != st.Breached {
			t.Errorf("%s: the report says over=%v, Policy.State Breached=%v", c.name, over, st.Breached)
		}
	}

	// The breach events the console records (Policy.Due) are named.
	evs := []incident.Event{incident.Declared("alice", "API down", incident.P1, at)}
	evs[0].ID = incident.NewID(at)
	evs = append(evs, incident.SeverityChange("alice", incident.P1, incident.P0, "", at.Add(40*time.Minute)))
	evs[1].ID = incident.NewID(evs[1].Time)
	due := p.Due(incident.Fold(evs), at.Add(50*time.Minute))
	n := 0
	for _, ev := range due {
		if ev.Escalation == nil {
			n++
		}
	}
	if n != 1 {
		t.Fatalf("Due gave %d breaches, want 1: %+v", n, due)
	}
	evs = append(evs, due...)
	got := string(Markdown(evs, Options{}))
	if want := "\nBreaches of the response time recorded by the console: 02:30 (P1).\n"; !strings.Contains(got, want) {
		t.Errorf("report lacks %q:\n%s", want, got)
	}
	if want := "- 02:30 — Response time breached: P1 not acknowledged within 30m\n"; !strings.Contains(got, want) {
		t.Errorf("escalation list lacks %q:\n%s", want, got)
	}
	// An escalation event without fields that is not the console's breach
	// (another ID) is listed, not counted as one.
	foreign := incident.Event{ID: incident.NewID(at.Add(20 * time.Minute)), Time: at.Add(20 * time.Minute), Actor: "warroom",
		Kind: incident.KindEscalation, Summary: "Response time breached: P1 not acknowledged within 2h0m0s"}
	got = string(Markdown(append(evs[:2:2], foreign), Options{}))
	if strings.Contains(got, "Breaches of the response time") || !strings.Contains(got, "- 02:20 — Response time breached: P1 not acknowledged within 2h0m0s\n") {
		t.Errorf("a foreign breach line counted as the console's, or not listed:\n%s", got)
	}
}

func testdataEvents(t *testing.T, name string) []incident.Event {
	evs, _ := readJournal(t, "testdata/"+name+".jsonl")
	return evs
}

// A skipped line's content never reaches the report: not from its Text,
// not through the error's text.
func TestSkippedLinesContentNotWritten(t *testing.T) {
	at := time.Date(2025, 3, 1, 2, 0, 0, 0, time.UTC)
	const private = "tok-9f8e7d6c5b4a-private"
	line := `{"time":"` + private + `","kind":"note","summary":"call me with ` + private + `"}`
	sk := []incident.Skipped{
		{Line: 7, Text: line, Err: fmt.Errorf(`parsing time %q as "2006-01-02T15:04:05Z07:00": cannot parse %q as "2006"`, private, private)},
		{Line: 3, Text: line, Err: fmt.Errorf("bad line %s", line)},
		{Line: 9, Text: strings.Repeat("x", 199) + "…", Err: fmt.Errorf("decode: %w", incident.ErrLineTooLong)},
		{Line: 12, Text: strings.Repeat("y", 199) + "…", Err: errors.New("unexpected end of JSON input")},
	}
	got := string(Markdown([]incident.Event{incident.Declared("alice", "API down", incident.P1, at)}, Options{Skipped: sk}))
	if strings.Contains(got, private) || strings.Contains(got, "call me") || strings.Contains(got, "xxxxxxxx") {
		t.Errorf("a skipped line's content is in the report:\n%s", got)
	}
	for _, want := range []string{
		"- line 3: bad line … (" + fmt.Sprint(len(line)) + " characters)\n",
		`- line 7: parsing time "…" as "…": cannot parse "…" as "…" (` + fmt.Sprint(len(line)) + " characters)\n",
		"- line 9: longer than 1048576 bytes (over 1048576 bytes)\n",
		"- line 12: unexpected end of JSON input (200 characters or more)\n",
	} {
		if !strings.Contains(got, want) {
			t.Errorf("report lacks %q:\n%s", want, got)
		}
	}
}

// Text from the journal that starts a line (the resolution's summary in
// the report's quote and the customer email, the sections in the drafts)
// cannot start a code block, a list, a heading or a thematic break.
func TestStartOfLineText(t *testing.T) {
	at := time.Date(2025, 3, 1, 2, 0, 0, 0, time.UTC)
	for _, text := range []string{"    code", "\tx", "- x", "+ x", "* x", "1. x", "2) x", "=== ", "---", "# x", "> x", "  - x"} {
		evs := []incident.Event{
			incident.Declared("alice", "API down", incident.P1, at),
			// Raw: Resolution would put "Resolved: " first.
			{Time: at.Add(10 * time.Minute), Actor: "alice", Kind: incident.KindResolved, Summary: text},
		}
		md := Markdown(evs, Options{})
		doc := parse(md)
		res := sections(doc, md)["Resolution"]
		if len(res) != 2 || res[1].Kind() != ast.KindBlockquote || res[1].ChildCount() != 1 || res[1].FirstChild().Kind() != ast.KindParagraph {
			var kinds []string
			for _, n := range res {
				kinds = append(kinds, n.Kind().String())
			}
			t.Errorf("%q: the resolution is %v, want a paragraph and a quote of one paragraph", text, kinds)
		} else if got, want := plain(res[1], md), strings.TrimSpace(text); got != want {
			t.Errorf("%q: the quote reads %q, want %q", text, got, want)
		}
		for _, k := range []ast.NodeKind{ast.KindCodeBlock, ast.KindThematicBreak} {
			if n := count(doc, k); n != 0 {
				t.Errorf("%q: %d nodes of kind %s in the report", text, n, k)
			}
		}
		if hs := headings(doc, md); !equalHeadings(hs, wantHeadings("API down")) {
			t.Errorf("%q: headings %v", text, hs)
		}

		// The drafts: the resolution, then what happened and the impact
		// from section notes.
		withNotes := append(evs[:len(evs):len(evs)],
			incident.SectionNote("bob", incident.SectionSummary, text+"\n"+text, at.Add(11*time.Minute)),
			incident.SectionNote("bob", incident.SectionImpact, text, at.Add(12*time.Minute)))
		for _, set := range [][]incident.Event{evs, withNotes} {
			for _, d := range Drafts(set, Options{}, at.Add(time.Hour)) {
				src := []byte(d.Text)
				dd := parse(src)
				for _, k := range []ast.NodeKind{ast.KindCodeBlock, ast.KindThematicBreak, ast.KindList, ast.KindHeading, ast.KindBlockquote} {
					if n := count(dd, k); n != 0 {
						t.Errorf("%q: %d nodes of kind %s in the %s:\n%s", text, n, k, d.Name, d.Text)
					}
				}
			}
		}
	}
}

// The measured figures are the highest among the snapshots recorded with
// actions and their evidence, between the declaration and the end, and
// the report says so.
func TestMeasuredWindow(t *testing.T) {
	at := time.Date(2025, 3, 1, 2, 0, 0, 0, time.UTC)
	action := func(min int, ratio float64, name string) incident.Event {
		t := at.Add(time.Duration(min) * time.Minute)
		return incident.Event{ID: incident.NewID(t), Time: t, Actor: "bob", Kind: incident.KindAction, Summary: "started: x",
			Action: &incident.ActionFields{Phase: incident.PhaseStarted, Title: "x", Kind: incident.ActionKube, Executed: true,
				Vitals: []incident.Vital{incident.Measured("errorrate", name, ratio, incident.UnitRatio, t)}}}
	}
	evs := []incident.Event{
		action(-30, 0.9, incident.Vital5xx), // before the declaration: another incident
		action(-30, 0.5, "before only"),
		incident.Declared("alice", "API down", incident.P1, at),
		action(10, 0.126, incident.Vital5xx),
		action(14, 0.08, incident.Vital5xx),
		incident.Resolution("alice", "fixed", at.Add(20*time.Minute)),
		action(30, 0.7, incident.Vital5xx), // after the resolution
	}
	got := string(Markdown(evs, Options{}))
	if want := "- 5xx: highest recorded with an action or its evidence: 12.6% at 02:10\n"; !strings.Contains(got, want) {
		t.Errorf("report lacks %q:\n%s", want, got)
	}
	if strings.Contains(got, "before only") || strings.Contains(got, "worst") {
		t.Errorf("a snapshot outside the incident counted, or the old wording:\n%s", got)
	}
	// Open: up to the last event.
	open := append(evs[:5:5], action(30, 0.7, incident.Vital5xx))
	if want := "- 5xx: highest recorded with an action or its evidence: 70.0% at 02:30\n"; !strings.Contains(string(Markdown(open, Options{})), want) {
		t.Errorf("open incident: report lacks %q", want)
	}
}

// Resolved, reopened and resolved again: the Duration is the open time,
// and says so.
func TestReopenedDuration(t *testing.T) {
	at := time.Date(2025, 3, 1, 2, 1, 0, 0, time.UTC)
	evs := []incident.Event{
		incident.Declared("alice", "API down", incident.P1, at),
		incident.Acknowledged("bob", "bob", 0, "Primary On-Call", at.Add(time.Minute)),
		incident.Resolution("alice", "fixed", at.Add(39*time.Minute)),
		incident.Reopening("alice", "back", at.Add(59*time.Minute)),
	}
	open := append(evs[:4:4], incident.Note("bob", "looking", at.Add(69*time.Minute)))
	closed := append(evs[:4:4], incident.Resolution("alice", "fixed again", at.Add(79*time.Minute)))
	for _, c := range []struct {
		name string
		evs  []incident.Event
		want []string
	}{
		{"resolved again", closed, []string{
			"**Duration:** 02:01 – 03:20 UTC (open 59 min of 1 h 19 min: resolved 02:40, reopened 03:00, resolved 03:20)\\\n",
			"- Duration: 59 min open (02:01 – 03:20 UTC; resolved 02:40, reopened 03:00, resolved 03:20)\n",
			"Marked resolved at 03:20 by alice:",
		}},
		{"open again", open, []string{
			"**Duration:** 02:01 UTC – ongoing (as of 03:10, the journal's last event; open 49 min so far: resolved 02:40, reopened 03:00)\\\n",
			"- Duration: 49 min open so far (declared 02:01 UTC; resolved 02:40, reopened 03:00)\n",
		}},
	} {
		got := string(Markdown(c.evs, Options{}))
		for _, want := range c.want {
			if !strings.Contains(got, want) {
				t.Errorf("%s: report lacks %q:\n%s", c.name, want, got)
			}
		}
	}
}

// Across a change to summer time, both ends carry their abbreviation.
func TestDurationAcrossDST(t *testing.T) {
	berlin, err := time.LoadLocation("Europe/Berlin")
	if err != nil {
		t.Skip("no tzdata:", err)
	}
	at := time.Date(2025, 3, 30, 0, 30, 0, 0, time.UTC) // 01:30 CET; 02:00 CET becomes 03:00 CEST at 01:00 UTC
	evs := []incident.Event{
		incident.Declared("alice", "API down", incident.P1, at),
		incident.Resolution("alice", "fixed", at.Add(time.Hour)),
	}
	got := string(Markdown(evs, Options{Location: berlin}))
	for _, want := range []string{"**Duration:** 01:30 CET – 03:30 CEST (1 h)\\\n", "- Duration: 1 h (01:30 CET – 03:30 CEST)\n"} {
		if !strings.Contains(got, want) {
			t.Errorf("report lacks %q:\n%s", want, got)
		}
	}
	open := []incident.Event{evs[0], incident.Note("bob", "x", at.Add(time.Hour))}
	if want := "**Duration:** 01:30 CET – ongoing (as of 03:30 CEST, the journal's last event; 1 h so far)"; !strings.Contains(string(Markdown(open, Options{Location: berlin})), want) {
		t.Errorf("open report lacks %q", want)
	}
}

// Export is Markdown and Drafts in one; with Cleaned, events read by
// incident give the same bytes.
func TestExportSameAsMarkdownAndDrafts(t *testing.T) {
	for _, name := range []string{"full", "ongoing", "torn", "v1"} {
		data, err := os.ReadFile("testdata/" + name + ".jsonl")
		if err != nil {
			t.Fatal(err)
		}
		path := filepath.Join(t.TempDir(), "inc.jsonl")
		if err := os.WriteFile(path, data, 0o600); err != nil {
			t.Fatal(err)
		}
		evs, skipped := readJournal(t, path)
		now := evs[len(evs)-1].Time.Add(time.Minute)
		o := Options{Skipped: skipped}
		wantMD, wantDrafts := Markdown(evs, o), Drafts(evs, o, now)
		for _, cleaned := range []bool{false, true} {
			o.Cleaned = cleaned
			md, drafts := Export(evs, o, now)
			if !bytes.Equal(md, wantMD) {
				t.Errorf("%s, Cleaned %v: %s", name, cleaned, lineDiff(string(wantMD), string(md)))
			}
			if len(drafts) != len(wantDrafts) {
				t.Fatalf("%s: %d drafts", name, len(drafts))
			}
			for i := range drafts {
				if drafts[i] != wantDrafts[i] {
					t.Errorf("%s, Cleaned %v: draft %s differs", name, cleaned, drafts[i].Name)
				}
			}
		}
	}
}

// With Cleaned, the secret values are still masked; without it, events
// that were never cleaned are.
func TestCleanedStillMasksSecrets(t *testing.T) {
	const vault = "corp-vault-7781-zq"
	at := time.Date(2025, 3, 1, 2, 0, 0, 0, time.UTC)
	path := filepath.Join(t.TempDir(), "inc.jsonl")
	j, _, _, err := incident.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	for _, ev := range []incident.Event{
		incident.Declared("alice", "DB down ("+vault+")", incident.P1, at),
		incident.SectionNote("bob", incident.SectionImpact, "everyone behind "+vault, at.Add(time.Minute)),
		incident.Resolution("alice", "rotated "+vault, at.Add(2*time.Minute)),
	} {
		if _, err := j.Append(ev); err != nil {
			t.Fatal(err)
		}
	}
	j.Close()
	evs, _ := readJournal(t, path)
	md, drafts := Export(evs, Options{Cleaned: true, Secrets: []string{vault}}, at.Add(time.Hour))
	outs := []string{string(md)}
	for _, d := range drafts {
		outs = append(outs, d.Text)
	}
	for _, out := range outs {
		if strings.Contains(out, vault) || !strings.Contains(out, SecretMask) {
			t.Errorf("the secret is not masked:\n%s", out)
		}
	}
	// Not cleaned by incident: a terminal escape is stripped unless
	// Cleaned says it already was.
	raw := []incident.Event{incident.Declared("alice", "API \x1b[31mdown\x1b[0m", incident.P1, at)}
	if md := Markdown(raw, Options{}); bytes.Contains(md, []byte("\x1b")) {
		t.Error("an escape sequence reached the report")
	}
}

// The output buffer is sized from the input: a report is one allocation
// big enough for it, and not wastefully larger.
func TestSizeHint(t *testing.T) {
	for _, evs := range [][]incident.Event{genJournal(2000), testdataEvents(t, "full"), testdataEvents(t, "ongoing")} {
		d := newDoc(evs, Options{})
		md := d.markdown()
		if hint := d.sizeHint(); hint < len(md) || hint > 2*len(md)+8<<10 {
			t.Errorf("size hint %d for a report of %d bytes", hint, len(md))
		}
	}
}
