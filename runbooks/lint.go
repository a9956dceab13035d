package runbooks

import (
	"errors"
	"fmt"
	"os"
	"regexp"
	"sort"
	"strings"

	"mvdan.cc/sh/v3/syntax"
)

// Problem is one thing Lint found in a runbook file.
type Problem struct {
	File    string
	Line    int // 1-based
	Runbook string
	Step    string
	Message string
	// Note is a problem that does no harm (a variable declared but not
	// used); the others make a runbook wrong or unsafe to run.
	Note bool
}

// String is "file:line: runbook › step: message" (the parts it has; a
// note's message starts with "note: ").
func (p Problem) String() string {
	var b strings.Builder
	fmt.Fprintf(&b, "%s:%d: ", p.File, p.Line)
	if p.Runbook != "" {
		b.WriteString(p.Runbook)
		if p.Step != "" {
			b.WriteString(" › " + p.Step)
		}
		b.WriteString(": ")
	}
	if p.Note {
		b.WriteString("note: ")
	}
	b.WriteString(p.Message)
	return b.String()
}

// Lint checks the runbook files at path (a file, or every *.md under a
// folder): a file that does not parse (one problem, at the line the parser
// names); in a file with front matter, variables the steps use that it
// does not declare, and (notes) variables it declares that no step uses;
// steps without a name; steps Detect finds destructive that are not
// marked so; variables in a bash step inside a string another program
// reads as code (sh -c "…{v}…", eval, ssh: the value is quoted for bash,
// and read again by that program). The error is for a path that cannot
// be read.
func Lint(path string) ([]Problem, error) {
	files, err := mdFiles(path)
	if err != nil {
		return nil, fmt.Errorf("runbooks: %w", err)
	}
	var out []Problem
	for _, f := range files {
		data, err := os.ReadFile(f)
		if err != nil {
			return nil, fmt.Errorf("runbooks: %w", err)
		}
		out = append(out, lintFile(string(data), f)...)
	}
	return out, nil
}

func lintFile(md, file string) []Problem {
	d, err := parseDoc(md, file)
	if err != nil {
		var pe *ParseError
		if errors.As(err, &pe) {
			return []Problem{{File: file, Line: pe.Line, Message: pe.Msg}}
		}
		return []Problem{{File: file, Line: 1, Message: err.Error()}}
	}
	var out []Problem
	for _, rb := range d.books {
		used := map[string]bool{}
		for _, st := range rb.Steps {
			at := Problem{File: file, Line: st.Line, Runbook: rb.Title, Step: st.Name}
			add := func(format string, args ...any) {
				p := at
				p.Message = fmt.Sprintf(format, args...)
				out = append(out, p)
			}
			if st.Name == "" {
				add("%s step has no name: put a list item or a paragraph before its block, or a comment line first in it", st.Lang)
			}
			if det, why := Detect(st.Lang, st.Code); det && !st.Marked {
				add("destructive step (%s) is not marked: write \"```%s destructive\"", why, st.Lang)
			}
			for _, v := range st.Vars {
				used[v] = true
				if decl, ok := rb.Variable(v); d.front && (!ok || !decl.Declared) {
					add("variable {%s} is not declared in the front matter", v)
				}
			}
			if st.Lang == Bash {
				if why := neverEnds(st.Code); why != "" {
					add("%s: a step runs without a terminal and must end by itself (it would run until steps.timeout)", why)
				}
				for _, v := range quotedVars(st.Code) {
					add("variable {%s} is in a string another program reads as code (after -c, eval, ssh): the console quotes it for bash, that program reads it again; pass it as an argument or an environment variable", v)
				}
			}
		}
		if d.front {
			for _, v := range rb.Variables {
				if v.Declared && !used[v.Name] {
					out = append(out, Problem{File: file, Line: d.declLine[v.Name], Runbook: rb.Title,
						Message: fmt.Sprintf("variable {%s} is declared but no step uses it", v.Name), Note: true})
				}
			}
		}
	}
	sort.SliceStable(out, func(a, b int) bool { return out[a].Line < out[b].Line })
	return out
}

// quotedVars are the variables a bash script uses inside single or double
// quotes (none when it does not parse).
func quotedVars(code string) []string {
	f, err := syntax.NewParser(shParser).Parse(strings.NewReader(code), "")
	if err != nil {
		return nil
	}
	var out []string
	seen := map[string]bool{}
	note := func(s string) {
		for _, name := range VarNames(s) {
			if !seen[name] {
				seen[name] = true
				out = append(out, name)
			}
		}
	}
	quoted := func(w *syntax.Word) {
		syntax.Walk(w, func(n syntax.Node) bool {
			switch n := n.(type) {
			case *syntax.SglQuoted:
				note(n.Value)
			case *syntax.DblQuoted:
				for _, p := range n.Parts {
					if l, ok := p.(*syntax.Lit); ok {
						note(l.Value)
					}
				}
			}
			return true
		})
	}
	syntax.Walk(f, func(n syntax.Node) bool {
		call, ok := n.(*syntax.CallExpr)
		if !ok || len(call.Args) == 0 {
			return true
		}
		// A string that another program reads as code: after "-c"
		// (sh, bash, su, psql), or any argument of eval or ssh.
		rereads := false
		switch call.Args[0].Lit() {
		case "eval", "ssh":
			rereads = true
		}
		for _, w := range call.Args[1:] {
			if rereads {
				quoted(w)
			}
			if w.Lit() == "-c" {
				rereads = true
			}
		}
		return true
	})
	return out
}

// endless are commands that wait for a terminal or never end by
// themselves; a step has no terminal and must end.
var endless = []struct {
	re  *regexp.Regexp
	why string
}{
	{regexp.MustCompile(`\bkubectl\s+logs\b[^|;&#]*\s(-f|--follow)\b`), "it follows a log (-f)"},
	{regexp.MustCompile(`(^|[|;&]\s*)stern\b`), "stern follows logs"},
	{regexp.MustCompile(`\btail\s[^|;&#]*-[a-zA-Z]*[fF]\b`), "tail -f never ends"},
	{regexp.MustCompile(`\b(kubectl\s+(exec|run|attach)|docker\s+(exec|run))\b[^|;&#]*\s(-it|-ti|--tty|-t|--stdin|-i)\b`), "it asks for a terminal (-it)"},
	{regexp.MustCompile(`(^|[|;&]\s*)(watch|top|htop|less|more|vi|vim|nano)\b`), "an interactive or endless command"},
	{regexp.MustCompile(`\bkubectl\s+(get|rollout\s+status)\b[^|;&#]*\s(-w|--watch)\b`), "it watches (-w) and never ends"},
}

// neverEnds says why code would not end by itself, or "".
func neverEnds(code string) string {
	for _, line := range strings.Split(code, "\n") {
		if i := strings.Index(line, "#"); i >= 0 && (i == 0 || line[i-1] == ' ') {
			line = line[:i]
		}
		for _, e := range endless {
			if e.re.MatchString(strings.TrimSpace(line)) {
				return e.why
			}
		}
	}
	return ""
}
