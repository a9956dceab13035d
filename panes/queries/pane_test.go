package queries

import (
	"context"
	"errors"
	"fmt"
	"io"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	tea "github.com/charmbracelet/bubbletea"
	"github.com/charmbracelet/lipgloss"
	"github.com/charmbracelet/x/ansi"
	"github.com/jackc/pgx/v5/pgconn"
	"github.com/muesli/termenv"

	"github.com/warroom-dev/warroom/internal/keymsg"
	"github.com/warroom-dev/warroom/probes"
	"github.com/warroom-dev/warroom/probes/pg"
	"github.com/warroom-dev/warroom/probes/rds"
	"github.com/warroom-dev/warroom/tui/common"
	"github.com/warroom-dev/warroom/tui/styles"
)

// fakePG records the signals it is sent and answers with sig's result.
type fakePG struct {
	mu   sync.Mutex
	sent []string
	// answer decides what Signal returns for a target.
	answer func(pg.Target) (bool, error)
}

func (f *fakePG) Activity(context.Context) (pg.Snapshot, error) { return pg.Snapshot{}, nil }
func (f *fakePG) Signal(_ context.Context, s pg.Signal, t pg.Target) (bool, error) {
	f.mu.Lock()
	f.sent = append(f.sent, fmt.Sprintf("%s %d older=%s", s, t.PID, t.OlderThan))
	f.mu.Unlock()
	if f.answer != nil {
		return f.answer(t)
	}
	return true, nil
}

type fakeRDSProbe struct {
	in        rds.Instance
	failovers int
}

func (f *fakeRDSProbe) Describe(context.Context, string) (rds.Instance, error) { return f.in, nil }
func (f *fakeRDSProbe) Failover(context.Context, string) (rds.Instance, error) {
	f.failovers++
	return rds.Instance{ID: f.in.ID, Status: "rebooting"}, nil
}

func sess(pid int, state string, started time.Duration, q string, blockedBy ...int) pg.Session {
	s := pg.Session{PID: pid, User: "api", Database: "app", App: "api", Client: "10.0.0.1", State: state, Query: q,
		QueryStart: t0.Add(-started), BackendStart: t0.Add(-time.Hour - time.Duration(pid)*time.Second), BlockedBy: blockedBy}
	if state != "idle" {
		s.XactStart = s.QueryStart
	}
	if len(blockedBy) > 0 {
		s.WaitEvent, s.Lock = "Lock:transactionid", "transactionid ShareLock"
	}
	return s
}

// chain is a three-level lock chain (100 ← 200 ← 300), a second root
// (400 ← 500), a long query and a young one.
func chain() pg.Snapshot {
	return pg.Snapshot{At: t0, Connections: 85, MaxConnections: 100,
		Counts: pg.Counts{Active: 6, Idle: 78, IdleInTxn: 1, Waiting: 3}, OldestXminAge: 5000, OldestXminPID: 100,
		Stats: pg.Stats{Xacts: 1000, BlksHit: 900, BlksRd: 100, Bytes: 1 << 30, SizeAt: t0},
		Sessions: []pg.Session{
			sess(100, "idle in transaction", 4*time.Minute, "UPDATE orders SET x = 1 WHERE id = 1"),
			sess(600, "active", 7*time.Minute, "SELECT pg_sleep(3600) /* long */"),
			sess(200, "active", 2*time.Minute, "UPDATE orders SET x = 2 WHERE id = 1", 100),
			sess(300, "active", time.Minute, "DELETE FROM orders WHERE id = 1", 200),
			sess(400, "active", 90*time.Second, "ALTER TABLE items ADD COLUMN y int"),
			sess(500, "active", 30*time.Second, "SELECT * FROM items", 400),
			sess(700, "active", 200*time.Millisecond, "SELECT 1"),
		}}
}

func newPane(t *testing.T, p pg.Probe) *Model {
	t.Helper()
	m := New(testCommon(), p, nil, Config{Refresh: time.Second})
	m.SetSize(160, 30)
	return m
}

func feed(m *Model, s pg.Snapshot) {
	m.Update(probes.Result[pg.Snapshot]{Tag: m.pg.Tag, Gen: m.pg.Gen, Data: s, At: s.At})
}

func press(m *Model, keys ...string) tea.Cmd {
	var last tea.Cmd
	for _, k := range keys {
		_, last = m.Update(keymsg.Of(k))
	}
	return last
}

// request runs cmd and returns the action it hands to the shell.
func request(t *testing.T, cmd tea.Cmd) common.Action {
	t.Helper()
	if cmd == nil {
		t.Fatal("no command")
	}
	switch msg := cmd().(type) {
	case common.ActionRequest:
		return msg.Action
	case common.FlashMsg:
		t.Fatalf("flash instead of an action: %q", msg.Text)
	default:
		t.Fatalf("unexpected %T", msg)
	}
	return common.Action{}
}

func pidsOf(rows []row) []int {
	var out []int
	for _, r := range rows {
		out = append(out, r.pid)
	}
	return out
}

func TestListIsLongestFirstAndHeaderSaysWhatTheRunbookChecks(t *testing.T) {
	m := newPane(t, &fakePG{})
	feed(m, chain())
	if got, want := pidsOf(m.rows), []int{600, 100, 200, 400, 300, 500, 700}; !slices.Equal(got, want) {
		t.Fatalf("order %v, want %v", got, want)
	}
	v := ansi.Strip(m.View())
	for _, want := range []string{
		"connections 85/100 (85%) — pool nearly exhausted", "active 6", "idle 78", "idle-txn 1", "waiting 3",
		"longest txn 7:00 (pid 600)", "oldest xmin 5000 txids (pid 100)", "tps …", "size 1.0 GB",
		"⛔ 3 blocked · 2 behind pid 100 (idle in transaction 4:00)", "2 root blockers",
		"Lock:transactionid", "▲ blocks 2 · UPDATE orders", "⛔ 100 · UPDATE orders SET x = 2",
	} {
		if !strings.Contains(v, want) {
			t.Errorf("view lacks %q:\n%s", want, v)
		}
	}
	// Under 80% no warning.
	s := chain()
	s.Connections = 79
	feed(m, s)
	if v := ansi.Strip(m.View()); strings.Contains(v, "exhausted") {
		t.Errorf("79/100 warns:\n%s", v)
	}
}

func TestRatesComeFromTheDifferenceBetweenPolls(t *testing.T) {
	m := newPane(t, &fakePG{})
	a := chain()
	feed(m, a)
	b := chain()
	b.At = t0.Add(2 * time.Second)
	b.Stats = pg.Stats{Xacts: 1000 + 700, BlksHit: 900 + 990, BlksRd: 100 + 10, Bytes: 1<<30 + 4096, SizeAt: b.At}
	feed(m, b)
	v := ansi.Strip(m.View())
	for _, want := range []string{"350 tps", "cache hit 99.0%", "(+2.0 kB/s)"} {
		if !strings.Contains(v, want) {
			t.Errorf("view lacks %q:\n%s", want, v)
		}
	}
	// A counter reset (a restart) gives no rate, not a negative one.
	c := b
	c.At = t0.Add(4 * time.Second)
	c.Stats.Xacts = 5
	feed(m, c)
	if v := ansi.Strip(m.View()); !strings.Contains(v, "tps …") || strings.Contains(v, "-") && strings.Contains(v, "tps -") {
		t.Errorf("after a reset:\n%s", v)
	}
}

func TestDurationColoursFollowThePlaybook(t *testing.T) {
	r := lipgloss.NewRenderer(io.Discard)
	r.SetColorProfile(termenv.ANSI256)
	st := styles.New(r, styles.DefaultTheme())
	m := New(common.Common{Styles: st, Now: func() time.Time { return t0 }}, &fakePG{}, nil, Config{Refresh: time.Second})
	m.SetSize(160, 30)
	feed(m, chain())
	press(m, "G") // the selection off the rows checked
	v := m.View()
	line := func(pid int) string {
		for _, l := range strings.Split(v, "\n") {
			if strings.HasPrefix(strings.TrimSpace(ansi.Strip(l)), fmt.Sprint(pid)) {
				return l
			}
		}
		t.Fatalf("no row for %d:\n%s", pid, ansi.Strip(v))
		return ""
	}
	red, amber := st.Bad.Render("    7:00"), st.Warn.Render("    1:30")
	if !strings.Contains(line(600), red) {
		t.Errorf("7 min is not red: %q", line(600))
	}
	if !strings.Contains(line(400), amber) {
		t.Errorf("90 s is not amber: %q", line(400))
	}
	if l := line(700); strings.Contains(l, st.Warn.Render("0:00")) || strings.Contains(l, st.Bad.Render("0:00")) {
		t.Errorf("200 ms is coloured: %q", l)
	}
}

func TestTreeRootsTheChainAndCountsWhatItFrees(t *testing.T) {
	m := newPane(t, &fakePG{})
	feed(m, chain())
	press(m, "b")
	if got, want := pidsOf(m.rows), []int{100, 200, 300, 400, 500}; !slices.Equal(got, want) {
		t.Fatalf("tree %v, want %v", got, want)
	}
	depth := map[int]int{}
	for _, r := range m.rows {
		depth[r.pid] = r.depth
	}
	if depth[100] != 0 || depth[200] != 1 || depth[300] != 2 || depth[400] != 0 || depth[500] != 1 {
		t.Errorf("depths %v", depth)
	}
	if m.rows[0].blocks != 2 || m.rows[3].blocks != 1 {
		t.Errorf("blocks: 100 → %d, 400 → %d", m.rows[0].blocks, m.rows[3].blocks)
	}
	v := ansi.Strip(m.View())
	if !strings.Contains(v, "└─200") || !strings.Contains(v, "  └─300") {
		t.Errorf("tree not drawn:\n%s", v)
	}
	// Terminate on the root says how many it frees.
	a := request(t, press(m, "K"))
	if !strings.Contains(a.Title, "frees 2") || a.Target != "pid 100" || !a.Destructive {
		t.Errorf("action %q target %q", a.Title, a.Target)
	}
}

func TestTreeWithAMissingBlockerACycleAndADeepChain(t *testing.T) {
	ss := []pg.Session{
		sess(10, "active", time.Minute, "a", 99), // 99: autovacuum, not listed
		sess(11, "active", time.Minute, "b", 12),
		sess(12, "active", time.Minute, "c", 11), // a cycle caught mid-detection
	}
	tr := buildTree(ss, identity(len(ss)))
	rows := tr.flatten(ss)
	seen := map[int]int{}
	for _, r := range rows {
		seen[r.pid]++
	}
	if seen[99] != 1 || rows[len(rows)-1].s != nil && seen[99] == 0 {
		t.Errorf("missing blocker not a root: %v", pidsOf(rows))
	}
	for pid, n := range seen {
		if n > 1 {
			t.Errorf("pid %d drawn %d times: %v", pid, n, pidsOf(rows))
		}
	}
	// 60 deep: every level drawn once, the deepest counted from the root.
	deep := make([]pg.Session, 60)
	for i := range deep {
		if i == 0 {
			deep[i] = sess(1000, "idle in transaction", time.Hour, "root")
		} else {
			deep[i] = sess(1000+i, "active", time.Duration(60-i)*time.Second, "w", 1000+i-1)
		}
	}
	tr = buildTree(deep, identity(len(deep)))
	rows = tr.flatten(deep)
	if len(rows) != 60 || rows[0].blocks != 59 || rows[59].depth != 59 {
		t.Fatalf("deep chain: %d rows, root blocks %d, last depth %d", len(rows), rows[0].blocks, rows[len(rows)-1].depth)
	}
	if p := treePrefix(rows[59], maxIndent); !strings.Contains(p, "⋯") || ansi.StringWidth(p) > 2*maxIndent+1 {
		t.Errorf("deep prefix %q", p)
	}
}

func TestSelectionFollowsItsSessionAndAnEndedOneIsNotReplaced(t *testing.T) {
	f := &fakePG{}
	m := newPane(t, f)
	feed(m, chain())
	press(m, "down") // 100
	if s, _ := m.selected(); s == nil || s.PID != 100 {
		t.Fatalf("selected %v", s)
	}
	// 100's row moves: the selection stays on it.
	s := chain()
	s.Sessions[1].QueryStart = t0.Add(-time.Second) // 600 is young now
	s.Sessions[1].XactStart = s.Sessions[1].QueryStart
	feed(m, s)
	if got, _ := m.selected(); got == nil || got.PID != 100 || m.rows[m.cursor.Pos].pid != 100 {
		t.Fatalf("selection moved off 100: %v", pidsOf(m.rows))
	}
	// 100 ends: nothing is selected, K does not hit its neighbour.
	s.Sessions = slices.DeleteFunc(slices.Clone(s.Sessions), func(x pg.Session) bool { return x.PID == 100 })
	feed(m, s)
	cmd := press(m, "K")
	if msg, ok := cmd().(common.FlashMsg); !ok || !strings.Contains(msg.Text, "ended") {
		t.Fatalf("K after the selection ended: %#v", cmd())
	}
	// A reused pid (same pid, another backend) is another session.
	press(m, "down")
	r := chain()
	r.Sessions[0].BackendStart = t0.Add(-time.Second)
	m.sel = chain().Sessions[0].Target()
	m.selGone = false
	feed(m, r)
	if !m.selGone {
		t.Error("a reused pid kept the selection")
	}
}

func TestMarkedSessionsAreSignalledBoundToTheirBackends(t *testing.T) {
	f := &fakePG{answer: func(t pg.Target) (bool, error) { return t.PID != 300, nil }}
	m := newPane(t, f)
	feed(m, chain())
	press(m, "down", "down", "space", "space") // 200 and 400 (space moves on)
	if len(m.marked) != 2 {
		t.Fatalf("marked %v", m.marked)
	}
	if v := ansi.Strip(m.View()); !strings.Contains(v, "2 marked") || !strings.Contains(v, "●200") || !strings.Contains(v, "●400") || strings.Count(v, "●") != 3 {
		t.Errorf("marks not shown:\n%s", v)
	}
	a := request(t, press(m, "c"))
	if a.Op != pg.OpCancel || a.Target != "pids 200, 400" || a.Destructive {
		t.Errorf("cancel: op %q target %q destructive %v", a.Op, a.Target, a.Destructive)
	}
	joined := strings.Join(a.Lines, "\n")
	if !strings.Contains(joined, "pg_cancel_backend(pid)") || !strings.Contains(joined, "-- pid 200, backend_start ") || !strings.Contains(joined, "-- pid 400") {
		t.Errorf("lines:\n%s", joined)
	}
	out := a.Run(context.Background(), func(string) {})
	if out.Err != nil || out.Result != "cancelled 200, 400" {
		t.Errorf("outcome %+v", out)
	}
	// 300 marked, and it no longer matches when the statement runs: said so.
	clear(m.marked)
	f.sent = nil
	for _, pid := range []int{300} {
		for _, s := range m.shown.Sessions {
			if s.PID == pid {
				m.marked[pid] = s.Target()
			}
		}
	}
	a = request(t, press(m, "K"))
	out = a.Run(context.Background(), func(string) {})
	if !strings.Contains(out.Result, "not signalled (no longer matched) 300") {
		t.Errorf("outcome %+v", out)
	}
	if !slices.Contains(f.sent, "terminate 300 older=0s") {
		t.Errorf("sent %v", f.sent)
	}
}

func TestOlderThanListsExactlyWhatItEnds(t *testing.T) {
	f := &fakePG{}
	m := newPane(t, f)
	feed(m, chain())
	cmd := press(m, "O")
	req, ok := cmd().(common.InputRequest)
	if !ok || req.Fields[0].Default != "5" {
		t.Fatalf("O: %#v", cmd())
	}
	if req.Fields[0].Validate("0") == nil || req.Fields[0].Validate("x") == nil || req.Fields[0].Validate("3") != nil {
		t.Error("minutes validation")
	}
	a := request(t, req.OnSubmit(map[string]string{"minutes": "1"}))
	// Active for more than a minute: 600 (7 min), 200 (2 min), 400 (90 s);
	// not 300 (exactly 1 min), 500 or 700; not 100 (idle in transaction
	// for 4 min: its last query has finished).
	if a.Target != "pids 600, 200, 400" {
		t.Fatalf("target %q", a.Target)
	}
	text := strings.Join(a.Impact, "\n")
	for _, want := range []string{"exactly these 3", "pid 600 api@app", "SELECT pg_sleep(3600)", "pid 200", "pid 400", "names no column"} {
		if !strings.Contains(text, want) {
			t.Errorf("impact lacks %q:\n%s", want, text)
		}
	}
	for _, not := range []string{"pid 100 ", "pid 300", "pid 500"} {
		if strings.Contains(text, not) {
			t.Errorf("impact lists %q:\n%s", not, text)
		}
	}
	if lines := strings.Join(a.Lines, "\n"); !strings.Contains(lines, "query older than 1m0s") || !strings.Contains(lines, "state = 'active' AND query_start < now() - $3") {
		t.Errorf("lines:\n%s", lines)
	}
	a.Run(context.Background(), func(string) {})
	if want := []string{"terminate 600 older=1m0s", "terminate 200 older=1m0s", "terminate 400 older=1m0s"}; !slices.Equal(f.sent, want) {
		t.Errorf("sent %v, want %v", f.sent, want)
	}
	// Nothing that old: said, no dialog.
	msg := req.OnSubmit(map[string]string{"minutes": "60"})()
	if fl, ok := msg.(common.FlashMsg); !ok || !strings.Contains(fl.Text, "no active query") {
		t.Errorf("60 min: %#v", msg)
	}
}

func TestRefusalIsShownInPlace(t *testing.T) {
	refused := &pgconn.PgError{Severity: "ERROR", Code: "42501", Message: "permission denied to terminate process",
		Detail: `Only roles with privileges of the "pg_signal_backend" role may terminate backends.`}
	f := &fakePG{answer: func(pg.Target) (bool, error) { return false, refused }}
	m := newPane(t, f)
	feed(m, chain())
	press(m, "down")
	a := request(t, press(m, "K"))
	out := a.Run(context.Background(), func(string) {})
	if out.Err == nil {
		t.Fatal("no error")
	}
	_, cmd := m.Update(common.ActionDoneMsg{Tag: tag, Op: a.Op, Executed: true, Outcome: out})
	if cmd == nil {
		t.Error("no refresh after the action")
	}
	v := ansi.Strip(m.View())
	if !strings.Contains(v, "✗") || !strings.Contains(v, "permission denied to terminate process") || !strings.Contains(v, "pg_signal_backend") {
		t.Errorf("refusal not in place:\n%s", v)
	}
}

func TestPauseFreezesTheList(t *testing.T) {
	m := newPane(t, &fakePG{})
	feed(m, chain())
	press(m, "p")
	s := chain()
	s.At = t0.Add(10 * time.Second)
	s.Sessions = s.Sessions[:1]
	feed(m, s)
	if len(m.rows) != 7 {
		t.Errorf("paused, the rows changed: %v", pidsOf(m.rows))
	}
	if v := ansi.Strip(m.View()); !strings.Contains(strings.Split(v, "\n")[0], "paused · showing") {
		t.Errorf("pause not said:\n%s", v)
	}
	press(m, "p")
	if len(m.rows) != 1 {
		t.Errorf("resumed, still the old rows: %v", pidsOf(m.rows))
	}
}

func TestDurationModes(t *testing.T) {
	m := newPane(t, &fakePG{})
	s := chain()
	// 700's transaction is old though its query is young.
	s.Sessions[6].XactStart = t0.Add(-time.Hour)
	feed(m, s)
	press(m, "t")
	if m.mode != ByXact || m.rows[0].pid != 700 {
		t.Errorf("transaction mode: %v first %d", m.mode, m.rows[0].pid)
	}
	press(m, "t")
	if m.mode != ByBackend || m.rows[0].pid != 700 { // the highest pid started first in sess()
		t.Errorf("backend mode: %v first %d", m.mode, m.rows[0].pid)
	}
	press(m, "t")
	if m.mode != ByQuery {
		t.Errorf("mode %v after three presses", m.mode)
	}
}

func TestDetailShowsTheWholeQuerySanitized(t *testing.T) {
	m := newPane(t, &fakePG{})
	s := chain()
	long := "SELECT " + strings.Repeat("column_name, ", 40) + "\x1b]52;c;ZXZpbA==\x07\x1b[2J FROM t"
	s.Sessions[3].Query = long // 300
	feed(m, s)
	for m.rows[m.cursor.Pos].pid != 300 {
		press(m, "down")
	}
	press(m, "enter")
	v := m.View()
	if strings.Contains(v, "\x1b]52") || strings.Contains(v, "\x1b[2J") {
		t.Error("control sequences reach the screen")
	}
	plain := ansi.Strip(v)
	for _, want := range []string{"pid 300", "waits for lock: transactionid ShareLock", "blocked by 200", "FROM t", "backend started"} {
		if !strings.Contains(plain, want) {
			t.Errorf("detail lacks %q:\n%s", want, plain)
		}
	}
	for i, l := range strings.Split(v, "\n") {
		if ansi.StringWidth(l) > 160 {
			t.Errorf("line %d too wide", i)
		}
	}
	// It ends: the detail keeps it and says so.
	s.Sessions = slices.DeleteFunc(slices.Clone(s.Sessions), func(x pg.Session) bool { return x.PID == 300 })
	s.At = t0.Add(5 * time.Second)
	feed(m, s)
	if plain := ansi.Strip(m.View()); !strings.Contains(plain, "has ended") || !strings.Contains(plain, "FROM t") {
		t.Errorf("ended session:\n%s", plain)
	}
	if msg, ok := press(m, "K")().(common.FlashMsg); !ok || !strings.Contains(msg.Text, "ended") {
		t.Error("K on an ended session")
	}
	press(m, "esc")
	if m.view != viewList {
		t.Error("esc did not go back")
	}
}

func TestFailoverRefusedOnSingleAZ(t *testing.T) {
	for _, multi := range []bool{false, true} {
		r := &fakeRDSProbe{in: rds.Instance{ID: "db", Status: "available", MultiAZ: multi, AZ: "a", SecondaryAZ: "b"}}
		m := New(testCommon(), &fakePG{}, r, Config{Refresh: time.Second, RDSInstance: "db"})
		m.SetSize(120, 30)
		m.Update(probes.Result[rds.Instance]{Tag: m.rds.Tag, Data: r.in, At: t0})
		cmd := press(m, "F")
		msg := cmd()
		if !multi {
			if fl, ok := msg.(common.FlashMsg); !ok || !fl.Error || !strings.Contains(fl.Text, "Single-AZ") {
				t.Errorf("single-AZ: %#v", msg)
			}
			continue
		}
		a := msg.(common.ActionRequest).Action
		if a.Op != rds.OpFailover || !a.Destructive || !strings.Contains(strings.Join(a.Lines, " "), "--force-failover") {
			t.Errorf("failover action %+v", a)
		}
		if out := a.Run(context.Background(), func(string) {}); out.Err != nil || r.failovers != 1 || !strings.Contains(out.Result, "rebooting") {
			t.Errorf("run: %+v, %d failovers", out, r.failovers)
		}
	}
}

func TestActionErrorsJoinPerPID(t *testing.T) {
	f := &fakePG{answer: func(t pg.Target) (bool, error) {
		if t.PID == 200 {
			return false, errors.New("boom")
		}
		return true, nil
	}}
	out := runSignals(context.Background(), f, pg.Terminate, []pg.Target{{PID: 100}, {PID: 200}}, func(string) {})
	if out.Result != "terminated 100" || out.Err == nil || !strings.Contains(out.Err.Error(), "pid 200: boom") {
		t.Errorf("outcome %+v", out)
	}
}

// Two long reads ahead of an ALTER TABLE, and reads queued behind it: the
// lock has two holders. Both are roots; ending one frees nobody; ending
// both frees the three.
func TestSeveralHoldersOfOneLock(t *testing.T) {
	ss := []pg.Session{
		sess(11, "active", 10*time.Minute, "SELECT count(*) FROM items"),
		sess(12, "active", 9*time.Minute, "SELECT sum(total) FROM items"),
		sess(20, "active", 5*time.Minute, "ALTER TABLE items ADD COLUMN z int", 11, 12),
		sess(31, "active", 2*time.Minute, "SELECT * FROM items WHERE id = 1", 20),
		sess(32, "active", time.Minute, "SELECT * FROM items WHERE id = 2", 20),
	}
	for i := 2; i < 5; i++ {
		ss[i].WaitEvent = "Lock:relation" // a table lock's queue, not a row's
	}
	m := newPane(t, &fakePG{})
	feed(m, pg.Snapshot{At: t0, Connections: 10, MaxConnections: 100, Sessions: ss})
	if !slices.Equal(m.tr.roots, []int{11, 12}) || m.tr.blocks[11] != 3 || m.tr.blocks[12] != 3 {
		t.Fatalf("roots %v, blocks %v", m.tr.roots, m.tr.blocks)
	}
	if f := m.tr.frees([]int{11}); f != 0 {
		t.Errorf("ending 11 alone frees %d, want 0 (20 still waits on 12)", f)
	}
	if f := m.tr.frees([]int{11, 12}); f != 3 {
		t.Errorf("ending 11 and 12 frees %d, want 3", f)
	}
	// The reads queue behind the ALTER's request for the table: ending
	// the ALTER lets them go (their locks do not conflict with the reads
	// ahead).
	if f := m.tr.frees([]int{20}); f != 2 {
		t.Errorf("ending 20 frees %d, want 2", f)
	}
	press(m, "b")
	v := ansi.Strip(m.View())
	if !strings.Contains(v, "⛔ also 12") || !strings.Contains(v, "2 root blockers") {
		t.Errorf("the second holder is not said:\n%s", v)
	}
	a := request(t, press(m, "K")) // on 11, the first root
	if strings.Contains(a.Title, "frees") || !strings.Contains(strings.Join(a.Impact, "\n"), "ending it may not free them") {
		t.Errorf("K on one of two holders: %q / %q", a.Title, a.Impact)
	}
	// Both marked (11 first, 12 last in the tree): three, not six.
	press(m, "space", "G", "space")
	a = request(t, press(m, "K"))
	if !strings.Contains(a.Impact[0], "frees 3 session(s)") || a.Target != "pids 11, 12" {
		t.Errorf("both holders: %q on %q", a.Impact[0], a.Target)
	}
}

// Marking the root and its direct waiter counts the freed once and
// leaves out the targets themselves.
func TestFreedIsNotDoubleCounted(t *testing.T) {
	m := newPane(t, &fakePG{})
	feed(m, chain())
	if n := m.tr.waitingBehind([]int{100, 200}); n != 1 {
		t.Errorf("waiting behind 100 and 200: %d, want 1 (300; not 200, a target)", n)
	}
	if f := m.tr.frees([]int{100, 200}); f != 1 {
		t.Errorf("ending 100 and 200 frees %d, want 1 (300)", f)
	}
	if f := m.tr.frees([]int{200}); f != 0 {
		t.Errorf("ending 200 frees %d: 300 then waits on 100's row", f)
	}
}

// In the tree, a selected waiter whose wait ends leaves the tree: nothing
// is selected until the cursor moves (K must not go to the root that took
// its row).
func TestTreeSelectionDoesNotJumpToTheRoot(t *testing.T) {
	m := newPane(t, &fakePG{})
	feed(m, chain())
	press(m, "b", "down", "down") // 100, 200, 300
	if s, _ := m.selected(); s == nil || s.PID != 300 {
		t.Fatalf("selected %v", s)
	}
	s := chain()
	s.At = t0.Add(time.Second)
	s.Sessions[3].BlockedBy, s.Sessions[3].WaitEvent = nil, ""
	feed(m, s)
	if msg, ok := press(m, "K")().(common.FlashMsg); !ok || !strings.Contains(msg.Text, "ended") && !strings.Contains(msg.Text, "move the cursor") {
		t.Errorf("K after the selection left the tree: %#v", msg)
	}
	// Switching views keeps a sensible selection: the first row.
	press(m, "b")
	press(m, "down")
	press(m, "b")
	if _, ok := m.selected(); !ok {
		t.Error("nothing selected after switching to the tree")
	}
}

func TestCycleKeepsEverySessionDrawn(t *testing.T) {
	ss := []pg.Session{
		sess(13, "active", 3*time.Minute, "c", 11),
		sess(11, "active", 2*time.Minute, "a", 12),
		sess(12, "active", time.Minute, "b", 11),
	}
	for _, order := range [][]int{{0, 1, 2}, {2, 1, 0}, {1, 0, 2}} {
		tr := buildTree(ss, order)
		got := pidsOf(tr.flatten(ss))
		slices.Sort(got)
		if !slices.Equal(got, []int{11, 12, 13}) {
			t.Errorf("order %v: drawn %v, want 11, 12, 13 once each", order, got)
		}
	}
}

// Every line within the width, list and tree, a deep chain included, at
// narrow widths.
func TestLinesKeepWithinTheWidth(t *testing.T) {
	s := chain()
	for i := 1; i <= 14; i++ {
		s.Sessions = append(s.Sessions, sess(900+i, "active", time.Duration(30-i)*time.Second, "UPDATE t SET v = v + 1", 900+i-1))
	}
	s.Sessions = append(s.Sessions, sess(900, "idle in transaction", time.Hour, "UPDATE t SET v = 0"))
	for _, tree := range []bool{false, true} {
		for w := 21; w <= 100; w += 7 {
			m := newPane(t, &fakePG{})
			m.SetSize(w, 40)
			feed(m, s)
			if tree {
				press(m, "b")
			}
			for i, l := range strings.Split(m.View(), "\n") {
				if n := ansi.StringWidth(l); n > w {
					t.Errorf("tree=%v width %d: line %d is %d wide: %q", tree, w, i, n, ansi.Strip(l))
				}
			}
		}
	}
}

func TestQueryTextIsRedactedBeforeItIsShown(t *testing.T) {
	secret := pg.Snapshot{At: t0, Sessions: []pg.Session{sess(5, "active", time.Minute, "ALTER ROLE app PASSWORD 'hunter2'")}}
	m := New(testCommon(), fixedPG{secret}, nil, Config{Refresh: time.Second})
	m.SetSize(120, 20)
	s, err := m.pg.Fetch(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	feed(m, s)
	press(m, "enter")
	if v := m.View(); strings.Contains(v, "hunter2") {
		t.Errorf("password on screen:\n%s", v)
	}
	press(m, "esc")
	if a := request(t, press(m, "K")); strings.Contains(strings.Join(a.Impact, " "), "hunter2") {
		t.Errorf("password in the dialog: %q", a.Impact)
	}
}

type fixedPG struct{ s pg.Snapshot }

func (f fixedPG) Activity(context.Context) (pg.Snapshot, error) {
	s := f.s
	s.Sessions = slices.Clone(f.s.Sessions)
	return s, nil
}
func (fixedPG) Signal(context.Context, pg.Signal, pg.Target) (bool, error) { return true, nil }

func TestPausedSaysSoAndAnActionResumes(t *testing.T) {
	m := newPane(t, &fakePG{})
	feed(m, chain())
	press(m, "p")
	later := chain()
	later.At = t0.Add(30 * time.Second)
	later.Stats.Xacts += 30000
	feed(m, later)
	first := strings.Split(ansi.Strip(m.View()), "\n")[0]
	if !strings.Contains(first, "⏸ paused · showing") || !strings.Contains(first, "ok") {
		t.Errorf("state line while paused: %q", first)
	}
	// A failure while paused is said, not hidden.
	m.Update(probes.Result[pg.Snapshot]{Tag: m.pg.Tag, Gen: m.pg.Gen, Err: errors.New("connection refused"), At: later.At.Add(time.Second)})
	if first := strings.Split(ansi.Strip(m.View()), "\n")[0]; !strings.Contains(first, "paused") || !strings.Contains(first, "failing") {
		t.Errorf("state line while paused and failing: %q", first)
	}
	if v := ansi.Strip(m.View()); strings.Contains(v, "1000 tps") {
		t.Errorf("the rates moved on while paused:\n%s", v)
	}
	m.Update(common.ActionDoneMsg{Tag: tag, Op: pg.OpTerminate, Executed: true, Outcome: common.Outcome{Result: "terminated 100"}})
	if m.paused || !m.shown.At.Equal(later.At) {
		t.Errorf("after an action: paused %v, showing %v", m.paused, m.shown.At)
	}
}

// A queue for one row as PostgreSQL reports it: each writer is blocked by
// the holder and every writer ahead of it. Ending the holder frees them
// all; ending a writer in the middle frees nobody (the rest queue on).
func TestRowQueueAsPostgresReportsIt(t *testing.T) {
	ss := []pg.Session{sess(1, "idle in transaction", time.Hour, "UPDATE t SET v = 0 WHERE id = 1")}
	for i := 2; i <= 40; i++ {
		by := []int{1}
		for j := 2; j < i; j++ {
			by = append(by, j)
		}
		s := sess(i, "active", time.Duration(100-i)*time.Second, "UPDATE t SET v = v + 1 WHERE id = 1", by...)
		if i > 2 {
			s.WaitEvent = "Lock:tuple"
		}
		ss = append(ss, s)
	}
	tr := buildTree(ss, identity(len(ss)))
	if f := tr.frees([]int{1}); f != 39 {
		t.Errorf("ending the holder frees %d, want 39", f)
	}
	if f := tr.frees([]int{10}); f != 0 {
		t.Errorf("ending writer 10 frees %d, want 0", f)
	}
	if tr.blocks[1] != 39 || tr.blocks[39] != 1 || tr.blocks[40] != 0 {
		t.Errorf("blocks: 1 → %d, 39 → %d, 40 → %d", tr.blocks[1], tr.blocks[39], tr.blocks[40])
	}
	if !slices.Equal(tr.roots, []int{1}) {
		t.Errorf("roots %v", tr.roots)
	}
}

// A "not listed" blocker row keeps the selection on itself across a
// refresh that inserts a row above it; K on it says why it cannot.
func TestSelectedMissingBlockerStaysSelected(t *testing.T) {
	s := pg.Snapshot{At: t0, Sessions: []pg.Session{
		sess(100, "idle in transaction", 5*time.Minute, "UPDATE t SET v = 1"),
		sess(200, "active", time.Minute, "UPDATE t SET v = 2", 100),
		sess(300, "active", 30*time.Second, "SELECT 1", 999), // 999: not listed
	}}
	m := newPane(t, &fakePG{})
	feed(m, s)
	press(m, "b")
	for m.rows[m.cursor.Pos].pid != 999 {
		press(m, "down")
	}
	if msg, ok := press(m, "K")().(common.FlashMsg); !ok || !strings.Contains(msg.Text, "999 is not listed") {
		t.Errorf("K on the missing blocker: %#v", msg)
	}
	s.At = t0.Add(time.Second)
	s.Sessions = append(s.Sessions, sess(250, "active", 40*time.Second, "UPDATE t SET v = 3", 100))
	feed(m, s)
	if r := m.rows[m.cursor.Pos]; r.pid != 999 || m.selGone {
		t.Errorf("after the refresh the cursor is on %d (selGone %v), want still 999", r.pid, m.selGone)
	}
}

// Cancel on an idle session that blocks others (an advisory lock held
// between steps) says it does nothing.
func TestCancelOnAnIdleBlockerWarns(t *testing.T) {
	s := pg.Snapshot{At: t0, Sessions: []pg.Session{
		sess(100, "idle", 5*time.Minute, "SELECT pg_advisory_lock(42)"),
		sess(200, "active", time.Minute, "SELECT pg_advisory_lock(42)", 100),
	}}
	s.Sessions[1].WaitEvent = "Lock:advisory"
	m := newPane(t, &fakePG{})
	feed(m, s)
	for m.rows[m.cursor.Pos].pid != 100 {
		press(m, "down")
	}
	a := request(t, press(m, "c"))
	if !strings.Contains(strings.Join(a.Impact, "\n"), "runs no query (idle): cancel does nothing") {
		t.Errorf("cancel on an idle blocker: %q", a.Impact)
	}
	a = request(t, press(m, "K"))
	if !strings.Contains(a.Title, "frees 1") {
		t.Errorf("terminate on the idle advisory holder: %q", a.Title)
	}
}

// A deadlock caught in a snapshot breaks at the same place every time.
func TestCycleBreaksTheSameWayEveryTime(t *testing.T) {
	ss := []pg.Session{
		sess(11, "active", 2*time.Minute, "a", 12),
		sess(12, "active", time.Minute, "b", 11),
	}
	first := fmt.Sprint(buildTree(ss, identity(2)).roots)
	for range 50 {
		if got := fmt.Sprint(buildTree(ss, identity(2)).roots); got != first {
			t.Fatalf("roots %s, then %s", first, got)
		}
	}
}

// identity is the order 0..n-1.
func identity(n int) []int {
	o := make([]int, n)
	for i := range o {
		o[i] = i
	}
	return o
}
