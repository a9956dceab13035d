package incident

import (
	"fmt"
	"time"
)

// Checklist is one of the playbook's checklists.
type Checklist struct {
	// Name is the list's name in checklist events ("triage").
	Name  string
	Title string
	Items []string
}

// Checklist names.
const (
	ChecklistTriage   = "triage"
	ChecklistSecurity = "security"
)

// Checklists are the playbook's checklists: the triage checklist and the
// security incident's immediate actions, in its words.
func Checklists() []Checklist {
	return []Checklist{
		{Name: ChecklistTriage, Title: "Triage checklist", Items: []string{
			"Confirm the incident is real (not false positive)",
			"Determine severity level (P0-P3)",
			"Identify affected services/users",
			"Check for related alerts",
			"Document initial findings",
			"Notify appropriate team members",
		}},
		{Name: ChecklistSecurity, Title: "Security incident — immediate actions", Items: []string{
			"Alert Security Team Lead immediately",
			"Do NOT communicate externally without approval",
			"Preserve all logs and evidence",
			"Document timeline of events",
			"Identify affected systems/data",
			"Consider isolating affected systems",
		}},
	}
}

// ChecklistByName returns the checklist named name.
func ChecklistByName(name string) (Checklist, bool) {
	for _, c := range Checklists() {
		if c.Name == name {
			return c, true
		}
	}
	return Checklist{}, false
}

// Checked records item (by index) of list checked or unchecked.
func Checked(actor string, list Checklist, item int, checked bool, at time.Time) Event {
	text := ""
	if item >= 0 && item < len(list.Items) {
		text = list.Items[item]
	}
	verb := "Checked"
	if !checked {
		verb = "Unchecked"
	}
	return Event{Time: at, Actor: actor, Kind: KindChecklist,
		Summary:   fmt.Sprintf("%s %s item %d/%d: %s", verb, list.Name, item+1, len(list.Items), text),
		Checklist: &ChecklistFields{List: list.Name, Item: item, Text: text, Checked: checked}}
}
