// Package step renders a runbook step with its variables' values and runs
// it: a bash script in its own process group with its output streamed
// line by line, SQL through the pg probe's pool in one transaction, a
// PromQL instant query through the prom probe.
//
// Rendering never lets a value change what runs:
//
//   - bash: each {var} is inserted shell-quoted (mvdan.cc/sh's
//     syntax.Quote) for the quoting context it sits in, which is read
//     from the script's syntax tree (the script is parsed with each
//     placeholder replaced by a sentinel word): unquoted, Quote(v); inside
//     '…', the quote is closed, Quote(v) inserted and the quote reopened
//     ('…'Quote(v)'…'); inside $'…' likewise ($'…'Quote(v)$'…'); inside
//     "…", "…"Quote(v)"…"; in a comment, Quote(v) (it has no newline). A
//     placeholder where quoting cannot make it a plain word is refused:
//     in arithmetic ($((…)), ((…)), let, an array index, [[ -eq ]],
//     [[ -v ]], declare -i/-n), in a parameter expansion (${x:-{v}}), in
//     a here-document, in `…`, as a variable or function name (also
//     test -v NAME, printf -v NAME, the names of read, mapfile and
//     readarray, unset, getopts, wait -p), after a backslash, or in an
//     eval or a trap. A value with a NUL is refused; a value that is a
//     reserved word is quoted ('done'). Refused too, whatever the
//     context: a value with an invisible or unprintable character (a
//     pasted no-break space: bash without a UTF-8 locale would print
//     $'\u00a0' as it is), a value starting with "-" where it starts a
//     word (it would be read as an option), and a value holding "["
//     with "$" or "`" (x[$(cmd)] runs cmd wherever bash evaluates the
//     value as arithmetic later: n={v}; (( n > 1 ))). A secret
//     variable's value is not in the script at all: it is passed in the
//     environment (Rendered.Env) and the script expands it, quoted for
//     the context ("${WARROOM_SECRET_1}", '"${WARROOM_SECRET_1}"'…).
//     The guarantee is at the level of the bash that runs the step: a
//     program that evaluates its argument as code again (sh -c '…{v}…',
//     ssh host '…', psql -c) gets the value as text it may evaluate.
//   - sql: '{var}' (the placeholder alone in a literal) and a bare {var}
//     become bind parameters $n (the same variable the same $n), sent as
//     text of unknown type: PostgreSQL types $n as it would the literal.
//     A typed literal (interval '{d}') becomes $n::interval. A
//     placeholder inside a longer literal, an E'…' or dollar-quoted
//     string, or a "…" identifier is refused. One in a comment is left
//     as written.
//   - promql: inside "…" or '…' the value is escaped (backslash, the
//     quote, control characters); inside `…` it may not hold a backtick;
//     elsewhere it must be a number (5, -0.5, 1e3), a duration (5m,
//     1h30m) or a name ([A-Za-z_:][A-Za-z0-9_:]*). One in a # comment is
//     left as written.
//
// An error of Render names the variable, never its value.
//
// The variables substituted are the step's Vars (VarNames of its code
// when Vars is nil): a {word} that is not one of them is left as
// written. Each one needs a value in the map given to Render (the
// variable's default is the input dialog's business).
package step

import (
	"errors"
	"fmt"
	"strings"

	"github.com/warroom-dev/warroom/runbooks"
)

// Rendered is a step ready to run.
type Rendered struct {
	Lang runbooks.Lang
	// Text is exactly what runs: the bash script, the SQL with $n
	// parameters, the PromQL expression.
	Text string
	// Args are the SQL bind parameters ($1 is Args[0]), as strings.
	Args []any
	// Lines are what the confirmation shows and the journal records:
	// Text's lines (secret values shown as ‹name›), and for SQL one
	// "-- $1 = 'value'" line per parameter.
	Lines []string
	// Secrets are the secret variables' values: Run masks them (and the
	// forms the shell quotes them in) in what it streams and returns, and
	// the shell in anything it records or shows.
	Secrets []string
	// Env holds a bash step's secret values as NAME=value
	// (WARROOM_SECRET_1…), which Run adds to bash's environment: Text
	// only refers to them ("${WARROOM_SECRET_1}"), so no secret is on
	// bash's command line, which any local user can read.
	Env []string
}

// Render inserts values into s's code for its language.
func Render(s runbooks.Step, vars []runbooks.Variable, values map[string]string) (Rendered, error) {
	names := s.Vars
	if names == nil {
		names = runbooks.VarNames(s.Code)
	}
	used := map[string]bool{}
	for _, n := range names {
		used[n] = true
	}
	secret := map[string]bool{}
	for _, v := range vars {
		if v.Secret {
			secret[v.Name] = true
		}
	}
	var ph []runbooks.Placeholder
	for _, p := range runbooks.Placeholders(s.Code) {
		if used[p.Name] {
			ph = append(ph, p)
		}
	}
	r := Rendered{Lang: s.Lang}
	seen := map[string]bool{}
	for _, p := range ph {
		v, ok := values[p.Name]
		if !ok {
			return Rendered{}, fmt.Errorf("no value for {%s}", p.Name)
		}
		if strings.IndexByte(v, 0) >= 0 {
			return Rendered{}, fmt.Errorf("the value of {%s} holds a NUL byte", p.Name)
		}
		if secret[p.Name] && !seen[p.Name] && v != "" {
			r.Secrets = append(r.Secrets, v)
		}
		seen[p.Name] = true
	}
	in := input{code: s.Code, ph: ph, values: values, secret: secret}
	var err error
	switch s.Lang {
	case runbooks.Bash:
		err = renderBash(in, &r)
	case runbooks.SQL:
		err = renderSQL(in, &r)
	case runbooks.PromQL:
		err = renderPromQL(in, &r)
	default:
		err = fmt.Errorf("a %q step cannot run", s.Lang)
	}
	if err != nil {
		return Rendered{}, err
	}
	return r, nil
}

// input is what the renderers share.
type input struct {
	code   string
	ph     []runbooks.Placeholder // the ones to substitute, in order
	values map[string]string
	secret map[string]bool
}

// mask is how a secret value is shown.
func mask(name string) string { return "‹" + name + "›" }

// splice builds code with placeholder i replaced by repl(i) (the
// placeholders are in order and do not overlap).
func splice(code string, ph []runbooks.Placeholder, repl func(i int) string) string {
	var b strings.Builder
	b.Grow(len(code))
	last := 0
	for i, p := range ph {
		b.WriteString(code[last:p.Start])
		b.WriteString(repl(i))
		last = p.End
	}
	b.WriteString(code[last:])
	return b.String()
}

// lines splits text into its lines, without a final empty one.
func lines(text string) []string {
	return strings.Split(strings.TrimRight(text, "\n"), "\n")
}

// placeErr says why a placeholder cannot be filled where it is.
func placeErr(name, why string) error {
	return errors.New("{" + name + "} " + why)
}
