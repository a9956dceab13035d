// Package report turns an incident's journal into the post-incident
// report of the incident-response playbook ("Incident Report Template",
// in markdown) and its two communication drafts (the status page update
// and the customer email).
//
// What the journal knows is filled in: the header, the timeline, the
// severity changes, the escalation and its response time against the
// policy, every action with what it did to the vital signs, the runbook
// steps with their commands and output, the backends lost. What only
// people know (the summary, root cause, impact, lessons…) comes from the
// notes marked for a report section (incident.SectionNote); where there
// is none the report holds a clearly marked prompt, never invented text.
//
// The output depends only on the events and the Options: the same
// journal gives the same bytes, whatever the events' order or how often
// one is repeated. Everything written from the journal is cleaned again
// (internal/sanitize, incident.Redact, Options.Secrets masked) and
// escaped, so a hand-edited or foreign journal cannot change the
// document's structure or leak a secret into it; events that
// incident.ReadFile has just cleaned need only the masking
// (Options.Cleaned), and are escaped all the same.
package report

import (
	"cmp"
	"errors"
	"fmt"
	"reflect"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/warroom-dev/warroom/incident"
)

// Options say what the report and drafts show beyond the journal.
type Options struct {
	Policy      incident.Policy                     // response-time targets per severity; zero value → incident.DefaultPolicy()
	Location    *time.Location                      // nil → UTC; every time is shown in it and the header names it
	Product     string                              // "" → "Agent Platform" (the playbook's)
	Support     string                              // "" → "support@agentplatform.com"
	StatusPage  string                              // "" → "status.agentplatform.com"
	Secrets     []string                            // extra values to mask wherever they appear (variables marked secret)
	Skipped     []incident.Skipped                  // journal lines that could not be read (torn last line…): the report lists them
	UpdateEvery map[incident.Severity]time.Duration // status page "next update"; defaults P0 30m, P1 1h, P2 4h, P3 24h
	// Cleaned says the events come from incident.ReadFile or
	// incident.Open, already cleaned (sanitized and redacted) by the same
	// functions the report cleans them with: the report skips that second
	// cleaning of every string, the larger part of its cost. Secrets are
	// still masked, and what Options itself holds is still cleaned. Leave
	// it false for events from anywhere else (built in memory, decoded by
	// hand): they are cleaned in full.
	Cleaned bool
}

// Defaults of Options.
const (
	DefaultProduct    = "Agent Platform"
	DefaultSupport    = "support@agentplatform.com"
	DefaultStatusPage = "status.agentplatform.com"
)

// DefaultUpdateEvery is how often the status page is updated, by
// severity, unless Options.UpdateEvery says.
func DefaultUpdateEvery() map[incident.Severity]time.Duration {
	return map[incident.Severity]time.Duration{
		incident.P0: 30 * time.Minute,
		incident.P1: time.Hour,
		incident.P2: 4 * time.Hour,
		incident.P3: 24 * time.Hour,
	}
}

// withDefaults fills in what o leaves zero.
func (o Options) withDefaults() Options {
	if reflect.ValueOf(o.Policy).IsZero() {
		o.Policy = incident.DefaultPolicy()
	}
	if o.Location == nil {
		o.Location = time.UTC
	}
	if strings.TrimSpace(o.Product) == "" {
		o.Product = DefaultProduct
	}
	if strings.TrimSpace(o.Support) == "" {
		o.Support = DefaultSupport
	}
	if strings.TrimSpace(o.StatusPage) == "" {
		o.StatusPage = DefaultStatusPage
	}
	every := DefaultUpdateEvery()
	for sev, d := range o.UpdateEvery {
		if d > 0 {
			every[sev] = d
		}
	}
	o.UpdateEvery = every
	return o
}

// doc is what the report and the drafts are written from.
type doc struct {
	o       Options
	c       *cleaner         // cleans what Options holds, and anything not from the events
	events  []incident.Event // cleaned, in (Time, ID) order, each ID once
	s       incident.Session
	acts    []*action
	decl    *incident.Event // the latest declaration
	resolve *incident.Event // the resolution in force, if resolved
	day     string          // the declaration's date ("2006-01-02"), else the first event's
	spans   []span          // the stretches the incident was open, after the latest declaration
}

// span is one stretch the incident was open: from the declaration or a
// reopen to the resolution that ended it (zero: still open at the
// journal's last event).
type span struct{ from, to time.Time }

func newDoc(events []incident.Event, o Options) *doc {
	o = o.withDefaults()
	c := newCleaner(o.Secrets, false)
	ec := c
	if o.Cleaned {
		ec = newCleaner(o.Secrets, true)
	}
	d := &doc{o: o, c: c, events: prepare(events, ec)}
	d.s = fold(d.events)
	d.acts = actions(d.events)
	for i := range d.events {
		ev := &d.events[i]
		switch ev.Kind {
		case incident.KindDeclared:
			if ev.ID == d.s.ID {
				d.decl = ev
			}
		case incident.KindResolved:
			if !d.s.Resolved.IsZero() && ev.Time.Equal(d.s.Resolved) {
				d.resolve = ev // the latest at that time: the one in force
			}
		}
	}
	switch {
	case d.decl != nil:
		d.day = d.in(d.decl.Time).Format(time.DateOnly)
	case len(d.events) > 0:
		d.day = d.in(d.events[0].Time).Format(time.DateOnly)
	}
	d.spans = d.openSpans()
	return d
}

// fold is the session as the report reads it. The events are already
// de-duplicated and in order, so only the kinds the report reads the
// session for are applied (declarations, severity changes, acks,
// escalations, resolutions, reopens, notes marked for a section): applying
// every note, alert and action only to check its ID again was a quarter
// of an export. Participants, which every event contributes to, are found
// here: the distinct actors in (Time, ID) order, without the system
// actors, as incident.Session counts them.
func fold(events []incident.Event) incident.Session {
	var s incident.Session
	var names []string
	seen := map[string]bool{"": true, "warroom": true, "drill": true}
	for i := range events {
		ev := &events[i]
		if !seen[ev.Actor] {
			seen[ev.Actor] = true
			names = append(names, ev.Actor)
		}
		switch ev.Kind {
		case incident.KindDeclared, incident.KindSeverity, incident.KindAck, incident.KindEscalation,
			incident.KindResolved, incident.KindReopened:
			s.Apply(*ev)
		case incident.KindNote:
			if ev.Note != nil && ev.Note.Section != "" {
				s.Apply(*ev)
			}
		}
	}
	s.Participants = names
	return s
}

// openSpans are the stretches the incident was open after the latest
// declaration, as the escalation clock counts them: a resolution while
// resolved, or a reopen while open, changes nothing.
func (d *doc) openSpans() []span {
	if d.decl == nil {
		return nil
	}
	spans := []span{{from: d.decl.Time}}
	for i := range d.events {
		ev := &d.events[i]
		if !d.afterDecl(ev) {
			continue
		}
		open := spans[len(spans)-1].to.IsZero()
		switch {
		case ev.Kind == incident.KindResolved && open:
			spans[len(spans)-1].to = ev.Time
		case ev.Kind == incident.KindReopened && !open:
			spans = append(spans, span{from: ev.Time})
		}
	}
	return spans
}

// openTime is how long the incident was open from its declaration to t:
// the pauses between a resolution and a reopen are not counted.
func (d *doc) openTime(t time.Time) time.Duration {
	var sum time.Duration
	for _, sp := range d.spans {
		end := t
		if !sp.to.IsZero() && sp.to.Before(end) {
			end = sp.to
		}
		if end.After(sp.from) {
			sum += end.Sub(sp.from)
		}
	}
	return sum
}

// resolved reports whether the incident is resolved at the journal's end.
func (d *doc) resolved() bool { return !d.s.Resolved.IsZero() }

// end is when the incident ended: the resolution that closed its last
// open stretch, else (open) the journal's last event.
func (d *doc) end() time.Time {
	if n := len(d.spans); n > 0 && d.resolved() && !d.spans[n-1].to.IsZero() {
		return d.spans[n-1].to
	}
	if d.resolved() {
		return d.s.Resolved
	}
	return d.last()
}

// history is the resolutions and reopens, when the incident was reopened:
// "resolved 02:40, reopened 03:00, resolved 03:20"; "" otherwise.
func (d *doc) history() string {
	if len(d.spans) < 2 {
		return ""
	}
	var parts []string
	for i, sp := range d.spans {
		if i > 0 {
			parts = append(parts, "reopened "+d.clockZ(sp.from))
		}
		if !sp.to.IsZero() {
			parts = append(parts, "resolved "+d.clockZ(sp.to))
		}
	}
	return strings.Join(parts, ", ")
}

// clockZ is clock(t) with the zone's abbreviation after it when that
// differs from the declaration's (a change to or from summer time).
func (d *doc) clockZ(t time.Time) string {
	if d.decl != nil && d.abbrev(t) != d.abbrev(d.decl.Time) {
		return d.clock(t) + " " + d.abbrev(t)
	}
	return d.clock(t)
}

// period is from – to with the zone's abbreviation: once at the end, or
// on both ends when they differ (summer time began or ended between).
func (d *doc) period(from, to time.Time) string {
	if a, b := d.abbrev(from), d.abbrev(to); a != b {
		return d.clock(from) + " " + a + " – " + d.clock(to) + " " + b
	}
	return d.clock(from) + " – " + d.clock(to) + " " + d.abbrev(to)
}

func (d *doc) in(t time.Time) time.Time { return t.In(d.o.Location) }

// clock is t's time of day, "02:13", with its date before it when that
// is not the incident's date: "2025-03-02 00:10".
func (d *doc) clock(t time.Time) string {
	t = d.in(t)
	if !d.sameDay(t) {
		return t.Format("2006-01-02 15:04")
	}
	return t.Format("15:04")
}

// sameDay reports whether t (in the report's zone) is on the incident's
// date.
func (d *doc) sameDay(t time.Time) bool {
	var buf [10]byte
	return string(t.AppendFormat(buf[:0], time.DateOnly)) == d.day
}

// zone names the report's time zone: "UTC", "Europe/Berlin".
func (d *doc) zone() string { return d.o.Location.String() }

// abbrev is the zone's abbreviation at t: "UTC", "CET".
func (d *doc) abbrev(t time.Time) string { return d.in(t).Format("MST") }

// last is the time of the journal's last event.
func (d *doc) last() time.Time {
	if len(d.events) == 0 {
		return time.Time{}
	}
	return d.events[len(d.events)-1].Time
}

// afterDecl reports whether ev is after the latest declaration (every
// event is, without one).
func (d *doc) afterDecl(ev *incident.Event) bool {
	if d.decl == nil {
		return true
	}
	if c := ev.Time.Compare(d.decl.Time); c != 0 {
		return c > 0
	}
	return ev.ID > d.decl.ID
}

// Markdown is the incident report. It depends only on events and o: the
// same journal gives the same bytes (no time.Now, no map iteration order).
func Markdown(events []incident.Event, o Options) []byte {
	return newDoc(events, o).markdown()
}

// Export is the report and the drafts of one journal (see Markdown and
// Drafts), the journal prepared once for both: what the console's e and
// warroom report write. Pass Options.Cleaned for events read by
// incident.ReadFile or incident.Open.
func Export(events []incident.Event, o Options, now time.Time) (md []byte, drafts []Draft) {
	d := newDoc(events, o)
	return d.markdown(), d.drafts(now)
}

func (d *doc) markdown() []byte {
	w := &writer{b: make([]byte, 0, d.sizeHint())}
	d.header(w)
	d.summary(w)
	d.timeline(w)
	d.section(w, "Root Cause", incident.SectionRootCause, "Detailed explanation of what caused the incident.")
	d.impact(w)
	d.resolution(w)
	d.lessons(w)
	d.actionItems(w)
	d.section(w, "Prevention", incident.SectionPrevention, "Steps to prevent recurrence.")
	d.actionEffects(w)
	d.runbookSteps(w)
	d.escalation(w)
	d.backends(w)
	d.skipped(w)
	return w.b
}

// sizeHint is about how long the report of d's events is, a little more
// rather than less, so its buffer is allocated once: every event is a
// timeline line; an action is written up to three times more (its
// effects, the resolution, a runbook step with its command and output)
// with its vitals compared.
func (d *doc) sizeHint() int {
	n := 4 << 10
	for i := range d.events {
		ev := &d.events[i]
		n += 24 + len(ev.Summary) + len(ev.Actor)
		if ev.Evidence != nil {
			n += 2 * (16 + 32*len(ev.Evidence.Vitals)) // compared, in the effects and the resolution
		}
		f := ev.Action
		if f == nil || f.Phase == incident.PhaseStarted {
			continue
		}
		n += 2*(len(f.Title)+len(f.Target)+len(ev.Actor)+len(ev.Detail)+len(f.Error)) + 2*32*len(f.Vitals) + 64
		if f.Step != "" || ev.Kind == incident.KindStepFinished {
			n += len(f.Step) + len(f.Output) + 96
			for _, l := range f.Lines {
				n += len(l) + 1
			}
		}
	}
	for _, l := range d.s.Sections {
		for _, t := range l {
			n += 2 * len(t.Text)
		}
	}
	return n
}

// writer builds the document: blocks separated by one blank line.
type writer struct{ b []byte }

func (w *writer) WriteString(s string) { w.b = append(w.b, s...) }
func (w *writer) Len() int             { return len(w.b) }

// block writes one block (which may span lines) after a blank line.
func (w *writer) block(s string) {
	if w.Len() > 0 {
		w.WriteString("\n")
	}
	w.WriteString(s)
	w.WriteString("\n")
}

func (w *writer) heading(s string) { w.block("## " + s) }

// list writes items as one list block.
func (w *writer) list(items []string) {
	if len(items) == 0 {
		return
	}
	if w.Len() > 0 {
		w.WriteString("\n")
	}
	for _, it := range items {
		w.WriteString("- ")
		w.WriteString(it)
		w.WriteString("\n")
	}
}

func (d *doc) header(w *writer) {
	if d.decl != nil {
		w.block("# Incident Report: " + esc(d.s.Title))
	} else {
		w.block("# Incident Report: (no declaration in the journal)")
	}
	var lines []string
	date := "unknown: the journal has no events"
	if d.day != "" {
		date = d.day
	}
	lines = append(lines, "**Date:** "+date+" (all times "+esc(d.zone())+")")
	lines = append(lines, "**Duration:** "+d.duration())
	lines = append(lines, "**Severity:** "+d.severity())
	lines = append(lines, "**Author:** "+promptInline("your name"))
	lines = append(lines, "**Participants:** "+d.participants())
	w.block(strings.Join(lines, "\\\n"))
}

// duration is the header's Duration: declared → resolved, or open as of
// the journal's last event. Reopened, it is the open time (the pauses
// between a resolution and a reopen left out) and the reopens.
func (d *doc) duration() string {
	if d.decl == nil {
		return "unknown: no declaration in the journal"
	}
	from, to := d.decl.Time, d.end()
	hist := d.history()
	if d.resolved() {
		if hist == "" {
			return d.period(from, to) + " (" + human(d.openTime(to)) + ")"
		}
		return d.period(from, to) + " (open " + human(d.openTime(to)) + " of " + human(to.Sub(from)) + ": " + hist + ")"
	}
	asOf := d.clock(to)
	if d.abbrev(to) != d.abbrev(from) {
		asOf += " " + d.abbrev(to)
	}
	s := d.clock(from) + " " + d.abbrev(from) + " – ongoing (as of " + asOf + ", the journal's last event; "
	if hist == "" {
		return s + human(d.openTime(to)) + " so far)"
	}
	return s + "open " + human(d.openTime(to)) + " so far: " + hist + ")"
}

// severity is the header's Severity: the current one, what was declared,
// and each change since.
func (d *doc) severity() string {
	if d.decl == nil {
		return "unknown: no declaration in the journal"
	}
	cur := d.s.Severity.String()
	if d.s.SeverityKnown {
		cur += " " + d.s.Severity.Name()
	} else {
		to := ""
		if d.decl.Severity != nil {
			to = d.decl.Severity.To
		}
		cur += fmt.Sprintf(" (not known: the declaration says %q)", to)
		cur = esc(cur)
	}
	var changes []string
	for _, c := range d.s.Changes {
		if !c.At.After(d.decl.Time) && !(c.At.Equal(d.decl.Time) && c.ID > d.decl.ID) {
			continue // before the latest declaration: another incident
		}
		s := esc(c.From.String()) + " → " + esc(c.To.String()) + " at " + d.clock(c.At)
		if c.By != "" {
			s += " by " + esc(c.By)
		}
		if r := strings.TrimSpace(c.Reason); r != "" {
			s += ": " + esc(r)
		}
		changes = append(changes, s)
	}
	if len(changes) == 0 {
		return cur
	}
	declared := "?"
	if d.decl.Severity != nil {
		declared = esc(d.decl.Severity.To)
	}
	return cur + " (declared " + declared + "; " + strings.Join(changes, "; ") + ")"
}

// participants is who took part, whoever declared first.
func (d *doc) participants() string {
	var names []string
	if d.s.DeclaredBy != "" {
		names = append(names, esc(d.s.DeclaredBy)+" (declared)")
	}
	for _, p := range d.s.Participants {
		if p != d.s.DeclaredBy {
			names = append(names, esc(p))
		}
	}
	if len(names) == 0 {
		return "none recorded"
	}
	return strings.Join(names, ", ")
}

func (d *doc) summary(w *writer) {
	d.section(w, "Summary", incident.SectionSummary, "2–3 sentence summary of what happened.")
}

// section writes a section holding the latest note marked for it, else
// the prompt.
func (d *doc) section(w *writer, title, section, ask string, items ...string) {
	w.heading(title)
	if t := d.s.Section(section); strings.TrimSpace(t) != "" {
		w.block(paragraphs(t, ""))
		return
	}
	w.block(prompt(ask, items...))
}

func (d *doc) timeline(w *writer) {
	w.heading("Timeline")
	if len(d.events) == 0 {
		w.block("The journal has no events.")
		return
	}
	day := d.day
	var items []string
	for i := range d.events {
		ev := &d.events[i]
		t := d.in(ev.Time)
		if dd := t.Format(time.DateOnly); dd != day {
			w.list(items)
			items = items[:0]
			w.block("**" + dd + "**")
			day = dd
		}
		s := t.Format("15:04") + " — " + esc(ev.Summary)
		if strings.TrimSpace(ev.Summary) == "" {
			s += esc(string(ev.Kind))
		}
		if ev.Actor != "" {
			s += " (" + esc(ev.Actor) + ")"
		}
		items = append(items, s)
	}
	w.list(items)
}

func (d *doc) impact(w *writer) {
	d.section(w, "Impact", incident.SectionImpact, "What users experienced.",
		"Users affected: {number}", "Revenue impact: ${amount}", "SLA impact: {details}")
	var items []string
	if d.decl != nil {
		from, to, hist := d.decl.Time, d.end(), d.history()
		switch {
		case d.resolved() && hist == "":
			items = append(items, "Duration: "+human(d.openTime(to))+" ("+d.period(from, to)+")")
		case d.resolved():
			items = append(items, "Duration: "+human(d.openTime(to))+" open ("+d.period(from, to)+"; "+hist+")")
		case hist == "":
			items = append(items, "Duration: "+human(d.openTime(to))+" so far (open since "+
				d.clock(from)+" "+d.abbrev(from)+")")
		default:
			items = append(items, "Duration: "+human(d.openTime(to))+" open so far (declared "+
				d.clock(from)+" "+d.abbrev(from)+"; "+hist+")")
		}
	}
	for _, v := range d.worstVitals() {
		if v.Known() {
			items = append(items, esc(v.Name)+": highest recorded with an action or its evidence: "+esc(v.ValueString())+" at "+d.clock(v.At))
		} else {
			items = append(items, esc(v.Name)+": unknown in every snapshot recorded with an action or its evidence")
		}
	}
	if len(items) == 0 {
		return
	}
	w.block("**Measured by the console:**")
	w.list(items)
}

// worstVitals is, for each vital name in the order first seen, the
// highest known value among the snapshots recorded with actions and their
// evidence (every vital the panes measure is worse higher) — not a
// continuous measurement: the panes' values between actions are not in
// the journal. At is set to when it was measured. Only snapshots measured
// between the declaration and the end (the resolution, or the journal's
// last event while open) count. A name never measured there is unknown.
func (d *doc) worstVitals() []incident.Vital {
	var names []string
	worst := map[string]incident.Vital{}
	var from time.Time
	if d.decl != nil {
		from = d.decl.Time
	}
	to := d.end()
	see := func(v incident.Vital, at time.Time) {
		if v.At.IsZero() {
			v.At = at
		}
		if v.At.Before(from) || v.At.After(to) {
			return
		}
		cur, ok := worst[v.Name]
		if !ok {
			names = append(names, v.Name)
			worst[v.Name] = v
			return
		}
		if v.Known() && (!cur.Known() || *v.Value > *cur.Value) {
			worst[v.Name] = v
		}
	}
	for i := range d.events {
		ev := &d.events[i]
		switch {
		case ev.Action != nil:
			for _, v := range ev.Action.Vitals {
				see(v, ev.Time)
			}
		case ev.Evidence != nil:
			for _, v := range ev.Evidence.Before {
				see(v, ev.Time)
			}
			for _, v := range ev.Evidence.Vitals {
				see(v, ev.Time)
			}
		}
	}
	out := make([]incident.Vital, len(names))
	for i, n := range names {
		out[i] = worst[n]
	}
	return out
}

func (d *doc) resolution(w *writer) {
	w.heading("Resolution")
	switch t := d.s.Section(incident.SectionResolution); {
	case strings.TrimSpace(t) != "":
		w.block(paragraphs(t, ""))
	case d.resolve != nil:
		by := ""
		if d.resolve.Actor != "" {
			by = " by " + esc(d.resolve.Actor)
		}
		w.block("Marked resolved at " + d.clock(d.resolve.Time) + by + ":")
		q := "> " + escStart(d.resolve.Summary)
		if strings.TrimSpace(d.resolve.Detail) != "" {
			q += "\n>\n> " + paragraphs(d.resolve.Detail, "> ")
		}
		w.block(q)
	default:
		ask := "How the incident was resolved."
		if d.decl != nil && d.s.Resolved.IsZero() {
			ask += " (The incident is still open.)"
		}
		w.block(prompt(ask))
	}
	var items []string
	for _, a := range d.acts {
		f := a.fields()
		if a.start == nil || a.end == nil || !f.Executed || !f.Destructive || f.Kind == incident.ActionNotify || failed(a.end.Action) {
			continue
		}
		if !d.s.Resolved.IsZero() && a.start.Time.After(d.s.Resolved) {
			continue // after the resolution: it did not end the incident
		}
		s := d.clock(a.start.Time) + " — " + esc(f.Title)
		if a.start.Actor != "" {
			s += " (" + esc(a.start.Actor) + ")"
		}
		for _, e := range []string{d.atEnd(a), d.afterward(a)} {
			if e != "" {
				s += "\n  - " + e
			}
		}
		items = append(items, s)
	}
	if len(items) > 0 {
		w.block("**Actions that changed the system** (see Actions and their effect):")
		w.list(items)
	}
}

// failed reports whether a finished action failed, timed out or was
// cancelled.
func failed(f *incident.ActionFields) bool {
	return f == nil || f.Cancelled || strings.TrimSpace(f.Error) != ""
}

// atEnd compares the vitals at the action's start and end.
func (d *doc) atEnd(a *action) string {
	if a.atEnd == nil {
		s := d.compareAtEnd(a)
		a.atEnd = &s
	}
	return *a.atEnd
}

// afterward is the evidence: the vitals some minutes after the action.
func (d *doc) afterward(a *action) string {
	if a.afterward == nil {
		s := d.compareAfterward(a)
		a.afterward = &s
	}
	return *a.afterward
}

func (d *doc) compareAtEnd(a *action) string {
	if a.start == nil || a.end == nil || a.start.Action == nil || a.end.Action == nil {
		return ""
	}
	before, after := a.start.Action.Vitals, a.end.Action.Vitals
	if len(before) == 0 && len(after) == 0 {
		return ""
	}
	if c := incident.CompareVitals(before, after); c != "" {
		return "before → at end: " + esc(c)
	}
	return "before → at end: no change in the vital signs"
}

func (d *doc) compareAfterward(a *action) string {
	ev := a.evidence
	if ev == nil || ev.Evidence == nil {
		return ""
	}
	before := ev.Evidence.Before
	if len(before) == 0 && a.start != nil && a.start.Action != nil {
		before = a.start.Action.Vitals
	}
	after := "after " + human(time.Duration(ev.Evidence.AfterMS)*time.Millisecond)
	if c := incident.CompareVitals(before, ev.Evidence.Vitals); c != "" {
		return after + ": " + esc(c)
	}
	return after + ": no change in the vital signs"
}

func (d *doc) lessons(w *writer) {
	w.heading("Lessons Learned")
	var items []string
	for _, n := range d.s.Sections[incident.SectionLessons] {
		if strings.TrimSpace(n.Text) != "" {
			items = append(items, paragraphs(n.Text, "  "))
		}
	}
	if len(items) == 0 {
		w.block(prompt("Lessons learned.", "What went well", "What could be improved"))
		return
	}
	w.list(items)
}

func (d *doc) actionItems(w *writer) {
	w.heading("Action Items")
	rows := []string{"| Item | Owner | Due Date | Status |", "|------|-------|----------|--------|"}
	n := 0
	for _, it := range d.s.Sections[incident.SectionAction] {
		text := strings.TrimSpace(it.Text)
		if text == "" {
			continue
		}
		n++
		item := esc(strings.ReplaceAll(text, "\n", " ⏎ "))
		rows = append(rows, "| "+item+" | "+promptInline("owner")+" | "+promptInline("date")+" | Open |")
	}
	if n == 0 {
		rows = append(rows, "| "+promptInline("action")+" | "+promptInline("owner")+" | "+promptInline("date")+" | Open |")
	}
	w.block(strings.Join(rows, "\n"))
}

// actionEffects lists every action: executed ones with their outcome and
// what they did to the vitals, not-executed ones as such.
func (d *doc) actionEffects(w *writer) {
	w.heading("Actions and their effect")
	if len(d.acts) == 0 {
		w.block("No action was recorded.")
		return
	}
	var items []string
	for _, a := range d.acts {
		f := a.fields()
		first := a.first()
		title := f.Title
		if title == "" {
			title = first.Summary
		}
		s := d.clock(first.Time) + " — **" + esc(title) + "**"
		if first.Actor != "" {
			s += " (" + esc(first.Actor) + ")"
		}
		s += ": " + d.outcome(a)
		var sub []string
		if f.Target != "" && f.Kind != incident.ActionNotify {
			sub = append(sub, "on "+esc(f.Target))
		}
		if e := d.atEnd(a); e != "" {
			sub = append(sub, e)
		}
		if e := d.afterward(a); e != "" {
			sub = append(sub, e)
		}
		for _, x := range sub {
			s += "\n  - " + x
		}
		items = append(items, s)
	}
	w.list(items)
}

// outcome says how an action ended: "done (exit code 0, 1.2 s)", "done
// (53 ms) — deployment/api rolled back…", "FAILED (800 ms): …", "timed
// out (30 s): …", "cancelled (4.1 s)", "would run — not executed
// (dry-run)", "no outcome recorded".
func (d *doc) outcome(a *action) string {
	if a.notRun != nil {
		f := a.notRun.Action
		s := "would run — not executed"
		if f != nil && f.Mode != "" {
			s += " (" + esc(f.Mode) + ")"
		}
		return s
	}
	if a.end == nil || a.end.Action == nil {
		return "no outcome recorded"
	}
	f := a.end.Action
	var facts []string
	if f.ExitCode != nil {
		facts = append(facts, "exit code "+strconv.Itoa(*f.ExitCode))
	}
	if f.DurationMS > 0 {
		facts = append(facts, human(time.Duration(f.DurationMS)*time.Millisecond))
	}
	paren := ""
	if len(facts) > 0 {
		paren = " (" + strings.Join(facts, ", ") + ")"
	}
	oneLine := func(s string) string { return esc(strings.ReplaceAll(strings.TrimSpace(s), "\n", " ⏎ ")) }
	var s string
	switch {
	case f.Cancelled:
		s = "cancelled" + paren
	case strings.HasPrefix(f.Error, "timed out"):
		s = "timed out" + paren + ": " + oneLine(f.Error)
	case strings.TrimSpace(f.Error) != "":
		s = "FAILED" + paren + ": " + oneLine(f.Error)
	default:
		s = "done" + paren
		if r := strings.TrimSpace(a.end.Detail); r != "" {
			s += " — " + oneLine(r)
		}
	}
	if a.start == nil {
		s += " (its start is not in the journal)"
	}
	return s
}

// runbookSteps lists the runbook steps: the command, its exit code, and
// the output excerpt folded in a <details>.
func (d *doc) runbookSteps(w *writer) {
	w.heading("Runbook steps")
	n := 0
	for _, a := range d.acts {
		if !a.isStep() {
			continue
		}
		n++
		f := a.fields()
		first := a.first()
		s := "**" + d.clock(first.Time) + " — " + esc(a.stepName()) + "**"
		if first.Actor != "" {
			s += " (" + esc(first.Actor) + ")"
		}
		w.block(s + ": " + d.outcome(a))
		if len(f.Lines) > 0 {
			w.block(codeBlock(info(f.Kind), strings.Join(f.Lines, "\n")))
		} else {
			w.block("No command recorded.")
		}
		if a.end != nil && a.end.Action != nil && strings.TrimSpace(a.end.Action.Output) != "" {
			w.block("<details><summary>Output</summary>")
			w.block(codeBlock("text", a.end.Action.Output))
			w.block("</details>")
		}
	}
	if n == 0 {
		w.block("No runbook step was run.")
	}
}

// info is a code block's language for an action kind.
func info(kind string) string {
	switch kind {
	case incident.ActionSQL:
		return "sql"
	case incident.ActionPromQL:
		return "promql"
	}
	return "sh"
}

// escalation lists the ladder's steps and the acknowledgements, and the
// response time against the policy's target, judged as the escalation
// clock judges it (incident.Policy.State): at the severity in force when
// the first ack after the declaration came, in open time; unacknowledged,
// at the severity in force at the end, for as long as it has been
// unacknowledged as of the resolution or the journal's last event. The
// breaches the console recorded (incident.BreachID) are named.
func (d *doc) escalation(w *writer) {
	w.heading("Escalation")
	breachSev := map[string]incident.Severity{}
	if d.decl != nil {
		for _, sev := range append(incident.Severities(), incident.SeverityUnknown) {
			breachSev[incident.BreachID(d.s.ID, sev)] = sev
		}
	}
	var items, breaches []string
	for i := range d.events {
		ev := &d.events[i]
		switch ev.Kind {
		case incident.KindEscalation:
			s := d.clock(ev.Time) + " — "
			if f := ev.Escalation; f != nil {
				s += "paged " + esc(d.role(f.Role, f.Level))
				if f.Who != "" {
					s += ": " + esc(f.Who)
				}
			} else {
				s += esc(ev.Summary)
			}
			if sev, ok := breachSev[ev.ID]; ok && ev.Escalation == nil {
				breaches = append(breaches, d.clock(ev.Time)+" ("+esc(sev.String())+")")
			}
			items = append(items, s)
		case incident.KindAck:
			who, role := ev.Actor, ""
			if f := ev.Ack; f != nil {
				if f.Who != "" {
					who = f.Who
				}
				role = strings.TrimSpace(f.Role)
			}
			// A rung is named only when the ack says which: a version 1
			// ack has no level, and level 0 is also what it reads as.
			s := d.clock(ev.Time) + " — acknowledged by " + esc(who)
			if role != "" {
				s += " (" + esc(role) + ")"
			}
			if ev.Actor != "" && ev.Actor != who {
				s += ", recorded by " + esc(ev.Actor)
			}
			items = append(items, s)
		}
	}
	if len(items) == 0 {
		w.block("No escalation or acknowledgement was recorded.")
	} else {
		w.list(items)
	}
	if d.decl == nil {
		return
	}
	st := d.o.Policy.State(d.s, d.last())
	target := d.o.Policy.ResponseTime(st.Severity)
	name := st.Severity.String()
	if !st.Severity.Valid() {
		name = "P? (run as P0)"
	}
	verdict := func(took time.Duration, breached bool) string {
		if !breached {
			return "within the " + esc(name) + " target of " + human(target)
		}
		return human(took-target) + " over the " + esc(name) + " target of " + human(target)
	}
	var s string
	if st.Acked {
		s = "Response time: acknowledged by " + esc(st.AckedBy) + " at " + d.clock(st.AckedAt) + ", in " + human(st.Response) +
			", " + verdict(st.Response, st.Response > target)
		if cur := d.s.Severity; st.Severity != cur {
			later := cur.String()
			if !d.s.SeverityKnown {
				later = "P?"
			}
			s += " (the severity when it was acknowledged; later " + esc(later) + ")"
		}
		s += "."
	} else {
		stop := d.end()
		open := d.openTime(stop)
		s = "Response time: not acknowledged; unacknowledged for " + human(open)
		if d.resolved() {
			s += " until the resolution at " + d.clock(stop) + ": "
		} else {
			s += " as of " + d.clock(stop) + ", the journal's last event: "
		}
		breached := open > target // as State judges it: the same open time against the same target
		s += verdict(open, breached)
		switch {
		case breached:
			s += " (due " + d.clock(st.ResponseDue) + ")."
		case d.resolved():
			s += "."
		default:
			s += " so far (due " + d.clock(st.ResponseDue) + ")."
		}
	}
	w.block(s)
	if len(breaches) > 0 {
		w.block("Breaches of the response time recorded by the console: " + strings.Join(breaches, ", ") + ".")
	}
}

// role is a ladder rung's name: the event's, else the policy's, else
// "level N".
func (d *doc) role(role string, level int) string {
	if strings.TrimSpace(role) != "" {
		return role
	}
	if level >= 0 && level < len(d.o.Policy.Ladder) {
		return d.o.Policy.Ladder[level].Role
	}
	return "level " + strconv.Itoa(level)
}

// backends lists the probes' lost and recovered events.
func (d *doc) backends(w *writer) {
	w.heading("Backends")
	var items []string
	for i := range d.events {
		ev := &d.events[i]
		if ev.Kind != incident.KindProbe {
			continue
		}
		s := d.clock(ev.Time) + " — "
		switch f := ev.Probe; {
		case f != nil && f.State == incident.ProbeLost:
			s += esc(f.Backend) + " lost"
			if e := strings.TrimSpace(f.Error); e != "" {
				s += ": " + esc(strings.ReplaceAll(e, "\n", " ⏎ "))
			}
		case f != nil && f.State == incident.ProbeRecovered:
			s += esc(f.Backend) + " recovered"
			if f.DownForMS > 0 {
				s += ", down for " + human(time.Duration(f.DownForMS)*time.Millisecond)
			}
		default:
			s += esc(ev.Summary)
		}
		items = append(items, s)
	}
	if len(items) == 0 {
		w.block("No backend was lost.")
		return
	}
	w.list(items)
}

// skipped lists the journal lines that could not be read: line number,
// why, and length only. A line's content is never written: a torn line
// is the start of an event whose cleaning was never checked, and may be
// anything.
func (d *doc) skipped(w *writer) {
	if len(d.o.Skipped) == 0 {
		return
	}
	sk := slices.Clone(d.o.Skipped)
	slices.SortStableFunc(sk, func(a, b incident.Skipped) int { return cmp.Compare(a.Line, b.Line) })
	w.heading("Journal lines not read")
	if len(sk) == 1 {
		w.block("The journal had 1 line that could not be read; this report leaves it out:")
	} else {
		w.block(fmt.Sprintf("The journal had %d lines that could not be read; this report leaves them out:", len(sk)))
	}
	var items []string
	for _, s := range sk {
		items = append(items, "line "+strconv.Itoa(s.Line)+": "+esc(d.skipReason(s))+" ("+skipLength(s)+")")
	}
	w.list(items)
}

// quoted is a double-quoted fragment of an error's text: where decoding
// errors quote the line ("parsing time \"…\"").
var quoted = regexp.MustCompile(`"(?:[^"\\]|\\.)*"`)

// skipReason is why a line was not read: the error's text cleaned, with
// what it quotes and any part of the line it holds cut out.
func (d *doc) skipReason(s incident.Skipped) string {
	if s.Err == nil {
		return "unreadable"
	}
	if errors.Is(s.Err, incident.ErrLineTooLong) {
		return "longer than " + strconv.Itoa(incident.MaxLineBytes) + " bytes"
	}
	why := d.c.line(s.Err.Error())
	for _, t := range []string{s.Text, d.c.line(s.Text)} {
		if t = strings.TrimSpace(strings.TrimSuffix(t, "…")); len(t) >= 8 {
			why = strings.ReplaceAll(why, t, "…")
		}
	}
	why = quoted.ReplaceAllString(why, `"…"`)
	if strings.TrimSpace(why) == "" {
		return "unreadable"
	}
	return why
}

// skipLength is a skipped line's length as far as incident.Skipped tells
// it: its preview's, which ReadFile cuts at 200 characters (ending in
// "…"), or over MaxLineBytes.
func skipLength(s incident.Skipped) string {
	if errors.Is(s.Err, incident.ErrLineTooLong) {
		return "over " + strconv.Itoa(incident.MaxLineBytes) + " bytes"
	}
	n := utf8.RuneCountInString(s.Text)
	switch {
	case n >= 200 && strings.HasSuffix(s.Text, "…"):
		return "200 characters or more"
	case n == 1:
		return "1 character"
	}
	return strconv.Itoa(n) + " characters"
}
