package step

import (
	"context"
	"errors"
	"fmt"
	"math"
	"sort"
	"strconv"
	"strings"
	"time"

	"github.com/charmbracelet/x/ansi"

	"github.com/warroom-dev/warroom/internal/sanitize"
	"github.com/warroom-dev/warroom/probes/pg"
	"github.com/warroom-dev/warroom/probes/prom"
	"github.com/warroom-dev/warroom/runbooks"
)

// Backends are what steps run against.
type Backends struct {
	// PG runs sql steps; nil: they fail, saying so.
	PG pg.Runner
	// Prom runs promql steps; nil: they fail, saying so.
	Prom prom.Probe
	// Env is added to os.Environ() for bash steps (the configured
	// environment: KUBECONFIG…).
	Env []string
	// Dir is where bash steps run (empty: the current directory).
	Dir string
	// KillGrace is how long a cancelled bash step's processes get between
	// SIGTERM and SIGKILL (DefaultKillGrace if zero).
	KillGrace time.Duration
	// Now is promql's evaluation instant (time.Now if nil).
	Now func() time.Time
}

// DefaultKillGrace is Backends.KillGrace's default.
const DefaultKillGrace = 3 * time.Second

// Result is how a step ended.
type Result struct {
	// ExitCode is a bash step's exit status; nil when it was killed by a
	// signal or is not a bash step.
	ExitCode *int
	// Err is nil on success. A cancelled or timed-out step's error wraps
	// context.Canceled or context.DeadlineExceeded.
	Err error
	// Output is what was not streamed through progress (nothing, today:
	// every step streams its output, tables included).
	Output string
	// Summary is one line: "exit 0", "killed (SIGTERM)", "3 rows",
	// "UPDATE 1, UPDATE 2", "4 series".
	Summary string
}

// Run runs r, calling progress with each output line (sanitized, in
// order; never after Run returns). destructive steps' SQL runs in a
// read-write transaction, the others' in a read-only one. Run honours
// ctx: a bash step's process group gets SIGTERM when ctx is done, and
// SIGKILL KillGrace later. A bash step gets r.Env in its environment
// (after Backends.Env).
//
// r.Secrets are masked (‹secret›) in every line, before any cut (an
// output line's at LineMax, a table cell's) so that no part of one shows,
// in the end of a cell another part cut (the pg probe's at pg.MaxCell),
// and in Result's Output, Summary and Err; so are the forms bash quotes
// them in (syntax.Quote's, set -x's).
func Run(ctx context.Context, b Backends, r Rendered, destructive bool, progress func(line string)) Result {
	if progress == nil {
		progress = func(string) {}
	}
	m := newMasker(r.Secrets)
	var res Result
	switch r.Lang {
	case runbooks.Bash:
		res = runBash(ctx, b, r, m, progress)
	case runbooks.SQL:
		res = runSQL(ctx, b, r, destructive, m, progress)
	case runbooks.PromQL:
		res = runPromQL(ctx, b, r, m, progress)
	default:
		return Result{Err: fmt.Errorf("a %q step cannot run", r.Lang), Summary: "not run"}
	}
	res.Output = m.mask(res.Output)
	res.Summary = m.mask(res.Summary)
	res.Err = m.maskErr(res.Err)
	return res
}

// stopped is the error of a step ctx ended.
type stopped struct {
	cause error // context.Canceled or context.DeadlineExceeded
	what  string
}

func (e *stopped) Error() string {
	if errors.Is(e.cause, context.DeadlineExceeded) {
		return "timed out: " + e.what
	}
	return "cancelled: " + e.what
}
func (e *stopped) Unwrap() error { return e.cause }

// failed is the Result of an error, or of ctx's end if that caused it.
func failed(ctx context.Context, err error) Result {
	if ctx.Err() != nil {
		return Result{Err: &stopped{cause: ctx.Err(), what: err.Error()}, Summary: stopWord(ctx)}
	}
	return Result{Err: err, Summary: "failed"}
}

func stopWord(ctx context.Context) string {
	if errors.Is(ctx.Err(), context.DeadlineExceeded) {
		return "timed out"
	}
	return "cancelled"
}

func runSQL(ctx context.Context, b Backends, r Rendered, destructive bool, m *masker, progress func(string)) Result {
	if b.PG == nil {
		return Result{Err: errors.New("no PostgreSQL configured (--postgres or postgres.dsn)"), Summary: "not run"}
	}
	res, err := b.PG.Run(ctx, r.Text, r.Args, !destructive)
	if err != nil {
		return failed(ctx, err)
	}
	var sums []string
	for i, rs := range res {
		if i > 0 {
			progress("")
		}
		tag := sanitize.Line(m.mask(rs.Tag))
		if len(rs.Columns) == 0 {
			progress(tag)
			sums = append(sums, tag)
			continue
		}
		for _, l := range table(rs.Columns, rs.Rows, CellMax, m) {
			progress(l)
		}
		n, isSelect := selectCount(rs.Tag)
		shown := strconv.Itoa(len(rs.Rows))
		switch {
		case rs.Truncated && isSelect:
			progress("(" + plural(n, "row", "rows") + ", the first " + shown + " shown)")
			sums = append(sums, plural(n, "row", "rows"))
		case rs.Truncated && (rs.Tag == "SELECT" || rs.Tag == ""):
			// Not read to its end: no count.
			progress("(more than " + shown + " rows, the first " + shown + " shown)")
			sums = append(sums, "more than "+shown+" rows")
		case rs.Truncated:
			progress("(" + tag + ", the first " + shown + " rows shown)")
			sums = append(sums, tag)
		case isSelect:
			progress("(" + plural(n, "row", "rows") + ")")
			sums = append(sums, plural(n, "row", "rows"))
		default:
			progress("(" + plural(len(rs.Rows), "row", "rows") + ")")
			sums = append(sums, tag)
		}
	}
	if len(sums) == 0 {
		sums = append(sums, "done")
	}
	return Result{Summary: strings.Join(sums, ", ")}
}

// selectCount is the row count of a "SELECT n" tag.
func selectCount(tag string) (int, bool) {
	rest, ok := strings.CutPrefix(tag, "SELECT ")
	if !ok {
		return 0, false
	}
	n, err := strconv.Atoi(rest)
	return n, err == nil
}

func plural(n int, one, many string) string {
	if n == 1 {
		return "1 " + one
	}
	return strconv.Itoa(n) + " " + many
}

func runPromQL(ctx context.Context, b Backends, r Rendered, m *masker, progress func(string)) Result {
	if b.Prom == nil {
		return Result{Err: errors.New("no Prometheus configured (--prometheus or prometheus.url)"), Summary: "not run"}
	}
	now := time.Now
	if b.Now != nil {
		now = b.Now
	}
	samples, err := b.Prom.Query(ctx, r.Text, now())
	if err != nil {
		return failed(ctx, err)
	}
	rows := make([][]string, len(samples))
	for i, s := range samples {
		rows[i] = []string{seriesName(s.Labels), value(s.V)}
	}
	sort.SliceStable(rows, func(i, j int) bool { return rows[i][0] < rows[j][0] })
	if len(rows) == 0 {
		progress("(no series)")
	} else {
		for _, l := range table([]string{"series", "value"}, rows, SeriesMax, m) {
			progress(l)
		}
	}
	return Result{Summary: plural(len(samples), "series", "series")}
}

// seriesName is name{k="v", …}, labels sorted; "{}" for none.
func seriesName(labels map[string]string) string {
	keys := make([]string, 0, len(labels))
	for k := range labels {
		if k != "__name__" {
			keys = append(keys, k)
		}
	}
	sort.Strings(keys)
	var b strings.Builder
	b.WriteString(labels["__name__"])
	if len(keys) > 0 || b.Len() == 0 {
		b.WriteByte('{')
		for i, k := range keys {
			if i > 0 {
				b.WriteString(", ")
			}
			b.WriteString(k + "=" + strconv.Quote(labels[k]))
		}
		b.WriteByte('}')
	}
	return b.String()
}

// CellMax is the display width a SQL table cell is cut to; SeriesMax a
// PromQL series name.
const (
	CellMax   = 60
	SeriesMax = 200
)

// Table lays out rows under columns as psql does, every cell sanitized
// to one line and cut to cellMax cells:
//
//	 pid  | state
//	------+--------
//	 4100 | active
func Table(columns []string, rows [][]string, cellMax int) []string {
	return table(columns, rows, cellMax, nil)
}

// table is Table with m's secrets masked in each cell before it is cut.
func table(columns []string, rows [][]string, cellMax int, m *masker) []string {
	width := make([]int, len(columns))
	cell := func(s string) string { return ansi.Truncate(sanitize.Line(m.maskCell(s)), cellMax, "…") }
	head := make([]string, len(columns))
	for i, c := range columns {
		head[i] = cell(c)
		width[i] = ansi.StringWidth(head[i])
	}
	body := make([][]string, len(rows))
	for r, row := range rows {
		body[r] = make([]string, len(columns))
		for i := range columns {
			if i < len(row) {
				body[r][i] = cell(row[i])
			}
			width[i] = max(width[i], ansi.StringWidth(body[r][i]))
		}
	}
	line := func(cells []string) string {
		var b strings.Builder
		for i, c := range cells {
			if i > 0 {
				b.WriteString(" |")
			}
			b.WriteByte(' ')
			b.WriteString(c)
			if i < len(cells)-1 {
				b.WriteString(strings.Repeat(" ", width[i]-ansi.StringWidth(c)))
			}
		}
		return b.String()
	}
	out := make([]string, 0, len(rows)+2)
	out = append(out, line(head))
	seps := make([]string, len(columns))
	for i, w := range width {
		seps[i] = strings.Repeat("-", w+2)
	}
	out = append(out, strings.Join(seps, "+"))
	for _, row := range body {
		out = append(out, line(row))
	}
	return out
}

// value is a sample's value as a table shows it: six significant digits
// (34.052256, not 34.05225599999999), whole numbers of a million and more
// in full (1234567, not 1.23457e+06).
func value(v float64) string {
	if math.Abs(v) >= 1e6 && math.Abs(v) < 1e15 {
		return strconv.FormatFloat(math.Round(v), 'f', -1, 64)
	}
	return strconv.FormatFloat(v, 'g', 6, 64)
}
