// Package errorrate is the error-rate pane: PromQL graphs (the 5xx ratio
// against the playbook's 5% threshold, requests by status, the agent
// success rate) drawn in braille with axes, the threshold and the
// incident's start; the top 5xx handlers; and the firing alerts. A
// threshold crossing and an alert firing or resolving go on the timeline
// once. Zoom with +/-, pan with ←/→, another graph with [ and ].
package errorrate

import (
	"context"
	"errors"
	"fmt"
	"math"
	"sort"
	"strings"
	"sync"
	"time"

	"github.com/charmbracelet/bubbles/key"
	tea "github.com/charmbracelet/bubbletea"
	"github.com/charmbracelet/lipgloss"

	"github.com/warroom-dev/warroom/incident"
	"github.com/warroom-dev/warroom/internal/chart"
	"github.com/warroom-dev/warroom/internal/sanitize"
	"github.com/warroom-dev/warroom/probes"
	"github.com/warroom-dev/warroom/probes/health"
	"github.com/warroom-dev/warroom/probes/prom"
	"github.com/warroom-dev/warroom/runbooks"
	"github.com/warroom-dev/warroom/tui/common"
)

// Threshold is the playbook's "High Error Rate" symptom: error rate > 5%.
const Threshold = ErrorRatioThreshold

// Config says what to query.
type Config struct {
	// Panels are the graphs ([ and ] switch); DefaultPanels if empty. The
	// first is shown first.
	Panels []Panel
	// TopQuery is the table under the graph (DefaultTopQuery if "").
	TopQuery string
	Refresh  time.Duration
	// Session is the incident as it stands at start: its declaration is
	// the graph's marker, its alerts what the timeline already says.
	Session incident.Session
	// Health are the service health checks (the playbook's curl …/health),
	// run by HealthProbe every HealthEvery (5 s if zero).
	Health      []health.Check
	HealthProbe health.Probe
	HealthEvery time.Duration
}

// KeyMap is the pane's bindings.
type KeyMap struct {
	ZoomIn, ZoomOut, Back, Forward, Live, Next, Prev key.Binding
}

// DefaultKeyMap returns the pane's bindings.
func DefaultKeyMap() KeyMap {
	return KeyMap{
		ZoomIn:  key.NewBinding(key.WithKeys("+", "="), key.WithHelp("+", "zoom in (15m 1h 6h 24h)")),
		ZoomOut: key.NewBinding(key.WithKeys("-", "_"), key.WithHelp("-", "zoom out")),
		Back:    key.NewBinding(key.WithKeys("left", "h"), key.WithHelp("←", "pan back")),
		Forward: key.NewBinding(key.WithKeys("right", "l"), key.WithHelp("→", "pan forward")),
		Live:    key.NewBinding(key.WithKeys("0"), key.WithHelp("0", "back to now")),
		Next:    key.NewBinding(key.WithKeys("]"), key.WithHelp("]", "next graph")),
		Prev:    key.NewBinding(key.WithKeys("["), key.WithHelp("[", "previous graph")),
	}
}

// nowData is the instant answers: each panel's current value (NaN where
// it has none, Errs where its query failed) and the top handlers.
type nowData struct {
	Values []float64
	Has    []bool // the query answered a sample (else Values[i] is NaN: no data)
	Errs   []error
	Top    []prom.Sample
	TopErr error
	At     time.Time
}

// Model is the error-rate pane.
type Model struct {
	c      common.Common
	cfg    Config
	keys   KeyMap
	probe  prom.Probe
	graph  *probes.Feed[[]prom.Series]
	now    *probes.Feed[nowData]
	alerts *probes.Feed[[]prom.Alert]
	health *probes.Feed[[]health.Result]
	// healthy is each check's last answer (name → ok), for recording a
	// failure and the recovery once; down is when it failed.
	healthy map[string]bool
	down    map[string]time.Time

	panel  int
	zoom   int           // index into Ranges
	offset time.Duration // how far back the graph's end is from now (0: live)

	session incident.Session
	// recorded is what this console recorded and the session may not show
	// yet (the event is on its way): alert key → state.
	recorded map[string]string
	pending  map[string]string // event ID → alert key, until its write answers
	// absent counts, per firing alert, the successive answers without it:
	// a resolution is recorded on the second, not on one scrape's blip.
	absent map[string]int

	// sigThresholds (by panel) and sigAlerts are what is burning as the
	// last good answers said (signals.go); pub sends them when they
	// change.
	sigThresholds []*runbooks.Signal
	sigAlerts     []runbooks.Signal
	pub           common.Publisher

	w, h int
}

// New makes the pane; probe nil means Prometheus is not configured.
func New(c common.Common, probe prom.Probe, cfg Config) *Model {
	if len(cfg.Panels) == 0 {
		cfg.Panels = DefaultPanels()
	}
	if cfg.TopQuery == "" {
		cfg.TopQuery = TopHandlersQuery
	}
	m := &Model{c: c, cfg: cfg, keys: DefaultKeyMap(), probe: probe, session: cfg.Session,
		recorded: map[string]string{}, pending: map[string]string{}, absent: map[string]int{}}
	hint := "set --prometheus or prometheus.url"
	m.graph = probes.NewFeed("errors", cfg.Refresh, c.Now, m.graphFetch(), hint)
	m.graph.OnChange = m.probeEvents(c.ProbeEvents("prometheus"))
	m.now = probes.NewFeed("errors-now", cfg.Refresh, c.Now, m.nowFetch(), hint)
	m.alerts = probes.NewFeed("errors-alerts", cfg.Refresh, c.Now, m.alertsFetch(), hint)
	every := cfg.HealthEvery
	if every <= 0 {
		every = 5 * time.Second
	}
	m.health = probes.NewFeed("health", every, c.Now, m.healthFetch(), "")
	m.healthy, m.down = map[string]bool{}, map[string]time.Time{}
	m.syncKeys()
	return m
}

// healthFetch runs every check at once (each bounded by its timeout).
func (m *Model) healthFetch() func(context.Context) ([]health.Result, error) {
	if m.cfg.HealthProbe == nil || len(m.cfg.Health) == 0 {
		return nil
	}
	probe, checks := m.cfg.HealthProbe, append([]health.Check(nil), m.cfg.Health...)
	return func(ctx context.Context) ([]health.Result, error) {
		out := make([]health.Result, len(checks))
		var wg sync.WaitGroup
		for i, chk := range checks {
			wg.Add(1)
			go func() {
				defer wg.Done()
				out[i] = probe.Check(ctx, chk)
			}()
		}
		wg.Wait()
		return out, nil
	}
}

// watchHealth records a check failing, and its recovery, once each.
func (m *Model) watchHealth(rs []health.Result) tea.Cmd {
	var cmds []tea.Cmd
	for _, r := range rs {
		was, seen := m.healthy[r.Name]
		m.healthy[r.Name] = r.OK
		switch {
		case !r.OK && (!seen || was):
			m.down[r.Name] = r.At
			cmds = append(cmds, m.c.ProbeEvents("health check "+r.Name)(probes.Change{Lost: true, Err: r.Err, At: r.At}))
		case r.OK && seen && !was:
			cmds = append(cmds, m.c.ProbeEvents("health check "+r.Name)(probes.Change{Down: r.At.Sub(m.down[r.Name]), At: r.At}))
		}
	}
	return tea.Batch(cmds...)
}

// graphFetch queries the current panel over the current range, one point
// per plot column. It captures copies: the model may change meanwhile
// (a zoom restarts the feed: the old generation's answer is dropped).
func (m *Model) graphFetch() func(context.Context) ([]prom.Series, error) {
	if m.probe == nil {
		return nil
	}
	probe, q, now := m.probe, m.cfg.Panels[m.panel].Query, m.c.Now
	rng, off, step := Ranges[m.zoom], m.offset, m.step()
	return func(ctx context.Context) ([]prom.Series, error) {
		end := now().Add(-off)
		return probe.QueryRange(ctx, q, end.Add(-rng), end, step)
	}
}

// step is the range query's resolution: one point per plot column (two
// braille dots), at least a second.
func (m *Model) step() time.Duration {
	cols := max(m.w-8, 30)
	return max(Ranges[m.zoom]/time.Duration(cols), time.Second).Round(time.Second)
}

func (m *Model) nowFetch() func(context.Context) (nowData, error) {
	if m.probe == nil {
		return nil
	}
	probe, now, top := m.probe, m.c.Now, m.cfg.TopQuery
	queries := make([]string, len(m.cfg.Panels))
	below := make([]bool, len(m.cfg.Panels))
	for i, p := range m.cfg.Panels {
		queries[i], below[i] = p.Query, p.Below
	}
	return func(ctx context.Context) (nowData, error) {
		at := now()
		d := nowData{Values: make([]float64, len(queries)), Has: make([]bool, len(queries)), Errs: make([]error, len(queries)), At: at}
		failed := 0
		for i, q := range queries {
			d.Values[i] = math.NaN()
			s, err := probe.Query(ctx, q, at)
			switch {
			case err != nil:
				d.Errs[i] = err
				failed++
			case len(s) > 0:
				// Several series (a panel by service): the worst one is
				// what the threshold is about, whatever the order.
				v := s[0].V
				for _, x := range s[1:] {
					if below[i] {
						v = math.Min(v, x.V)
					} else {
						v = math.Max(v, x.V)
					}
				}
				d.Values[i], d.Has[i] = v, true
			}
		}
		d.Top, d.TopErr = probe.Query(ctx, top, at)
		if failed == len(queries) {
			return d, d.Errs[0] // Prometheus itself is failing
		}
		return d, nil
	}
}

func (m *Model) alertsFetch() func(context.Context) ([]prom.Alert, error) {
	if m.probe == nil {
		return nil
	}
	probe := m.probe
	return func(ctx context.Context) ([]prom.Alert, error) { return probe.Alerts(ctx) }
}

func (m *Model) Title() string {
	t := "Error rate"
	if p := m.cfg.Panels[m.panel]; m.panel != 0 {
		t = p.Name
	}
	return t
}

// Init starts the feeds and tells the shell the pane's vitals are unknown
// until they answer (vitals.go).
func (m *Model) Init() tea.Cmd {
	return tea.Batch(m.graph.Start(), m.now.Start(), m.alerts.Start(), m.health.Start(), m.publishVitals())
}

func (m *Model) SetSize(w, h int) {
	resized := max(w-8, 30) != max(m.w-8, 30)
	m.w, m.h = w, h
	if resized && m.graph.Configured() {
		// One point per column: a new width is a new step. The next
		// refresh asks for it (no burst of queries while a window drags).
		m.graph.Fetch = m.graphFetch()
	}
}

func (m *Model) Capturing() bool { return false }

func (m *Model) ShortHelp() []key.Binding {
	return []key.Binding{m.keys.ZoomIn, m.keys.ZoomOut, m.keys.Back, m.keys.Next}
}

func (m *Model) FullHelp() [][]key.Binding {
	return [][]key.Binding{{m.keys.ZoomIn, m.keys.ZoomOut, m.keys.Back, m.keys.Forward, m.keys.Live}, {m.keys.Next, m.keys.Prev}}
}

func (m *Model) syncKeys() {
	on := m.probe != nil
	for _, b := range []*key.Binding{&m.keys.ZoomIn, &m.keys.ZoomOut, &m.keys.Back, &m.keys.Forward, &m.keys.Live, &m.keys.Next, &m.keys.Prev} {
		b.SetEnabled(on)
	}
	m.keys.Live.SetEnabled(on && m.offset > 0)
	m.keys.Forward.SetEnabled(on && m.offset > 0)
	m.keys.Next.SetEnabled(on && len(m.cfg.Panels) > 1)
	m.keys.Prev.SetEnabled(on && len(m.cfg.Panels) > 1)
	m.keys.ZoomIn.SetEnabled(on && m.zoom > 0)
	m.keys.ZoomOut.SetEnabled(on && m.zoom < len(Ranges)-1)
}

func (m *Model) Backends() []common.Backend {
	out := []common.Backend{{Name: "prom", State: m.graph.State}}
	for _, r := range m.health.Data {
		st := probes.State{Status: probes.OK, LastOK: r.At}
		if !r.OK {
			st = probes.State{Status: probes.Failing, LastErr: r.Err, ErrSince: m.down[r.Name]}
		}
		out = append(out, common.Backend{Name: r.Name, State: st, Note: latency(r.Latency)})
	}
	return out
}

// latency is a check's latency as the status bar shows it: "42ms", "1.2s".
func latency(d time.Duration) string {
	if d < time.Second {
		return fmt.Sprintf("%dms", d.Milliseconds())
	}
	return fmt.Sprintf("%.1fs", d.Seconds())
}

// Update handles the feeds' answers, keys and the incident's events; after
// an answer of the feeds the vitals come from, it publishes them if they
// changed.
func (m *Model) Update(msg tea.Msg) (common.Pane, tea.Cmd) {
	cmd := m.update(msg)
	switch r := msg.(type) {
	case probes.Result[nowData]:
		cmd = m.withVitals(cmd, r.Tag == m.now.Tag && r.Gen == m.now.Gen)
	case probes.Result[[]prom.Alert]:
		cmd = m.withVitals(cmd, r.Tag == m.alerts.Tag && r.Gen == m.alerts.Gen)
	case probes.Result[[]health.Result]:
		cmd = m.withVitals(cmd, r.Tag == m.health.Tag && r.Gen == m.health.Gen)
	}
	return m, cmd
}

// withVitals is cmd and, if ours (an answer of this generation), the
// vitals' Cmd.
func (m *Model) withVitals(cmd tea.Cmd, ours bool) tea.Cmd {
	if !ours {
		return cmd
	}
	return tea.Batch(cmd, m.publishVitals())
}

func (m *Model) update(msg tea.Msg) tea.Cmd {
	if ok, cmd := m.graph.Update(msg); ok {
		return cmd
	}
	if r, ok := msg.(probes.Result[nowData]); ok && r.Tag == m.now.Tag && r.Gen == m.now.Gen && r.Err == nil {
		_, cmd := m.now.Update(msg)
		m.sigThresholds = m.thresholdSignals(r.Data, m.sigThresholds)
		return tea.Batch(cmd, m.watchThresholds(r.Data), m.publishSignals())
	}
	if ok, cmd := m.now.Update(msg); ok {
		return cmd
	}
	if r, ok := msg.(probes.Result[[]prom.Alert]); ok && r.Tag == m.alerts.Tag && r.Gen == m.alerts.Gen && r.Err == nil {
		_, cmd := m.alerts.Update(msg)
		m.sigAlerts = alertSignals(r.Data)
		return tea.Batch(cmd, m.watchAlerts(r.Data, r.At), m.publishSignals())
	}
	if ok, cmd := m.alerts.Update(msg); ok {
		return cmd
	}
	if r, ok := msg.(probes.Result[[]health.Result]); ok && r.Tag == m.health.Tag && r.Gen == m.health.Gen && r.Err == nil {
		_, cmd := m.health.Update(msg)
		return tea.Batch(cmd, m.watchHealth(r.Data))
	}
	if ok, cmd := m.health.Update(msg); ok {
		return cmd
	}
	switch msg := msg.(type) {
	case common.EventMsg:
		if key, ok := m.pending[msg.Event.ID]; ok {
			delete(m.pending, msg.Event.ID)
			if msg.Err != nil {
				delete(m.recorded, key) // not on disk: record it again next time
			}
		}
		if msg.Err == nil && msg.Session.ID != "" {
			m.session = msg.Session
		}
	case tea.KeyMsg:
		cmd := m.key(msg)
		m.syncKeys()
		return cmd
	}
	return nil
}

func (m *Model) key(k tea.KeyMsg) tea.Cmd {
	if m.probe == nil {
		return nil
	}
	before := [3]int64{int64(m.panel), int64(m.zoom), int64(m.offset)}
	rng := Ranges[m.zoom]
	switch {
	case key.Matches(k, m.keys.ZoomIn):
		m.zoom = max(m.zoom-1, 0)
	case key.Matches(k, m.keys.ZoomOut):
		m.zoom = min(m.zoom+1, len(Ranges)-1)
	case key.Matches(k, m.keys.Back):
		m.offset += rng / 2
	case key.Matches(k, m.keys.Forward):
		m.offset = max(m.offset-rng/2, 0)
	case key.Matches(k, m.keys.Live):
		m.offset = 0
	case key.Matches(k, m.keys.Next):
		m.panel = (m.panel + 1) % len(m.cfg.Panels)
	case key.Matches(k, m.keys.Prev):
		m.panel = (m.panel + len(m.cfg.Panels) - 1) % len(m.cfg.Panels)
	default:
		return nil
	}
	if before == [3]int64{int64(m.panel), int64(m.zoom), int64(m.offset)} {
		return nil
	}
	if int64(m.panel) != before[0] {
		m.graph.Data = nil // another query's old answer must not show under the new name
	}
	// A new generation: an answer for the old view never paints over the new.
	return m.graph.Restart(m.graphFetch())
}

// ---- the timeline: thresholds and alerts, each change once ----------------------

// state is what the timeline says of alert key (this console's own
// recent records first).
func (m *Model) state(key string) string {
	if s, ok := m.recorded[key]; ok {
		return s
	}
	return m.session.Alerts[key].State
}

func (m *Model) record(ev incident.Event, key string) tea.Cmd {
	m.recorded[key] = ev.Alert.State
	m.pending[ev.ID] = key
	return common.RecordEvent(m.c.Journal, ev)
}

// thresholdName is the alert name a panel's threshold is recorded under.
func thresholdName(p Panel) string {
	dir := "above"
	if p.Below {
		dir = "below"
	}
	return p.Name + " " + dir + " " + p.ThresholdText()
}

// watchThresholds records a panel's value crossing its threshold, and its
// return, once each.
func (m *Model) watchThresholds(d nowData) tea.Cmd {
	var cmds []tea.Cmd
	for i, p := range m.cfg.Panels {
		if p.Threshold == nil || i >= len(d.Has) || !d.Has[i] {
			continue
		}
		v := d.Values[i]
		if math.IsNaN(v) || math.IsInf(v, 0) || (p.Unit == "%" && !valid(v)) {
			continue // no value, or not a ratio: no crossing
		}
		name := thresholdName(p)
		labels := map[string]string{"panel": p.Name, "threshold": p.ThresholdText(), "warroom": "threshold"}
		key := incident.AlertKey(name, labels)
		was := m.state(key) == "firing"
		now := p.Breached(v)
		if now == was {
			delete(m.absent, key)
			continue
		}
		// Two answers in a row on the other side: a ratio wavering around
		// 5% does not fill the timeline.
		if m.absent[key]++; m.absent[key] < 2 {
			continue
		}
		delete(m.absent, key)
		state, summary := "firing", fmt.Sprintf("%s %s: crossed the %s threshold", p.Name, format(v, p.Unit), p.ThresholdText())
		if !now {
			state, summary = "resolved", fmt.Sprintf("%s back to %s (threshold %s)", p.Name, format(v, p.Unit), p.ThresholdText())
		}
		ev := incident.Event{ID: incident.AlertEventID(m.session.ID, name, labels, state, d.At), Time: d.At, Actor: common.SystemActor,
			Kind: incident.KindAlert, Summary: summary, Alert: &incident.AlertFields{Name: name, State: state, Labels: labels}}
		cmds = append(cmds, m.record(ev, key))
	}
	return tea.Batch(cmds...)
}

// watchAlerts records an alert that fires, and its resolution (gone from
// Prometheus' answer twice in a row), once each.
func (m *Model) watchAlerts(alerts []prom.Alert, at time.Time) tea.Cmd {
	var cmds []tea.Cmd
	firing := map[string]bool{}
	for _, a := range alerts {
		if a.State != "firing" {
			continue
		}
		key := incident.AlertKey(a.Name, a.Labels)
		firing[key] = true
		delete(m.absent, key)
		if m.state(key) == "firing" {
			continue
		}
		summary := a.Name + " firing"
		if s := a.Annotations["summary"]; s != "" {
			summary += ": " + s
		}
		since := a.ActiveAt
		if since.IsZero() {
			since = at
		}
		// Recorded when seen firing; the ID comes from when it became
		// active, which every console sees alike.
		detail := "active since " + since.Local().Format("15:04:05")
		if d := a.Annotations["description"]; d != "" {
			detail += " · " + d
		}
		ev := incident.Event{ID: incident.AlertEventID(m.session.ID, a.Name, a.Labels, "firing", since), Time: at, Actor: common.SystemActor,
			Kind: incident.KindAlert, Summary: summary, Detail: detail,
			Alert: &incident.AlertFields{Name: a.Name, State: "firing", Labels: a.Labels}}
		cmds = append(cmds, m.record(ev, key))
	}
	for key, st := range m.session.Alerts {
		if m.state(key) != "firing" || firing[key] || isThreshold(key, m.cfg.Panels) {
			continue
		}
		if m.absent[key]++; m.absent[key] < 2 {
			continue
		}
		delete(m.absent, key)
		labels := st.Labels
		// The ID is derived from when it fired: every console (and the
		// drill's script) records this resolution as the same event.
		id := incident.ResolvedID(st.FiredID)
		if st.FiredID == "" {
			id = incident.AlertEventID(m.session.ID, st.Name, labels, "resolved", st.At)
		}
		ev := incident.Event{ID: id, Time: at, Actor: common.SystemActor,
			Kind: incident.KindAlert, Summary: st.Name + " resolved (no longer firing in Prometheus)",
			Alert: &incident.AlertFields{Name: st.Name, State: "resolved", Labels: labels}}
		cmds = append(cmds, m.record(ev, key))
	}
	return tea.Batch(cmds...)
}

// isThreshold reports whether key is one of the panels' threshold records
// (those are watched by watchThresholds, not by Prometheus' alerts).
func isThreshold(key string, _ []Panel) bool {
	return strings.Contains(key, `warroom="threshold"`)
}

// ---- view -------------------------------------------------------------------

// View renders the headline, the graph, the alerts and the top handlers.
func (m *Model) View() string { return common.Clip(m.view(), m.w, m.h) }

func (m *Model) view() string {
	st := m.c.Styles
	now := m.c.Now()
	lines := []string{common.StateLineFit(st, m.graph.State, now, 3*m.graph.Interval, m.w)}
	if m.graph.State.LastOK.IsZero() {
		// No graph: say why, and still show the health checks.
		health := m.healthRows()
		detail := common.FailureDetail(st, m.graph.State, m.w, max(m.h-1-len(health), 1))
		return strings.Join(append([]string{lines[0], detail}, health...), "\n")
	}
	p := m.cfg.Panels[m.panel]
	lines = append(lines, m.headline(p))
	if m.h >= 8 {
		lines = append(lines, st.Muted.Render(common.Truncate(m.where(), m.w)))
	}
	if n := m.invalid(p); n > 0 && m.h >= 10 {
		lines = append(lines, st.Warn.Render(common.Truncate(fmt.Sprintf("⚠ %d samples are not ratios (+Inf, NaN, negative or over 100%%): gaps in the graph", n), m.w)))
	}
	// The graph keeps at least half of what is left.
	tail := m.tables(min(max(m.h-len(lines)-6, 0), (m.h-len(lines))/2))
	graphH := max(m.h-len(lines)-len(tail), 0)
	if graphH >= 3 {
		lines = append(lines, m.chart(p, now, graphH))
	} else if graphH > 0 {
		lines = append(lines, st.Muted.Render(common.Truncate("(no room for the graph: z zooms the pane)", m.w)))
	}
	lines = append(lines, tail...)
	return strings.Join(lines, "\n")
}

// where says what the graph shows: "[1/3] 5xx ratio · last 15m · live".
func (m *Model) where() string {
	s := fmt.Sprintf("[%d/%d] %s · %s", m.panel+1, len(m.cfg.Panels), sanitize.Line(m.cfg.Panels[m.panel].Name), span(Ranges[m.zoom]))
	if m.offset > 0 {
		s += fmt.Sprintf(" ending %s ago (0: back to now)", span(m.offset))
	} else {
		s += " · live"
	}
	if m.graph.DataGen != m.graph.Gen {
		s += " · loading…"
	}
	return s
}

// headline is the panel's value now, against its threshold, and its peak.
func (m *Model) headline(p Panel) string {
	st := m.c.Styles
	var pts []prom.Point
	if len(m.graph.Data) == 1 {
		pts = m.graph.Data[0].Points
	}
	cur, ok, when := math.NaN(), false, "now"
	if d := m.now.Data; len(d.Has) > m.panel && d.Has[m.panel] && m.offset == 0 && m.now.State.Status == probes.OK {
		cur, ok = d.Values[m.panel], true
	} else if len(pts) > 0 {
		last := pts[len(pts)-1]
		cur, ok, when = last.V, true, "at "+last.T.Local().Format("15:04")
		if m.offset == 0 && m.graph.State.Status == probes.OK {
			when = "now"
		}
	}
	name := sanitize.Line(p.Name)
	if len(m.graph.Data) > 1 {
		return common.Truncate(fmt.Sprintf("%s · %d series", name, len(m.graph.Data)), m.w)
	}
	if !ok {
		return st.Muted.Render(common.Truncate(name+": no data for this query", m.w))
	}
	var line string
	switch {
	case p.Unit == "%" && !valid(cur):
		// Not a ratio now: say what it is, then the last number that
		// meant something, so the reader is not left blind.
		line = name + " " + when + " " + st.Warn.Render(describe(cur))
		for i := len(pts) - 1; i >= 0; i-- {
			if valid(pts[i].V) {
				line += st.Muted.Render(" · last valid " + format(pts[i].V, p.Unit) + " at " + pts[i].T.Local().Format("15:04:05"))
				break
			}
		}
	case p.Breached(cur):
		arrow := "▲ above "
		if p.Below {
			arrow = "▼ below "
		}
		line = name + " " + when + " " + st.Bad.Render(format(cur, p.Unit)+" "+arrow+p.ThresholdText())
	case p.Threshold != nil:
		line = name + " " + when + " " + st.OK.Render(format(cur, p.Unit))
	default:
		line = name + " " + when + " " + format(cur, p.Unit)
	}
	var peak *prom.Point
	if m.graph.DataGen != m.graph.Gen {
		pts = nil // the old view's data: no peak claimed for this one
	}
	for i := range pts {
		if v := pts[i].V; !math.IsNaN(v) && !math.IsInf(v, 0) && (p.Unit != "%" || valid(v)) {
			if peak == nil || (!p.Below && v > peak.V) || (p.Below && v < peak.V) {
				peak = &pts[i]
			}
		}
	}
	if peak != nil {
		word := "peak"
		if p.Below {
			word = "low"
		}
		at := peak.T.Local().Format("15:04")
		if y, mo, dd := peak.T.Local().Date(); y != m.c.Now().Local().Year() || mo != m.c.Now().Local().Month() || dd != m.c.Now().Local().Day() {
			at = peak.T.Local().Format("Jan 2 15:04")
		}
		line += st.Muted.Render(fmt.Sprintf(" · %s %s at %s", word, format(peak.V, p.Unit), at))
	}
	return common.Truncate(line, m.w)
}

// invalid counts the samples of a ratio panel that are not ratios.
func (m *Model) invalid(p Panel) int {
	if p.Unit != "%" {
		return 0
	}
	n := 0
	for _, s := range m.graph.Data {
		for _, q := range s.Points {
			if !valid(q.V) {
				n++
			}
		}
	}
	return n
}

// seriesStyles colour the lines: the first the theme's info colour.
func (m *Model) seriesStyles() []lipgloss.Style {
	st := m.c.Styles
	return []lipgloss.Style{st.Info, st.Warn, st.Bad, st.OK, st.Accent, st.Text}
}

// chart draws the current panel's graph in h rows.
func (m *Model) chart(p Panel, now time.Time, h int) string {
	st := m.c.Styles
	if len(m.graph.Data) == 0 {
		if m.graph.DataGen != m.graph.Gen {
			return st.Muted.Render(common.Truncate("loading…", m.w))
		}
		return st.Muted.Render(common.Truncate("no data for this query in this range", m.w))
	}
	end := now.Add(-m.offset)
	styles := m.seriesStyles()
	series := make([]chart.Series, 0, len(m.graph.Data))
	for i, s := range m.graph.Data {
		pts := make([]chart.Point, len(s.Points))
		for j, q := range s.Points {
			v := q.V
			if p.Unit == "%" && !valid(v) {
				v = math.NaN() // not a ratio: a gap, said in the headline
			}
			pts[j] = chart.Point{T: q.T, V: v}
		}
		series = append(series, chart.Series{Name: seriesName(p, s.Labels), Points: pts, Style: styles[i%len(styles)]})
	}
	o := chart.Options{Width: m.w, Height: h, Start: end.Add(-Ranges[m.zoom]), End: end, Unit: p.Unit,
		Threshold: p.Threshold, ThresholdStyle: st.Warn, Marker: m.session.Declared, MarkerStyle: st.Accent,
		AxisStyle: st.Muted, LabelStyle: st.Muted, Legend: len(series) > 1 && h >= 6, Step: m.step()}
	return chart.Render(o, series)
}

// seriesName names a series by its labels ("status=500"), or the panel.
func seriesName(p Panel, labels map[string]string) string {
	if len(labels) == 0 {
		return p.Name
	}
	keys := make([]string, 0, len(labels))
	for k := range labels {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	var parts []string
	for _, k := range keys {
		parts = append(parts, k+"="+labels[k])
	}
	return sanitize.Line(strings.Join(parts, ","))
}

// tables are the lines under the graph: firing alerts, then the top 5xx
// handlers, within room lines.
func (m *Model) tables(room int) []string {
	st := m.c.Styles
	now := m.c.Now()
	var out []string
	if room <= 0 {
		return nil
	}
	out = append(out, m.healthRows()...)
	alerts := m.alerts.Data
	switch {
	case m.alerts.State.Status == probes.Failing && m.alerts.State.LastOK.IsZero():
		out = append(out, st.Warn.Render(common.Truncate("alerts: "+probes.ErrorText(m.alerts.State.LastErr), m.w)))
	case len(alerts) == 0 && !m.alerts.State.LastOK.IsZero():
		out = append(out, st.Muted.Render(common.Truncate("no alerts firing or pending", m.w)))
	default:
		n := min(len(alerts), max(room/2, 1))
		for _, a := range alerts[:n] {
			line := fmt.Sprintf("● %s %s %s", sanitize.Line(a.Name), sanitize.Line(a.State), probes.Ago(now, a.ActiveAt))
			if l := alertLabels(a.Labels); l != "" {
				line += " · " + sanitize.Line(l)
			}
			if s := strings.TrimLeft(strings.TrimPrefix(a.Annotations["summary"], a.Name), " :"); s != "" && !strings.HasPrefix(s, "firing") {
				line += " · " + sanitize.Line(s)
			} else if s != "" {
				line += " · " + sanitize.Line(strings.TrimLeft(strings.TrimPrefix(s, "firing"), " :"))
			}
			line = common.Truncate(line, m.w)
			if a.State == "firing" {
				out = append(out, st.Bad.Render(line))
			} else {
				out = append(out, st.Warn.Render(line))
			}
		}
		if len(alerts) > n {
			out = append(out, st.Muted.Render(fmt.Sprintf("+%d more alerts", len(alerts)-n)))
		}
	}
	left := room - len(out)
	d := m.now.Data
	if left >= 2 && d.TopErr == nil && len(d.Top) > 0 {
		head := "TOP 5xx HANDLERS (req/s)"
		if m.now.State.Status != probes.OK {
			head += " · stale, from " + d.At.Local().Format("15:04:05")
		}
		out = append(out, st.Table.Header.Render(common.Truncate(head, m.w)))
		for _, s := range d.Top[:min(len(d.Top), left-1, 5)] {
			name := s.Labels["handler"]
			if name == "" {
				name = seriesName(Panel{Name: "(all)"}, s.Labels)
			}
			out = append(out, common.Truncate(fmt.Sprintf("%-28s %s", sanitize.Line(name), short(s.V)), m.w))
		}
	} else if left >= 1 && d.TopErr != nil {
		out = append(out, st.Muted.Render(common.Truncate("top handlers: "+probes.ErrorText(d.TopErr), m.w)))
	}
	return out
}

// valid reports whether v can be a ratio: finite, 0..1.
func valid(v float64) bool { return v >= 0 && v <= 1 }

// percent renders a ratio as a percentage (see format).
func percent(v float64) string { return format(v, "%") }

// describe says what a value that is not a valid ratio is.
func describe(v float64) string {
	switch {
	case math.IsNaN(v):
		return "no value (NaN: 0/0, no requests?)"
	case math.IsInf(v, 1):
		return "+Inf (division by zero: no requests?)"
	case math.IsInf(v, -1):
		return "-Inf (invalid ratio)"
	case v < 0:
		return "invalid ratio " + percent(v) + " (negative: counter reset?)"
	case v > 1:
		return "invalid ratio " + percent(v) + " (above 100%)"
	}
	return percent(v)
}

// span is a duration as people say it: "15m", "1h", "1h30m", "24h".
func span(d time.Duration) string {
	s := d.String()
	if strings.HasSuffix(s, "m0s") {
		s = strings.TrimSuffix(s, "0s")
	}
	if strings.HasSuffix(s, "h0m") {
		s = strings.TrimSuffix(s, "0m")
	}
	return s
}

// alertLabels are an alert's labels but its name: "service=api severity=page".
func alertLabels(labels map[string]string) string {
	keys := make([]string, 0, len(labels))
	for k := range labels {
		if k != "alertname" {
			keys = append(keys, k)
		}
	}
	sort.Strings(keys)
	parts := make([]string, len(keys))
	for i, k := range keys {
		parts[i] = k + "=" + labels[k]
	}
	return strings.Join(parts, " ")
}

// probeEvents records Prometheus lost and recovered, but not a query that
// Prometheus rejects (bad PromQL in a panel): Prometheus is answering, and
// the pane shows its error in place.
func (m *Model) probeEvents(rec func(probes.Change) tea.Cmd) func(probes.Change) tea.Cmd {
	lost := false
	return func(ch probes.Change) tea.Cmd {
		var pe *prom.Error
		if ch.Lost && errors.As(ch.Err, &pe) && pe.Type == prom.ErrBadData {
			return nil
		}
		if !ch.Lost && !lost {
			return nil // recovered from a bad query: nothing was recorded lost
		}
		lost = ch.Lost
		return rec(ch)
	}
}

// healthRows are the health checks' rows: "● api 42ms · 200".
func (m *Model) healthRows() []string {
	st := m.c.Styles
	var out []string
	for _, r := range m.health.Data {
		line := fmt.Sprintf("● %s %s", sanitize.Line(r.Name), latency(r.Latency))
		if r.OK {
			out = append(out, st.OK.Render(common.Truncate(line+fmt.Sprintf(" · %d", r.Status), m.w)))
		} else {
			out = append(out, st.Bad.Render(common.Truncate(line+" · "+probes.ErrorText(r.Err), m.w)))
		}
	}
	return out
}
