package report

import (
	"cmp"
	"encoding/json"
	"slices"
	"sort"
	"strings"

	"github.com/warroom-dev/warroom/incident"
	"github.com/warroom-dev/warroom/internal/sanitize"
)

// SecretMask replaces a value of Options.Secrets wherever it appears: the
// shell's mask, so a masked value reads the same in the console, the
// journal's outputs and the report.
const SecretMask = incident.SecretMask

// cleaner makes strings from outside fit to write: the secret values
// masked, terminal controls stripped (internal/sanitize), then secrets
// redacted (incident.Redact). A journal read by incident.ReadFile is
// already clean; a hand-edited or foreign one, or events passed raw, may
// not be. Results are cached: a journal repeats its actors, titles and
// kinds thousands of times. A maskOnly cleaner (Options.Cleaned: events
// incident has cleaned already) only masks the secret values.
type cleaner struct {
	secrets  []string // longest first
	maskOnly bool
	lines    map[string]string
	texts    map[string]string
}

func newCleaner(secrets []string, maskOnly bool) *cleaner {
	var s []string
	for _, v := range secrets {
		if v != "" && !slices.Contains(s, v) {
			s = append(s, v)
		}
	}
	// Longest first, so a secret holding another is masked whole.
	sort.SliceStable(s, func(i, j int) bool { return len(s[i]) > len(s[j]) })
	return &cleaner{secrets: s, maskOnly: maskOnly, lines: map[string]string{}, texts: map[string]string{}}
}

func (c *cleaner) mask(s string) string {
	for _, sec := range c.secrets {
		if strings.Contains(s, sec) {
			s = strings.ReplaceAll(s, sec, SecretMask)
		}
	}
	return s
}

// line is s cleaned and folded to one line.
func (c *cleaner) line(s string) string {
	if isUUID(s) && len(c.secrets) == 0 {
		return s // an event ID: nothing to clean, and not worth a cache entry
	}
	return c.clean(s, false)
}

// text is s cleaned, keeping its newlines.
func (c *cleaner) text(s string) string { return c.clean(s, true) }

// clean is s masked, sanitized (as a line, or as text keeping its
// newlines) and redacted, remembered for the next time.
func (c *cleaner) clean(s string, text bool) string {
	if s == "" {
		return s
	}
	if c.maskOnly {
		return c.mask(s)
	}
	cache, sanitized := c.lines, sanitize.Line
	if text {
		cache, sanitized = c.texts, sanitize.Text
	}
	if out, ok := cache[s]; ok {
		return out
	}
	// Masked before and after sanitizing: a secret value with a tab or a
	// control character in it is found either as written or as shown.
	out := incident.Redact(c.mask(sanitized(c.mask(s))))
	cache[s] = out
	return out
}

// event returns a deep copy of ev with every string cleaned, by
// incident's own walk (so a field added to Event later is covered):
// fields tagged `clean:"text"` keep their newlines.
func (c *cleaner) event(ev incident.Event) incident.Event {
	return incident.CleanEvent(ev, func(s string, text bool) string {
		if text {
			return c.text(s)
		}
		return c.line(s)
	})
}

// prepare returns the events as the report reads them: each without an
// ID given one derived from its content (so the same event counts once
// and the order does not depend on the input's), version 1 events
// upgraded (incident.Upgrade), every string cleaned (only the secrets
// masked by a maskOnly cleaner; nothing at all when there are none), sorted
// by (Time, ID) with duplicate IDs dropped (the first in that order is
// kept).
func prepare(events []incident.Event, c *cleaner) []incident.Event {
	out := make([]incident.Event, 0, len(events))
	clean := !c.maskOnly || len(c.secrets) > 0
	for _, ev := range events {
		if ev.ID == "" {
			raw, _ := json.Marshal(ev)
			ev.ID = incident.DerivedID(ev.Time, "report", string(raw))
		}
		if ev.V == 0 {
			ev = incident.Upgrade(ev, 0, nil)
		}
		if clean {
			ev = c.event(ev)
		}
		out = append(out, ev)
	}
	if strictlyOrdered(out) {
		return dedup(out) // a journal is written in order: no sort needed
	}
	slices.SortStableFunc(out, func(a, b incident.Event) int {
		if d := a.Time.Compare(b.Time); d != 0 {
			return d
		}
		if d := cmp.Compare(a.ID, b.ID); d != 0 {
			return d
		}
		// The same ID twice at the same time: keep one whatever the
		// input's order (a hand-edited journal may differ in content).
		ja, _ := json.Marshal(a)
		jb, _ := json.Marshal(b)
		return cmp.Compare(string(ja), string(jb))
	})
	return dedup(out)
}

// strictlyOrdered reports whether events are in strictly increasing
// (Time, ID) order: no two share both, so sorting would not move one.
func strictlyOrdered(events []incident.Event) bool {
	for i := 1; i < len(events); i++ {
		a, b := &events[i-1], &events[i]
		if c := a.Time.Compare(b.Time); c > 0 || c == 0 && a.ID >= b.ID {
			return false
		}
	}
	return true
}

// dedup drops the events whose ID an earlier one has, in place.
func dedup(out []incident.Event) []incident.Event {
	seen := make(map[string]struct{}, len(out))
	kept := out[:0]
	for _, ev := range out {
		if _, dup := seen[ev.ID]; dup {
			continue
		}
		seen[ev.ID] = struct{}{}
		kept = append(kept, ev)
	}
	return kept
}

// action is one action as the journal tells it: its started event and
// outcome (an executed action), or its not-executed event.
type action struct {
	start    *incident.Event // nil: the outcome's start is not in the journal
	end      *incident.Event // nil: no outcome recorded
	notRun   *incident.Event // a dry-run or drill "would run"
	evidence *incident.Event // the vitals some minutes after it ended

	// The vitals' comparisons, once computed (atEnd, afterward).
	atEnd, afterward *string
}

// first is the action's earliest event.
func (a *action) first() *incident.Event {
	switch {
	case a.start != nil:
		return a.start
	case a.end != nil:
		return a.end
	}
	return a.notRun
}

// fields is the action's facts: the outcome's if any (it repeats the
// start's), else the start's.
func (a *action) fields() *incident.ActionFields {
	for _, ev := range []*incident.Event{a.end, a.start, a.notRun} {
		if ev != nil && ev.Action != nil {
			return ev.Action
		}
	}
	return &incident.ActionFields{}
}

// isStep reports whether the action is a runbook step: Step set, or a
// version 1 step-started/step-finished line.
func (a *action) isStep() bool {
	if a.fields().Step != "" {
		return true
	}
	ev := a.first()
	return ev.Kind == incident.KindStepStarted || ev.Kind == incident.KindStepFinished
}

// stepName is the runbook step's name.
func (a *action) stepName() string {
	if f := a.fields(); f.Step != "" {
		return f.Step
	} else if f.Title != "" {
		return f.Title
	}
	return a.first().Summary
}

// actions pairs the action events of the sorted events: a finished event
// with the started one its Ref names or, when it has no Ref (version 1
// steps), with the latest unpaired start of the same title. Evidence is
// attached by its Ref. The result is in the order of each action's first
// event.
func actions(events []incident.Event) []*action {
	var list []*action
	byStart := map[string]*action{}
	var open []*action // started, no outcome yet, in order
	for i := range events {
		ev := &events[i]
		f := ev.Action
		if f == nil {
			continue
		}
		switch {
		case ev.Kind != incident.KindAction && ev.Kind != incident.KindStepStarted && ev.Kind != incident.KindStepFinished:
		case f.Phase == incident.PhaseStarted:
			a := &action{start: ev}
			list = append(list, a)
			byStart[ev.ID] = a
			open = append(open, a)
		case f.Phase == incident.PhaseFinished:
			var a *action
			if f.Ref != "" {
				if s, ok := byStart[f.Ref]; ok && s.end == nil {
					a = s
				}
			} else {
				for j := len(open) - 1; j >= 0; j-- {
					if o := open[j]; o.end == nil && o.start.Action.Ref == "" && o.start.Action.Title == f.Title && o.start.Kind == startKind(ev.Kind) {
						a = o
						break
					}
				}
			}
			if a == nil {
				a = &action{}
				list = append(list, a)
			} else if k := slices.Index(open, a); k >= 0 {
				open = slices.Delete(open, k, k+1)
			}
			a.end = ev
		case f.Phase == incident.PhaseNotExecuted:
			list = append(list, &action{notRun: ev})
		}
	}
	for i := range events {
		ev := &events[i]
		if ev.Kind != incident.KindEvidence || ev.Evidence == nil {
			continue
		}
		if a, ok := byStart[ev.Evidence.Ref]; ok {
			a.evidence = ev // the latest, events being in order
		}
	}
	return list
}

// startKind is the kind of the start that a finished event of kind k
// pairs with.
func startKind(k incident.Kind) incident.Kind {
	if k == incident.KindStepFinished {
		return incident.KindStepStarted
	}
	return k
}

// isUUID reports whether s is a UUID in canonical lowercase form (as
// event IDs are): hex digits and dashes only, so clean as it is.
func isUUID(s string) bool {
	if len(s) != 36 {
		return false
	}
	for i := 0; i < len(s); i++ {
		c := s[i]
		switch i {
		case 8, 13, 18, 23:
			if c != '-' {
				return false
			}
		default:
			if !(c >= '0' && c <= '9' || c >= 'a' && c <= 'f') {
				return false
			}
		}
	}
	return true
}
