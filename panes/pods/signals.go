package pods

import (
	"cmp"
	"fmt"
	"slices"
	"strings"

	tea "github.com/charmbracelet/bubbletea"

	"github.com/warroom-dev/warroom/internal/sanitize"
	"github.com/warroom-dev/warroom/probes/kube"
	"github.com/warroom-dev/warroom/runbooks"
)

// What the pane publishes for the runbook sidebar (common.SignalsMsg,
// common.ContextMsg), each only when it differs from what it last sent.

// signals is the pane's account of what is burning in snapshot s: one
// SignalCrashLoop per deployment (or per namespace, for pods no
// deployment owns) with failing pods — those the list paints red
// (statusClass 2: CrashLoopBackOff, OOMKilled, Error, ImagePullBackOff,
// Running but not ready…). Pods on their way (Pending, ContainerCreating,
// Terminating) are a rollout's normal course, not a signal. Strongest
// (most failing pods) first.
func signals(s kube.Snapshot) []runbooks.Signal {
	type group struct {
		ns, dep             string
		total, failing, crl int
		statuses            []string
	}
	type key struct{ ns, dep string }
	var groups map[key]*group
	for i := range s.Pods {
		p := &s.Pods[i]
		if statusClass(*p) != 2 {
			continue
		}
		if groups == nil {
			groups = map[key]*group{}
		}
		k := key{p.Namespace, p.Deployment}
		g := groups[k]
		if g == nil {
			g = &group{ns: p.Namespace, dep: p.Deployment}
			groups[k] = g
		}
		g.failing++
		if strings.HasSuffix(p.Status, "CrashLoopBackOff") {
			g.crl++
		}
		// The reasons are words a runbook's symptoms may use ("OOMKilled");
		// "Running" (not ready) says nothing.
		if st := sanitize.Line(p.Status); st != "" && st != "Running" && !slices.Contains(g.statuses, st) {
			g.statuses = append(g.statuses, st)
		}
	}
	if len(groups) == 0 {
		return nil
	}
	// The groups' sizes ("2 of 5"): a deployment's from the watch's
	// count; the pods no deployment owns (or a count that disagrees)
	// counted over the pods, which is most of the cost on 10,000 pods.
	recount := false
	for _, d := range s.Deployments {
		if g := groups[key{d.Namespace, d.Name}]; g != nil {
			g.total = d.Pods
		}
	}
	for _, g := range groups {
		if g.total < g.failing {
			recount = true
		}
	}
	if recount {
		for _, g := range groups {
			g.total = 0
		}
		for i := range s.Pods {
			p := &s.Pods[i]
			if g := groups[key{p.Namespace, p.Deployment}]; g != nil {
				g.total++
			}
		}
	}
	out := make([]runbooks.Signal, 0, len(groups))
	for _, g := range groups {
		what := "pods"
		if g.dep != "" {
			what = sanitize.Line(g.dep) + " pods"
		}
		if g.failing == 1 {
			what = strings.TrimSuffix(what, "s")
		}
		// "3 api pods crash-looping", "2 of 5 api pods not ready (1
		// crash-looping)": the share only where some pods are fine.
		count := fmt.Sprintf("%d %s", g.failing, what)
		if g.failing < g.total {
			count = fmt.Sprintf("%d of %d %s", g.failing, g.total, plural(what, g.total))
		}
		var text string
		switch {
		case g.crl == g.failing:
			text = count + " crash-looping"
		case g.crl > 0:
			text = fmt.Sprintf("%s not ready (%d crash-looping)", count, g.crl)
		default:
			text = count + " not ready"
		}
		if g.ns != "" {
			text += " in " + sanitize.Line(g.ns)
		}
		slices.Sort(g.statuses)
		terms := g.statuses
		if g.dep != "" {
			terms = append(terms, sanitize.Line(g.dep))
		}
		out = append(out, runbooks.Signal{Kind: runbooks.SignalCrashLoop, Text: text, Terms: terms,
			Weight: runbooks.Severity(float64(g.failing), 0, float64(max(g.total, g.failing)))})
	}
	slices.SortFunc(out, func(a, b runbooks.Signal) int {
		return cmp.Or(cmp.Compare(b.Weight, a.Weight), cmp.Compare(a.Text, b.Text))
	})
	return out
}

// plural is "api pod" or "api pods" as n says.
func plural(what string, n int) string {
	what = strings.TrimSuffix(what, "s")
	if n != 1 {
		what += "s"
	}
	return what
}

// publishSignals sends the snapshot's signals if they differ from the
// last sent. A snapshot still listing (not synced) is partial: nothing is
// said of it.
func (m *Model) publishSignals(s kube.Snapshot) tea.Cmd {
	if !s.Synced {
		return nil
	}
	return m.pub.Signals(tag, signals(s))
}

// selection is what the pane has selected, for a runbook's variables:
// the opened pod in the detail, else the pod under the cursor; the
// namespace is the pod's, else the one namespace the pane watches.
type selection struct{ ns, pod, dep string }

func (m *Model) selection() selection {
	var s selection
	switch {
	case m.detail != nil:
		s = selection{ns: m.detail.ns, pod: m.detail.name, dep: m.detail.depName}
	default:
		if p, ok := m.selected(); ok {
			s = selection{ns: p.Namespace, pod: p.Name, dep: p.Deployment}
		}
	}
	if s.ns == "" && len(m.cfg.Namespaces) == 1 {
		s.ns = m.cfg.Namespaces[0]
	}
	return s
}

// publishContext sends the selection if it differs from the last sent.
// Comparing three strings per message: the map is built only on a change.
func (m *Model) publishContext() tea.Cmd {
	s := m.selection()
	if s == m.sentContext {
		return nil
	}
	m.sentContext = s
	vals := map[string]string{}
	for k, v := range map[string]string{"namespace": s.ns, "pod": s.pod, "deployment": s.dep} {
		if v = sanitize.Line(v); v != "" {
			vals[k] = v
		}
	}
	return m.pub.Context(tag, vals)
}
