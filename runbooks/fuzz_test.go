package runbooks

import (
	"errors"
	"os"
	"strings"
	"testing"
	"unicode/utf8"

	"github.com/warroom-dev/warroom/internal/sanitize"
)

// safeLine is text a pane may draw on one line.
func safeLine(s string) bool { return sanitize.IsSafe(s) && !strings.Contains(s, "\n") }

// checkParsed asserts what every runbook Parse returns must be: titles,
// symptoms, names and the like safe one-line text, bodies and code safe
// text, step variables found in the code and listed in the runbook's, and
// a fuzzy index over them whose matches point inside their keys.
func checkParsed(t *testing.T, books []Runbook, query string) {
	t.Helper()
	for _, b := range books {
		if b.Title == "" || !safeLine(b.Title) || !safeLine(b.Severity) || !safeLine(b.Owner) || !safeLine(b.Source) {
			t.Fatalf("title %q severity %q owner %q source %q", b.Title, b.Severity, b.Owner, b.Source)
		}
		for _, s := range append(append(append([]string{}, b.Symptoms...), b.Tags...), b.Signals...) {
			if !safeLine(s) {
				t.Fatalf("symptom, tag or signal %q", s)
			}
		}
		if !sanitize.IsSafe(b.Body) || b.Line < 1 {
			t.Fatalf("body %q line %d", b.Body, b.Line)
		}
		for _, v := range b.Variables {
			if !safeLine(v.Name) || !safeLine(v.Description) || !safeLine(v.Default) {
				t.Fatalf("variable %+v", v)
			}
		}
		for _, st := range b.Steps {
			if !safeLine(st.Name) || !safeLine(st.Section) || !safeLine(st.Why) || !sanitize.IsSafe(st.Code) || st.Line < 1 {
				t.Fatalf("step %+v", st)
			}
			if st.Destructive != (st.Marked || st.Why != "") {
				t.Fatalf("step destructive %v marked %v why %q", st.Destructive, st.Marked, st.Why)
			}
			for _, v := range st.Vars {
				if _, ok := b.Variable(v); !ok || !strings.Contains(st.Code, "{"+v+"}") {
					t.Fatalf("step variable %q: not in the runbook's %+v or the code %q", v, b.Variables, st.Code)
				}
			}
		}
	}
	ix := NewIndex(books)
	if all := ix.Search(""); len(all) != len(books) {
		t.Fatalf("empty query: %d of %d", len(all), len(books))
	}
	for _, q := range []string{query, sanitize.Line(query)} {
		for _, m := range ix.Search(q) {
			if !utf8.ValidString(m.Key) || !sanitize.IsSafe(m.Key) {
				t.Fatalf("key %q", m.Key)
			}
			for _, i := range m.Matched {
				if i < 0 || i >= len(m.Key) {
					t.Fatalf("match offset %d outside key %q", i, m.Key)
				}
			}
		}
	}
}

// FuzzRunbookParse: any markdown parses without panicking, either into
// runbooks whose every string is safe to draw, or into an error naming
// the file and a line in it; the fuzzy index over the runbooks holds.
func FuzzRunbookParse(f *testing.F) {
	playbook, err := os.ReadFile("testdata/playbook.md")
	if err != nil {
		f.Fatal(err)
	}
	// The playbook's first runbooks, not all of it: the fuzzer minimizes
	// every new input it finds, and a 15 kB seed makes that slow.
	pb := string(playbook)
	if i := strings.Index(strings.ToLower(pb), "## runbooks"); i >= 0 {
		pb = pb[i:min(len(pb), i+2500)]
	}
	f.Add(pb, "api")
	front, err := shipped.ReadFile("shipped/05-security-incident.md")
	if err != nil {
		f.Fatal(err)
	}
	f.Add(string(front), "revoke")
	f.Add("# Disk full\n\n**Symptoms:**\n- ENOSPC in logs\n\n```bash\ndf -h\n```\n", "enospc")
	f.Add("# T\x1b]0;pwned\x07itle\n**Symptoms:**\n- a\x1b[2Jb\n- \x9b31mred\n", "\x1b[")
	f.Add("## Runbooks\n### \n**Symptoms:**\n* x\r\n### \u202eevil\n", "x")
	f.Add("```\n## Runbooks\n```\n## runbooks\n### A\n```\n### not a heading\n## not the end\n```\n## End", "a")
	f.Add("```\n#!/bin/sh\n```\n#hashtag\n####### seven\n# Real\n", "real")
	f.Add("\xff\xfe# \xc3\x28\n- symptoms\n", "\xff")
	f.Add("---\ntitle: a\x1b[31m\nvariables:\n  - name: x\n    default: &a y\n  - name: z\n    default: *a\n---\n```sql destructive\nDELETE FROM t WHERE id = '{x}' -- {y}\n```\n", "x")
	f.Add("---\ntitle: [\n---\n", "")
	f.Add("Title\n=====\n\n1. **Do:** it\n   ```sh\n   rm -rf /{dir}\n   ```\n", "do")
	f.Fuzz(func(t *testing.T, md, query string) {
		books, err := Parse(md, "fuzz.md")
		if err != nil {
			var pe *ParseError
			if !errors.As(err, &pe) || pe.File != "fuzz.md" || pe.Line < 1 || pe.Line > strings.Count(md, "\n")+strings.Count(md, "\r")+1 {
				t.Fatalf("error %v (%#v)", err, pe)
			}
			return
		}
		if len(books) == 0 {
			t.Fatal("no runbooks and no error")
		}
		checkParsed(t, books, query)
	})
}

// A runbook file's escape sequences never reach a runbook's strings.
func TestParseSanitizes(t *testing.T) {
	books, err := Parse("# Disk\x1b]0;pwned\x07 full\n\n**Symptoms:**\n- ENOSPC\x1b[31m in logs\n\nrun \x1b[2Jdf\n\n```bash\n# free\x1b[2J space\ndf -h \x1b]8;;http://x\x07{dir}\n```\n", "x.md")
	if err != nil || len(books) != 1 {
		t.Fatalf("got %d runbooks, %v", len(books), err)
	}
	b := books[0]
	if b.Title != "Disk full" || b.Symptoms[0] != "ENOSPC in logs" || !strings.HasPrefix(b.Body, "**Symptoms:**\n- ENOSPC in logs\n\nrun df\n\n```bash") {
		t.Errorf("got %q %q %q", b.Title, b.Symptoms, b.Body)
	}
	if len(b.Steps) != 1 || b.Steps[0].Name != "run df" || b.Steps[0].Code != "# free space\ndf -h {dir}" || len(b.Steps[0].Vars) != 1 {
		t.Errorf("step %+v", b.Steps)
	}
	checkParsed(t, books, "disk")
}

// A shebang in a code fence, or a #hashtag, is not the runbook's title.
func TestTitleIsAHeadingOutsideFences(t *testing.T) {
	books, err := Parse("Intro.\n\n```bash\n#!/bin/bash\n```\n#hashtag\n## Restart the API\n", "x.md")
	if err != nil || len(books) != 1 || books[0].Title != "Restart the API" || books[0].Line != 7 {
		t.Fatalf("got %+v, %v", books, err)
	}
	if got, err := Parse("# \x1b[31m\n", "x.md"); err != nil || len(got) != 1 || got[0].Title != "(untitled)" {
		t.Fatalf("an empty heading: %+v, %v", got, err)
	}
}
