package main

import (
	"encoding/json"
	"fmt"
	"io"
	"sort"
	"strings"
	"text/tabwriter"

	"github.com/spf13/cobra"

	"github.com/warroom-dev/warroom/runbooks"
)

// runbooksCmd is `warroom runbooks`: the runbooks outside the console —
// to list, search and read them, and to lint a runbook file before it is
// relied on at 3 a.m.
func runbooksCmd(f *flags, stdout io.Writer) *cobra.Command {
	var asJSON bool
	load := func(cmd *cobra.Command) ([]runbooks.Runbook, error) {
		cfg, err := f.loadConfig(cmd.Flags())
		if err != nil {
			return nil, err
		}
		return loadRunbooks(cfg)
	}
	cmd := &cobra.Command{
		Use:   "runbooks",
		Short: "List, search, show and lint runbooks (the shipped ones and --runbooks)",
		Args:  noArgs,
	}
	list := &cobra.Command{
		Use:   "list",
		Short: "List the runbooks: title, severity, steps, file",
		Args:  noArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			books, err := load(cmd)
			if err != nil {
				return err
			}
			if asJSON {
				return writeJSON(stdout, books)
			}
			tw := tabwriter.NewWriter(stdout, 0, 4, 2, ' ', 0)
			fmt.Fprintln(tw, "TITLE\tSEVERITY\tSTEPS\tSOURCE")
			for _, b := range books {
				fmt.Fprintf(tw, "%s\t%s\t%d\t%s\n", b.Title, orDash(b.Severity), len(b.Steps), b.Source)
			}
			return tw.Flush()
		},
	}
	search := &cobra.Command{
		Use:   "search QUERY",
		Short: "Search the runbooks by symptom (the sidebar's fuzzy search)",
		Args:  cobra.MinimumNArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			books, err := load(cmd)
			if err != nil {
				return err
			}
			matches := runbooks.NewIndex(books).Search(strings.Join(args, " "))
			if asJSON {
				out := make([]runbooks.Runbook, len(matches))
				for i, m := range matches {
					out[i] = m.Runbook
				}
				return writeJSON(stdout, out)
			}
			if len(matches) == 0 {
				return fmt.Errorf("no runbook matches %q", strings.Join(args, " "))
			}
			for _, m := range matches {
				fmt.Fprintf(stdout, "%s\n    %s\n", m.Runbook.Title, strings.Join(m.Runbook.Symptoms, " · "))
			}
			return nil
		},
	}
	show := &cobra.Command{
		Use:   "show NAME",
		Short: "Show one runbook: its symptoms, variables and steps (NAME: its title, or the best match)",
		Args:  cobra.MinimumNArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			books, err := load(cmd)
			if err != nil {
				return err
			}
			name := strings.Join(args, " ")
			found, err := findRunbooks(books, name)
			if err != nil {
				return err
			}
			if asJSON {
				if len(found) == 1 {
					return writeJSON(stdout, found[0])
				}
				return writeJSON(stdout, found)
			}
			for i, rb := range found {
				if i > 0 {
					fmt.Fprintln(stdout)
				}
				showRunbook(stdout, rb)
			}
			return nil
		},
	}
	lint := &cobra.Command{
		Use:   "lint PATH...",
		Short: "Check runbook files: parse errors, unknown variables, steps without a name, destructive steps not marked",
		Args:  cobra.MinimumNArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			var all []runbooks.Problem
			for _, p := range args {
				probs, err := runbooks.Lint(p)
				if err != nil {
					return err
				}
				all = append(all, probs...)
			}
			if asJSON {
				if err := writeJSON(stdout, all); err != nil {
					return err
				}
			} else {
				for _, p := range all {
					fmt.Fprintln(stdout, p.String())
				}
			}
			failing := 0
			for _, p := range all {
				if !p.Note { // a note (a declared variable no step uses) does not fail
					failing++
				}
			}
			if failing > 0 {
				return lintFailed{n: failing}
			}
			if !asJSON && len(all) == 0 {
				fmt.Fprintln(stdout, "no problems found")
			}
			return nil
		},
	}
	for _, c := range []*cobra.Command{list, search, show, lint} {
		c.Flags().BoolVar(&asJSON, "json", false, "print JSON")
		cmd.AddCommand(c)
	}
	return cmd
}

// lintFailed is lint's exit: the problems are printed already.
type lintFailed struct{ n int }

func (e lintFailed) Error() string { return fmt.Sprintf("%d problem(s) found", e.n) }

// loadRunbooks is the shipped runbooks and those of cfg.Runbooks.
func loadRunbooks(cfg Config) ([]runbooks.Runbook, error) {
	books, err := runbooks.Shipped()
	if err != nil {
		return nil, err
	}
	for _, p := range cfg.Runbooks {
		more, err := runbooks.Load(p)
		if err != nil {
			return nil, configErrorf("%v", err)
		}
		books = append(books, more...)
	}
	return books, nil
}

// findRunbooks is every runbook titled name (any case: the playbook
// loaded beside the shipped files has the same titles), else the one
// whose title holds every word of name; never a loose guess, which would
// show the wrong runbook as if it were the one asked for.
func findRunbooks(books []runbooks.Runbook, name string) ([]runbooks.Runbook, error) {
	name = strings.TrimSpace(name)
	var out []runbooks.Runbook
	for _, b := range books {
		if strings.EqualFold(b.Title, name) {
			out = append(out, b)
		}
	}
	if len(out) > 0 {
		return out, nil
	}
	words := strings.Fields(strings.ToLower(name))
	titles := map[string]bool{}
	for _, b := range books {
		t := strings.ToLower(b.Title)
		all := len(words) > 0
		for _, w := range words {
			all = all && strings.Contains(t, w)
		}
		if all {
			out = append(out, b)
			titles[b.Title] = true
		}
	}
	if len(titles) == 1 {
		return out, nil
	}
	var near []string
	if len(titles) > 1 {
		for t := range titles {
			near = append(near, t)
		}
	} else {
		for i, m := range runbooks.NewIndex(books).Search(name) {
			if i == 3 {
				break
			}
			near = append(near, m.Runbook.Title)
		}
	}
	sort.Strings(near)
	msg := fmt.Sprintf("no runbook titled %q", name)
	if len(titles) > 1 {
		msg = fmt.Sprintf("%q names several runbooks", name)
	}
	if len(near) > 0 {
		msg += "; did you mean: " + strings.Join(near, ", ")
	}
	return nil, fmt.Errorf("%s (warroom runbooks list shows them all)", msg)
}

func showRunbook(w io.Writer, rb runbooks.Runbook) {
	fmt.Fprintf(w, "# %s\n", rb.Title)
	var meta []string
	if rb.Severity != "" {
		meta = append(meta, "severity "+rb.Severity)
	}
	if rb.Owner != "" {
		meta = append(meta, "owner "+rb.Owner)
	}
	meta = append(meta, "from "+rb.Source)
	fmt.Fprintln(w, strings.Join(meta, " · "))
	if len(rb.Symptoms) > 0 {
		fmt.Fprintln(w, "\nSymptoms:")
		for _, s := range rb.Symptoms {
			fmt.Fprintln(w, "  - "+s)
		}
	}
	if len(rb.Variables) > 0 {
		fmt.Fprintln(w, "\nVariables:")
		for _, v := range rb.Variables {
			line := "  {" + v.Name + "}"
			if v.Description != "" {
				line += "  " + v.Description
			}
			if v.Default != "" {
				line += " (default " + v.Default + ")"
			}
			if v.Secret {
				line += " [secret]"
			}
			fmt.Fprintln(w, line)
		}
	}
	fmt.Fprintln(w, "\nSteps:")
	if len(rb.Steps) == 0 {
		fmt.Fprintln(w, "  (none: this runbook is text only)")
	}
	section := ""
	for i, s := range rb.Steps {
		if s.Section != "" && s.Section != section {
			section = s.Section
			fmt.Fprintf(w, "  %s\n", section)
		}
		mark := ""
		if s.Destructive {
			mark = "  [DESTRUCTIVE"
			if s.Why != "" {
				mark += ": " + s.Why
			}
			mark += "]"
		}
		fmt.Fprintf(w, "  %d. %s (%s)%s\n", i+1, s.Name, s.Lang, mark)
		for _, l := range strings.Split(strings.TrimRight(s.Code, "\n"), "\n") {
			fmt.Fprintln(w, "       "+l)
		}
	}
}

func writeJSON(w io.Writer, v any) error {
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	return enc.Encode(v)
}

func orDash(s string) string {
	if s == "" {
		return "-"
	}
	return s
}
