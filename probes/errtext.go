package probes

import (
	"net/url"
	"regexp"
	"strings"

	"github.com/warroom-dev/warroom/incident"
	"github.com/warroom-dev/warroom/internal/sanitize"
)

// ErrorLines is err's text as display lines, most useful first, cleaned
// for the screen. Backend errors are often several lines whose first is a
// header and whose cause comes after: pgx says
//
//	failed to connect to `user=u database=db`:
//		127.0.0.1:5432 (db): dial error: … connect: connection refused
//		127.0.0.1:5432 (db): dial error: … connect: connection refused
//
// (one line per address and TLS attempt). An on-call engineer needs the
// cause, so a header (a first line ending in ":" with more lines after it)
// goes last, repeated lines are shown once, and indentation is dropped.
// nil gives none.
func ErrorLines(err error) []string {
	if err == nil {
		return nil
	}
	var lines []string
	seen := map[string]bool{}
	for _, l := range strings.Split(incident.Redact(sanitize.Text(err.Error())), "\n") {
		l = strings.TrimSpace(l)
		if l == "" || seen[l] {
			continue
		}
		seen[l] = true
		lines = append(lines, l)
	}
	if len(lines) > 1 && strings.HasSuffix(lines[0], ":") {
		header := strings.TrimSuffix(lines[0], ":")
		lines = append(lines[1:], "("+header+")")
	}
	return lines
}

// ErrorText is ErrorLines on one line, cause first: for a state line or a
// timeline summary, whose tail is what a narrow pane cuts.
func ErrorText(err error) string {
	return strings.Join(ErrorLines(err), " ⏎ ")
}

// Mask replaces a secret in error text.
const Mask = "xxxxx"

// urlInText is a URL inside error text (url.Error quotes it: `Get "…"`).
var urlInText = regexp.MustCompile(`[a-zA-Z][a-zA-Z0-9+.-]*://[^\s"'<>]+`)

// CleanURL drops a URL's userinfo, query and fragment ("?…" says there
// was a query): what a backend's error may name without a credential.
func CleanURL(raw string) string {
	u, err := url.Parse(raw)
	if err != nil || u.Host == "" {
		// Not a URL with a host ("user:pw@host:port" parses as an opaque
		// one): cut by hand at the first of ?#, and up to the last @
		// before the path.
		s := raw
		if i := strings.IndexAny(s, "?#"); i >= 0 {
			s = s[:i] + "?…"
		}
		prefix, rest := "", s
		if i := strings.Index(s, "://"); i >= 0 {
			prefix, rest = s[:i+3], s[i+3:]
		}
		end := strings.IndexByte(rest, '/')
		if end < 0 {
			end = len(rest)
		}
		if at := strings.LastIndex(rest[:end], "@"); at >= 0 {
			rest = rest[at+1:]
		}
		return prefix + rest
	}
	q := u.RawQuery != "" || u.ForceQuery
	u.User, u.RawQuery, u.ForceQuery, u.Fragment, u.RawFragment = nil, "", false, "", ""
	s := u.String()
	if q {
		s += "?…"
	}
	return s
}

// CleanText is s with every URL in it cleaned (CleanURL) and each of
// secrets masked (those of 4 bytes or more: shorter ones would mask
// ordinary words).
func CleanText(s string, secrets []string) string {
	s = urlInText.ReplaceAllStringFunc(s, CleanURL)
	for _, sec := range secrets {
		if len(sec) >= 4 {
			s = strings.ReplaceAll(s, sec, Mask)
		}
	}
	return s
}
