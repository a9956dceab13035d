package queries

import (
	"slices"
	"time"

	"github.com/warroom-dev/warroom/probes/pg"
	"github.com/warroom-dev/warroom/tui/common"
)

// row is one line of the list or the tree.
type row struct {
	// s is nil for a blocker the snapshot does not list: not a client
	// backend (autovacuum), another role's session this role may not read,
	// or one that ended between the reads.
	s *pg.Session
	// pid is the session's, or the missing blocker's.
	pid   int
	depth int // in the tree
	// blocks is how many sessions wait behind this one, transitively,
	// through any of their blockers.
	blocks int
	// last: the last child of its parent (the tree's └─).
	last bool
	// parent: in the tree, the blocker it is drawn under (0: a root).
	parent int
}

// rebuild derives the rows from the shown snapshot, the mode and the
// view, once per change (never per frame), and keeps the selection on its
// session. viewChanged: the list became the tree or back, and a selection
// the new view does not show gives way to its first row; on a refresh, a
// selected session that left the view leaves nothing selected (a reflex K
// must not hit the row that took its place).
func (m *Model) rebuild(viewChanged bool) {
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
	m.tr = buildTree(ss, order)
	m.rows = m.rows[:0]
	if m.tree {
		m.rows = m.tr.flatten(ss)
	} else {
		for _, i := range order {
			m.rows = append(m.rows, row{s: &ss[i], pid: ss[i].PID, blocks: m.tr.blocks[ss[i].PID]})
		}
	}
	// Marks on sessions that ended go: the dialog lists only what is there.
	for pid, t := range m.marked {
		if !present(ss, t) {
			delete(m.marked, pid)
		}
	}
	// The selection stays on its session wherever it moved.
	switch {
	case m.sel.PID != 0 && !m.selGone:
		found := false
		for i, r := range m.rows {
			if r.s != nil && r.s.Target() == m.sel {
				m.cursor.Pos, found = i, true
				break
			}
		}
		if !found {
			if viewChanged && present(ss, m.sel) {
				m.cursor = common.Cursor{}
				m.selectAtCursor()
			} else {
				m.selGone = true
			}
		}
	case m.sel.PID == 0 && !m.selGone && len(m.rows) > 0:
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

// tree is who waits behind whom. A lock can have several holders (two
// long reads ahead of an ALTER TABLE) and a waiter several blockers: the
// tree draws each waiter once, under the blocker it waits on that itself
// waits (the deepest, so a chain A ← B ← C reads as one) or else its
// first; its other blockers are named on its row. Every blocker that waits
// on nobody is a root, drawn or not.
type tree struct {
	roots    []int         // pids: those listed longest-running first, then missing ones
	children map[int][]int // pid → waiters drawn under it, in display order
	blocks   map[int]int   // pid → sessions waiting behind it, transitively, by any edge
	missing  map[int]bool  // blocker pids with no session in the snapshot
	blockers map[int][]int // pid → its blockers (pg_blocking_pids)
}

func buildTree(ss []pg.Session, order []int) tree {
	byPID := make(map[int]int, len(ss))
	for i := range ss {
		byPID[ss[i].PID] = i
	}
	t := tree{children: map[int][]int{}, blocks: map[int]int{}, missing: map[int]bool{}, blockers: map[int][]int{}}
	waitedOn := map[int]bool{}
	parent := map[int]int{}
	for _, i := range order {
		s := &ss[i]
		if len(s.BlockedBy) == 0 {
			continue
		}
		t.blockers[s.PID] = s.BlockedBy
		p := s.BlockedBy[0]
		for _, b := range s.BlockedBy {
			waitedOn[b] = true
			if _, listed := byPID[b]; !listed {
				t.missing[b] = true
			}
		}
		for _, b := range s.BlockedBy {
			if j, ok := byPID[b]; ok && len(ss[j].BlockedBy) > 0 && b != s.PID {
				p = b
				break
			}
		}
		if p != s.PID {
			parent[s.PID] = p
		}
	}
	// Break cycles (PostgreSQL resolves deadlocks, but a snapshot can
	// catch one before it does): where a parent chain comes back to a
	// node, that node's parent link goes and it becomes a root.
	for pid := range parent {
		seen := map[int]bool{pid: true}
		for q := pid; ; {
			p, ok := parent[q]
			if !ok {
				break
			}
			if seen[p] {
				delete(parent, q)
				break
			}
			seen[p] = true
			q = p
		}
	}
	for _, i := range order {
		pid := ss[i].PID
		if p, ok := parent[pid]; ok {
			t.children[p] = append(t.children[p], pid)
		}
	}
	for _, i := range order {
		pid := ss[i].PID
		if _, drawnUnder := parent[pid]; !drawnUnder && (waitedOn[pid] || len(t.children[pid]) > 0) {
			t.roots = append(t.roots, pid)
		}
	}
	missing := make([]int, 0, len(t.missing))
	for pid := range t.missing {
		missing = append(missing, pid)
	}
	slices.Sort(missing)
	t.roots = append(t.roots, missing...)
	// blocks: everyone who waits on pid, directly or through others.
	waiters := map[int][]int{}
	for w, bs := range t.blockers {
		for _, b := range bs {
			waiters[b] = append(waiters[b], w)
		}
	}
	for b := range waiters {
		seen := map[int]bool{b: true}
		stack := slices.Clone(waiters[b])
		for len(stack) > 0 {
			w := stack[len(stack)-1]
			stack = stack[:len(stack)-1]
			if seen[w] {
				continue
			}
			seen[w] = true
			stack = append(stack, waiters[w]...)
		}
		t.blocks[b] = len(seen) - 1
	}
	return t
}

// frees is how many sessions ending the targets surely lets go: those
// (not targets themselves) whose every blocker, followed up the chain, is
// ended or let go. Up the chain, because a waiter queued behind a waiter
// for the same row (4257 behind 4242 behind 4100) goes on waiting for the
// root when the middle one ends. It can say too few, never too many: a
// read queued behind an ALTER that waits on two long reads is freed when
// the ALTER ends, though it is counted only when the reads end too.
func (t tree) frees(targets []int) int {
	gone := map[int]bool{}
	for _, p := range targets {
		gone[p] = true
	}
	up := map[int][]int{} // w → every blocker up its chains
	for w := range t.blockers {
		seen := map[int]bool{w: true}
		stack := slices.Clone(t.blockers[w])
		for len(stack) > 0 {
			b := stack[len(stack)-1]
			stack = stack[:len(stack)-1]
			if seen[b] {
				continue
			}
			seen[b] = true
			up[w] = append(up[w], b)
			stack = append(stack, t.blockers[b]...)
		}
	}
	n := 0
	for changed := true; changed; {
		changed = false
		for w, bs := range up {
			if gone[w] {
				continue
			}
			all := true
			for _, b := range bs {
				if !gone[b] {
					all = false
					break
				}
			}
			if all {
				gone[w], changed = true, true
				n++
			}
		}
	}
	return n
}

// others are w's blockers other than the one it is drawn under.
func (t tree) others(w, drawnUnder int) []int {
	var out []int
	for _, b := range t.blockers[w] {
		if b != drawnUnder {
			out = append(out, b)
		}
	}
	return out
}

// flatten is the tree as rows: each root, then what waits behind it.
func (t tree) flatten(ss []pg.Session) []row {
	byPID := make(map[int]int, len(ss))
	for i := range ss {
		byPID[ss[i].PID] = i
	}
	var out []row
	drawn := map[int]bool{}
	var walk func(pid, parent, depth int, last bool)
	walk = func(pid, parent, depth int, last bool) {
		if drawn[pid] {
			return
		}
		drawn[pid] = true
		r := row{pid: pid, depth: depth, blocks: t.blocks[pid], last: last, parent: parent}
		if i, ok := byPID[pid]; ok {
			r.s = &ss[i]
		}
		out = append(out, r)
		kids := t.children[pid]
		for k, c := range kids {
			walk(c, pid, depth+1, k == len(kids)-1)
		}
	}
	for _, r := range t.roots {
		walk(r, 0, 0, true)
	}
	return out
}

// rates are the server's rates between the last two snapshots, as
// pg_activity shows them.
type rates struct {
	ok     bool
	tps    float64 // transactions (commits + rollbacks) per second
	hit    float64 // cache hit ratio of the blocks read in the interval, 0..1
	hitOK  bool    // some block was read in the interval
	growth float64 // bytes per second, between the two size readings
	sizeOK bool
}

func (r *rates) update(prev pg.Stats, prevAt time.Time, cur pg.Stats, at time.Time) {
	dt := at.Sub(prevAt)
	if prevAt.IsZero() || dt <= 0 || cur.Xacts < prev.Xacts || cur.BlksHit < prev.BlksHit || cur.BlksRd < prev.BlksRd {
		// First read, or the counters were reset (pg_stat_reset, a
		// restart): no rate until the next pair.
		r.ok = false
	} else {
		s := dt.Seconds()
		r.ok = true
		r.tps = float64(cur.Xacts-prev.Xacts) / s
		hit, rd := cur.BlksHit-prev.BlksHit, cur.BlksRd-prev.BlksRd
		r.hitOK = hit+rd > 0
		if r.hitOK {
			r.hit = float64(hit) / float64(hit+rd)
		}
	}
	// The size is read more slowly than the rest: its growth is between
	// two size readings, kept until a newer one.
	if !cur.SizeAt.IsZero() && !prev.SizeAt.IsZero() && cur.SizeAt.After(prev.SizeAt) {
		r.growth, r.sizeOK = float64(cur.Bytes-prev.Bytes)/cur.SizeAt.Sub(prev.SizeAt).Seconds(), true
	}
}
