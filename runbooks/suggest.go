package runbooks

import (
	"sort"
	"strings"
)

// signalWords are the words in a runbook's title, symptoms or tags that
// answer a signal kind, for runbooks whose front matter names no signals
// (the playbook loaded with --runbooks).
var signalWords = map[string][]string{
	SignalHTTP5xx:     {"5xx", "error rate"},
	SignalCrashLoop:   {"health check", "no responses", "5xx errors"},
	SignalConnections: {"connection"},
	SignalLockWaits:   {"timeouts on queries", "slow quer", "lock"},
	SignalSlowQueries: {"timeouts on queries", "slow quer", "lock"},
}

// Suggest ranks the runbooks that answer what is burning, best first. A
// runbook answers a signal when its front matter's signals include the
// signal's kind (or "kind:name", when one of the signal's Terms is name:
// "pods.crashloop:agent-runtime" for that deployment's pods only) — for an alert, also one of the alert's Terms must appear
// in its title, symptoms or tags (case and spacing aside: "HighErrorRate"
// is in "Alert: HighErrorRate" and in "High Error Rate"). A runbook whose
// front matter names no signals answers by words in its title, symptoms
// or tags instead: "5xx" or "error rate" answer http.5xx, "connection"
// answers pg.connections, and so on (signalWords); an alert, by its Terms.
//
// The score is the sum of the answered signals' weights (a weight below 1
// counts as 1); ties keep index order. Each suggestion's Signals are the
// ones it answers, strongest first. No signals, no suggestions.
func (ix *Index) Suggest(signals []Signal) []Suggestion {
	if len(signals) == 0 {
		return nil
	}
	var out []Suggestion
	for i, b := range ix.books {
		var sigs []Signal
		score := 0
		for _, s := range signals {
			if ix.answers(i, s) {
				sigs = append(sigs, s)
				score += max(s.Weight, 1)
			}
		}
		if len(sigs) == 0 {
			continue
		}
		sort.SliceStable(sigs, func(a, b int) bool { return sigs[a].Weight > sigs[b].Weight })
		out = append(out, Suggestion{Runbook: b, Signals: sigs, Score: score})
	}
	sort.SliceStable(out, func(a, b int) bool { return out[a].Score > out[b].Score })
	return out
}

func (ix *Index) answers(i int, s Signal) bool {
	b := ix.books[i]
	if len(b.Signals) > 0 {
		listed := false
		for _, k := range b.Signals {
			// "pods.crashloop:agent-runtime" answers only the signals
			// that name agent-runtime (a deployment, an alert).
			kind, only, qualified := strings.Cut(k, ":")
			if kind == s.Kind && (!qualified || ix.names(s.Terms, only)) {
				listed = true
				break
			}
		}
		if !listed {
			return false
		}
		return s.Kind != SignalAlert || ix.hasTerm(i, s.Terms)
	}
	if s.Kind == SignalAlert {
		return ix.hasTerm(i, s.Terms)
	}
	for _, w := range signalWords[s.Kind] {
		if strings.Contains(ix.about[i], w) {
			return true
		}
	}
	return false
}

// names reports whether one of terms is name (case aside).
func (ix *Index) names(terms []string, name string) bool {
	for _, t := range terms {
		if strings.EqualFold(t, name) {
			return true
		}
	}
	return false
}

// hasTerm reports whether one of terms (three letters or more once folded)
// appears in the runbook's title, symptoms or tags.
func (ix *Index) hasTerm(i int, terms []string) bool {
	for _, t := range terms {
		if f := foldWords(t); len(f) >= 3 && strings.Contains(ix.fold[i], f) {
			return true
		}
	}
	return false
}
