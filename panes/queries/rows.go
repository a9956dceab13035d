package queries

import (
	"slices"
	"time"

	"github.com/warroom-dev/warroom/probes/pg"
	"github.com/warroom-dev/warroom/tui/common"
)

// row is one line of the list or the tree.
type row struct {
	s *pg.Session // nil: a blocker that is not a client session shown (autovacuum, a walsender, one that just ended)
	// pid is the session's, or the missing blocker's.
	pid   int
	depth int // in the tree
	// blocks is how many sessions wait behind this one, transitively:
	// what terminating it frees.
	blocks int
	// last: the last child of its parent (the tree's └─).
	last bool
}

// rebuild derives the rows from the shown snapshot, the mode and the
// view, once per change (never per frame), and keeps the selection on its
// session.
func (m *Model) rebuild() {
	ss := m.shown.Sessions
	at := m.at()
	// Longest first in the current mode; sessions with no start (no
	// transaction, in transaction mode) last; then by pid.
	order := make([]int, len(ss))
	for i := range order {
		order[i] = i
	}
	dur := func(i int) time.Duration {
		t := m.mode.Since(&ss[i])
		if t.IsZero() {
			return -1
		}
		return at.Sub(t)
	}
	slices.SortStableFunc(order, func(a, b int) int {
		da, db := dur(a), dur(b)
		switch {
		case da > db:
			return -1
		case da < db:
			return 1
		}
		return ss[a].PID - ss[b].PID
	})
	tr := buildTree(ss, order)
	m.roots = len(tr.roots)
	m.rows = m.rows[:0]
	if m.tree {
		m.rows = tr.flatten(ss)
	} else {
		for _, i := range order {
			m.rows = append(m.rows, row{s: &ss[i], pid: ss[i].PID, blocks: tr.blocks[ss[i].PID]})
		}
	}
	// Marks on sessions that ended go: the dialog lists only what is there.
	for pid, t := range m.marked {
		if !present(ss, t) {
			delete(m.marked, pid)
		}
	}
	// The selection stays on its session wherever it moved.
	if m.sel.PID != 0 && !m.selGone {
		found := false
		for i, r := range m.rows {
			if r.s != nil && r.s.Target() == m.sel {
				m.cursor.Pos, found = i, true
				break
			}
		}
		switch {
		case found:
		case present(ss, m.sel):
			// Not in this view (the tree shows only chains): the
			// first row is the selection, as in a fresh list.
			m.cursor = common.Cursor{}
			m.sel = pg.Target{}
			if len(m.rows) > 0 {
				m.selectAtCursor()
			}
		default:
			m.selGone = true
		}
	} else if m.sel.PID == 0 && !m.selGone && len(m.rows) > 0 {
		m.cursor.Clamp(len(m.rows), m.listRows())
		m.selectAtCursor()
	}
	m.cursor.Clamp(len(m.rows), m.listRows())
	if m.view == viewDetail {
		m.refreshDetail()
	}
}

func present(ss []pg.Session, t pg.Target) bool {
	for i := range ss {
		if ss[i].Target() == t {
			return true
		}
	}
	return false
}

// refreshDetail follows the opened session into the new snapshot, or keeps
// its last state and says it ended.
func (m *Model) refreshDetail() {
	if m.detail.PID == 0 {
		return
	}
	for i := range m.shown.Sessions {
		if m.shown.Sessions[i].Target() == m.detail.Target() {
			m.detail, m.detailGone, m.detailAt = m.shown.Sessions[i], false, m.shown.At
			return
		}
	}
	m.detailGone = true
}

// at is the shown snapshot's server time (or now, before the first).
func (m *Model) at() time.Time {
	if m.shown.At.IsZero() {
		return m.c.Now()
	}
	return m.shown.At
}

// tree is who waits behind whom: each blocked session hangs under one of
// its blockers (the deepest one it waits for, so a chain A ← B ← C reads
// as one), roots are blockers that wait on nobody shown.
type tree struct {
	roots    []int         // pids, longest-running first
	children map[int][]int // pid → blocked pids, in display order
	blocks   map[int]int   // pid → sessions waiting behind it, transitively
	missing  map[int]bool  // blocker pids with no session in the snapshot
}

func buildTree(ss []pg.Session, order []int) tree {
	byPID := make(map[int]int, len(ss))
	for i := range ss {
		byPID[ss[i].PID] = i
	}
	t := tree{children: map[int][]int{}, blocks: map[int]int{}, missing: map[int]bool{}}
	parent := map[int]int{}
	// depthOf follows first-choice parents; the chosen parent of a session
	// is its blocker that itself waits (deepest in the chain), else its
	// first blocker.
	for _, i := range order {
		s := &ss[i]
		if len(s.BlockedBy) == 0 {
			continue
		}
		p := s.BlockedBy[0]
		for _, b := range s.BlockedBy {
			if j, ok := byPID[b]; ok && len(ss[j].BlockedBy) > 0 && b != s.PID {
				p = b
				break
			}
		}
		parent[s.PID] = p
	}
	// Break cycles (PostgreSQL resolves deadlocks, but a snapshot can
	// catch one before it does): a session whose parent chain returns to
	// itself becomes a root.
	for pid := range parent {
		seen := map[int]bool{pid: true}
		for q, ok := parent[pid]; ok; q, ok = parent[q] {
			if seen[q] {
				delete(parent, pid)
				break
			}
			seen[q] = true
		}
	}
	isRoot := map[int]bool{}
	for _, i := range order {
		pid := ss[i].PID
		if p, ok := parent[pid]; ok {
			t.children[p] = append(t.children[p], pid)
			if _, shown := byPID[p]; !shown {
				t.missing[p] = true
			}
		}
	}
	for _, i := range order {
		pid := ss[i].PID
		if _, blocked := parent[pid]; !blocked && len(t.children[pid]) > 0 && !isRoot[pid] {
			isRoot[pid] = true
			t.roots = append(t.roots, pid)
		}
	}
	missing := make([]int, 0, len(t.missing))
	for pid := range t.missing {
		missing = append(missing, pid)
	}
	slices.Sort(missing)
	t.roots = append(t.roots, missing...)
	var count func(pid int, depth int) int
	count = func(pid int, depth int) int {
		if depth > len(ss)+1 {
			return 0
		}
		n := 0
		for _, c := range t.children[pid] {
			n += 1 + count(c, depth+1)
		}
		t.blocks[pid] = n
		return n
	}
	for _, r := range t.roots {
		count(r, 0)
	}
	return t
}

// flatten is the tree as rows: each root, then what waits behind it.
func (t tree) flatten(ss []pg.Session) []row {
	byPID := make(map[int]int, len(ss))
	for i := range ss {
		byPID[ss[i].PID] = i
	}
	var out []row
	var walk func(pid, depth int, last bool)
	walk = func(pid, depth int, last bool) {
		if depth > len(ss)+1 {
			return
		}
		r := row{pid: pid, depth: depth, blocks: t.blocks[pid], last: last}
		if i, ok := byPID[pid]; ok {
			r.s = &ss[i]
		}
		out = append(out, r)
		kids := t.children[pid]
		for k, c := range kids {
			walk(c, depth+1, k == len(kids)-1)
		}
	}
	for _, r := range t.roots {
		walk(r, 0, true)
	}
	return out
}

// rates are the server's rates between the last two snapshots, as
// pg_activity shows them.
type rates struct {
	ok       bool
	tps      float64 // transactions (commits + rollbacks) per second
	hit      float64 // cache hit ratio of the blocks read in the interval, 0..1
	hitOK    bool    // some block was read in the interval
	growth   float64 // bytes per second
	interval time.Duration
}

func (r *rates) update(prev pg.Stats, prevAt time.Time, cur pg.Stats, at time.Time) {
	dt := at.Sub(prevAt)
	if prevAt.IsZero() || dt <= 0 || cur.Xacts < prev.Xacts || cur.BlksHit < prev.BlksHit || cur.BlksRd < prev.BlksRd {
		// First read, or the counters were reset (pg_stat_reset, a
		// restart): no rate until the next pair.
		r.ok = false
		return
	}
	s := dt.Seconds()
	r.ok, r.interval = true, dt
	r.tps = float64(cur.Xacts-prev.Xacts) / s
	hit, rd := cur.BlksHit-prev.BlksHit, cur.BlksRd-prev.BlksRd
	r.hitOK = hit+rd > 0
	if r.hitOK {
		r.hit = float64(hit) / float64(hit+rd)
	}
	r.growth = float64(cur.Bytes-prev.Bytes) / s
}
