package runbooks

import (
	"strings"
	"testing"
)

func titles(ss []Suggestion) []string {
	var out []string
	for _, s := range ss {
		out = append(out, s.Runbook.Title+" ("+s.Why()+")")
	}
	return out
}

// Lock waits and connections near the limit suggest Database Connection
// Issues first, saying why — from the shipped files' front-matter signals
// and from the playbook's symptom words alike.
func TestSuggestDatabaseFromPgSignals(t *testing.T) {
	for name, books := range map[string][]Runbook{"shipped": shippedBooks(t), "playbook": loadPlaybook(t)} {
		for _, weights := range [][2]int{{3, 2}, {0, 0}} {
			ix := NewIndex(books)
			got := ix.Suggest([]Signal{
				{Kind: SignalLockWaits, Text: "2 sessions waiting on locks", Weight: weights[1]},
				{Kind: SignalConnections, Text: "93/100 connections", Weight: weights[0]},
			})
			if len(got) == 0 || got[0].Runbook.Title != "Database Connection Issues" {
				t.Fatalf("%s %v: %q", name, weights, titles(got))
			}
			want := "93/100 connections, 2 sessions waiting on locks"
			if weights[0] == weights[1] {
				want = "2 sessions waiting on locks, 93/100 connections" // equal weights keep the panes' order
			}
			if got[0].Why() != want || got[0].Score != max(weights[0], 1)+max(weights[1], 1) {
				t.Errorf("%s %v: why %q score %d, want %q", name, weights, got[0].Why(), got[0].Score, want)
			}
			for _, s := range got[1:] {
				if s.Score >= got[0].Score {
					t.Errorf("%s: %q ranks with the database runbook", name, titles(got))
				}
			}
		}
	}
}

// A firing HighErrorRate alert ranks High Error Rate first; a 5xx signal
// suggests the runbooks that speak of 5xx.
func TestSuggestFromAlertAnd5xx(t *testing.T) {
	for name, books := range map[string][]Runbook{"shipped": shippedBooks(t), "playbook": loadPlaybook(t)} {
		ix := NewIndex(books)
		got := ix.Suggest([]Signal{{Kind: SignalAlert, Text: "HighErrorRate firing", Terms: []string{"HighErrorRate"}, Weight: 5}})
		if len(got) != 1 || got[0].Runbook.Title != "High Error Rate" || got[0].Why() != "HighErrorRate firing" {
			t.Errorf("%s: alert: %q", name, titles(got))
		}
		got = ix.Suggest([]Signal{
			{Kind: SignalHTTP5xx, Text: "5xx 12.6%", Weight: 4},
			{Kind: SignalCrashLoop, Text: "3 pods crash-looping", Weight: 3},
		})
		if len(got) != 2 || got[0].Runbook.Title != "API Service Down" || got[0].Why() != "5xx 12.6%, 3 pods crash-looping" ||
			got[1].Runbook.Title != "High Error Rate" || got[1].Why() != "5xx 12.6%" {
			t.Errorf("%s: 5xx and crash loops: %q", name, titles(got))
		}
		if got := ix.Suggest([]Signal{{Kind: SignalAlert, Text: "x", Terms: []string{"NodeDiskFull", "", "ab"}}}); len(got) != 0 {
			t.Errorf("%s: an alert no runbook names: %q", name, titles(got))
		}
	}
}

func TestSuggestNothingBurningSuggestsNothing(t *testing.T) {
	ix := NewIndex(shippedBooks(t))
	if got := ix.Suggest(nil); len(got) != 0 {
		t.Errorf("no signals: %q", titles(got))
	}
	if got := ix.Suggest([]Signal{{Kind: "disk.full", Text: "disk 99%"}}); len(got) != 0 {
		t.Errorf("an unknown kind: %q", titles(got))
	}
}

// Front-matter signals decide for a runbook that has them: words in its
// symptoms do not.
func TestSuggestFrontMatterSignalsDecide(t *testing.T) {
	books, err := Parse("---\ntitle: Lock storms\nsymptoms: [lock waits, connection spikes]\nsignals: [pg.lock_waits]\n---\n", "x.md")
	if err != nil {
		t.Fatal(err)
	}
	ix := NewIndex(books)
	if got := ix.Suggest([]Signal{{Kind: SignalConnections, Text: "95/100 connections"}}); len(got) != 0 {
		t.Errorf("connections: %q", titles(got))
	}
	if got := ix.Suggest([]Signal{{Kind: SignalLockWaits, Text: "3 waiting"}}); len(got) != 1 || !strings.Contains(got[0].Why(), "3 waiting") {
		t.Errorf("lock waits: %q", titles(got))
	}
}

// A qualified kind answers only the signals that name it.
func TestSuggestQualifiedKindNamesTheDeployment(t *testing.T) {
	books, err := Shipped()
	if err != nil {
		t.Fatal(err)
	}
	ix := NewIndex(books)
	titles := func(sigs ...Signal) []string {
		var out []string
		for _, s := range ix.Suggest(sigs) {
			out = append(out, s.Runbook.Title)
		}
		return out
	}
	api := Signal{Kind: SignalCrashLoop, Text: "3 api pods crash-looping", Terms: []string{"CrashLoopBackOff", "api"}, Weight: 100}
	if got := titles(api); len(got) != 1 || got[0] != "API Service Down" {
		t.Errorf("api crash loop suggests %q", got)
	}
	rt := Signal{Kind: SignalCrashLoop, Text: "1 of 2 agent-runtime pods not ready", Terms: []string{"OOMKilled", "agent-runtime"}, Weight: 50}
	if got := titles(rt); len(got) != 2 || got[1] != "Agent Execution Failures" {
		t.Errorf("agent-runtime crash loop suggests %q", got)
	}
	rate := Signal{Kind: SignalAlert, Text: "agent success rate at 78.3% (threshold 95%)", Terms: []string{"agent success rate"}, Weight: 18}
	if got := titles(rate); len(got) != 1 || got[0] != "Agent Execution Failures" {
		t.Errorf("agent success rate suggests %q", got)
	}
}
