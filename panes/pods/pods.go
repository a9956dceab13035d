// Package pods is the pods pane: the namespace's pods, worst first, with
// kubectl's status reasons. (Deployments, rollout history, pod detail and
// actions come with the pods-pane issue.)
package pods

import (
	"context"
	"fmt"
	"strings"
	"time"

	"github.com/charmbracelet/bubbles/key"
	tea "github.com/charmbracelet/bubbletea"
	"k8s.io/apimachinery/pkg/util/duration"

	"github.com/warroom-dev/warroom/incident"
	"github.com/warroom-dev/warroom/internal/sanitize"
	"github.com/warroom-dev/warroom/probes"
	"github.com/warroom-dev/warroom/probes/kube"
	"github.com/warroom-dev/warroom/tui/common"
)

// Config says what to watch.
type Config struct {
	Namespace string
	Refresh   time.Duration
}

// KeyMap is the pane's bindings.
type KeyMap struct {
	common.NavKeys
	Undo key.Binding
}

// DefaultKeyMap returns the pane's bindings.
func DefaultKeyMap() KeyMap {
	return KeyMap{
		NavKeys: common.DefaultNavKeys(),
		Undo:    key.NewBinding(key.WithKeys("u"), key.WithHelp("u", "undo rollout")),
	}
}

// Model is the pods pane.
type Model struct {
	c      common.Common
	cfg    Config
	keys   KeyMap
	probe  kube.Probe
	feed   *probes.Feed[[]kube.Pod]
	cursor common.Cursor
	w, h   int
}

// New makes the pane; probe nil means Kubernetes is not configured.
func New(c common.Common, probe kube.Probe, cfg Config) *Model {
	var fetch func(context.Context) ([]kube.Pod, error)
	if probe != nil {
		ns := cfg.Namespace
		fetch = func(ctx context.Context) ([]kube.Pod, error) { return probe.Pods(ctx, ns) }
	}
	feed := probes.NewFeed(tag, cfg.Refresh, c.Now, fetch, "set --kubeconfig/--context or kube.kubeconfig")
	feed.OnChange = c.ProbeEvents("kubernetes")
	m := &Model{c: c, cfg: cfg, keys: DefaultKeyMap(), probe: probe, feed: feed}
	m.keys.Undo.SetEnabled(probe != nil)
	return m
}

func (m *Model) Title() string {
	if m.cfg.Namespace == "" {
		return "Pods (all namespaces)"
	}
	return "Pods · " + sanitize.Line(m.cfg.Namespace)
}
func (m *Model) Init() tea.Cmd            { return m.feed.Start() }
func (m *Model) SetSize(w, h int)         { m.w, m.h = w, h }
func (m *Model) Capturing() bool          { return false }
func (m *Model) ShortHelp() []key.Binding { return []key.Binding{m.keys.Up, m.keys.Down, m.keys.Undo} }
func (m *Model) FullHelp() [][]key.Binding {
	return [][]key.Binding{m.keys.NavKeys.Bindings(), {m.keys.Undo}}
}
func (m *Model) Backends() []common.Backend {
	return []common.Backend{{Name: "kube", State: m.feed.State}}
}

// Update handles keys and this pane's poll results.
func (m *Model) Update(msg tea.Msg) (common.Pane, tea.Cmd) {
	if ok, cmd := m.feed.Update(msg); ok {
		return m, cmd
	}
	switch msg := msg.(type) {
	case tea.KeyMsg:
		if key.Matches(msg, m.keys.Undo) {
			return m, m.undo()
		}
		m.cursor.Handle(msg, m.keys.NavKeys, len(m.feed.Data), m.rows())
	case common.ActionDoneMsg:
		if msg.Tag == tag && msg.Executed {
			return m, m.feed.Restart(nil) // show what the action did now, not at the next poll
		}
	}
	return m, nil
}

const tag = "pods"

// deployment is the deployment that owns the selected pod, as far as the
// row tells: its ReplicaSet's name without the pod-template hash.
func (m *Model) deployment() (ns, name string, ok bool) {
	if m.cursor.Pos >= len(m.feed.Data) {
		return "", "", false
	}
	p := m.feed.Data[m.cursor.Pos]
	kind, rs, _ := strings.Cut(p.Owner, "/")
	i := strings.LastIndexByte(rs, '-')
	if kind != "ReplicaSet" || i <= 0 {
		return "", "", false
	}
	return p.Namespace, rs[:i], true
}

// undoAction is the rollout undo of the selected pod's deployment.
// (The pods issue adds the revisions and images to the confirmation.)
func (m *Model) undoAction() (common.Action, bool) {
	ns, name, ok := m.deployment()
	if !ok || m.probe == nil {
		return common.Action{}, false
	}
	probe := m.probe
	return common.Action{
		Title:       "Roll back deployment/" + name + " to its previous revision",
		Kind:        incident.ActionKube,
		Op:          kube.OpRolloutUndo,
		Lines:       []string{"kubectl rollout undo deployment/" + name + " -n " + ns},
		Target:      kube.Target("deployment", ns, name),
		Destructive: true,
		Timeout:     30 * time.Second,
		Tag:         tag,
		Run: func(ctx context.Context, progress func(string)) common.Outcome {
			res, err := probe.RolloutUndo(ctx, ns, name)
			if err != nil {
				return common.Outcome{Err: err}
			}
			return common.Outcome{Result: res.String()}
		},
	}, true
}

func (m *Model) undo() tea.Cmd {
	a, ok := m.undoAction()
	if !ok {
		return common.Flash("rollout undo: the selected pod has no deployment (no ReplicaSet owner)", true)
	}
	return common.Do(a)
}

// Offers puts the rollout undo of the selected pod's deployment in the
// command palette.
func (m *Model) Offers() []common.Offer {
	a, ok := m.undoAction()
	if !ok {
		return nil
	}
	return []common.Offer{{Name: a.Title, Key: m.keys.Undo.Help().Key, Cmd: common.Do(a)}}
}

func (m *Model) rows() int { return max(m.h-3, 1) }

// View renders the state line, a summary, and the table.
func (m *Model) View() string { return common.Clip(m.view(), m.w, m.h) }

func (m *Model) view() string {
	st := m.c.Styles
	now := m.c.Now()
	var b strings.Builder
	b.WriteString(common.StateLineFit(st, m.feed.State, now, 3*m.feed.Interval, m.w) + "\n")
	if m.feed.State.LastOK.IsZero() {
		b.WriteString(common.FailureDetail(m.c.Styles, m.feed.State, m.w, max(m.h-2, 1)))
		return b.String() // no data yet: say nothing rather than "0 pods"
	}
	pods := m.feed.Data
	bad := 0
	for _, p := range pods {
		if !p.Healthy() {
			bad++
		}
	}
	summary := fmt.Sprintf("%d pods", len(pods))
	if bad > 0 {
		summary += " · " + st.Bad.Render(fmt.Sprintf("%d need attention", bad))
	} else if len(pods) > 0 {
		summary += " · " + st.OK.Render("all healthy")
	}
	b.WriteString(summary + "\n")
	// Columns: the name gets what is left; narrow panes drop AGE and
	// shorten headers before the name suffers.
	readyW, statusW, restartsW, ageW := 6, 17, 8, 5
	restartsH := "RESTARTS"
	withAgo := m.w >= 96 // room for kubectl's "4 (2m12s ago)"
	if withAgo {
		restartsW = 14
	}
	if m.w < 70 {
		readyW, statusW, restartsW, restartsH = 5, 16, 3, "RST"
	}
	if m.w < 56 {
		ageW = 0
	}
	nameW := max(m.w-readyW-statusW-restartsW-ageW-4, 8)
	header := common.Pad("NAME", nameW) + " " + common.Pad("READY", readyW) + " " + common.Pad("STATUS", statusW) + " " + common.PadLeft(restartsH, restartsW)
	if ageW > 0 {
		header += " " + common.PadLeft("AGE", ageW)
	}
	b.WriteString(st.Table.Header.Render(header) + "\n")
	cur := m.cursor // a copy: drawing never moves the cursor
	start, end := cur.Window(len(pods), m.rows())
	for i := start; i < end; i++ {
		p := pods[i]
		status := common.Pad(sanitize.Line(p.Status), statusW)
		selected := i == cur.Pos
		switch {
		case selected:
		case p.Healthy():
			status = st.OK.Render(status)
		case p.Status == "Pending" || strings.HasPrefix(p.Status, "Init:") || p.Status == "ContainerCreating":
			status = st.Warn.Render(status)
		default:
			status = st.Bad.Render(status)
		}
		line := common.Pad(common.TruncateMiddle(sanitize.Line(p.Name), nameW), nameW) + " " +
			common.Pad(fmt.Sprintf("%d/%d", p.Ready, p.Total), readyW) + " " + status + " " +
			common.PadLeft(restarts(p, now, withAgo), restartsW)
		if ageW > 0 {
			line += " " + common.PadLeft(age(now, p.Created), ageW)
		}
		if selected {
			line = st.Table.Selected.Render(common.Pad(line, m.w))
		}
		b.WriteString(line + "\n")
	}
	return strings.TrimRight(b.String(), "\n")
}

// restarts is the RESTARTS column: kubectl's "3 (2m ago)" when there is
// room, else the count.
func restarts(p kube.Pod, now time.Time, withAgo bool) string {
	if withAgo {
		return p.RestartsText(now)
	}
	return fmt.Sprint(p.Restarts)
}

// age is the AGE column as kubectl prints it (apimachinery's HumanDuration).
func age(now, t time.Time) string {
	if t.IsZero() {
		return "?"
	}
	return duration.HumanDuration(max(now.Sub(t), 0))
}
