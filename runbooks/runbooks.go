// Package runbooks loads runbooks (the shipped ones, embedded, and any the
// user points at), finds them by symptom with a fuzzy index, suggests them
// by what is burning, and checks them (Lint).
//
// A runbook is markdown, parsed with goldmark (see Parse for the format):
// optional YAML front matter, symptoms, and steps — fenced bash, sql and
// promql blocks that the console runs in place.
package runbooks

import (
	"embed"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"sort"
	"strings"
)

// The shipped runbooks, one file each, in the playbook's order (the file
// names' numeric prefixes).
//
//go:embed shipped/*.md
var shipped embed.FS

// Shipped returns the runbooks embedded in the binary: API Service Down,
// Database Connection Issues, High Error Rate, Agent Execution Failures,
// Security Incident.
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
		books, err := Parse(string(data), "embedded:"+filepath.Base(path))
		if err != nil {
			return err
		}
		out = append(out, books...)
		return nil
	})
	return out, err
}

// mdFiles are the runbook files at path: path itself, or every *.md under
// it (recursively, sorted).
func mdFiles(path string) ([]string, error) {
	info, err := os.Stat(path)
	if err != nil {
		return nil, err
	}
	if !info.IsDir() {
		return []string{path}, nil
	}
	var files []string
	err = filepath.WalkDir(path, func(p string, d fs.DirEntry, err error) error {
		if err == nil && !d.IsDir() && strings.HasSuffix(strings.ToLower(p), ".md") {
			files = append(files, p)
		}
		return err
	})
	sort.Strings(files)
	return files, err
}

// Load reads runbooks from a folder (every *.md in it, recursively) or a
// single .md file. A malformed file is an error naming file:line.
func Load(path string) ([]Runbook, error) {
	files, err := mdFiles(path)
	if err != nil {
		return nil, fmt.Errorf("runbooks: %w", err)
	}
	var out []Runbook
	for _, f := range files {
		data, err := os.ReadFile(f)
		if err != nil {
			return nil, fmt.Errorf("runbooks: %w", err)
		}
		books, err := Parse(string(data), f)
		if err != nil {
			return nil, fmt.Errorf("runbooks: %w", err)
		}
		out = append(out, books...)
	}
	return out, nil
}
