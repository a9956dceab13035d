package step

import (
	"fmt"
	"regexp"
	"strings"
)

// promPlain is what a value placed outside quotes in PromQL may be: a
// number (optionally negative), a duration (5m, 1h30m), a metric or
// label name. Nothing else: "/", "-" or a space would make it an
// expression ("> {threshold}" becoming "> up/up").
var promPlain = regexp.MustCompile(`^(-?([0-9]+(\.[0-9]*)?|\.[0-9]+)([eE][+-]?[0-9]+)?|([0-9]+(ms|s|m|h|d|w|y))+|[A-Za-z_:][A-Za-z0-9_:]*)$`)

// promSpan is a quoted string or comment of a PromQL expression.
type promSpan struct {
	quote      byte // '"', '\'', '`', or '#' for a comment
	start, end int  // code[start:end], quotes included
}

// promSpans finds the strings and comments of a PromQL expression.
func promSpans(code string) []promSpan {
	var out []promSpan
	for i := 0; i < len(code); i++ {
		c := code[i]
		switch c {
		case '"', '\'', '`':
			j := i + 1
			for j < len(code) && code[j] != c {
				if code[j] == '\\' && c != '`' {
					j++
				}
				j++
			}
			end := min(j+1, len(code))
			out = append(out, promSpan{c, i, end})
			i = end - 1
		case '#':
			j := strings.IndexByte(code[i:], '\n')
			end := len(code)
			if j >= 0 {
				end = i + j
			}
			out = append(out, promSpan{'#', i, end})
			i = end - 1
		}
	}
	return out
}

// renderPromQL escapes each value for where it sits.
func renderPromQL(in input, r *Rendered) error {
	spans := promSpans(in.code)
	inserts := make([]string, len(in.ph))
	keep := make([]bool, len(in.ph))
	for i, p := range in.ph {
		v := in.values[p.Name]
		var q byte
		for _, sp := range spans {
			if sp.start < p.Start && p.Start < sp.end {
				q = sp.quote
				break
			}
		}
		switch q {
		case 0:
			if !promPlain.MatchString(v) {
				return placeErr(p.Name, "is outside quotes, where a value may only be a number (5, -0.5), a duration (5m, 1h30m) or a name (letters, digits, _ and :): put it in quotes if it is a label value")
			}
			inserts[i] = v
		case '"', '\'':
			inserts[i] = promEscape(v, q)
		case '`':
			if strings.ContainsRune(v, '`') {
				return placeErr(p.Name, "is inside `…`, where a value cannot hold a backtick: use \"…\"")
			}
			inserts[i] = v
		case '#':
			keep[i] = true
		}
	}
	fill := func(hide bool) string {
		return splice(in.code, in.ph, func(i int) string {
			p := in.ph[i]
			switch {
			case keep[i]:
				return in.code[p.Start:p.End]
			case hide && in.secret[p.Name]:
				return mask(p.Name)
			}
			return inserts[i]
		})
	}
	r.Text = fill(false)
	r.Lines = lines(fill(true))
	return nil
}

// promEscape escapes v for a PromQL string quoted with q: the Go escapes
// PromQL's strings take.
func promEscape(v string, q byte) string {
	var b strings.Builder
	for _, c := range v {
		switch {
		case c == '\\':
			b.WriteString(`\\`)
		case c == rune(q):
			b.WriteByte('\\')
			b.WriteRune(c)
		case c == '\n':
			b.WriteString(`\n`)
		case c == '\r':
			b.WriteString(`\r`)
		case c == '\t':
			b.WriteString(`\t`)
		case c < 0x20 || c == 0x7f:
			fmt.Fprintf(&b, `\x%02x`, c)
		default:
			b.WriteRune(c)
		}
	}
	return b.String()
}
