package report

import (
	"strings"
	"time"

	"github.com/warroom-dev/warroom/incident"
)

// Draft is one communication draft.
type Draft struct{ Name, Title, Text string } // Name "status-page" / "customer-email"; Title "Status page update" / "Customer email"

// Draft names.
const (
	DraftStatusPage    = "status-page"
	DraftCustomerEmail = "customer-email"
)

// Drafts are the playbook's status-page update and customer email filled
// from the session; now is when they are written (the next-update time is
// now + UpdateEvery[severity]). What the journal does not say is left as
// an obvious placeholder ("[impact: to fill in]"), never invented.
func Drafts(events []incident.Event, o Options, now time.Time) []Draft {
	return newDoc(events, o).drafts(now)
}

func (d *doc) drafts(now time.Time) []Draft {
	return []Draft{
		{Name: DraftStatusPage, Title: "Status page update", Text: d.statusPage(now)},
		{Name: DraftCustomerEmail, Title: "Customer email", Text: d.customerEmail()},
	}
}

// draftTitle is the incident's title for a draft.
func (d *doc) draftTitle() string {
	if d.decl == nil || strings.TrimSpace(d.s.Title) == "" {
		return placeholder("title")
	}
	return esc(d.s.Title)
}

// sectionOr is a section's text for a draft, else the placeholder.
func (d *doc) sectionOr(section, what string) string {
	if t := d.s.Section(section); strings.TrimSpace(t) != "" {
		return paragraphs(t, "")
	}
	return placeholder(what)
}

func (d *doc) statusPage(now time.Time) string {
	service := d.service()
	var b strings.Builder
	if !d.s.Resolved.IsZero() {
		b.WriteString("**Resolved: " + d.draftTitle() + "**\n\n")
		b.WriteString("The issue affecting " + service + " has been resolved as of " +
			d.in(d.s.Resolved).Format("15:04 MST") + ".\n\n")
		b.WriteString("**Impact:** " + d.sectionOr(incident.SectionImpact, "impact") + "\n")
		return b.String()
	}
	b.WriteString("**Investigating: " + d.draftTitle() + "**\n\n")
	b.WriteString("We are currently investigating an issue affecting " + service + ".\n")
	b.WriteString("Our engineering team is actively working on this issue.\n\n")
	b.WriteString("**Impact:** " + d.sectionOr(incident.SectionImpact, "impact") + "\n\n")
	every := d.o.UpdateEvery[d.s.Severity]
	if !d.s.SeverityKnown {
		every = d.o.UpdateEvery[incident.P0] // an unknown severity runs as a P0
	}
	next := d.in(now.Add(every))
	at := next.Format("15:04 MST")
	if next.Format(time.DateOnly) != d.in(now).Format(time.DateOnly) {
		at = next.Format("2006-01-02 15:04 MST")
	}
	b.WriteString("**Next update:** by " + at + " (in " + spelled(every) + ")\n")
	return b.String()
}

func (d *doc) customerEmail() string {
	date := placeholder("date")
	if d.decl != nil {
		date = d.day
	}
	resolution := placeholder("resolution")
	switch t := d.s.Section(incident.SectionResolution); {
	case strings.TrimSpace(t) != "":
		resolution = paragraphs(t, "")
	case d.resolve != nil:
		resolution = escStart(d.resolve.Summary) // it starts a line
	case d.decl != nil:
		resolution = placeholder("resolution — the incident is still open")
	}
	product := esc(d.c.line(d.o.Product))
	var b strings.Builder
	b.WriteString("Subject: [" + product + "] Service Incident - " + date + "\n\n")
	b.WriteString("Dear Customer,\n\n")
	b.WriteString("We want to inform you of a service incident that occurred on " + date + ".\n\n")
	b.WriteString("**What happened:**\n" + d.sectionOr(incident.SectionSummary, "what happened") + "\n\n")
	b.WriteString("**Impact:**\n" + d.sectionOr(incident.SectionImpact, "impact") + "\n\n")
	b.WriteString("**Resolution:**\n" + resolution + "\n\n")
	b.WriteString("**Prevention:**\n" + d.sectionOr(incident.SectionPrevention, "prevention") + "\n\n")
	b.WriteString("We apologize for any inconvenience this may have caused. If you have questions, please contact " +
		esc(d.c.line(d.o.Support)) + ". Status updates are posted at " + esc(d.c.line(d.o.StatusPage)) + ".\n\n")
	b.WriteString("Best regards,\nThe " + product + " Team\n")
	return b.String()
}

// serviceLabels are the alert labels that name the affected service, in
// order of preference.
var serviceLabels = []string{"service", "job", "app", "deployment"}

// service is the affected service: the one named most often by the
// alerts' labels (service, job, app or deployment: the first an alert
// has), else by the deployment/X targets of actions, else a placeholder.
// Ties go to the one named first.
func (d *doc) service() string {
	var fromAlerts, fromTargets []string
	for i := range d.events {
		ev := &d.events[i]
		if f := ev.Alert; ev.Kind == incident.KindAlert && f != nil {
			for _, l := range serviceLabels {
				if v := strings.TrimSpace(f.Labels[l]); v != "" {
					fromAlerts = append(fromAlerts, v)
					break
				}
			}
		}
		if f := ev.Action; ev.Kind == incident.KindAction && f != nil && f.Phase != incident.PhaseFinished {
			if rest, ok := strings.CutPrefix(strings.TrimSpace(f.Target), "deployment/"); ok {
				if name, _, _ := strings.Cut(rest, " "); name != "" {
					fromTargets = append(fromTargets, name)
				}
			}
		}
	}
	for _, names := range [][]string{fromAlerts, fromTargets} {
		if s := mostFrequent(names); s != "" {
			return esc(s)
		}
	}
	return placeholder("affected service")
}

// mostFrequent is the most frequent string, the first seen on a tie.
func mostFrequent(names []string) string {
	count := map[string]int{}
	best := ""
	for _, n := range names {
		count[n]++
	}
	for _, n := range names {
		if best == "" || count[n] > count[best] {
			best = n
		}
	}
	return best
}

// DefaultPath is where the console writes the report for a journal:
// beside it, "<journal without .jsonl>.report.md" (journal "inc.jsonl" →
// "inc.report.md"; "inc" → "inc.report.md").
func DefaultPath(journalPath string) string {
	return strings.TrimSuffix(journalPath, ".jsonl") + ".report.md"
}

// DraftPath is where a draft goes beside the report: "x.report.md" +
// "status-page" → "x.status-page.md"; "out.md" → "out.status-page.md";
// "out" → "out.status-page.md".
func DraftPath(reportPath, name string) string {
	base, ok := strings.CutSuffix(reportPath, ".report.md")
	if !ok {
		base = strings.TrimSuffix(reportPath, ".md")
	}
	return base + "." + name + ".md"
}
