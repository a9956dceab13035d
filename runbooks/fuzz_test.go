package runbooks

import (
	"strings"
	"testing"
	"unicode/utf8"

	"github.com/warroom-dev/warroom/internal/sanitize"
)

// checkParsed asserts what every runbook Parse returns must be: titles and
// symptoms safe one-line text, bodies safe text, and a fuzzy index over
// them whose matches point inside their keys.
func checkParsed(t *testing.T, books []Runbook, query string) {
	t.Helper()
	for _, b := range books {
		if b.Title == "" || !sanitize.IsSafe(b.Title) || strings.Contains(b.Title, "\n") {
			t.Fatalf("title %q", b.Title)
		}
		for _, s := range b.Symptoms {
			if !sanitize.IsSafe(s) || strings.Contains(s, "\n") {
				t.Fatalf("symptom %q", s)
			}
		}
		if !sanitize.IsSafe(b.Body) {
			t.Fatalf("body %q", b.Body)
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

// FuzzRunbookParse: any markdown parses without panicking into runbooks
// whose every string is safe to draw, and the fuzzy index over them holds.
func FuzzRunbookParse(f *testing.F) {
	playbook, err := shipped.ReadFile("shipped/incident-response-playbook.md")
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
	f.Add("# Disk full\n\n**Symptoms:**\n- ENOSPC in logs\n\n```bash\ndf -h\n```\n", "enospc")
	f.Add("# T\x1b]0;pwned\x07itle\n**Symptoms:**\n- a\x1b[2Jb\n- \x9b31mred\n", "\x1b[")
	f.Add("## Runbooks\n### \n**Symptoms:**\n* x\r\n### \u202eevil\n", "x")
	f.Add("```\n## Runbooks\n```\n## runbooks\n### A\n```\n### not a heading\n## not the end\n```\n## End", "a")
	f.Add("```\n#!/bin/sh\n```\n#hashtag\n####### seven\n# Real\n", "real")
	f.Add("\xff\xfe# \xc3\x28\n- symptoms\n", "\xff")
	f.Fuzz(func(t *testing.T, md, query string) {
		checkParsed(t, Parse(md, "fuzz.md"), query)
	})
}

// A runbook file's escape sequences never reach a runbook's strings.
func TestParseSanitizes(t *testing.T) {
	books := Parse("# Disk\x1b]0;pwned\x07 full\n\n**Symptoms:**\n- ENOSPC\x1b[31m in logs\n\nrun \x1b[2Jdf\n", "x.md")
	if len(books) != 1 {
		t.Fatalf("got %d runbooks", len(books))
	}
	b := books[0]
	if b.Title != "Disk full" || b.Symptoms[0] != "ENOSPC in logs" || b.Body != "**Symptoms:**\n- ENOSPC in logs\n\nrun df" {
		t.Errorf("got %q %q %q", b.Title, b.Symptoms, b.Body)
	}
}

// A shebang in a code fence, or a #hashtag, is not the runbook's title.
func TestTitleIsAHeadingOutsideFences(t *testing.T) {
	books := Parse("Intro.\n\n```bash\n#!/bin/bash\n```\n#hashtag\n## Restart the API\n", "x.md")
	if len(books) != 1 || books[0].Title != "Restart the API" {
		t.Fatalf("got %+v", books)
	}
	if got := Parse("# \x1b[31m\n", "x.md"); len(got) != 1 || got[0].Title != "(untitled)" {
		t.Fatalf("an empty heading: %+v", got)
	}
}
