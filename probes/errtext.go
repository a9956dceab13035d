package probes

import (
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
