// Package runbooks loads runbooks (the shipped ones, embedded, and any the
// user points at), and finds them by symptom with a fuzzy index.
//
// This is the foundation's reader: it splits markdown into runbooks by
// heading and collects their symptoms. Steps that run in place (bash, sql,
// promql) come with the runbooks issue.
package runbooks

import (
	"embed"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"sort"
	"strings"

	"github.com/sahilm/fuzzy"

	"github.com/warroom-dev/warroom/internal/sanitize"
)

//go:embed shipped/*.md
var shipped embed.FS

// Shipped returns the runbooks embedded in the binary.
func Shipped() ([]Runbook, error) {
	var out []Runbook
	err := fs.WalkDir(shipped, "shipped", func(path string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() || !strings.HasSuffix(path, ".md") {
			return err
		}
		data, err := shipped.ReadFile(path)
		if err != nil {
			return err
		}
		out = append(out, Parse(string(data), "embedded:"+filepath.Base(path))...)
		return nil
	})
	return out, err
}

// Load reads runbooks from a folder (every *.md in it, recursively) or a
// single .md file.
func Load(path string) ([]Runbook, error) {
	info, err := os.Stat(path)
	if err != nil {
		return nil, fmt.Errorf("runbooks: %w", err)
	}
	var files []string
	if info.IsDir() {
		err = filepath.WalkDir(path, func(p string, d fs.DirEntry, err error) error {
			if err == nil && !d.IsDir() && strings.HasSuffix(strings.ToLower(p), ".md") {
				files = append(files, p)
			}
			return err
		})
		if err != nil {
			return nil, fmt.Errorf("runbooks: %w", err)
		}
		sort.Strings(files)
	} else {
		files = []string{path}
	}
	var out []Runbook
	for _, f := range files {
		data, err := os.ReadFile(f)
		if err != nil {
			return nil, fmt.Errorf("runbooks: %w", err)
		}
		rbs := Parse(string(data), f)
		if len(rbs) == 0 {
			return nil, fmt.Errorf("runbooks: %s: no runbook found (expected a '# Title' heading)", f)
		}
		out = append(out, rbs...)
	}
	return out, nil
}

// Parse splits markdown into runbooks. A document with a "## Runbooks"
// section (like the playbook) yields one runbook per "###" heading in it;
// any other document is one runbook titled by its first heading (outside
// code fences).
//
// A runbook file may come from anywhere: every string Parse returns is
// sanitized (titles and symptoms to one line, the body keeping its
// newlines), so no escape sequence in a file can reach the screen through
// a pane that forgets to.
func Parse(md, source string) []Runbook {
	out := parse(md, source)
	for i := range out {
		r := &out[i]
		r.Title = sanitize.Line(r.Title)
		if strings.TrimSpace(r.Title) == "" {
			r.Title = "(untitled)"
		}
		r.Body = sanitize.Text(r.Body)
		for j, sym := range r.Symptoms {
			r.Symptoms[j] = sanitize.Line(sym)
		}
	}
	return out
}

func parse(md, source string) []Runbook {
	lines := strings.Split(strings.ReplaceAll(md, "\r\n", "\n"), "\n")
	if start := sectionStart(lines, "## runbooks"); start >= 0 {
		var out []Runbook
		var cur *Runbook
		var body []string
		flush := func() {
			if cur != nil {
				cur.Body = strings.TrimSpace(strings.Join(body, "\n"))
				cur.Symptoms = symptoms(body)
				out = append(out, *cur)
			}
		}
		fence := false
		for _, l := range lines[start+1:] {
			if strings.HasPrefix(strings.TrimSpace(l), "```") {
				fence = !fence
			}
			if !fence && strings.HasPrefix(l, "## ") {
				break
			}
			if !fence && strings.HasPrefix(l, "### ") {
				flush()
				cur = &Runbook{Title: strings.TrimSpace(l[4:]), Source: source}
				body = nil
				continue
			}
			body = append(body, l)
		}
		flush()
		return out
	}
	fence := false
	for i, l := range lines {
		if strings.HasPrefix(strings.TrimSpace(l), "```") {
			fence = !fence
		}
		if !fence && heading(l) {
			title := strings.TrimSpace(strings.TrimLeft(l, "#"))
			body := lines[i+1:]
			return []Runbook{{Title: title, Source: source, Body: strings.TrimSpace(strings.Join(body, "\n")), Symptoms: symptoms(body)}}
		}
	}
	return nil
}

// heading reports whether l is an ATX heading: one to six '#' and then a
// space or the end of the line ("#!/bin/sh" and "#hashtag" are not).
func heading(l string) bool {
	n := len(l) - len(strings.TrimLeft(l, "#"))
	return n >= 1 && n <= 6 && (n == len(l) || l[n] == ' ' || l[n] == '\t')
}

func sectionStart(lines []string, heading string) int {
	fence := false
	for i, l := range lines {
		if strings.HasPrefix(strings.TrimSpace(l), "```") {
			fence = !fence
		}
		if !fence && strings.ToLower(strings.TrimSpace(l)) == heading {
			return i
		}
	}
	return -1
}

// symptoms collects the bullet list under a "**Symptoms:**" line.
func symptoms(body []string) []string {
	var out []string
	in := false
	for _, l := range body {
		t := strings.TrimSpace(l)
		switch {
		case strings.EqualFold(strings.Trim(t, "*: "), "symptoms"):
			in = true
		case in && (strings.HasPrefix(t, "- ") || strings.HasPrefix(t, "* ")):
			out = append(out, strings.TrimSpace(t[2:]))
		case in && t == "":
			if len(out) > 0 {
				in = false
			}
		case in:
			in = false
		}
	}
	return out
}

// Index finds runbooks by symptom or title.
type Index struct {
	books []Runbook
	keys  []string
}

// NewIndex indexes runbooks for search.
func NewIndex(books []Runbook) *Index {
	ix := &Index{books: books}
	for _, b := range books {
		ix.keys = append(ix.keys, b.Title+" · "+strings.Join(b.Symptoms, " · "))
	}
	return ix
}

// All returns every runbook in load order.
func (ix *Index) All() []Runbook { return ix.books }

// Match is one search hit.
type Match struct {
	Runbook Runbook
	Score   int
	// Matched are byte offsets into Key that matched the query.
	Key     string
	Matched []int
}

// Search ranks runbooks against query; an empty query returns all.
func (ix *Index) Search(query string) []Match {
	if strings.TrimSpace(query) == "" {
		out := make([]Match, len(ix.books))
		for i, b := range ix.books {
			out[i] = Match{Runbook: b, Key: ix.keys[i]}
		}
		return out
	}
	found := fuzzy.Find(query, ix.keys)
	out := make([]Match, len(found))
	for i, f := range found {
		out[i] = Match{Runbook: ix.books[f.Index], Score: f.Score, Key: f.Str, Matched: f.MatchedIndexes}
	}
	return out
}
