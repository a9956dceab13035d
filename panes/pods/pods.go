// Package pods is the pods pane: the watched namespaces' pods, worst first,
// with kubectl's columns; one summary line per deployment with its rollout;
// a pod's detail (containers, last termination, events, logs); and rollout
// undo, restart, scale and pod delete through the shell's one action path.
//
// It reads a kube.Watch: the pods are listed once and then watched, and
// bursts of changes arrive as one snapshot (probes.Stream). Nothing here
// calls the API server from Update or View.
package pods

import (
	"context"
	"fmt"
	"strings"
	"time"

	"github.com/charmbracelet/bubbles/key"
	"github.com/charmbracelet/bubbles/textinput"
	tea "github.com/charmbracelet/bubbletea"
	"k8s.io/apimachinery/pkg/util/duration"

	"github.com/warroom-dev/warroom/internal/sanitize"
	"github.com/warroom-dev/warroom/probes"
	"github.com/warroom-dev/warroom/probes/kube"
	"github.com/warroom-dev/warroom/tui/common"
)

// Config says what to watch.
type Config struct {
	// Namespaces to watch; "" (or none) for all.
	Namespaces []string
	// Context ends the watch (the session's lifetime); nil: never.
	Context context.Context
}

// KeyMap is the pane's bindings.
type KeyMap struct {
	common.NavKeys
	Filter, Clear, Open, Back    key.Binding
	Undo, Restart, Scale, Delete key.Binding
	Previous, Follow, Container  key.Binding
	FilterDone, FilterCancel     key.Binding
}

// DefaultKeyMap returns the pane's bindings (k9s's where they do not clash
// with the console's own).
func DefaultKeyMap() KeyMap {
	return KeyMap{
		NavKeys:   common.DefaultNavKeys(),
		Filter:    key.NewBinding(key.WithKeys("/"), key.WithHelp("/", "filter pods")),
		Clear:     key.NewBinding(key.WithKeys("esc"), key.WithHelp("esc", "clear filter")),
		Open:      key.NewBinding(key.WithKeys("enter"), key.WithHelp("enter", "pod detail & logs")),
		Back:      key.NewBinding(key.WithKeys("esc", "backspace"), key.WithHelp("esc", "back to the list")),
		Undo:      key.NewBinding(key.WithKeys("u"), key.WithHelp("u", "undo rollout")),
		Restart:   key.NewBinding(key.WithKeys("R"), key.WithHelp("R", "rollout restart")),
		Scale:     key.NewBinding(key.WithKeys("s"), key.WithHelp("s", "scale")),
		Delete:    key.NewBinding(key.WithKeys("D"), key.WithHelp("D", "delete pod")),
		Previous:  key.NewBinding(key.WithKeys("p"), key.WithHelp("p", "previous container's log")),
		Follow:    key.NewBinding(key.WithKeys("f"), key.WithHelp("f", "follow log")),
		Container: key.NewBinding(key.WithKeys("c"), key.WithHelp("c", "next container")),

		FilterDone:   key.NewBinding(key.WithKeys("enter", "up", "down", "tab"), key.WithHelp("enter", "in filter: keep it, move in the list")),
		FilterCancel: key.NewBinding(key.WithKeys("esc"), key.WithHelp("esc", "in filter: cancel")),
	}
}

// Model is the pods pane.
type Model struct {
	c     common.Common
	cfg   Config
	keys  KeyMap
	probe kube.Probe

	watch  *kube.Watch
	cancel context.CancelFunc
	snap   kube.Snapshot
	have   bool // a snapshot arrived
	state  probes.State
	onLost func(probes.Change) tea.Cmd

	// shown is the filtered rows as indexes into snap.Pods, rebuilt when
	// the snapshot or the filter changes (never per frame).
	shown  []int
	bad    int  // pods needing attention, counted once per snapshot
	usage  bool // some pod has CPU/MEM
	filter textinput.Model
	typing bool
	cursor common.Cursor
	sel    string // ns/name of the selected pod: kept across snapshots
	// selGone: the selected pod is no longer listed; no pod is selected
	// until the cursor moves.
	selGone bool

	detail *detail // the pod opened with enter

	// pub publishes for the runbook sidebar what burns when it changes;
	// sentContext is the selection it last published (signals.go).
	pub         common.Publisher
	sentContext selection

	w, h int
}

const tag = "pods"

// New makes the pane; probe nil means Kubernetes is not configured.
func New(c common.Common, probe kube.Probe, cfg Config) *Model {
	ti := textinput.New()
	ti.Prompt = "/"
	ti.Placeholder = "name, status, node or deployment"
	ti.CharLimit = 200
	m := &Model{c: c, cfg: cfg, keys: DefaultKeyMap(), probe: probe, filter: ti, onLost: c.ProbeEvents("kubernetes")}
	if probe == nil {
		m.state = probes.State{Status: probes.NotConfigured, Hint: "set --kubeconfig/--context or kube.kubeconfig"}
	} else {
		m.state = probes.State{Status: probes.Connecting}
	}
	m.syncKeys()
	return m
}

// Title names the pane and what it watches.
func (m *Model) Title() string {
	t := "Pods"
	switch ns := m.cfg.Namespaces; {
	case len(ns) == 0 || (len(ns) == 1 && ns[0] == ""):
		t += " (all namespaces)"
	default:
		t += " · " + sanitize.Line(strings.Join(ns, ","))
	}
	if m.detail != nil {
		t += " · " + sanitize.Line(m.detail.name)
	}
	return t
}

// Init starts the watch: informers run in the probe's goroutines, the pane
// drains their snapshots through one re-armed Cmd. It also tells the shell
// the pane's vitals are unknown until the first snapshot (vitals.go).
func (m *Model) Init() tea.Cmd {
	if m.probe == nil {
		// Nothing to watch; the shell learns the pane's vitals are unknown.
		return m.publishVitals(unknownVitals("not configured", m.c.Now()))
	}
	parent := m.cfg.Context
	if parent == nil {
		parent = context.Background()
	}
	ctx, cancel := context.WithCancel(parent)
	m.cancel = cancel
	m.watch = m.probe.Watch(ctx, m.cfg.Namespaces)
	return tea.Batch(m.watch.Stream().Next(), m.publishVitals(unknownVitals("not polled yet", m.c.Now())))
}

func (m *Model) SetSize(w, h int) {
	m.w, m.h = w, h
	m.filter.Width = max(w-3, 1)
	m.cursor.Clamp(len(m.shown), m.rows())
	if m.detail != nil {
		m.detail.w, m.detail.h = w, h
	}
}

func (m *Model) Capturing() bool { return m.typing }

func (m *Model) ShortHelp() []key.Binding {
	switch {
	case m.typing:
		return []key.Binding{m.keys.FilterDone, m.keys.FilterCancel}
	case m.detail != nil:
		return []key.Binding{m.keys.Previous, m.keys.Follow, m.keys.Back}
	}
	return []key.Binding{m.keys.Open, m.keys.Filter, m.keys.Undo}
}

func (m *Model) FullHelp() [][]key.Binding {
	if m.detail != nil {
		return [][]key.Binding{m.keys.NavKeys.Bindings(), {m.keys.Previous, m.keys.Follow, m.keys.Container, m.keys.Back},
			{m.keys.Undo, m.keys.Restart, m.keys.Scale, m.keys.Delete}}
	}
	return [][]key.Binding{m.keys.NavKeys.Bindings(), {m.keys.Open, m.keys.Filter, m.keys.Clear},
		{m.keys.Undo, m.keys.Restart, m.keys.Scale, m.keys.Delete}}
}

func (m *Model) Backends() []common.Backend {
	return []common.Backend{{Name: "kube", State: m.state}}
}

// syncKeys enables the bindings that do something now, so help shows only
// those.
func (m *Model) syncKeys() {
	on := m.probe != nil
	list := m.detail == nil && !m.typing
	m.keys.Filter.SetEnabled(on && list)
	m.keys.Clear.SetEnabled(on && list && m.filter.Value() != "")
	m.keys.Open.SetEnabled(on && list)
	m.keys.Back.SetEnabled(m.detail != nil)
	for _, b := range []*key.Binding{&m.keys.Undo, &m.keys.Restart, &m.keys.Scale, &m.keys.Delete} {
		b.SetEnabled(on && !m.typing)
	}
	for _, b := range []*key.Binding{&m.keys.Previous, &m.keys.Follow} {
		b.SetEnabled(m.detail != nil)
	}
	m.keys.Container.SetEnabled(m.detail != nil && len(m.detail.d.Containers) > 1)
	m.keys.FilterDone.SetEnabled(m.typing)
	m.keys.FilterCancel.SetEnabled(m.typing)
}

// Update handles keys, the watch's snapshots and the detail's messages,
// and publishes the selection when it changed.
func (m *Model) Update(msg tea.Msg) (common.Pane, tea.Cmd) {
	cmd := m.update(msg)
	if ctx := m.publishContext(); ctx != nil {
		cmd = tea.Batch(cmd, ctx)
	}
	return m, cmd
}

func (m *Model) update(msg tea.Msg) tea.Cmd {
	if m.watch != nil {
		if sm, ok := m.watch.Stream().Match(msg); ok {
			if sm.Closed {
				return nil
			}
			cmds := []tea.Cmd{m.watch.Stream().Next(), m.setSnapshot(sm.Data)}
			if m.detail != nil {
				if d, ok := m.deploymentNamed(m.detail.ns, m.detail.depName); ok {
					m.detail.dep = &d
				}
				cmds = append(cmds, m.detail.refresh(m.watch))
			}
			return tea.Batch(cmds...)
		}
	}
	if m.detail != nil {
		if ok, cmd := m.detail.update(msg); ok {
			return cmd
		}
	}
	switch msg := msg.(type) {
	case tea.KeyMsg:
		cmd := m.key(msg)
		m.syncKeys()
		return cmd
	case common.ActionDoneMsg:
		// Nothing to re-read: the watch shows what the action changed.
	}
	return nil
}

func (m *Model) key(k tea.KeyMsg) tea.Cmd {
	if m.typing {
		switch {
		case key.Matches(k, m.keys.FilterCancel):
			m.typing = false
			m.filter.Blur()
			m.filter.SetValue("")
			m.refilter()
			return nil
		case key.Matches(k, m.keys.FilterDone):
			m.typing = false
			m.filter.Blur()
			return nil
		}
		var cmd tea.Cmd
		m.filter, cmd = m.filter.Update(k)
		m.refilter()
		return cmd
	}
	if m.detail != nil {
		switch {
		case key.Matches(k, m.keys.Back):
			m.detail.close()
			m.detail = nil
			return nil
		case key.Matches(k, m.keys.Undo, m.keys.Restart, m.keys.Scale, m.keys.Delete):
			p, ok := m.target()
			if !ok {
				return common.Flash("the pod is not read yet", true)
			}
			return m.act(k, p)
		}
		return m.detail.key(k, m.keys)
	}
	switch {
	case key.Matches(k, m.keys.Filter):
		m.typing = true
		return m.filter.Focus()
	case key.Matches(k, m.keys.Clear):
		m.filter.SetValue("")
		m.refilter()
		return nil
	case key.Matches(k, m.keys.Open):
		p, ok := m.selected()
		if !ok {
			return nil
		}
		m.detail = newDetail(m.c, m.probe, p.Namespace, p.Name)
		m.detail.w, m.detail.h = m.w, m.h
		m.detail.parent = m.cfg.Context
		m.detail.depName = p.Deployment
		if d, ok := m.deploymentNamed(p.Namespace, p.Deployment); ok {
			m.detail.dep = &d
		}
		return tea.Batch(m.detail.refresh(m.watch), m.detail.startLogs())
	case key.Matches(k, m.keys.Undo, m.keys.Restart, m.keys.Scale, m.keys.Delete):
		p, ok := m.selected()
		if !ok {
			if m.selGone {
				return common.Flash("the selected pod is gone: move the cursor to choose another", true)
			}
			return common.Flash("no pod selected", true)
		}
		return m.act(k, p)
	}
	if m.cursor.Handle(k, m.keys.NavKeys, len(m.shown), m.rows()) {
		m.selGone = false
		if p, ok := m.selected(); ok {
			m.sel = p.Namespace + "/" + p.Name
		}
	}
	return nil
}

// setSnapshot takes a new snapshot: state, filter, and the selection kept
// on the same pod however the order changed.
func (m *Model) setSnapshot(s kube.Snapshot) tea.Cmd {
	m.snap, m.have = s, true
	m.bad, m.usage = 0, false
	for i := range s.Pods {
		if !s.Pods[i].Healthy() {
			m.bad++
		}
		m.usage = m.usage || s.Pods[i].HasUsage
	}
	before := m.state
	now := m.c.Now()
	switch {
	case s.Err != nil:
		m.state.Status, m.state.LastErr = probes.Failing, s.Err
		if before.Status != probes.Failing {
			m.state.ErrSince = s.ErrSince
			m.state.LastOK = time.Time{}
			if before.Status == probes.OK {
				m.state.LastOK = s.ErrSince // the caches are as of the failure
			}
		}
		m.state.RetryAt = time.Time{}
	case !s.Synced:
		if before.Status != probes.Failing {
			m.state.Status = probes.Connecting
		}
	default:
		last := s.LastChange
		if last.IsZero() {
			last = now
		}
		m.state = probes.State{Status: probes.OK, LastOK: last, Watching: true}
	}
	m.refilter()
	var lost tea.Cmd
	switch {
	case m.onLost == nil:
	case before.Status != probes.Failing && m.state.Status == probes.Failing:
		lost = m.onLost(probes.Change{Lost: true, Err: s.Err, At: now})
	case before.Status == probes.Failing && m.state.Status == probes.OK:
		lost = m.onLost(probes.Change{Down: now.Sub(before.ErrSince), At: now})
	}
	return tea.Batch(lost, m.publishSignals(s), m.publishVitals(vitals(s, now)))
}

// refilter rebuilds the shown rows and finds the selected pod again.
func (m *Model) refilter() {
	q := strings.ToLower(strings.TrimSpace(m.filter.Value()))
	m.shown = m.shown[:0]
	for i, p := range m.snap.Pods {
		if q == "" || matches(p, q) {
			m.shown = append(m.shown, i)
		}
	}
	m.selGone = false
	if m.sel != "" {
		found := false
		for i, idx := range m.shown {
			p := m.snap.Pods[idx]
			if p.Namespace+"/"+p.Name == m.sel {
				m.cursor.Pos, found = i, true
				break
			}
		}
		// The selected pod is gone (deleted, replaced, filtered out): the
		// cursor must not slide onto a neighbour that a destructive key
		// would then hit. It stays put, unselected, until it moves.
		m.selGone = !found
	}
	m.cursor.Clamp(len(m.shown), m.rows())
	if p, ok := m.selected(); ok && m.sel == "" {
		m.sel = p.Namespace + "/" + p.Name
	}
}

func matches(p kube.Pod, q string) bool {
	for _, f := range []string{p.Name, p.Status, p.Node, p.Deployment, p.Namespace} {
		if strings.Contains(strings.ToLower(f), q) {
			return true
		}
	}
	return false
}

// selected is the pod under the cursor (none while the selected pod is
// gone).
func (m *Model) selected() (kube.Pod, bool) {
	if m.selGone || m.cursor.Pos < 0 || m.cursor.Pos >= len(m.shown) {
		return kube.Pod{}, false
	}
	return m.snap.Pods[m.shown[m.cursor.Pos]], true
}

// target is the pod the action keys act on: the opened pod (as last read)
// in the detail, else the selected one.
func (m *Model) target() (kube.Pod, bool) {
	if m.detail != nil {
		if !m.detail.found {
			return kube.Pod{}, false
		}
		p := m.detail.d.Pod
		p.Deployment = m.detail.depName
		return p, true
	}
	return m.selected()
}

// deploymentNamed is deployment ns/dep from the snapshot.
func (m *Model) deploymentNamed(ns, dep string) (kube.Deployment, bool) {
	if dep == "" {
		return kube.Deployment{}, false
	}
	for _, d := range m.snap.Deployments {
		if d.Namespace == ns && d.Name == dep {
			return d, true
		}
	}
	return kube.Deployment{}, false
}

// ---- list view -----------------------------------------------------------------

// header lines above the table: state, filter, forbidden, deployments.
func (m *Model) headLines() []string {
	st := m.c.Styles
	now := m.c.Now()
	lines := []string{common.StateLineFit(st, m.state, now, time.Hour, m.w)}
	if m.state.Status == probes.Connecting && !m.have {
		return append(lines, st.Muted.Render(common.Truncate("listing pods, deployments, replicasets and events…", m.w)))
	}
	for _, f := range m.snap.Forbidden {
		lines = append(lines, st.Warn.Render(common.Truncate("⚠ "+sanitize.Line(f), m.w)))
	}
	if m.snap.Metrics != "" && m.w >= 110 {
		lines = append(lines, st.Muted.Render(common.Truncate("CPU/MEM: "+sanitize.Line(m.snap.Metrics), m.w)))
	}
	// One line per deployment, those needing attention first; at most a
	// third of the pane, the rest counted.
	deps := m.snap.Deployments
	maxDeps := max(m.h/3, 1)
	order := make([]kube.Deployment, 0, len(deps))
	for _, d := range deps {
		if len(d.NotHealthy) > 0 || d.Progress != "complete" {
			order = append(order, d)
		}
	}
	for _, d := range deps {
		if len(d.NotHealthy) == 0 && d.Progress == "complete" {
			order = append(order, d)
		}
	}
	for i, d := range order {
		if i == maxDeps-1 && len(order) > maxDeps {
			lines = append(lines, st.Muted.Render(fmt.Sprintf("+%d more deployments", len(order)-i)))
			break
		}
		lines = append(lines, m.deploymentLine(d, now))
	}
	if m.typing || m.filter.Value() != "" {
		if m.typing {
			lines = append(lines, m.filter.View())
		} else {
			lines = append(lines, st.Muted.Render(common.Truncate(fmt.Sprintf("filter %q: %d of %d pods · esc clears", sanitize.Line(m.filter.Value()), len(m.shown), len(m.snap.Pods)), m.w)))
		}
	}
	return lines
}

func (m *Model) deploymentLine(d kube.Deployment, now time.Time) string {
	st := m.c.Styles
	s := sanitize.Line(d.Summary(now))
	if len(m.cfg.Namespaces) != 1 || m.cfg.Namespaces[0] == "" {
		s = sanitize.Line(d.Namespace) + "/" + s
	}
	if d.Progress != "complete" {
		s += " · " + d.Progress
	}
	if cur, ok := d.Current(); ok && m.w >= 100 {
		s += " · " + sanitize.Line(cur.Image)
		if prev, ok := d.Previous(); ok {
			s += fmt.Sprintf(" (prev rev %d %s)", prev.Revision, sanitize.Line(prev.Image))
		}
	}
	s = common.Truncate(s, m.w)
	switch {
	case len(d.NotHealthy) > 0 || d.Progress == "stalled":
		return st.Bad.Render(s)
	case d.Progress != "complete":
		return st.Warn.Render(s)
	}
	return st.Muted.Render(s)
}

func (m *Model) rows() int {
	if m.detail != nil {
		return max(m.h, 1)
	}
	return max(m.h-len(m.headLines())-2, 1)
}

// View renders the pane.
func (m *Model) View() string {
	if m.detail != nil {
		if m.state.Status != probes.OK {
			// The detail is from the watch's caches: while the watch is not
			// OK, say so above it.
			head := common.StateLineFit(m.c.Styles, m.state, m.c.Now(), time.Hour, m.w)
			return common.Clip(head+"\n"+m.detail.view(m.w, max(m.h-1, 1)), m.w, m.h)
		}
		return common.Clip(m.detail.view(m.w, m.h), m.w, m.h)
	}
	return common.Clip(m.listView(), m.w, m.h)
}

// columns are the table's widths for the pane's width.
type columns struct {
	name, ready, status, restarts, age, node, cpu, mem int
	withAgo                                            bool
	restartsH                                          string
}

func (m *Model) columns() columns {
	c := columns{ready: 6, status: 17, restarts: 8, age: 5, restartsH: "RESTARTS"}
	if m.w >= 96 { // room for kubectl's "4 (2m12s ago)"
		c.withAgo, c.restarts = true, 14
	}
	if m.w >= 120 {
		c.node = 16
	}
	if m.w >= 140 && m.anyUsage() {
		c.cpu, c.mem = 6, 7
	}
	if m.w < 70 {
		c.ready, c.status, c.restarts, c.restartsH = 5, 16, 3, "RST"
	}
	if m.w < 56 {
		c.age = 0
	}
	used := c.ready + c.status + c.restarts + 3
	for _, w := range []int{c.age, c.node, c.cpu, c.mem} {
		if w > 0 {
			used += w + 1
		}
	}
	c.name = max(m.w-used, 8)
	return c
}

func (m *Model) anyUsage() bool { return m.usage }

func (m *Model) listView() string {
	st := m.c.Styles
	now := m.c.Now()
	var b strings.Builder
	for _, l := range m.headLines() {
		b.WriteString(l + "\n")
	}
	if !m.have || (!m.snap.Synced && len(m.snap.Pods) == 0) {
		if m.state.Status == probes.Failing || m.state.Status == probes.NotConfigured {
			b.WriteString(common.FailureDetail(st, m.state, m.w, max(m.h-2, 1)))
		} else if m.snap.Listed > 0 {
			b.WriteString(st.Muted.Render(common.Truncate(fmt.Sprintf("listing pods… %d so far", m.snap.Listed), m.w)))
		}
		return b.String() // no data yet: say nothing rather than "0 pods"
	}
	pods := m.snap.Pods
	bad := m.bad
	summary := fmt.Sprintf("%d pods", len(pods))
	if !m.snap.Synced {
		summary += " so far (still listing)"
	}
	if bad > 0 {
		summary += " · " + st.Bad.Render(fmt.Sprintf("%d need attention", bad))
	} else if len(pods) > 0 {
		summary += " · " + st.OK.Render("all healthy")
	}
	b.WriteString(summary + "\n")
	c := m.columns()
	header := common.Pad("NAME", c.name) + " " + common.Pad("READY", c.ready) + " " + common.Pad("STATUS", c.status) + " " + common.PadLeft(c.restartsH, c.restarts)
	if c.age > 0 {
		header += " " + common.PadLeft("AGE", c.age)
	}
	if c.node > 0 {
		header += " " + common.Pad("NODE", c.node)
	}
	if c.cpu > 0 {
		header += " " + common.PadLeft("CPU", c.cpu) + " " + common.PadLeft("MEM", c.mem)
	}
	b.WriteString(st.Table.Header.Render(common.Truncate(header, m.w)) + "\n")
	if len(m.shown) == 0 && m.filter.Value() != "" {
		b.WriteString(st.Muted.Render(common.Truncate("no pod matches the filter · esc clears it", m.w)))
		return b.String()
	}
	cur := m.cursor // a copy: drawing never moves the cursor
	start, end := cur.Window(len(m.shown), m.rows())
	for i := start; i < end; i++ {
		b.WriteString(m.row(pods[m.shown[i]], c, now, i == cur.Pos && !m.selGone) + "\n")
	}
	return strings.TrimRight(b.String(), "\n")
}

// statusClass colours a STATUS by what it means, not by its spelling.
func statusClass(p kube.Pod) int {
	switch {
	case p.Healthy():
		return 0
	case p.Status == "Pending" || p.Status == "ContainerCreating" || p.Status == "PodInitializing" ||
		p.Status == "Terminating" || p.Status == "SchedulingGated" || strings.HasPrefix(p.Status, "Init:") && !strings.Contains(p.Status, "Err") && !strings.Contains(p.Status, "BackOff"):
		return 1 // on its way, or going
	}
	return 2
}

func (m *Model) row(p kube.Pod, c columns, now time.Time, selected bool) string {
	st := m.c.Styles
	status := common.Pad(common.Truncate(sanitize.Line(p.Status), c.status), c.status)
	if !selected {
		switch statusClass(p) {
		case 0:
			status = st.OK.Render(status)
		case 1:
			status = st.Warn.Render(status)
		default:
			status = st.Bad.Render(status)
		}
	}
	line := common.Pad(common.TruncateMiddle(sanitize.Line(p.Name), c.name), c.name) + " " +
		common.Pad(fmt.Sprintf("%d/%d", p.Ready, p.Total), c.ready) + " " + status + " " +
		common.PadLeft(restarts(p, now, c.withAgo), c.restarts)
	if c.age > 0 {
		line += " " + common.PadLeft(age(now, p.Created), c.age)
	}
	if c.node > 0 {
		line += " " + common.Pad(common.TruncateMiddle(sanitize.Line(p.Node), c.node), c.node)
	}
	if c.cpu > 0 {
		cpu, mem := "-", "-"
		if p.HasUsage {
			cpu, mem = kube.FormatCPU(p.Usage.CPUMilli), kube.FormatMem(p.Usage.MemBytes)
		}
		line += " " + common.PadLeft(cpu, c.cpu) + " " + common.PadLeft(mem, c.mem)
	}
	if selected {
		line = st.Table.Selected.Render(common.Pad(line, m.w))
	}
	return line
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
