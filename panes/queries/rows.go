package queries

import (
	"math/bits"
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
			if (r.s != nil && !m.selMissing && r.s.Target() == m.sel) || (r.s == nil && m.selMissing && r.pid == m.sel.PID) {
				m.cursor.Pos, found = i, true
				break
			}
		}
		if !found {
			if viewChanged && !m.selMissing && present(ss, m.sel) {
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
			m.detailFrees = m.tr.frees([]int{m.detail.PID}) // once per snapshot, not per frame
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
// long reads ahead of an ALTER TABLE) and a waiter several blockers
// (PostgreSQL names every session queued ahead of it for a row): the tree
// draws each waiter once, under the blocker it waits on that itself waits
// (the deepest, so a chain A ← B ← C reads as one) or else its first; its
// other blockers are named on its row. Every blocker that waits on nobody
// is a root, drawn or not.
//
// Everything here is linear in the edges, or bitsets over the nodes: a
// queue of 500 writers on one row has 125,000 edges, and this runs on the
// UI goroutine once per snapshot.
type tree struct {
	roots    []int         // pids: those listed longest-running first, then missing ones
	children map[int][]int // pid → waiters drawn under it, in display order
	blocks   map[int]int   // pid → sessions waiting behind it, transitively, by any edge
	missing  map[int]bool  // blocker pids with no session in the snapshot
	blockers map[int][]int // pid → its blockers (pg_blocking_pids)

	nodes    []int        // every pid in the graph: the sessions, then missing blockers
	index    map[int]int  // pid → its index in nodes
	up, down [][]int      // by index: its blockers' indexes, its waiters'
	behind   []bitset     // by index: who waits on it, transitively (nil: nobody)
	topo     []int        // indexes, every blocker before its waiters (cycles left out)
	rowWait  map[int]bool // waits for a row (tuple, transactionid): queued behind the waiters ahead
}

type bitset []uint64

func newBitset(n int) bitset    { return make(bitset, (n+63)/64) }
func (b bitset) set(i int)      { b[i/64] |= 1 << (i % 64) }
func (b bitset) has(i int) bool { return b[i/64]&(1<<(i%64)) != 0 }
func (b bitset) or(o bitset) {
	for i := range b {
		b[i] |= o[i]
	}
}
func (b bitset) count() (n int) {
	for _, w := range b {
		n += bits.OnesCount64(w)
	}
	return n
}

func buildTree(ss []pg.Session, order []int) tree {
	t := tree{children: map[int][]int{}, blocks: map[int]int{}, missing: map[int]bool{}, blockers: map[int][]int{},
		index: make(map[int]int, len(ss)), rowWait: map[int]bool{}}
	// Nodes: the sessions, then blockers the snapshot does not list.
	for i := range ss {
		t.index[ss[i].PID] = i
		t.nodes = append(t.nodes, ss[i].PID)
	}
	up := make([][]int, len(ss)) // by index: its blockers' indexes
	for i := range ss {
		s := &ss[i]
		if len(s.BlockedBy) == 0 {
			continue
		}
		t.blockers[s.PID] = s.BlockedBy
		t.rowWait[s.PID] = s.WaitEvent == "Lock:tuple" || s.WaitEvent == "Lock:transactionid"
		up[i] = make([]int, 0, len(s.BlockedBy))
		for _, b := range s.BlockedBy {
			bi, ok := t.index[b]
			if !ok {
				bi = len(t.nodes)
				t.index[b] = bi
				t.nodes = append(t.nodes, b)
				t.missing[b] = true
			}
			if bi != i {
				up[i] = append(up[i], bi)
			}
		}
	}
	n := len(t.nodes)
	up = append(up, make([][]int, n-len(up))...)
	down := make([][]int, n) // by index: its waiters' indexes
	for w := range up {
		for _, b := range up[w] {
			down[b] = append(down[b], w)
		}
	}
	// Each waiter is drawn under the blocker it waits on that itself
	// waits (the deepest), else its first.
	parent := make([]int, n)
	for i := range parent {
		parent[i] = -1
	}
	for i := range ss {
		if len(up[i]) == 0 {
			continue
		}
		parent[i] = up[i][0]
		for _, b := range up[i] {
			if len(up[b]) > 0 {
				parent[i] = b
				break
			}
		}
	}
	// Break cycles (PostgreSQL resolves deadlocks, but a snapshot can
	// catch one before it does): where a parent chain comes back to a
	// node, that node's parent link goes and it becomes a root. In the
	// snapshot's order, so the same cycle breaks at the same place on
	// every refresh.
	for _, i := range order {
		if parent[i] < 0 {
			continue
		}
		seen := map[int]bool{i: true}
		for q := i; parent[q] >= 0; {
			p := parent[q]
			if seen[p] {
				parent[q] = -1
				break
			}
			seen[p] = true
			q = p
		}
	}
	for _, i := range order {
		if p := parent[i]; p >= 0 {
			t.children[t.nodes[p]] = append(t.children[t.nodes[p]], ss[i].PID)
		}
	}
	for _, i := range order {
		if parent[i] < 0 && len(down[i]) > 0 {
			t.roots = append(t.roots, ss[i].PID)
		}
	}
	missing := make([]int, 0, len(t.missing))
	for pid := range t.missing {
		missing = append(missing, pid)
	}
	slices.Sort(missing)
	t.roots = append(t.roots, missing...)
	t.up, t.down = up, down
	t.order()
	// behind: waiters first (reverse topological order), each blocker's
	// set is the union of its waiters and theirs.
	t.behind = make([]bitset, n)
	done := make([]bool, n)
	for k := len(t.topo) - 1; k >= 0; k-- {
		x := t.topo[k]
		if len(down[x]) == 0 {
			done[x] = true
			continue
		}
		set := newBitset(n)
		for _, w := range down[x] {
			set.set(w)
			if t.behind[w] != nil {
				set.or(t.behind[w])
			}
		}
		t.behind[x], done[x] = set, true
	}
	// In a cycle: what can be reached, one walk each (rare and small).
	for x := range n {
		if done[x] {
			continue
		}
		set := newBitset(n)
		stack := slices.Clone(down[x])
		for len(stack) > 0 {
			w := stack[len(stack)-1]
			stack = stack[:len(stack)-1]
			if set.has(w) || w == x {
				continue
			}
			set.set(w)
			stack = append(stack, down[w]...)
		}
		t.behind[x] = set
	}
	for x, pid := range t.nodes {
		if t.behind[x] == nil {
			continue
		}
		if c := t.behind[x].count(); c > 0 {
			t.blocks[pid] = c
		}
	}
	return t
}

// order fills topo: Kahn's algorithm from the nodes that wait on nobody;
// nodes on a cycle are left out.
func (t *tree) order() {
	n := len(t.nodes)
	pending := make([]int, n)
	var queue []int
	for x := range n {
		pending[x] = len(t.up[x])
		if pending[x] == 0 {
			queue = append(queue, x)
		}
	}
	for len(queue) > 0 {
		x := queue[0]
		queue = queue[1:]
		t.topo = append(t.topo, x)
		for _, w := range t.down[x] {
			if pending[w]--; pending[w] == 0 {
				queue = append(queue, w)
			}
		}
	}
}

// waitingBehind is how many sessions, not targets themselves, wait
// behind any of the targets.
func (t tree) waitingBehind(targets []int) int {
	if len(t.nodes) == 0 {
		return 0
	}
	u := newBitset(len(t.nodes))
	for _, p := range targets {
		if i, ok := t.index[p]; ok && t.behind[i] != nil {
			u.or(t.behind[i])
		}
	}
	for _, p := range targets {
		if i, ok := t.index[p]; ok && u.has(i) {
			u[i/64] &^= 1 << (i % 64)
		}
	}
	return u.count()
}

// frees is how many sessions ending the targets lets go: those (not
// targets themselves) whose every blocker is ended or let go. A session
// queued for a row (Lock:tuple, Lock:transactionid: 4257 behind 4242
// behind 4100) takes over the place of an ended blocker that was itself
// waiting, so it is let go only if that blocker's own blockers are ended
// or let go too; one queued for a table or an advisory lock (reads behind
// a waiting ALTER TABLE) is let go when the ALTER ends. One pass in
// topological order; a cycle counts as not let go.
func (t tree) frees(targets []int) int {
	n := len(t.nodes)
	target := make([]bool, n)
	for _, p := range targets {
		if i, ok := t.index[p]; ok {
			target[i] = true
		}
	}
	freed := make([]bool, n)
	upOK := make([]bool, n) // a target whose blockers are all ended or let go, up the chain
	count := 0
	for _, x := range t.topo {
		if target[x] {
			ok := true
			for _, b := range t.up[x] {
				if !freed[b] && !(target[b] && upOK[b]) {
					ok = false
					break
				}
			}
			upOK[x] = ok
			continue
		}
		if len(t.up[x]) == 0 {
			continue // a root not ended
		}
		row := t.rowWait[t.nodes[x]]
		ok := true
		for _, b := range t.up[x] {
			if !freed[b] && !(target[b] && (!row || upOK[b])) {
				ok = false
				break
			}
		}
		if ok {
			freed[x] = true
			count++
		}
	}
	return count
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
	switch {
	case !cur.SizeAt.IsZero() && !prev.SizeAt.IsZero() && cur.SizeAt.After(prev.SizeAt):
		r.growth, r.sizeOK = float64(cur.Bytes-prev.Bytes)/cur.SizeAt.Sub(prev.SizeAt).Seconds(), true
	case cur.SizeAt.IsZero() || at.Sub(cur.SizeAt) > 3*pg.SizeEvery:
		// No reading, or none for three periods: no growth to show.
		r.sizeOK = false
	}
}
