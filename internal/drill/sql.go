package drill

import (
	"context"
	"errors"
	"fmt"
	"regexp"
	"sort"
	"strconv"
	"strings"
	"time"

	"github.com/warroom-dev/warroom/probes/pg"
)

// The drill's database answers the runbooks' pg_stat_activity queries
// (pg.Runner): a small evaluator of
//
//	SELECT items FROM pg_stat_activity [WHERE c AND c…] [ORDER BY x [ASC|DESC]] [LIMIT n]
//	SELECT pg_terminate_backend(pid) | pg_cancel_backend(pid)   (pid a number or $1)
//
// over the story's sessions at scenario time. Items are columns of
// pg_stat_activity (pid, usename, datname, application_name, client_addr,
// state, wait_event_type, wait_event, query, query_start, xact_start,
// backend_start), "now() - query_start" and "now() - xact_start",
// count(*), pg_terminate_backend(pid) and pg_cancel_backend(pid), each
// with an optional alias; conditions compare a column with a literal
// (=, !=, <>, [NOT] LIKE/ILIKE), the query's or transaction's age with an
// interval ("now() - query_start > interval '5 minutes'", "query_start <
// now() - interval '5 minutes'"), "pid = n", and "pid != pg_backend_pid()"
// or "backend_type = 'client backend'" (always true here). The text is
// compared lower-cased with spaces collapsed, comments and a trailing ";"
// dropped, "pg_stat_activity." qualifiers removed. Anything else is
// refused.
//
// pg_terminate_backend and pg_cancel_backend act as the drill's Signal
// does. Real PostgreSQL sends them even in a read-only transaction; the
// drill refuses them in one (a step that signals backends must be marked
// destructive), before anything runs.

// errDrillSQL is the answer to anything else.
var errDrillSQL = errors.New("drill: the simulated database answers only the shipped runbooks' pg_stat_activity queries")

// Run implements pg.Runner on the drill's database.
func (p pgProbe) Run(ctx context.Context, sql string, args []any, readOnly bool) ([]pg.Result, error) {
	s := p.s
	s.mu.Lock()
	defer s.mu.Unlock()
	now := s.Now()
	if err := s.unreachable(now); err != nil {
		return nil, err
	}
	out, err := s.runSQLAt(sql, args, readOnly, now)
	if err != nil {
		return nil, err
	}
	return out, ctx.Err()
}

// runSQLAt runs sql at time at (s.mu held): every statement is planned
// first, so a refused one runs none.
func (s *Scenario) runSQLAt(sql string, args []any, readOnly bool, at time.Time) ([]pg.Result, error) {
	stmts, err := pg.SplitStatements(sql)
	if err != nil {
		return nil, err
	}
	plans := make([]*drillQuery, len(stmts))
	for i, st := range stmts {
		q, err := parseDrillQuery(normalizeSQL(st.Text, st.Params, args))
		if err != nil {
			return nil, err
		}
		if q.signal != "" && readOnly {
			return nil, fmt.Errorf("drill: %s() in a read-only step: mark the step destructive (PostgreSQL itself would send the signal)", q.signal)
		}
		plans[i] = q
	}
	out := make([]pg.Result, len(plans))
	for i, q := range plans {
		out[i] = s.evalDrillQuery(q, at)
	}
	return out, nil
}

// normalizeSQL is a statement as the drill compares it, its parameters
// replaced by their values as literals.
func normalizeSQL(text string, params []int, args []any) string {
	var b strings.Builder
	for _, sp := range pg.Lex(text) {
		if sp.Kind != pg.SpanComment {
			b.WriteString(text[sp.Start:sp.End])
		}
		b.WriteByte(' ')
	}
	t := strings.Join(strings.Fields(strings.ToLower(b.String())), " ")
	t = strings.TrimSpace(strings.TrimRight(t, "; "))
	t = strings.ReplaceAll(t, "pg_stat_activity.", "")
	t = strings.ReplaceAll(t, "<>", "!=")
	t = strings.ReplaceAll(t, "( ", "(")
	t = strings.ReplaceAll(t, " )", ")")
	return paramRE.ReplaceAllStringFunc(t, func(m string) string {
		n, _ := strconv.Atoi(m[1:])
		if n < 1 || n > len(params) || params[n-1] > len(args) {
			return m
		}
		v := strings.ToLower(fmt.Sprint(args[params[n-1]-1]))
		if _, err := strconv.Atoi(v); err == nil {
			return v
		}
		return "'" + strings.ReplaceAll(v, "'", "''") + "'"
	})
}

var (
	paramRE     = regexp.MustCompile(`\$[0-9]+`)
	selectRE    = regexp.MustCompile(`^select (.+?) from pg_stat_activity(?: where (.+?))?(?: order by ([a-z_]+|now\(\) - [a-z_]+)(?: (asc|desc))?(?: nulls (?:first|last))?)?(?: limit ([0-9]+))?$`)
	signalRE    = regexp.MustCompile(`^select (pg_terminate_backend|pg_cancel_backend)\(([0-9]+)\)$`)
	itemRE      = regexp.MustCompile(`^(.+?)(?: as ([a-z_]+))?$`)
	compareRE   = regexp.MustCompile(`^([a-z_]+) (=|!=|like|ilike|not like|not ilike) '((?:[^']|'')*)'$`)
	ageRE       = regexp.MustCompile(`^(?:now\(\) - (query_start|xact_start) > interval '([^']+)'|(query_start|xact_start) < now\(\) - interval '([^']+)')$`)
	pidEqRE     = regexp.MustCompile(`^pid = ([0-9]+)$`)
	intervalRE  = regexp.MustCompile(`^([0-9]+) ?(seconds?|secs?|s|minutes?|mins?|m|hours?|h)$`)
	alwaysTrues = map[string]bool{"pid != pg_backend_pid()": true, "backend_type = 'client backend'": true}
)

// drillQuery is a parsed statement.
type drillQuery struct {
	items  []drillItem
	conds  []func(*Scenario, pg.Session, time.Time) bool
	order  string // an item expression or a column; "" for none
	desc   bool
	limit  int    // -1 for none
	signal string // pg_terminate_backend or pg_cancel_backend, if an item or the statement is one
	pid    int    // a signal by pid alone (no FROM)
}

type drillItem struct{ expr, name string }

// drillColumns are the expressions an item may be, with what PostgreSQL
// names its column.
var drillColumns = map[string]string{
	"pid": "pid", "usename": "usename", "datname": "datname", "application_name": "application_name",
	"client_addr": "client_addr", "state": "state", "wait_event_type": "wait_event_type", "wait_event": "wait_event",
	"query": "query", "query_start": "query_start", "xact_start": "xact_start", "backend_start": "backend_start",
	"now() - query_start": "?column?", "now() - xact_start": "?column?", "count(*)": "count",
	"pg_terminate_backend(pid)": "pg_terminate_backend", "pg_cancel_backend(pid)": "pg_cancel_backend",
	maxConnections: "current_setting", maxConnectionsInt: "current_setting",
}

// The constant items: the same on every row, and allowed beside count(*).
const (
	maxConnections    = "current_setting('max_connections')"
	maxConnectionsInt = "current_setting('max_connections')::int"
)

func parseDrillQuery(t string) (*drillQuery, error) {
	if m := signalRE.FindStringSubmatch(t); m != nil {
		pid, _ := strconv.Atoi(m[2])
		return &drillQuery{signal: m[1], pid: pid, items: []drillItem{{m[1] + "(pid)", m[1]}}, limit: -1}, nil
	}
	m := selectRE.FindStringSubmatch(t)
	if m == nil {
		return nil, errDrillSQL
	}
	q := &drillQuery{order: m[3], desc: m[4] == "desc", limit: -1}
	if m[5] != "" {
		q.limit, _ = strconv.Atoi(m[5])
	}
	for _, it := range strings.Split(m[1], ", ") {
		im := itemRE.FindStringSubmatch(strings.TrimSpace(it))
		name, ok := drillColumns[im[1]]
		if !ok {
			return nil, errDrillSQL
		}
		if im[2] != "" {
			name = im[2]
		}
		if strings.HasPrefix(im[1], "pg_") {
			q.signal = strings.TrimSuffix(im[1], "(pid)")
		}
		q.items = append(q.items, drillItem{im[1], name})
	}
	count, columns := false, false
	for _, it := range q.items {
		switch it.expr {
		case "count(*)":
			count = true
		case maxConnections, maxConnectionsInt:
		default:
			columns = true
		}
	}
	if count && columns {
		return nil, errDrillSQL // an aggregate beside columns needs GROUP BY
	}
	if m[2] != "" {
		for _, c := range strings.Split(m[2], " and ") {
			cond, err := parseDrillCond(c)
			if err != nil {
				return nil, err
			}
			q.conds = append(q.conds, cond)
		}
	}
	if q.order != "" {
		known := false
		for _, it := range q.items {
			known = known || it.name == q.order || it.expr == q.order
		}
		if _, col := drillColumns[q.order]; !known && !col {
			return nil, errDrillSQL
		}
	}
	return q, nil
}

func parseDrillCond(c string) (func(*Scenario, pg.Session, time.Time) bool, error) {
	if alwaysTrues[c] {
		return func(*Scenario, pg.Session, time.Time) bool { return true }, nil
	}
	if m := pidEqRE.FindStringSubmatch(c); m != nil {
		pid, _ := strconv.Atoi(m[1])
		return func(_ *Scenario, s pg.Session, _ time.Time) bool { return s.PID == pid }, nil
	}
	if m := ageRE.FindStringSubmatch(c); m != nil {
		col, iv := m[1]+m[3], m[2]+m[4]
		d, ok := parseInterval(iv)
		if !ok {
			return nil, errDrillSQL
		}
		return func(_ *Scenario, s pg.Session, now time.Time) bool {
			t := s.QueryStart
			if col == "xact_start" {
				t = s.XactStart
			}
			return !t.IsZero() && now.Sub(t) > d
		}, nil
	}
	if m := compareRE.FindStringSubmatch(c); m != nil {
		if _, ok := drillColumns[m[1]]; !ok || m[1] == "pid" {
			return nil, errDrillSQL
		}
		col, op, lit := m[1], m[2], strings.ReplaceAll(m[3], "''", "'")
		var re *regexp.Regexp
		if strings.HasSuffix(op, "like") {
			re = regexp.MustCompile("(?is)^" + strings.NewReplacer(`%`, `.*`, `_`, `.`).Replace(regexp.QuoteMeta(lit)) + "$")
		}
		return func(sc *Scenario, s pg.Session, now time.Time) bool {
			v := strings.ToLower(sc.sessionValue(s, col, now))
			switch op {
			case "=":
				return v == lit
			case "!=":
				return v != lit
			case "like", "ilike":
				return re.MatchString(v)
			}
			return !re.MatchString(v)
		}, nil
	}
	return nil, errDrillSQL
}

// parseInterval reads "5 minutes", "30 seconds", "1 hour".
func parseInterval(s string) (time.Duration, bool) {
	m := intervalRE.FindStringSubmatch(strings.TrimSpace(s))
	if m == nil {
		return 0, false
	}
	n, _ := strconv.Atoi(m[1])
	unit := time.Second
	switch m[2][0] {
	case 'm':
		unit = time.Minute
	case 'h':
		unit = time.Hour
	}
	return time.Duration(n) * unit, true
}

// sessionValue is column col of s as PostgreSQL prints it at now.
func (sc *Scenario) sessionValue(s pg.Session, col string, now time.Time) string {
	ts := func(t time.Time) string {
		if t.IsZero() {
			return "NULL"
		}
		return t.Format("2006-01-02 15:04:05.999999-07")
	}
	wait := func(i int) string {
		parts := strings.SplitN(s.WaitEvent, ":", 2)
		if len(parts) != 2 {
			return "NULL"
		}
		return parts[i]
	}
	switch col {
	case "pid":
		return strconv.Itoa(s.PID)
	case "usename":
		return s.User
	case "datname":
		return s.Database
	case "application_name":
		return s.App
	case "client_addr":
		return s.Client
	case "state":
		return s.State
	case "wait_event_type":
		return wait(0)
	case "wait_event":
		return wait(1)
	case "query":
		return s.Query
	case "query_start":
		return ts(s.QueryStart)
	case "xact_start":
		return ts(s.XactStart)
	case "backend_start":
		return ts(s.BackendStart)
	case "now() - query_start":
		return pgInterval(s.QueryStart, now)
	case "now() - xact_start":
		return pgInterval(s.XactStart, now)
	case maxConnections, maxConnectionsInt:
		return strconv.Itoa(sc.story.Postgres.MaxConnections)
	}
	return "NULL"
}

// pgInterval is now - t as PostgreSQL prints an interval: 00:04:49.5.
func pgInterval(t, now time.Time) string {
	if t.IsZero() {
		return "NULL"
	}
	d := now.Sub(t)
	sign := ""
	if d < 0 {
		sign, d = "-", -d
	}
	h, m := int(d/time.Hour), int(d%time.Hour/time.Minute)
	sec := d % time.Minute
	out := fmt.Sprintf("%s%02d:%02d:%02d", sign, h, m, int(sec/time.Second))
	if us := int(sec % time.Second / time.Microsecond); us != 0 {
		out += strings.TrimRight(fmt.Sprintf(".%06d", us), "0")
	}
	return out
}

// evalDrillQuery runs q at now (s.mu held).
func (s *Scenario) evalDrillQuery(q *drillQuery, now time.Time) pg.Result {
	res := pg.Result{}
	for _, it := range q.items {
		res.Columns = append(res.Columns, it.name)
	}
	if q.pid != 0 { // pg_terminate_backend(n) alone
		sent := s.signalAt(signalOf(q.signal), pg.Target{PID: q.pid}, now)
		res.Rows = [][]string{{pgBool(sent)}}
		res.Tag = "SELECT 1"
		return res
	}
	var rows []pg.Session
	for _, x := range s.story.Postgres.Sessions {
		sess, ok := s.session(x, now)
		if !ok {
			continue
		}
		match := true
		for _, c := range q.conds {
			match = match && c(s, sess, now)
		}
		if match {
			rows = append(rows, sess)
		}
	}
	for _, it := range q.items {
		if it.expr != "count(*)" {
			continue
		}
		n := len(rows)
		if len(q.conds) == 0 {
			n = s.connections(now) // the pool's idle connections too
		}
		row := make([]string, len(q.items))
		for i, it := range q.items {
			row[i] = strconv.Itoa(n)
			if it.expr != "count(*)" {
				row[i] = s.sessionValue(pg.Session{}, it.expr, now)
			}
		}
		res.Rows, res.Tag = [][]string{row}, "SELECT 1"
		return res
	}
	if q.order != "" {
		expr := q.order
		for _, it := range q.items {
			if it.name == q.order {
				expr = it.expr
			}
		}
		key := func(s pg.Session) time.Time {
			switch expr {
			case "now() - query_start", "query_start":
				return s.QueryStart
			case "now() - xact_start", "xact_start":
				return s.XactStart
			case "backend_start":
				return s.BackendStart
			}
			return time.Time{}
		}
		less := func(a, b pg.Session) bool {
			if expr == "pid" {
				return a.PID < b.PID
			}
			if ka, kb := key(a), key(b); !ka.IsZero() || !kb.IsZero() {
				return ka.Before(kb)
			}
			return s.sessionValue(a, expr, now) < s.sessionValue(b, expr, now)
		}
		// A duration orders the other way round from its start.
		asc := !q.desc
		if strings.HasPrefix(expr, "now() - ") {
			asc = !asc
		}
		sort.SliceStable(rows, func(i, j int) bool {
			if asc {
				return less(rows[i], rows[j])
			}
			return less(rows[j], rows[i])
		})
	}
	if q.limit >= 0 && len(rows) > q.limit {
		rows = rows[:q.limit]
	}
	for _, sess := range rows {
		row := make([]string, len(q.items))
		for i, it := range q.items {
			if strings.HasPrefix(it.expr, "pg_") {
				row[i] = pgBool(s.signalAt(signalOf(q.signal), pg.Target{PID: sess.PID}, now))
				continue
			}
			row[i] = s.sessionValue(sess, it.expr, now)
		}
		res.Rows = append(res.Rows, row)
	}
	res.Tag = "SELECT " + strconv.Itoa(len(res.Rows))
	return res
}

func signalOf(fn string) pg.Signal {
	if fn == "pg_cancel_backend" {
		return pg.Cancel
	}
	return pg.Terminate
}

func pgBool(b bool) string {
	if b {
		return "t"
	}
	return "f"
}
