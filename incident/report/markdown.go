package report

import (
	"strconv"
	"strings"
	"time"
)

// escapeSet is every character backslash-escaped in text from events:
// those that open or close inline structure (code, emphasis, links,
// images, HTML, entities, strikethrough), a table cell (|) or a heading
// (#), and the backslash itself. CommonMark lets any ASCII punctuation
// be escaped, so the escape always reads back as the character.
const escapeSet = "\\`*_[]<>#|~&!"

// esc escapes s for use inline (inside a paragraph, a list item, a
// table cell or a heading). s is one line: callers clean it first.
func esc(s string) string {
	n := 0
	for i := 0; i < len(s); i++ {
		if strings.IndexByte(escapeSet, s[i]) >= 0 {
			n++
		}
	}
	if n == 0 {
		return s
	}
	var b strings.Builder
	b.Grow(len(s) + n)
	for i := 0; i < len(s); i++ {
		if strings.IndexByte(escapeSet, s[i]) >= 0 {
			b.WriteByte('\\')
		}
		b.WriteByte(s[i])
	}
	return b.String()
}

// escStart escapes s as inline text and, when it starts a line, what
// would make that line a block of its own: a list marker (- + or 1. 1)),
// a setext underline (=), a thematic break, or indentation (a code
// block: leading spaces are dropped).
func escStart(s string) string {
	s = esc(strings.TrimLeft(s, " \t"))
	if s == "" {
		return s
	}
	switch s[0] {
	case '-', '+', '=':
		return "\\" + s
	}
	digits := 0
	for digits < len(s) && digits < 10 && s[digits] >= '0' && s[digits] <= '9' {
		digits++
	}
	if digits > 0 && digits < len(s) && (s[digits] == '.' || s[digits] == ')') {
		return s[:digits] + "\\" + s[digits:]
	}
	return s
}

// paragraphs is multi-line text (a note's Detail) as markdown: its
// paragraphs (split at blank lines) kept, each line escaped on its own
// and ended with a hard line break so the note's lines stay lines.
// indent is put before every line but the first (a list item's
// continuation); blank lines between paragraphs get it too, trimmed.
func paragraphs(text, indent string) string {
	var paras [][]string
	var cur []string
	for _, l := range strings.Split(strings.ReplaceAll(text, "\r", ""), "\n") {
		l = strings.TrimRight(l, " \t")
		if strings.TrimSpace(l) == "" {
			if len(cur) > 0 {
				paras, cur = append(paras, cur), nil
			}
			continue
		}
		cur = append(cur, escStart(l))
	}
	if len(cur) > 0 {
		paras = append(paras, cur)
	}
	var b strings.Builder
	for i, p := range paras {
		if i > 0 {
			b.WriteString("\n" + strings.TrimRight(indent, " ") + "\n" + indent)
		}
		b.WriteString(strings.Join(p, "\\\n"+indent))
	}
	return b.String()
}

// promptMark marks text a person is to write: the report and drafts
// never invent it.
const promptMark = "**To fill in:**"

// promptInline is a prompt inside a line (a header field, a table cell).
func promptInline(what string) string { return promptMark + " " + what }

// prompt is a prompt block: a block quote, optionally with a list of
// what to say.
func prompt(what string, items ...string) string {
	s := "> " + promptInline(what)
	for _, it := range items {
		s += "\n> - " + it
	}
	return s
}

// placeholder is what a draft leaves for a person to fill in: "[impact:
// to fill in]".
func placeholder(what string) string { return "[" + what + ": to fill in]" }

// fence is a code fence longer than any run of backticks in body.
func fence(body string) string {
	run, longest := 0, 0
	for i := 0; i < len(body); i++ {
		if body[i] == '`' {
			run++
			longest = max(longest, run)
		} else {
			run = 0
		}
	}
	return strings.Repeat("`", max(3, longest+1))
}

// codeBlock is body in a fenced code block with the info string info.
func codeBlock(info, body string) string {
	body = strings.TrimRight(body, "\n")
	f := fence(body)
	return f + info + "\n" + body + "\n" + f
}

// human is a duration for people: "53 ms", "1.2 s", "45 s", "7 min",
// "7 min 30 s" (under 10 minutes), "1 h 13 min".
func human(d time.Duration) string {
	if d < 0 {
		return "-" + human(-d)
	}
	switch {
	case d < time.Second:
		return strconv.FormatInt(d.Milliseconds(), 10) + " ms"
	case d < 10*time.Second:
		return strconv.FormatFloat(d.Seconds(), 'f', 1, 64) + " s"
	case d < time.Minute:
		return strconv.Itoa(int(d.Round(time.Second)/time.Second)) + " s"
	case d < 10*time.Minute:
		d = d.Round(time.Second)
		m, s := int(d/time.Minute), int(d%time.Minute/time.Second)
		if s == 0 {
			return strconv.Itoa(m) + " min"
		}
		return strconv.Itoa(m) + " min " + strconv.Itoa(s) + " s"
	case d < time.Hour-30*time.Second:
		return strconv.Itoa(int(d.Round(time.Minute)/time.Minute)) + " min"
	}
	d = d.Round(time.Minute)
	h, m := int(d/time.Hour), int(d%time.Hour/time.Minute)
	if m == 0 {
		return strconv.Itoa(h) + " h"
	}
	return strconv.Itoa(h) + " h " + strconv.Itoa(m) + " min"
}

// spelled is a duration in words: "30 minutes", "1 hour", "1 hour 30
// minutes", "45 seconds".
func spelled(d time.Duration) string {
	unit := func(n int, one string) string {
		if n == 1 {
			return "1 " + one
		}
		return strconv.Itoa(n) + " " + one + "s"
	}
	if d < time.Minute {
		return unit(int(d.Round(time.Second)/time.Second), "second")
	}
	d = d.Round(time.Minute)
	h, m := int(d/time.Hour), int(d%time.Hour/time.Minute)
	switch {
	case h == 0:
		return unit(m, "minute")
	case m == 0:
		return unit(h, "hour")
	}
	return unit(h, "hour") + " " + unit(m, "minute")
}
