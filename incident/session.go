package incident

import (
	"maps"
	"slices"
	"sort"
	"strconv"
	"strings"
	"time"
)

// Session is the incident as folded from its journal events, so it
// survives restarts. Apply adds one event at a time; the result depends only
// on the set of events applied, not on their order: "latest" always means
// the greatest (Time, ID) and events applied twice (same non-empty ID) count
// once. Events without an ID (built in memory, never journaled) are never
// recognized as duplicates, and ties between them at the same Time may fall
// either way.
//
// A Session is a value: a copy may be kept and applied to independently.
// Apply never modifies a slice or map an earlier copy may share.
type Session struct {
	// ID is the incident's ID: the latest declared event's ID.
	ID    string
	Title string
	// Severity is the current severity: that of the latest severity change
	// after the latest declaration, else the declared one. When it is not
	// known (the declaration's severity did not parse) SeverityKnown is
	// false and Severity is SeverityUnknown, never a silent P0.
	Severity      Severity
	SeverityKnown bool
	// Changes is every valid severity change, in (At, ID) order, including
	// those before the latest declaration. Changes whose new severity does
	// not parse are ignored.
	Changes    []Change
	Declared   time.Time
	DeclaredBy string
	// Resolved is when the incident was resolved; zero while it is open. A
	// reopened event later than the latest resolved one reopens it, and a
	// resolution before the latest declaration does not count.
	Resolved time.Time
	// Acks is every acknowledgement in (At, ID) order. Acked and AckedBy are
	// the first one after the latest declaration: the response time. Later
	// acks do not change them.
	Acks    []Ack
	Acked   time.Time
	AckedBy string
	// Level is the highest escalation level recorded after the latest
	// declaration; Escalations is every escalation step in (At, ID) order.
	Level       int
	Escalations []EscalationStep
	// Checklists maps a list name to the state of its items, by index;
	// the latest checklist event for an item wins.
	Checklists map[string][]Check
	// Hooks is the latest recorded run of the notification hook for each
	// event it was run for (by that event's ID: its action's Target),
	// from the journal's notify actions.
	Hooks map[string]HookRun
	// Alerts is the latest recorded state of each alert (and threshold
	// crossing), by AlertKey: what the timeline already says, so a pane
	// records a change once, across restarts and consoles. A new map is
	// made on each change: copies of a Session never see later ones.
	Alerts map[string]AlertState
	// Sections maps a report section (SectionSummary…) to the notes
	// marked for it, in (At, ID) order: the last is the section's
	// current text. A new slice and map are made on each change.
	Sections map[string][]SectionText
	// Count is the number of distinct events applied.
	Count int
	// Participants are the distinct actors in the order they first appear
	// (by (Time, ID)), without the system actors "warroom" and "drill".
	Participants []string

	seen        idSet
	decl        key // latest declaration, if hasDecl
	hasDecl     bool
	declSev     Severity
	declSevOK   bool
	resolved    key // latest resolved event, if hasResolved
	hasResolved bool
	reopened    key // latest reopened event, if hasReopened
	hasReopened bool
	// closes and opens are every resolved and reopened event, in key
	// order: the escalation clock skips every pause, not just the last.
	closes, opens []key
	itemAt        map[string][]key // key of the event that set each checklist item
	hookAt        map[string]key   // key of the event behind each Hooks entry
	firstAt       []key            // key of each participant's first event
}

// Change is one severity change.
type Change struct {
	ID       string // the event's ID
	At       time.Time
	By       string
	From, To Severity // From is SeverityUnknown if the event did not say
	Reason   string
}

// Ack is one acknowledgement.
type Ack struct {
	ID    string
	At    time.Time
	Who   string
	Level int // the ladder rung that acknowledged (index into the policy's ladder)
}

// EscalationStep is one escalation event: the ladder stepped to Level.
type EscalationStep struct {
	ID    string
	At    time.Time
	Level int
	Role  string
	Who   string
}

// Check is one checklist item's state: checked or not, when and by whom
// (zero At: never touched).
type Check struct {
	Checked bool
	At      time.Time
	By      string
}

// HookRun is the notification hook's latest recorded run for one event.
type HookRun struct {
	ActionID string    // the action event's ID
	Title    string    // the action's title ("Notify: Paged Primary On-Call …")
	At       time.Time // when it was recorded
	Phase    string    // PhaseStarted, PhaseFinished or PhaseNotExecuted
	Mode     string    // "", "drill", "dry-run"
	Error    string    // finished with an error (a timeout, a non-zero exit)
}

// Failed reports whether the run finished with an error.
func (h HookRun) Failed() bool { return h.Phase == PhaseFinished && h.Error != "" }

// maxChecklistItem bounds item indexes, so a bad event cannot allocate a
// huge list.
const maxChecklistItem = 1000

// systemActors are not participants.
var systemActors = map[string]bool{"warroom": true, "drill": true}

// Fold applies events to an empty Session.
func Fold(events []Event) Session {
	var s Session
	for _, ev := range events {
		s.Apply(ev)
	}
	return s
}

// Apply adds one event to the session. A version 1 event built in memory
// (V == 0) is read by its version 1 conventions (see Upgrade).
func (s *Session) Apply(ev Event) {
	if ev.V == 0 {
		ev = upgradeFields(ev)
	}
	if ev.ID != "" {
		if s.seen.has(ev.ID) {
			return
		}
		s.seen = s.seen.with(ev.ID)
	}
	s.Count++
	k := key{ev.Time, ev.ID}
	s.participant(ev.Actor, k)

	switch ev.Kind {
	case KindDeclared:
		if !s.hasDecl || s.decl.less(k) {
			s.hasDecl, s.decl = true, k
			s.ID, s.Title, s.Declared, s.DeclaredBy = ev.ID, ev.Summary, ev.Time, ev.Actor
			s.declSev, s.declSevOK = SeverityUnknown, false
			if ev.Severity != nil {
				if sev, err := ParseSeverity(ev.Severity.To); err == nil {
					s.declSev, s.declSevOK = sev, true
				}
			}
		}
	case KindAlert:
		if a := ev.Alert; a != nil {
			ak := AlertKey(a.Name, a.Labels)
			if cur, ok := s.Alerts[ak]; !ok || cur.at.less(k) {
				m := make(map[string]AlertState, len(s.Alerts)+1)
				for x, v := range s.Alerts {
					m[x] = v
				}
				st := AlertState{Name: a.Name, State: a.State, Labels: a.Labels, At: ev.Time, at: k}
				if a.State == "firing" {
					st.FiredID = ev.ID
				} else if cur, ok := s.Alerts[ak]; ok {
					st.FiredID = cur.FiredID
				}
				m[ak] = st
				s.Alerts = m
			}
		}
	case KindSeverity:
		f := ev.Severity
		if f == nil {
			break
		}
		to, err := ParseSeverity(f.To)
		if err != nil {
			break
		}
		from, err := ParseSeverity(f.From)
		if err != nil {
			from = SeverityUnknown
		}
		c := Change{ID: ev.ID, At: ev.Time, By: ev.Actor, From: from, To: to, Reason: f.Reason}
		s.Changes = insertSorted(s.Changes, c, func(c Change) key { return key{c.At, c.ID} })
	case KindAck:
		a := Ack{ID: ev.ID, At: ev.Time, Who: ev.Actor}
		if f := ev.Ack; f != nil {
			a.Level = f.Level
			if f.Who != "" {
				a.Who = f.Who
			}
		}
		s.Acks = insertSorted(s.Acks, a, func(a Ack) key { return key{a.At, a.ID} })
	case KindEscalation:
		if f := ev.Escalation; f != nil {
			e := EscalationStep{ID: ev.ID, At: ev.Time, Level: f.Level, Role: f.Role, Who: f.Who}
			s.Escalations = insertSorted(s.Escalations, e, func(e EscalationStep) key { return key{e.At, e.ID} })
		}
	case KindResolved:
		if !s.hasResolved || s.resolved.less(k) {
			s.hasResolved, s.resolved = true, k
		}
		s.closes = insertSorted(s.closes, k, func(k key) key { return k })
	case KindReopened:
		if !s.hasReopened || s.reopened.less(k) {
			s.hasReopened, s.reopened = true, k
		}
		s.opens = insertSorted(s.opens, k, func(k key) key { return k })
	case KindChecklist:
		if f := ev.Checklist; f != nil && f.Item >= 0 && f.Item < maxChecklistItem {
			s.check(f.List, f.Item, Check{Checked: f.Checked, At: ev.Time, By: ev.Actor}, k)
		}
	case KindNote:
		if f := ev.Note; f != nil && f.Section != "" {
			text := ev.Detail
			if strings.TrimSpace(text) == "" {
				text = ev.Summary
			}
			st := SectionText{ID: ev.ID, At: ev.Time, By: ev.Actor, Text: text}
			s.Sections = maps.Clone(s.Sections)
			if s.Sections == nil {
				s.Sections = map[string][]SectionText{}
			}
			s.Sections[f.Section] = insertSorted(s.Sections[f.Section], st, func(x SectionText) key { return key{x.At, x.ID} })
		}
	case KindAction:
		if f := ev.Action; f != nil && f.Kind == ActionNotify && f.Target != "" {
			if cur, ok := s.hookAt[f.Target]; !ok || cur.less(k) {
				s.Hooks, s.hookAt = maps.Clone(s.Hooks), maps.Clone(s.hookAt)
				if s.Hooks == nil {
					s.Hooks, s.hookAt = map[string]HookRun{}, map[string]key{}
				}
				s.Hooks[f.Target] = HookRun{ActionID: ev.ID, Title: f.Title, At: ev.Time, Phase: f.Phase, Mode: f.Mode, Error: f.Error}
				s.hookAt[f.Target] = k
			}
		}
	}
	s.derive()
}

// derive recomputes the fields that depend on the latest declaration from
// the kept state: O(acks + escalations), never a replay of the events.
func (s *Session) derive() {
	after := func(k key) bool { return !s.hasDecl || s.decl.less(k) }

	s.Severity, s.SeverityKnown = s.declSev, s.declSevOK
	if n := len(s.Changes); n > 0 && after(key{s.Changes[n-1].At, s.Changes[n-1].ID}) {
		s.Severity, s.SeverityKnown = s.Changes[n-1].To, true
	}
	if !s.SeverityKnown {
		s.Severity = SeverityUnknown
	}

	s.Acked, s.AckedBy = time.Time{}, ""
	for _, a := range s.Acks {
		if after(key{a.At, a.ID}) {
			s.Acked, s.AckedBy = a.At, a.Who
			break
		}
	}

	s.Level = 0
	for _, e := range s.Escalations {
		if after(key{e.At, e.ID}) && e.Level > s.Level {
			s.Level = e.Level
		}
	}

	s.Resolved = time.Time{}
	if s.hasResolved && after(s.resolved) && (!s.hasReopened || s.reopened.less(s.resolved)) {
		s.Resolved = s.resolved.t
	}
}

// participant records actor's event at k.
func (s *Session) participant(actor string, k key) {
	if actor == "" || systemActors[actor] {
		return
	}
	i := slices.Index(s.Participants, actor)
	if i >= 0 && !k.less(s.firstAt[i]) {
		return
	}
	names, firsts := slices.Clone(s.Participants), slices.Clone(s.firstAt)
	if i >= 0 {
		names, firsts = slices.Delete(names, i, i+1), slices.Delete(firsts, i, i+1)
	}
	j, _ := slices.BinarySearchFunc(firsts, k, func(a, b key) int { return a.compare(b) })
	s.Participants, s.firstAt = slices.Insert(names, j, actor), slices.Insert(firsts, j, k)
}

// check sets a checklist item if the event at k is the latest for it.
func (s *Session) check(list string, item int, c Check, k key) {
	keys := s.itemAt[list]
	if item < len(keys) && !keys[item].zero() && !keys[item].less(k) {
		return
	}
	states := slices.Clone(s.Checklists[list])
	keys = slices.Clone(keys)
	if item >= len(states) {
		states = append(states, make([]Check, item+1-len(states))...)
		keys = append(keys, make([]key, item+1-len(keys))...)
	}
	states[item], keys[item] = c, k
	s.Checklists, s.itemAt = maps.Clone(s.Checklists), maps.Clone(s.itemAt)
	if s.Checklists == nil {
		s.Checklists, s.itemAt = map[string][]Check{}, map[string][]key{}
	}
	s.Checklists[list], s.itemAt[list] = states, keys
}

// Has reports whether an event with this ID has been applied.
func (s Session) Has(id string) bool { return id != "" && s.seen.has(id) }

// Done is how many items of checklist list are checked.
func (s Session) Done(list string) int {
	n := 0
	for _, c := range s.Checklists[list] {
		if c.Checked {
			n++
		}
	}
	return n
}

// Section is the current text of a report section (the latest note
// marked for it), or "".
func (s Session) Section(section string) string {
	if l := s.Sections[section]; len(l) > 0 {
		return l[len(l)-1].Text
	}
	return ""
}

// Open reports whether the incident has been declared and not resolved.
func (s Session) Open() bool { return !s.Declared.IsZero() && s.Resolved.IsZero() }

// Elapsed is the time since declaration, stopping at resolution. It is 0
// before declaration and never negative.
func (s Session) Elapsed(now time.Time) time.Duration {
	if s.Declared.IsZero() {
		return 0
	}
	end := now
	if !s.Resolved.IsZero() {
		end = s.Resolved
	}
	if d := end.Sub(s.Declared); d > 0 {
		return d
	}
	return 0
}

// key orders events: by Time, then by ID.
type key struct {
	t  time.Time
	id string
}

func (a key) compare(b key) int {
	if c := a.t.Compare(b.t); c != 0 {
		return c
	}
	switch {
	case a.id < b.id:
		return -1
	case a.id > b.id:
		return 1
	}
	return 0
}

func (a key) less(b key) bool { return a.compare(b) < 0 }
func (a key) zero() bool      { return a.t.IsZero() && a.id == "" }

// insertSorted returns a new slice with x inserted in key order (after any
// equal keys); list itself is not modified.
func insertSorted[T any](list []T, x T, keyOf func(T) key) []T {
	k := keyOf(x)
	i, _ := slices.BinarySearchFunc(list, k, func(e T, k key) int {
		if keyOf(e).compare(k) <= 0 {
			return -1
		}
		return 1
	})
	return slices.Insert(slices.Clone(list), i, x)
}

// idSet is an immutable set of IDs, so copies of a Session can share it:
// maps of decreasing size merged like a binary counter, so adding costs
// amortized O(log n) and lookups check O(log n) maps. No map is modified
// after it is built.
type idSet struct{ chunks []map[string]struct{} }

func (s idSet) has(id string) bool {
	for _, c := range s.chunks {
		if _, ok := c[id]; ok {
			return true
		}
	}
	return false
}

func (s idSet) with(id string) idSet {
	merged := map[string]struct{}{id: {}}
	chunks := s.chunks
	for n := len(chunks); n > 0 && len(chunks[n-1]) <= len(merged); n = len(chunks) {
		m := maps.Clone(chunks[n-1])
		maps.Copy(m, merged)
		merged, chunks = m, chunks[:n-1]
	}
	return idSet{chunks: append(slices.Clip(chunks), merged)}
}

// AlertState is one alert's latest recorded state.
type AlertState struct {
	Name   string
	State  string // firing, pending, resolved
	Labels map[string]string
	At     time.Time
	// FiredID is the ID of the event that recorded its latest firing:
	// ResolvedID derives the resolution's ID from it.
	FiredID string
	at      key
}

// ResolvedID is the ID of the event that records the end of the firing
// recorded as firedID: every path that sees it end (a pane, the drill's
// script) records the same event, whenever each notices.
func ResolvedID(firedID string) string {
	t, _ := timeOfID(firedID)
	return DerivedID(t, firedID, "resolved")
}

// AlertKey identifies an alert by its name and labels (alertname among
// them or not), as Prometheus tells alerts apart.
func AlertKey(name string, labels map[string]string) string {
	keys := make([]string, 0, len(labels))
	for k := range labels {
		if k != "alertname" {
			keys = append(keys, k)
		}
	}
	sort.Strings(keys)
	// Cleaned as the journal stores them (redacted, one line): the key of
	// an alert seen raw from Prometheus and of the same alert read back
	// from the journal must be one.
	var b strings.Builder
	b.WriteString(Clean(name))
	b.WriteByte('{')
	for i, k := range keys {
		if i > 0 {
			b.WriteByte(',')
		}
		b.WriteString(Clean(k) + "=" + strconv.Quote(Clean(labels[k])))
	}
	b.WriteByte('}')
	return b.String()
}

// AlertEventID is the ID of the event recording alert name{labels} going
// to state at t in incident incidentID. It is derived, not random: every
// console (and the drill's script) that sees the same alert fire at the
// same time records the same event, which the session counts once.
func AlertEventID(incidentID, name string, labels map[string]string, state string, t time.Time) string {
	return DerivedID(t, incidentID, "alert", AlertKey(name, labels), state)
}
