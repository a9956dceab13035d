// Package queries is the slow-queries pane, the playbook's "Database
// Connection Issues" runbook live: the non-idle sessions of
// pg_stat_activity longest first, connections against max_connections,
// per-state counts, the longest transaction and the oldest xmin, the
// server's rates (transactions/s, cache hit, size growth); who blocks whom
// as a tree whose roots are the sessions to act on; a session's detail;
// cancel and terminate of the selected or marked sessions and "terminate
// every query older than N" through the shell's one action path; and the
// RDS instance (status, storage, maintenance, events) with a reboot with
// failover.
//
// The probes are read in tea.Cmds (probes.Feed); what the view draws is
// derived once per snapshot (rows, tree, rates), never per frame.
package queries

import (
	"context"
	"fmt"
	"time"

	"github.com/charmbracelet/bubbles/key"
	tea "github.com/charmbracelet/bubbletea"

	"github.com/warroom-dev/warroom/incident"
	"github.com/warroom-dev/warroom/probes"
	"github.com/warroom-dev/warroom/probes/pg"
	"github.com/warroom-dev/warroom/probes/rds"
	"github.com/warroom-dev/warroom/tui/common"
)

// Config says what to watch.
type Config struct {
	Refresh     time.Duration
	RDSInstance string
	// RDSRefresh is how often the instance is described (default: five
	// refreshes, at least 15 s: RDS throttles describe calls).
	RDSRefresh time.Duration
}

// KeyMap is the pane's bindings (pg_activity's where they do not clash
// with the console's own).
type KeyMap struct {
	common.NavKeys
	Open, Back, Mark, Unmark key.Binding
	Cancel, Terminate, Older key.Binding
	Mode, Pause, Tree        key.Binding
	Instance, Failover       key.Binding
}

// DefaultKeyMap returns the pane's bindings.
func DefaultKeyMap() KeyMap {
	return KeyMap{
		NavKeys:   common.DefaultNavKeys(),
		Open:      key.NewBinding(key.WithKeys("enter"), key.WithHelp("enter", "session detail")),
		Back:      key.NewBinding(key.WithKeys("esc", "backspace"), key.WithHelp("esc", "back")),
		Mark:      key.NewBinding(key.WithKeys(" "), key.WithHelp("space", "mark/unmark session")),
		Unmark:    key.NewBinding(key.WithKeys("esc"), key.WithHelp("esc", "clear marks")),
		Cancel:    key.NewBinding(key.WithKeys("c"), key.WithHelp("c", "cancel query (selected or marked)")),
		Terminate: key.NewBinding(key.WithKeys("K"), key.WithHelp("K", "terminate backend (selected or marked)")),
		Older:     key.NewBinding(key.WithKeys("O"), key.WithHelp("O", "terminate every query older than N min")),
		Mode:      key.NewBinding(key.WithKeys("t"), key.WithHelp("t", "duration: query/transaction/backend")),
		Pause:     key.NewBinding(key.WithKeys("p"), key.WithHelp("p", "pause/resume refresh")),
		Tree:      key.NewBinding(key.WithKeys("b"), key.WithHelp("b", "blocking tree / all sessions")),
		Instance:  key.NewBinding(key.WithKeys("i"), key.WithHelp("i", "RDS instance & events")),
		Failover:  key.NewBinding(key.WithKeys("F"), key.WithHelp("F", "RDS reboot with failover")),
	}
}

// Mode is what a session's duration is measured from.
type Mode int

const (
	// ByQuery: since the query started (an idle-in-transaction session:
	// since its transaction started, the age that matters).
	ByQuery Mode = iota
	// ByXact: since the transaction started.
	ByXact
	// ByBackend: since the connection was made.
	ByBackend
)

func (d Mode) String() string {
	switch d {
	case ByXact:
		return "transaction"
	case ByBackend:
		return "backend"
	}
	return "query"
}

// Since is when s's duration starts in mode d (zero: none).
func (d Mode) Since(s *pg.Session) time.Time {
	switch d {
	case ByXact:
		return s.XactStart
	case ByBackend:
		return s.BackendStart
	}
	if isIdleTxn(s.State) && !s.XactStart.IsZero() {
		return s.XactStart
	}
	return s.QueryStart
}

func isIdleTxn(state string) bool {
	return state == "idle in transaction" || state == "idle in transaction (aborted)"
}

// The playbook's lines: a query over a second is slow, one over five
// minutes is the runbook's "kill long-running queries" case.
const (
	SlowAfter = time.Second
	LongAfter = 5 * time.Minute
)

// view is what the pane shows.
type view int

const (
	viewList view = iota // the sessions, or the blocking tree (tree)
	viewDetail
	viewInstance
)

const tag = "queries"

// Model is the slow-queries pane.
type Model struct {
	c     common.Common
	cfg   Config
	keys  KeyMap
	probe pg.Probe
	rdsP  rds.Probe

	pg  *probes.Feed[pg.Snapshot]
	rds *probes.Feed[rds.Instance]

	// shown is the snapshot drawn: the feed's latest, or the one frozen
	// by pause.
	shown  pg.Snapshot
	have   bool
	paused bool
	seenAt time.Time // At of the last snapshot taken from the feed
	// latestStats are that snapshot's counters, for the next rates;
	// latestRates the rates up to it (rates: those of the shown one).
	latestStats pg.Stats
	latestRates rates
	rates       rates

	mode   Mode
	view   view
	tree   bool // the list is the blocking tree
	rows   []row
	tr     tree // who blocks whom in the shown snapshot
	cursor common.Cursor
	// sel is the selected session (pid and backend start), kept across
	// refreshes; selGone: it ended, and nothing is selected until the
	// cursor moves, so a destructive key cannot hit its neighbour.
	sel     pg.Target
	selGone bool
	// selMissing: the selection is a blocker row the snapshot does not
	// list (sel has only its pid).
	selMissing bool
	marked     map[int]pg.Target
	// detail is the session opened with enter, as last seen.
	detail     pg.Session
	detailGone bool
	detailAt   time.Time // the snapshot it was last seen in
	// detailFrees is how many sessions terminating it frees.
	detailFrees int
	scroll      common.Cursor // the detail's and the instance view's first line

	// lastAct is the outcome of this pane's last action, shown in place
	// (PostgreSQL's refusal stays until the next action).
	lastAct    string
	lastActErr bool

	paint paints // Warn and Bad, for the table's cells
	w, h  int

	// pub publishes for the runbook sidebar what burns when it changes;
	// sentPID is the selection it last published; sentContext: it has
	// published one (signals.go).
	pub         common.Publisher
	sentPID     int
	sentContext bool
}

// New makes the pane; nil probes mean not configured.
func New(c common.Common, pgProbe pg.Probe, rdsProbe rds.Probe, cfg Config) *Model {
	var fetchPG func(context.Context) (pg.Snapshot, error)
	if pgProbe != nil {
		fetchPG = func(ctx context.Context) (pg.Snapshot, error) {
			s, err := pgProbe.Activity(ctx)
			// Off the UI goroutine: a query may carry a password
			// (ALTER ROLE … PASSWORD '…'); the screen is shared.
			for i := range s.Sessions {
				s.Sessions[i].Query = incident.Redact(s.Sessions[i].Query)
			}
			return s, err
		}
	}
	var fetchRDS func(context.Context) (rds.Instance, error)
	if rdsProbe != nil && cfg.RDSInstance != "" {
		id := cfg.RDSInstance
		fetchRDS = func(ctx context.Context) (rds.Instance, error) { return rdsProbe.Describe(ctx, id) }
	}
	if cfg.Refresh <= 0 {
		cfg.Refresh = 2 * time.Second
	}
	rdsRefresh := cfg.RDSRefresh
	if rdsRefresh <= 0 {
		rdsRefresh = max(cfg.Refresh*5, 15*time.Second)
	}
	m := &Model{
		c: c, cfg: cfg, keys: DefaultKeyMap(), probe: pgProbe, rdsP: rdsProbe,
		pg:     probes.NewFeed("queries.pg", cfg.Refresh, c.Now, fetchPG, "set --postgres, DATABASE_URL or postgres.dsn"),
		rds:    probes.NewFeed("queries.rds", rdsRefresh, c.Now, fetchRDS, "set --rds-instance or rds.instance"),
		marked: map[int]pg.Target{},
	}
	m.pg.OnChange = c.ProbeEvents("postgres")
	m.rds.OnChange = c.ProbeEvents("rds")
	m.paint = paints{warn: newPaint(c.Styles.Warn), bad: newPaint(c.Styles.Bad)}
	m.syncKeys()
	return m
}

// Title names the pane and what it shows.
func (m *Model) Title() string {
	t := "Slow queries"
	if m.tree {
		t += " · blocking tree"
	}
	switch m.view {
	case viewDetail:
		t += fmt.Sprintf(" · pid %d", m.detail.PID)
	case viewInstance:
		t += " · RDS " + m.cfg.RDSInstance
	}
	if m.paused {
		t += " · paused"
	}
	return t
}

// Init starts the feeds and tells the shell the pane's vitals are unknown
// until PostgreSQL answers (vitals.go).
func (m *Model) Init() tea.Cmd {
	return tea.Batch(m.pg.Start(), m.rds.Start(), m.publishVitals())
}

func (m *Model) SetSize(w, h int) { m.w, m.h = w, h }
func (m *Model) Capturing() bool  { return false }

// ShortHelp is the footer's hint.
func (m *Model) ShortHelp() []key.Binding {
	if m.view == viewDetail || m.view == viewInstance {
		return []key.Binding{m.keys.Back, m.keys.Cancel, m.keys.Terminate}
	}
	return []key.Binding{m.keys.Open, m.keys.Mark, m.keys.Terminate, m.keys.Tree, m.keys.Pause}
}

// FullHelp is every binding, for ?.
func (m *Model) FullHelp() [][]key.Binding {
	k := m.keys
	return [][]key.Binding{
		k.NavKeys.Bindings(),
		{k.Open, k.Back, k.Mark, k.Unmark, k.Tree},
		{k.Cancel, k.Terminate, k.Older, k.Mode, k.Pause},
		{k.Instance, k.Failover},
	}
}

// syncKeys enables what applies now, so help shows only what works.
func (m *Model) syncKeys() {
	pgOn := m.probe != nil
	m.keys.Cancel.SetEnabled(pgOn)
	m.keys.Terminate.SetEnabled(pgOn)
	m.keys.Older.SetEnabled(pgOn && m.view != viewInstance)
	m.keys.Mark.SetEnabled(pgOn && (!m.tree || m.tree))
	m.keys.Unmark.SetEnabled(len(m.marked) > 0 && (!m.tree || m.tree))
	m.keys.Back.SetEnabled(m.view == viewDetail || m.view == viewInstance)
	m.keys.Open.SetEnabled(pgOn && (!m.tree || m.tree))
	rdsOn := m.rds.Configured()
	m.keys.Instance.SetEnabled(rdsOn)
	m.keys.Failover.SetEnabled(rdsOn)
}

// Backends are the status bar's dots.
func (m *Model) Backends() []common.Backend {
	bs := []common.Backend{{Name: "pg", State: m.pg.State}}
	if m.rds.Configured() {
		bs = append(bs, common.Backend{Name: "rds", State: m.rds.State})
	}
	return bs
}

// Update handles keys, this pane's poll results and its actions'
// outcomes, and publishes the selection when it changed.
func (m *Model) Update(msg tea.Msg) (common.Pane, tea.Cmd) {
	_, cmd := m.update(msg)
	if ctx := m.publishContext(); ctx != nil {
		cmd = tea.Batch(cmd, ctx)
	}
	return m, cmd
}

func (m *Model) update(msg tea.Msg) (common.Pane, tea.Cmd) {
	if r, isRes := msg.(probes.Result[pg.Snapshot]); isRes && r.Tag == m.pg.Tag {
		ours := r.Gen == m.pg.Gen
		_, cmd := m.pg.Update(msg)
		if ours && r.Err == nil {
			m.take(m.pg.Data)
			cmd = tea.Batch(cmd, m.publishSignals(m.pg.Data))
		}
		if ours {
			// Measured, or unknown on a failure: published either way.
			cmd = tea.Batch(cmd, m.publishVitals())
		}
		return m, cmd
	}
	if ok, cmd := m.pg.Update(msg); ok {
		return m, cmd
	}
	if ok, cmd := m.rds.Update(msg); ok {
		return m, cmd
	}
	switch msg := msg.(type) {
	case tea.KeyMsg:
		cmd := m.key(msg)
		m.syncKeys()
		return m, cmd
	case common.ActionDoneMsg:
		if msg.Tag != tag {
			return m, nil
		}
		var cmds []tea.Cmd
		m.actionDone(msg)
		if msg.Executed && m.paused {
			// A frozen list would still show what was just ended.
			m.resume()
			cmds = append(cmds, common.Flash("refresh resumed to show the action's effect", false))
		}
		// Read again now: the list shows what the action changed.
		if msg.Executed && m.pg.Configured() && (msg.Op == pg.OpTerminate || msg.Op == pg.OpCancel) {
			cmds = append(cmds, m.pg.Restart(nil))
		}
		if msg.Executed && m.rds.Configured() && msg.Op == rds.OpFailover {
			cmds = append(cmds, m.rds.Restart(nil))
		}
		return m, tea.Batch(cmds...)
	}
	return m, nil
}

// take is a new snapshot from the feed: rates against the previous one,
// then (unless paused) the rows.
func (m *Model) take(s pg.Snapshot) {
	m.latestRates.update(m.latestStats, m.seenAt, s.Stats, s.At)
	m.latestStats, m.seenAt = s.Stats, s.At
	if m.paused {
		return
	}
	m.shown, m.have, m.rates = s, true, m.latestRates
	m.rebuild(false)
}

func (m *Model) key(k tea.KeyMsg) tea.Cmd {
	switch m.view {
	case viewDetail:
		return m.detailKey(k)
	case viewInstance:
		return m.instanceKey(k)
	}
	switch {
	case key.Matches(k, m.keys.Open):
		s, ok := m.selected()
		if !ok {
			return nil
		}
		m.detail, m.detailGone, m.detailAt = *s, false, m.shown.At
		m.detailFrees = m.tr.frees([]int{s.PID})
		m.view = viewDetail
		m.scroll = common.Cursor{}
		return nil
	case key.Matches(k, m.keys.Mark):
		s, ok := m.selected()
		if !ok {
			return nil
		}
		if _, on := m.marked[s.PID]; on {
			delete(m.marked, s.PID)
		} else {
			m.marked[s.PID] = s.Target()
		}
		m.cursor.Pos++ // as pg_activity: mark and move on
		m.cursor.Clamp(len(m.rows), m.listRows())
		m.selectAtCursor()
		return nil
	case key.Matches(k, m.keys.Unmark):
		clear(m.marked)
		return nil
	case key.Matches(k, m.keys.Tree):
		m.tree = !m.tree
		m.rebuild(true)
		return nil
	case key.Matches(k, m.keys.Mode):
		m.mode = (m.mode + 1) % 3
		m.rebuild(false)
		return common.Flash("duration since "+m.mode.String()+" start", false)
	case key.Matches(k, m.keys.Pause):
		return m.togglePause()
	case key.Matches(k, m.keys.Cancel):
		return m.signalKey(pg.Cancel)
	case key.Matches(k, m.keys.Terminate):
		return m.signalKey(pg.Terminate)
	case key.Matches(k, m.keys.Older):
		return m.olderInput()
	case key.Matches(k, m.keys.Instance):
		m.view = viewInstance
		m.scroll = common.Cursor{}
		return nil
	case key.Matches(k, m.keys.Failover):
		return m.failoverKey()
	}
	if m.cursor.Handle(k, m.keys.NavKeys, len(m.rows), m.listRows()) {
		m.selectAtCursor()
	}
	return nil
}

func (m *Model) togglePause() tea.Cmd {
	m.paused = !m.paused
	if m.paused {
		return common.Flash("refresh paused: p resumes", false)
	}
	m.resume()
	return common.Flash("refresh resumed", false)
}

// resume shows the latest snapshot again.
func (m *Model) resume() {
	m.paused = false
	if !m.seenAt.IsZero() && !m.seenAt.Equal(m.shown.At) {
		m.shown, m.have, m.rates = m.pg.Data, true, m.latestRates
		m.rebuild(false)
	}
}

// selectAtCursor makes the row under the cursor the selection.
func (m *Model) selectAtCursor() {
	m.selGone, m.selMissing = false, false
	if m.cursor.Pos < len(m.rows) {
		r := m.rows[m.cursor.Pos]
		if r.s != nil {
			m.sel = r.s.Target()
		} else {
			// A blocker the snapshot does not list: selected by its pid,
			// so a refresh does not hand the selection to its neighbour.
			m.sel, m.selMissing = pg.Target{PID: r.pid}, true
		}
		return
	}
	m.sel = pg.Target{}
}

// selected is the selected session, if it is still there.
func (m *Model) selected() (*pg.Session, bool) {
	if m.selGone || m.cursor.Pos >= len(m.rows) {
		return nil, false
	}
	s := m.rows[m.cursor.Pos].s
	return s, s != nil
}
