package step

import (
	"sort"
	"strings"

	"mvdan.cc/sh/v3/syntax"

	"github.com/warroom-dev/warroom/incident"
)

// SecretMask is what Run puts in place of a secret value; the shell
// masks with the same (common.SecretMask).
const SecretMask = incident.SecretMask

// masker replaces secret values, and the forms bash prints them in, with
// SecretMask. A nil *masker masks nothing.
type masker struct {
	forms   []string // longest first
	longest int
}

// newMasker is the masker of secrets, or nil when there are none.
func newMasker(secrets []string) *masker {
	seen := map[string]bool{}
	var forms []string
	add := func(f string) {
		if f != "" && !seen[f] {
			seen[f] = true
			forms = append(forms, f)
		}
	}
	for _, v := range secrets {
		if v == "" {
			continue
		}
		add(v)
		// As syntax.Quote writes it ('…', "…" or $'…'), and what is
		// inside its quotes: part of a longer quoted word.
		if q, err := syntax.Quote(v, syntax.LangBash); err == nil {
			add(q)
			switch {
			case strings.HasPrefix(q, "$'") && len(q) >= 3:
				add(q[2 : len(q)-1])
			case strings.HasPrefix(q, `"`) && len(q) >= 2:
				add(q[1 : len(q)-1])
			}
		}
		// As set -x prints it: '…' with each ' as '\''.
		add(strings.ReplaceAll(v, "'", `'\''`))
	}
	if len(forms) == 0 {
		return nil
	}
	sort.SliceStable(forms, func(i, j int) bool { return len(forms[i]) > len(forms[j]) })
	return &masker{forms: forms, longest: len(forms[0])}
}

// mask is s with every secret form replaced by SecretMask.
func (m *masker) mask(s string) string {
	if m == nil {
		return s
	}
	return m.maskTo(s, len(s))
}

// maskTo is s[:limit] with every secret form that starts before limit
// replaced by SecretMask, whole, even one that runs past limit: cutting
// s at limit shows no part of a secret that s holds whole.
func (m *masker) maskTo(s string, limit int) string {
	if m == nil {
		return s[:limit]
	}
	var b strings.Builder
	i := 0
	for i < limit {
		at, n := -1, 0
		for _, f := range m.forms {
			k := strings.Index(s[i:], f)
			if k < 0 || i+k >= limit {
				continue
			}
			if at < 0 || i+k < at { // longest first: the first found at a place is the longest
				at, n = i+k, len(f)
			}
		}
		if at < 0 {
			b.WriteString(s[i:limit])
			break
		}
		b.WriteString(s[i:at])
		b.WriteString(SecretMask)
		i = at + n
	}
	return b.String()
}

// maskCell is a table cell masked; a cell another part already cut (it
// ends in "…", as the pg probe cuts long values) also loses a trailing
// start of a secret form: the rest of the secret was cut off.
func (m *masker) maskCell(s string) string {
	if m == nil {
		return s
	}
	s = m.mask(s)
	body, cut := strings.CutSuffix(s, "…")
	if !cut {
		return s
	}
	best := 0
	for _, f := range m.forms {
		for k := min(len(f)-1, len(body)); k > best; k-- {
			if strings.HasSuffix(body, f[:k]) {
				best = k
				break
			}
		}
	}
	if best == 0 {
		return s
	}
	return body[:len(body)-best] + SecretMask + "…"
}

// maskedError is an error whose text had a secret: its text is masked,
// and it unwraps to the error (errors.Is(err, context.Canceled) holds).
type maskedError struct {
	text string
	err  error
}

func (e *maskedError) Error() string { return e.text }
func (e *maskedError) Unwrap() error { return e.err }

// maskErr is err with its text masked.
func (m *masker) maskErr(err error) error {
	if m == nil || err == nil {
		return err
	}
	if t := m.mask(err.Error()); t != err.Error() {
		return &maskedError{text: t, err: err}
	}
	return err
}
