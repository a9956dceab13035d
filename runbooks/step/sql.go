package step

import (
	"fmt"
	"sort"
	"strconv"
	"strings"

	"github.com/warroom-dev/warroom/internal/sanitize"
	"github.com/warroom-dev/warroom/probes/pg"
)

// typedLiteral are the type names of a "type 'literal'" constant that a
// parameter takes as "$n::type" (PostgreSQL has no "interval $1").
var typedLiteral = map[string]bool{
	"interval": true, "date": true, "time": true, "timestamp": true, "timestamptz": true,
	"uuid": true, "inet": true, "cidr": true, "json": true, "jsonb": true,
	"numeric": true, "int": true, "integer": true, "bigint": true, "smallint": true,
	"text": true, "varchar": true, "boolean": true, "bool": true,
}

// edit replaces code[start:end] with repl.
type edit struct {
	start, end int
	repl       string
}

// renderSQL makes each placeholder a bind parameter.
func renderSQL(in input, r *Rendered) error {
	code := in.code
	spans := pg.Lex(code)
	for _, sp := range spans {
		if sp.Kind == pg.SpanCode {
			if own, ok := ownParam(code[sp.Start:sp.End]); ok {
				return fmt.Errorf("the SQL has its own parameter %s: write a {variable} instead", own)
			}
		}
	}
	num := map[string]int{}
	var names []string
	var edits []edit
	k := 0
	for _, p := range in.ph {
		for k < len(spans) && spans[k].End <= p.Start {
			k++
		}
		if k == len(spans) {
			return placeErr(p.Name, "is outside the SQL text") // cannot happen
		}
		sp := spans[k]
		param := func() string {
			n, ok := num[p.Name]
			if !ok {
				names = append(names, p.Name)
				n = len(names)
				num[p.Name] = n
				r.Args = append(r.Args, in.values[p.Name])
			}
			return "$" + strconv.Itoa(n)
		}
		switch sp.Kind {
		case pg.SpanCode:
			edits = append(edits, edit{p.Start, p.End, param()})
		case pg.SpanComment:
			// left as written: nothing in a comment runs
		case pg.SpanString:
			if sp.Start != p.Start-1 || sp.End != p.End+1 {
				return placeErr(p.Name, "is part of a longer quoted literal: put the variable alone in quotes ('{"+p.Name+"}') and build the text in SQL ('%' || '{"+p.Name+"}' || '%')")
			}
			start, typ := sp.Start, ""
			if w, ws, adjacent := wordBefore(code, sp.Start); w != "" {
				switch {
				case typedLiteral[strings.ToLower(w)]:
					start, typ = ws, "::"+strings.ToLower(w)
				case adjacent:
					return placeErr(p.Name, "is in a "+w+"'…' literal: put the variable alone in plain quotes")
				}
			}
			edits = append(edits, edit{start, sp.End, param() + typ})
		case pg.SpanEString:
			return placeErr(p.Name, "is inside an E'…' string: put the variable alone in plain quotes")
		case pg.SpanIdent:
			return placeErr(p.Name, "is inside a \"…\" identifier: a variable cannot name a table or column")
		case pg.SpanDollar:
			return placeErr(p.Name, "is inside a dollar-quoted string")
		}
	}
	sort.SliceStable(edits, func(i, j int) bool { return edits[i].start < edits[j].start })
	var b strings.Builder
	last := 0
	for _, e := range edits {
		b.WriteString(code[last:e.start])
		b.WriteString(e.repl)
		last = e.end
	}
	b.WriteString(code[last:])
	r.Text = b.String()
	r.Lines = lines(r.Text)
	for i, name := range names {
		v := sqlQuote(in.values[name])
		if in.secret[name] {
			v = mask(name)
		}
		r.Lines = append(r.Lines, "-- $"+strconv.Itoa(i+1)+" = "+v)
	}
	return nil
}

// wordBefore is the identifier that ends right before i (after spaces),
// its start, and whether it touches i.
func wordBefore(code string, i int) (string, int, bool) {
	j := i
	for j > 0 && (code[j-1] == ' ' || code[j-1] == '\t' || code[j-1] == '\n' || code[j-1] == '\r') {
		j--
	}
	end := j
	for j > 0 && identByte(code[j-1]) && code[j-1] != '$' {
		j--
	}
	if j == end {
		if end > 0 && code[end-1] == '&' && end == i { // U&'…'
			return "U&", end - 1, true
		}
		return "", 0, false
	}
	if j > 0 && (code[j-1] == '.' || code[j-1] == '"') {
		return "", 0, false // a qualified name, not a type keyword
	}
	return code[j:end], j, end == i
}

// ownParam reports a "$n" parameter already in code.
func ownParam(code string) (string, bool) {
	for i := 0; i+1 < len(code); i++ {
		if code[i] == '$' && code[i+1] >= '0' && code[i+1] <= '9' && (i == 0 || !identByte(code[i-1])) {
			j := i + 1
			for j < len(code) && code[j] >= '0' && code[j] <= '9' {
				j++
			}
			return code[i:j], true
		}
	}
	return "", false
}

func identByte(c byte) bool {
	return c == '_' || c == '$' || c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || c >= 0x80
}

// sqlQuote is v as a SQL literal, for the confirmation's "-- $n = …"
// lines (folded to one line).
func sqlQuote(v string) string {
	return "'" + strings.ReplaceAll(sanitize.Line(v), "'", "''") + "'"
}
