package queries

import (
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/charmbracelet/lipgloss"
	"github.com/charmbracelet/x/ansi"

	"github.com/warroom-dev/warroom/internal/sanitize"
	"github.com/warroom-dev/warroom/probes"
	"github.com/warroom-dev/warroom/probes/pg"
	"github.com/warroom-dev/warroom/tui/common"
)

// PoolWarn is the share of max_connections at which the header warns of
// pool exhaustion: the runbook's first check.
const PoolWarn = 0.8

// View renders the pane.
func (m *Model) View() string {
	switch m.view {
	case viewDetail:
		return common.Clip(m.detailView(), m.w, m.h)
	case viewInstance:
		return common.Clip(m.instanceView(), m.w, m.h)
	}
	return m.listView()
}

// listRows is how many session rows fit under the header.
func (m *Model) listRows() int {
	return max(m.h-len(m.header(m.c.Now()))-1, 1)
}

// header is the lines above the table: the backend's state, RDS, and
// (once there is data) the server's numbers.
func (m *Model) header(now time.Time) []string {
	st := m.c.Styles
	lines := []string{m.stateLine(now)}
	if m.rds.Configured() {
		lines = append(lines, m.rdsLine(now))
	}
	if !m.have {
		return lines
	}
	lines = append(lines, m.connLine(), m.serverLine())
	if len(m.tr.roots) > 0 {
		lines = append(lines, m.blockingLine())
	}
	if m.lastAct != "" {
		if m.lastActErr {
			// PostgreSQL's reason is the point: two lines for it.
			w := wrap("✗ "+m.lastAct, m.w)
			if len(w) > 2 {
				w = []string{w[0], common.Truncate(strings.Join(w[1:], " "), m.w)}
			}
			for _, l := range w {
				lines = append(lines, st.Bad.Render(l))
			}
		} else {
			lines = append(lines, common.Truncate(st.OK.Render("✓ "+m.lastAct), m.w))
		}
	}
	var notes []string
	if len(m.marked) > 0 {
		notes = append(notes, st.Accent.Render(fmt.Sprintf("%d marked", len(m.marked)))+st.Muted.Render(" · c cancel · K terminate · esc clear"))
	}
	if m.mode != ByQuery {
		notes = append(notes, st.Muted.Render("duration since "+m.mode.String()+" start (t)"))
	}
	if len(notes) > 0 {
		lines = append(lines, common.Truncate(strings.Join(notes, " · "), m.w))
	}
	return lines
}

func (m *Model) stateLine(now time.Time) string {
	if m.paused && m.have {
		// What is drawn is the frozen snapshot: said first, then the
		// backend's own state (a failure is not hidden by the pause).
		head := m.c.Styles.Warn.Render("⏸ paused · showing " + m.shown.At.Local().Format("15:04:05") + " · p resumes")
		rest := common.StateLineFit(m.c.Styles, m.pg.State, now, 3*m.pg.Interval, max(m.w-ansi.StringWidth(head)-3, 0))
		return common.Truncate(head+" · "+rest, m.w)
	}
	return common.StateLineFit(m.c.Styles, m.pg.State, now, 3*m.pg.Interval, m.w)
}

func (m *Model) connLine() string {
	st := m.c.Styles
	snap := &m.shown
	var conn string
	if snap.MaxConnections > 0 {
		ratio := float64(snap.Connections) / float64(snap.MaxConnections)
		conn = fmt.Sprintf("connections %d/%d (%.0f%%)", snap.Connections, snap.MaxConnections, 100*ratio)
		if ratio >= PoolWarn {
			conn = st.Bad.Render(conn + " — pool nearly exhausted")
		}
	} else {
		conn = fmt.Sprintf("connections %d", snap.Connections)
	}
	c := snap.Counts
	parts := []string{conn, fmt.Sprintf("active %d", c.Active), st.Muted.Render(fmt.Sprintf("idle %d", c.Idle))}
	it := fmt.Sprintf("idle-txn %d", c.IdleInTxn)
	if c.IdleInTxn > 0 {
		it = st.Warn.Render(it)
	}
	parts = append(parts, it)
	ab := fmt.Sprintf("aborted %d", c.Aborted)
	if c.Aborted > 0 {
		ab = st.Warn.Render(ab)
	}
	parts = append(parts, ab)
	wt := fmt.Sprintf("waiting %d", c.Waiting)
	if c.Waiting > 0 {
		wt = st.Bad.Render(wt)
	}
	parts = append(parts, wt)
	if snap.Hidden > 0 {
		parts = append(parts, st.Warn.Render(fmt.Sprintf("%d of other roles not readable (grant pg_read_all_stats)", snap.Hidden)))
	}
	return common.Truncate(strings.Join(parts, " · "), m.w)
}

func (m *Model) serverLine() string {
	st := m.c.Styles
	snap := &m.shown
	at := m.at()
	var parts []string
	var longest time.Duration
	lpid := 0
	for i := range snap.Sessions {
		s := &snap.Sessions[i]
		if !s.XactStart.IsZero() && at.Sub(s.XactStart) > longest {
			longest, lpid = at.Sub(s.XactStart), s.PID
		}
	}
	if lpid != 0 {
		lt := fmt.Sprintf("longest txn %s (pid %d)", common.Duration(longest), lpid)
		parts = append(parts, m.durPaint(longest).wrap(lt))
	} else {
		parts = append(parts, st.Muted.Render("no open transaction"))
	}
	if snap.OldestXminPID != 0 {
		parts = append(parts, fmt.Sprintf("oldest xmin %s txids (pid %d)", humanCount(snap.OldestXminAge), snap.OldestXminPID))
	}
	r := m.rates
	if r.ok {
		parts = append(parts, fmt.Sprintf("%.0f tps", r.tps))
		if r.hitOK {
			hit := fmt.Sprintf("cache hit %.1f%%", 100*r.hit)
			if r.hit < 0.9 {
				hit = st.Warn.Render(hit)
			}
			parts = append(parts, hit)
		}
	} else {
		parts = append(parts, st.Muted.Render("tps …"))
	}
	if !snap.Stats.SizeAt.IsZero() {
		size := "size " + humanBytes(snap.Stats.Bytes)
		if r.sizeOK {
			size += fmt.Sprintf(" (%s/s)", signedBytes(r.growth))
		}
		parts = append(parts, size)
	}
	return common.Truncate(strings.Join(parts, " · "), m.w)
}

func (m *Model) blockingLine() string {
	st := m.c.Styles
	// The root that holds up the most: the one to act on.
	best := -1
	for _, pid := range m.tr.roots {
		if best < 0 || m.tr.blocks[pid] > m.tr.blocks[best] {
			best = pid
		}
	}
	total := len(m.tr.blockers)
	var what string
	if s := m.session(best); s != nil {
		what = fmt.Sprintf("pid %d (%s %s)", best, sanitize.Line(s.State), common.Duration(m.at().Sub(ByQuery.Since(s))))
	} else {
		what = fmt.Sprintf("pid %d (not listed)", best)
	}
	line := st.Bad.Render(fmt.Sprintf("⛔ %d blocked · %d behind %s", total, m.tr.blocks[best], what))
	if n := len(m.tr.roots); n > 1 {
		line += st.Bad.Render(fmt.Sprintf(" · %d root blockers", n))
	}
	hint := " · b: tree · K on the root: terminate the blocker"
	if m.tree {
		hint = " · K on a root: terminate the blocker"
	}
	return common.Truncate(line+st.Muted.Render(hint), m.w)
}

// session is the shown snapshot's session pid, if listed.
func (m *Model) session(pid int) *pg.Session {
	for i := range m.shown.Sessions {
		if m.shown.Sessions[i].PID == pid {
			return &m.shown.Sessions[i]
		}
	}
	return nil
}

// column is one column of the session table.
type column struct {
	title string
	w     int
	right bool
	cell  func(r row) string
}

// columns are what fits in the width: PID, STATE, DURATION and QUERY
// always; WAIT, USER, DB, APP and CLIENT as room allows, in that order.
func (m *Model) columns() (cols []column, queryW int) {
	at := m.at()
	pidW := 7
	indent := 0
	if m.tree {
		deepest := 0
		for _, r := range m.rows {
			deepest = max(deepest, r.depth)
		}
		// Never more than a third of the width.
		indent = min(deepest, maxIndent, max((m.w/3-pidW-3)/2, 1))
		pidW += 2*indent + 3
	}
	pidCell := func(r row) string {
		p := strconv.Itoa(r.pid)
		if m.tree {
			p = treePrefix(r, indent) + p
		}
		return p
	}
	str := func(f func(s *pg.Session) string) func(r row) string {
		return func(r row) string {
			if r.s == nil {
				return ""
			}
			return sanitize.Line(f(r.s))
		}
	}
	cols = []column{{title: "PID", w: pidW, cell: pidCell}}
	optional := []column{
		{title: "WAIT", w: 20, cell: str(func(s *pg.Session) string { return s.WaitEvent })},
		{title: "USER", w: 10, cell: str(func(s *pg.Session) string { return s.User })},
		{title: "DB", w: 14, cell: str(func(s *pg.Session) string { return s.Database })},
		{title: "APP", w: 12, cell: str(func(s *pg.Session) string { return s.App })},
		{title: "CLIENT", w: 15, cell: str(func(s *pg.Session) string { return s.Client })},
	}
	fixed := []column{
		{title: "STATE", w: 9, cell: str(func(s *pg.Session) string { return shortState(s.State) })},
		{title: "DURATION", w: 8, right: true, cell: func(r row) string {
			if r.s == nil {
				return ""
			}
			t := m.mode.Since(r.s)
			if t.IsZero() {
				return "-"
			}
			return common.Duration(at.Sub(t))
		}},
	}
	used := 0
	for _, c := range cols {
		used += c.w + 1
	}
	for _, c := range fixed {
		used += c.w + 1
	}
	const minQuery = 40 // the query is what the engineer reads: it keeps room first
	var extra []column
	for _, c := range optional {
		if m.w-used-(c.w+1) >= minQuery {
			extra = append(extra, c)
			used += c.w + 1
		}
	}
	// Order: PID, USER, DB, APP, CLIENT, STATE, WAIT, DURATION, QUERY.
	for _, name := range []string{"USER", "DB", "APP", "CLIENT"} {
		for _, c := range extra {
			if c.title == name {
				cols = append(cols, c)
			}
		}
	}
	cols = append(cols, fixed[0])
	for _, c := range extra {
		if c.title == "WAIT" {
			cols = append(cols, c)
		}
	}
	cols = append(cols, fixed[1])
	return cols, max(m.w-used-1, 10) // -1: the mark column
}

// maxIndent is the deepest the tree indents; deeper sessions say their
// depth instead.
const maxIndent = 10

func treePrefix(r row, indent int) string {
	if r.depth == 0 {
		return ""
	}
	glyph := "├─"
	if r.last {
		glyph = "└─"
	}
	indent = max(indent, 1)
	if r.depth > indent {
		return strings.Repeat("  ", indent-1) + "⋯" + glyph
	}
	return strings.Repeat("  ", r.depth-1) + glyph
}

// listView is the header, then the table. The header goes through Clip;
// the rows are built to the width exactly (every cell padded or cut to
// its column), so 500 sessions cost only the rows shown.
func (m *Model) listView() string {
	st := m.c.Styles
	now := m.c.Now()
	var b strings.Builder
	head := m.header(now)
	if !m.have {
		head = append(head, strings.Split(common.FailureDetail(st, m.pg.State, m.w, max(m.h-2, 1)), "\n")...)
		return common.Clip(strings.Join(head, "\n"), m.w, m.h) // no data yet: say nothing rather than "0 sessions"
	}
	b.WriteString(common.Clip(strings.Join(head, "\n"), m.w, m.h))
	b.WriteString("\n")
	cols, queryW := m.columns()
	var hb strings.Builder
	hb.WriteString(" ")
	for _, c := range cols {
		if c.right {
			hb.WriteString(common.PadLeft(c.title, c.w) + " ")
		} else {
			hb.WriteString(common.Pad(c.title, c.w) + " ")
		}
	}
	hb.WriteString(common.Pad("QUERY", queryW))
	b.WriteString(st.Table.Header.Render(common.Truncate(hb.String(), m.w)) + "\n")
	cur := m.cursor // a copy: drawing never moves the cursor
	// listRows, without drawing the header a second time:
	start, end := cur.Window(len(m.rows), max(m.h-len(head)-1, 1))
	at := m.at()
	// The row is the width exactly when the columns fit; on a pane too
	// narrow for them, each is cut.
	need := 1 + queryW
	for _, c := range cols {
		need += c.w + 1
	}
	for i := start; i < end; i++ {
		r := m.rows[i]
		selected := i == cur.Pos && !m.selGone
		l := m.rowLine(r, cols, queryW, at, selected)
		if need > m.w {
			l = common.Truncate(l, m.w)
		}
		b.WriteString(l + "\n")
	}
	if len(m.rows) == 0 {
		switch {
		case m.tree:
			b.WriteString(common.Truncate(st.Muted.Render("no session waits on a lock held by another (b: all sessions)"), m.w) + "\n")
		case m.pg.State.Status == probes.OK:
			b.WriteString(common.Truncate(st.Muted.Render("no active sessions"), m.w) + "\n")
		}
	}
	out := strings.TrimRight(b.String(), "\n")
	if n := strings.Count(out, "\n") + 1; n > m.h && m.h > 0 {
		out = strings.Join(strings.SplitN(out, "\n", m.h+1)[:m.h], "\n")
	}
	return out
}

func (m *Model) rowLine(r row, cols []column, queryW int, at time.Time, selected bool) string {
	st := m.c.Styles
	mark := " "
	if r.s != nil {
		if t, ok := m.marked[r.pid]; ok && t == r.s.Target() {
			mark = "●"
		}
	}
	cells := make([]string, 0, len(cols)+2)
	cells = append(cells, mark)
	for _, c := range cols {
		v := c.cell(r)
		if c.right {
			v = common.PadLeft(common.Truncate(v, c.w), c.w)
		} else {
			v = common.Pad(common.Truncate(v, c.w), c.w)
		}
		if !selected && c.title == "DURATION" && r.s != nil {
			if t := m.mode.Since(r.s); !t.IsZero() {
				v = m.durPaint(at.Sub(t)).wrap(v)
			}
		}
		if !selected && c.title == "STATE" && r.s != nil && isIdleTxn(r.s.State) {
			v = m.paint.warn.wrap(v)
		}
		cells = append(cells, v)
	}
	q := m.queryCell(r)
	cells = append(cells, common.Pad(common.Truncate(q, queryW), queryW))
	line := strings.Join(cells[:1], "") + strings.Join(cells[1:], " ")
	switch {
	case selected:
		return st.Table.Selected.Render(ansi.Strip(line))
	case r.s == nil || (r.s != nil && len(r.s.BlockedBy) > 0 && !m.tree):
		return m.paint.bad.wrap(ansi.Strip(line))
	}
	return line
}

// paint is a style's opening and closing sequences, rendered once: a
// cell is wrapped in them without lipgloss measuring it every frame.
type paint struct{ pre, suf string }

func newPaint(s lipgloss.Style) paint {
	r := s.Render("\x00")
	i := strings.IndexByte(r, 0)
	if i < 0 || strings.Count(r, "\x00") != 1 {
		return paint{}
	}
	return paint{pre: r[:i], suf: r[i+1:]}
}

func (p paint) wrap(s string) string {
	if p.pre == "" {
		return s
	}
	return p.pre + s + p.suf
}

type paints struct{ warn, bad paint }

// durPaint is the playbook's lines: amber from a second, red from five
// minutes.
func (m *Model) durPaint(d time.Duration) paint {
	switch {
	case d >= LongAfter:
		return m.paint.bad
	case d >= SlowAfter:
		return m.paint.warn
	}
	return paint{}
}

// queryCell is the query, after what the tree knows of the session.
func (m *Model) queryCell(r row) string {
	if r.s == nil {
		return fmt.Sprintf("▲ blocks %d · not listed: another role's session (grant pg_read_all_stats), a background process, or it just ended", r.blocks)
	}
	q := sanitize.Line(r.s.Query)
	switch {
	case !m.tree && len(r.s.BlockedBy) > 0:
		q = "⛔ " + pidList(r.s.BlockedBy, 3) + " · " + q
	case m.tree && r.depth > 0:
		// Drawn under one blocker; the others hold it too.
		if o := m.tr.others(r.pid, r.parent); len(o) > 0 {
			q = "⛔ also " + pidList(o, 3) + " · " + q
		}
	}
	if r.blocks > 0 {
		q = fmt.Sprintf("▲ blocks %d · %s", r.blocks, q)
	}
	return q
}

func pidList(pids []int, n int) string {
	var parts []string
	for i, p := range pids {
		if i == n {
			parts = append(parts, fmt.Sprintf("+%d", len(pids)-n))
			break
		}
		parts = append(parts, strconv.Itoa(p))
	}
	return strings.Join(parts, ",")
}

func shortState(s string) string {
	switch s {
	case "idle in transaction":
		return "idle-txn"
	case "idle in transaction (aborted)":
		return "idle-abrt"
	case "fastpath function call":
		return "fastpath"
	}
	return s
}

func humanBytes(n int64) string {
	const unit = 1024
	if n < unit && n > -unit {
		return fmt.Sprintf("%d B", n)
	}
	f := float64(n)
	for _, u := range []string{"kB", "MB", "GB", "TB", "PB"} {
		f /= unit
		if f < unit && f > -unit {
			return fmt.Sprintf("%.1f %s", f, u)
		}
	}
	return fmt.Sprintf("%.1f EB", f/unit)
}

func signedBytes(f float64) string {
	s := humanBytes(int64(f))
	if f >= 0 {
		return "+" + s
	}
	return s
}

func humanCount(n int64) string {
	switch {
	case n >= 1_000_000_000:
		return fmt.Sprintf("%.1fG", float64(n)/1e9)
	case n >= 1_000_000:
		return fmt.Sprintf("%.1fM", float64(n)/1e6)
	case n >= 10_000:
		return fmt.Sprintf("%.0fk", float64(n)/1e3)
	}
	return strconv.FormatInt(n, 10)
}
