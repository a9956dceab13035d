package pg

import (
	"context"
	"errors"
	"fmt"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/jackc/pgx/v5"
)

// Result is what one statement of a Runner's SQL returned.
type Result struct {
	// Columns are the result's column names; none for a statement that
	// returns no rows (UPDATE without RETURNING, SET…).
	Columns []string
	// Rows are the first MaxRows rows, every value as PostgreSQL's text
	// output ("NULL" for a null), each cut at MaxCell bytes.
	Rows [][]string
	// Tag is the command tag: "SELECT 3", "UPDATE 1". A truncated query
	// of a read-only run has no count ("SELECT"): it was not read to its
	// end.
	Tag string
	// Truncated is set when the statement returned more than MaxRows
	// rows. Rows past MaxRows+1 are not read: a query of a read-only run
	// is not even computed past them (it runs as a cursor); a statement
	// of a read-write run runs to its end (it may write), its tag
	// counting every row.
	Truncated bool
}

// Runner runs the SQL of a runbook step.
//
// Run runs sql's statements (split on ";" outside quotes, comments and
// dollar quotes) in one transaction, in order — read-only when readOnly —
// and commits; on any error it rolls back and returns no results. args
// are the bind parameters $1, $2… of the whole text: each statement is
// sent with the ones it uses (renumbered), as text of unknown type, so
// PostgreSQL types $1 as it types a quoted literal in its place
// ("WHERE id = $1" works for an integer or uuid id with the argument
// "42"). Statements that end or change the transaction (BEGIN, COMMIT,
// ROLLBACK, END, ABORT, START, SET TRANSACTION, SET SESSION
// CHARACTERISTICS, PREPARE TRANSACTION, SET or RESET of
// transaction_read_only or default_transaction_read_only) and DEALLOCATE
// or DISCARD are refused before anything runs.
type Runner interface {
	Run(ctx context.Context, sql string, args []any, readOnly bool) ([]Result, error)
}

// AsRunner returns p's Runner: the probe New and NewWithOptions return
// implements it, and so does the drill's.
func AsRunner(p Probe) (Runner, bool) {
	r, ok := p.(Runner)
	return r, ok
}

// Limits of what Run keeps of a result.
const (
	MaxRows = 500
	MaxCell = 4 << 10
)

// Run implements Runner on the probe's pool.
//
// A read-only transaction is BEGIN READ ONLY followed at once by a query,
// so that SET TRANSACTION READ WRITE fails (PostgreSQL allows it only
// before the first query). RESET transaction_read_only and SET LOCAL
// transaction_read_only TO DEFAULT still turn it read-write: SET and
// RESET of it are refused, and before committing Run checks that the
// transaction is still read-only and never wrote (no transaction ID was
// assigned, which catches set_config() and a write followed by SET
// transaction_read_only = on); if not, it rolls back with an error. Note
// that a read-only transaction refuses writes to tables, not every side
// effect: pg_terminate_backend() and pg_cancel_backend() still work in
// one, so a step that signals backends must be marked destructive.
//
// A query of a read-only run (a statement starting with SELECT, VALUES,
// TABLE, WITH or "(") runs as a cursor of which MaxRows+1 rows are
// fetched: a query of millions of rows is not computed past them. Other
// statements' rows past MaxRows+1 are read and dropped.
//
// The statement timeout of the pool's sessions is raised, for the
// transaction only, to ctx's deadline when it has one; the lock timeout
// stays (a step does not queue behind a lock chain for long). After the
// transaction the session is reset (RESET ALL, SET SESSION AUTHORIZATION
// DEFAULT, UNLISTEN *, advisory locks released, temporary tables and
// sequences discarded, cursors closed), so nothing a step sets stays on
// the connection the panes poll with; if that fails, the connection is
// closed instead.
func (p *probe) Run(ctx context.Context, sql string, args []any, readOnly bool) ([]Result, error) {
	stmts, err := SplitStatements(sql)
	if err != nil {
		return nil, err
	}
	if len(stmts) == 0 {
		return nil, errors.New("no SQL statement to run")
	}
	for _, s := range stmts {
		for _, n := range s.Params {
			if n < 1 || n > len(args) {
				return nil, fmt.Errorf("the SQL uses $%d but %d parameters were given", n, len(args))
			}
		}
	}
	conn, err := p.pool.Acquire(ctx)
	if err != nil {
		return nil, wrap(err)
	}
	clean := false
	defer func() {
		if !clean {
			cctx, cancel := context.WithTimeout(context.Background(), time.Second)
			_ = conn.Conn().Close(cctx)
			cancel()
		}
		conn.Release()
	}()

	begin := "BEGIN READ WRITE"
	if readOnly {
		begin = "BEGIN READ ONLY"
	}
	if dl, ok := ctx.Deadline(); ok {
		ms := time.Until(dl).Milliseconds() + 1000
		begin += "; SET LOCAL statement_timeout = " + strconv.FormatInt(max(ms, 1), 10)
	}
	if readOnly {
		begin += "; SELECT 1"
	}
	tx, err := conn.BeginTx(ctx, pgx.TxOptions{BeginQuery: begin})
	if err != nil {
		return nil, wrap(err)
	}
	out := make([]Result, 0, len(stmts))
	for i, s := range stmts {
		sub := make([]any, 0, len(s.Params))
		for _, n := range s.Params {
			sub = append(sub, args[n-1])
		}
		opts := []any{pgx.QueryExecModeExec, pgx.QueryResultFormats{pgx.TextFormatCode}}
		res, err := runStatement(ctx, tx, s.Text, opts, sub, readOnly)
		if err != nil {
			_ = tx.Rollback(context.WithoutCancel(ctx))
			clean = ctx.Err() == nil && reset(ctx, conn.Conn())
			if len(stmts) > 1 {
				return nil, &statementError{n: i + 1, of: len(stmts), err: wrap(err)}
			}
			return nil, wrap(err)
		}
		out = append(out, res)
	}
	if readOnly {
		if err := stillReadOnly(ctx, tx); err != nil {
			_ = tx.Rollback(context.WithoutCancel(ctx))
			clean = ctx.Err() == nil && reset(ctx, conn.Conn())
			return nil, err
		}
	}
	if err := tx.Commit(ctx); err != nil {
		return nil, wrap(err)
	}
	clean = reset(ctx, conn.Conn())
	return out, nil
}

// errTurnedReadWrite is Run's error when a read-only run's transaction
// was turned read-write (set_config, a function, a rule…).
var errTurnedReadWrite = errors.New("the step turned its read-only transaction read-write: rolled back")

// stillReadOnly checks, before a read-only run commits, that its
// transaction is read-only and has written nothing: a write assigns a
// transaction ID, even one made while the step had turned the transaction
// read-write and then back. The functions are schema-qualified: a
// search_path the step set cannot shadow them.
func stillReadOnly(ctx context.Context, tx pgx.Tx) error {
	var ro string
	var wrote bool
	err := tx.QueryRow(ctx, "SELECT pg_catalog.current_setting('transaction_read_only'), pg_catalog.txid_current_if_assigned() IS NOT NULL",
		pgx.QueryExecModeSimpleProtocol).Scan(&ro, &wrote)
	switch {
	case err != nil:
		return fmt.Errorf("checking that the transaction stayed read-only: %w (rolled back)", wrap(err))
	case ro != "on":
		return errTurnedReadWrite
	case wrote:
		return errors.New("the step wrote in its read-only transaction: rolled back")
	}
	return nil
}

// statementError says which statement of several failed.
type statementError struct {
	n, of int
	err   error
}

func (e *statementError) Error() string {
	return fmt.Sprintf("statement %d of %d: %s (rolled back)", e.n, e.of, e.err.Error())
}
func (e *statementError) Unwrap() error { return e.err }

// resetSQL undoes what a step may have left on its session (what DISCARD
// ALL does, but for the prepared statements: pgx caches its own).
const resetSQL = `CLOSE ALL; SET SESSION AUTHORIZATION DEFAULT; RESET ALL; UNLISTEN *; SELECT pg_advisory_unlock_all(); DISCARD TEMP; DISCARD SEQUENCES`

func reset(ctx context.Context, c *pgx.Conn) bool {
	if c.IsClosed() {
		return false
	}
	rctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), 2*time.Second)
	defer cancel()
	_, err := c.Exec(rctx, resetSQL, pgx.QueryExecModeSimpleProtocol)
	return err == nil
}

// cursorName is the cursor a read-only run's query runs as (CLOSE ALL
// in the session reset closes it if a step failed halfway).
const cursorName = "warroom_step_rows"

// runStatement runs one statement: opts are pgx's options, args its
// parameters. A read-only run's query runs as a cursor (see Run).
func runStatement(ctx context.Context, tx pgx.Tx, sql string, opts, args []any, readOnly bool) (Result, error) {
	if readOnly && isQuery(sql) {
		return runCursor(ctx, tx, sql, opts, args)
	}
	rows, err := tx.Query(ctx, sql, append(opts, args...)...)
	if err != nil {
		return Result{}, err
	}
	res := readRows(rows)
	rows.Close() // reads the rest: the statement runs to its end (it may write)
	if err := rows.Err(); err != nil {
		return Result{}, err
	}
	res.Tag = rows.CommandTag().String()
	return res, nil
}

// runCursor runs a query as a cursor and fetches MaxRows+1 of its rows:
// PostgreSQL computes no more.
func runCursor(ctx context.Context, tx pgx.Tx, sql string, opts, args []any) (Result, error) {
	decl := make([]any, 0, 1+len(args))
	decl = append(decl, pgx.QueryExecModeExec)
	decl = append(decl, args...)
	if _, err := tx.Exec(ctx, "DECLARE "+cursorName+" NO SCROLL CURSOR FOR "+sql, decl...); err != nil {
		return Result{}, err
	}
	rows, err := tx.Query(ctx, "FETCH FORWARD "+strconv.Itoa(MaxRows+1)+" FROM "+cursorName, opts...)
	if err != nil {
		return Result{}, err
	}
	res := readRows(rows)
	rows.Close()
	if err := rows.Err(); err != nil {
		return Result{}, err
	}
	if _, err := tx.Exec(ctx, "CLOSE "+cursorName, pgx.QueryExecModeSimpleProtocol); err != nil {
		return Result{}, err
	}
	res.Tag = "SELECT"
	if !res.Truncated {
		res.Tag += " " + strconv.Itoa(len(res.Rows))
	}
	return res, nil
}

// readRows reads up to MaxRows rows and one more to know there are more
// (Truncated); the caller closes rows.
func readRows(rows pgx.Rows) Result {
	var res Result
	for _, f := range rows.FieldDescriptions() {
		res.Columns = append(res.Columns, f.Name)
	}
	for rows.Next() {
		if len(res.Rows) == MaxRows {
			res.Truncated = true
			break
		}
		raw := rows.RawValues()
		row := make([]string, len(raw))
		for i, v := range raw {
			if v == nil {
				row[i] = "NULL"
				continue
			}
			row[i] = cutBytes(v, MaxCell)
		}
		res.Rows = append(res.Rows, row)
	}
	return res
}

// isQuery reports whether sql is a query a cursor can run: it starts
// (after comments and parentheses) with SELECT, VALUES, TABLE or WITH. A
// WITH holding a data-modifying statement fails as a cursor, as it would
// in a read-only transaction anyway.
func isQuery(sql string) bool {
	toks := leadingTokens(sql, 1, true)
	if len(toks) == 0 {
		return false
	}
	switch toks[0] {
	case "select", "values", "table", "with":
		return true
	}
	return false
}

// cutBytes is b as a string of at most n bytes, cut at a rune boundary.
func cutBytes(b []byte, n int) string {
	if len(b) <= n {
		return string(b)
	}
	n -= len("…")
	for n > 0 && !utf8.RuneStart(b[n]) {
		n--
	}
	return string(b[:n]) + "…"
}

// ---- the SQL lexer -------------------------------------------------------

// SpanKind is what a Span of SQL text is.
type SpanKind int

const (
	SpanCode    SpanKind = iota // anything outside the kinds below
	SpanString                  // '…' (with '' inside), also U&'…', B'…', X'…'
	SpanEString                 // E'…': backslash escapes
	SpanIdent                   // "…"
	SpanComment                 // -- to the end of the line, or /* … */ (nested)
	SpanDollar                  // $tag$…$tag$
)

// Span is a piece of SQL text: sql[Start:End]. A quoted span includes its
// quotes (and an E prefix); an unterminated one runs to the end.
type Span struct {
	Kind       SpanKind
	Start, End int
}

// Lex cuts sql into spans as PostgreSQL's lexer sees quotes, comments
// and dollar quotes (standard_conforming_strings on: backslashes are
// plain in '…').
func Lex(sql string) []Span {
	var out []Span
	code := 0 // start of the current code span
	add := func(k SpanKind, start, end int) {
		if start > code {
			out = append(out, Span{SpanCode, code, start})
		}
		out = append(out, Span{k, start, end})
		code = end
	}
	i := 0
	for i < len(sql) {
		c := sql[i]
		switch {
		case c == '-' && i+1 < len(sql) && sql[i+1] == '-':
			j := strings.IndexByte(sql[i:], '\n')
			end := len(sql)
			if j >= 0 {
				end = i + j
			}
			add(SpanComment, i, end)
			i = end
		case c == '/' && i+1 < len(sql) && sql[i+1] == '*':
			depth, j := 1, i+2
			for j < len(sql) && depth > 0 {
				switch {
				case strings.HasPrefix(sql[j:], "/*"):
					depth++
					j += 2
				case strings.HasPrefix(sql[j:], "*/"):
					depth--
					j += 2
				default:
					j++
				}
			}
			add(SpanComment, i, j)
			i = j
		case c == '\'':
			start, kind := i, SpanString
			if i > 0 && (sql[i-1] == 'e' || sql[i-1] == 'E') && (i < 2 || !identChar(sql[i-2])) {
				start, kind = i-1, SpanEString
			}
			j := closeQuote(sql, i+1, '\'', kind == SpanEString)
			add(kind, start, j)
			i = j
		case c == '"':
			j := closeQuote(sql, i+1, '"', false)
			add(SpanIdent, i, j)
			i = j
		case c == '$' && (i == 0 || !identChar(sql[i-1])):
			tag, ok := dollarTag(sql[i:])
			if !ok {
				i++
				continue
			}
			end := len(sql)
			if k := strings.Index(sql[i+len(tag):], tag); k >= 0 {
				end = i + len(tag) + k + len(tag)
			}
			add(SpanDollar, i, end)
			i = end
		default:
			i++
		}
	}
	if code < len(sql) {
		out = append(out, Span{SpanCode, code, len(sql)})
	}
	return out
}

// dollarTag is the opening "$tag$" at the start of s, if s starts one.
func dollarTag(s string) (string, bool) {
	for j := 1; j < len(s); j++ {
		c := s[j]
		switch {
		case c == '$':
			return s[:j+1], true
		case c == '_' || c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= 0x80:
		case c >= '0' && c <= '9' && j > 1:
		default:
			return "", false
		}
	}
	return "", false
}

func identChar(c byte) bool {
	return c == '_' || c == '$' || c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || c >= 0x80
}

// Statement is one statement of a step's SQL, with its parameters
// renumbered: $k in Text is Params[k-1] of the whole text.
type Statement struct {
	Text   string
	Params []int
}

// SplitStatements splits sql on ";" outside quotes, comments and dollar
// quotes, dropping empty statements (and comment-only ones), and
// renumbers each one's $n parameters from $1 in order of first use. It
// refuses the statements Runner refuses.
func SplitStatements(sql string) ([]Statement, error) {
	var out []Statement
	var b strings.Builder
	var params []int
	num := map[int]int{}
	meaningful := false
	flush := func() error {
		text := strings.TrimSpace(b.String())
		if meaningful {
			if kw := txControl(text); kw != "" {
				if kw == "DISCARD" || kw == "DEALLOCATE" {
					return fmt.Errorf("a step may not run %s: it runs in a transaction on the probe's session, which keeps its prepared statements", kw)
				}
				if strings.HasSuffix(kw, "read_only") {
					return fmt.Errorf("a step may not run %s: it would turn the step's read-only transaction read-write (mark the step destructive to write)", kw)
				}
				return fmt.Errorf("a step may not run %s: it runs in its own transaction", kw)
			}
			out = append(out, Statement{Text: text, Params: params})
		}
		b.Reset()
		params, num, meaningful = nil, map[int]int{}, false
		return nil
	}
	for _, sp := range Lex(sql) {
		part := sql[sp.Start:sp.End]
		if sp.Kind != SpanCode {
			if sp.Kind != SpanComment {
				meaningful = true
			}
			b.WriteString(part)
			continue
		}
		for i := 0; i < len(part); i++ {
			c := part[i]
			switch {
			case c == ';':
				if err := flush(); err != nil {
					return nil, err
				}
			case c == '$' && i+1 < len(part) && part[i+1] >= '0' && part[i+1] <= '9' && (i > 0 && !identChar(part[i-1]) || i == 0 && (sp.Start == 0 || !identChar(sql[sp.Start-1]))):
				j := i + 1
				for j < len(part) && part[j] >= '0' && part[j] <= '9' {
					j++
				}
				n, err := strconv.Atoi(part[i+1 : j])
				if err != nil {
					return nil, fmt.Errorf("bad parameter %s", part[i:j])
				}
				k, ok := num[n]
				if !ok {
					params = append(params, n)
					k = len(params)
					num[n] = k
				}
				b.WriteString("$" + strconv.Itoa(k))
				meaningful = true
				i = j - 1
			default:
				if c != ' ' && c != '\t' && c != '\n' && c != '\r' {
					meaningful = true
				}
				b.WriteByte(c)
			}
		}
	}
	if err := flush(); err != nil {
		return nil, err
	}
	return out, nil
}

// readOnlyGUCs are the settings a step may not SET or RESET: either
// would turn its read-only transaction read-write.
var readOnlyGUCs = map[string]bool{"transaction_read_only": true, "default_transaction_read_only": true}

// txControl names the refused statement text starts with, or "".
func txControl(text string) string {
	words := leadingTokens(text, 4, false)
	if len(words) == 0 {
		return ""
	}
	w := words[0]
	at := func(i int) string {
		if i < len(words) {
			return words[i]
		}
		return ""
	}
	switch w {
	case "begin", "commit", "rollback", "end", "abort", "start", "deallocate", "discard":
		return strings.ToUpper(w)
	case "prepare":
		if at(1) == "transaction" {
			return "PREPARE TRANSACTION"
		}
	case "set":
		if at(1) == "transaction" || at(1) == "session" && at(2) == "characteristics" {
			return "SET " + strings.ToUpper(at(1))
		}
		name := at(1)
		if name == "session" || name == "local" {
			name = at(2)
		}
		if readOnlyGUCs[name] {
			return "SET " + name
		}
	case "reset":
		if readOnlyGUCs[at(1)] {
			return "RESET " + at(1)
		}
	}
	return ""
}

// leadingTokens are the first n tokens of sql, lower-cased: words
// (a "…" identifier unquoted), single punctuation characters, "'" for a
// string; comments skipped, and "(" too when skipParens.
func leadingTokens(sql string, n int, skipParens bool) []string {
	var out []string
	for _, sp := range Lex(sql) {
		if len(out) >= n {
			break
		}
		switch sp.Kind {
		case SpanComment:
			continue
		case SpanIdent:
			id := sql[sp.Start+1 : sp.End]
			id = strings.TrimSuffix(id, `"`)
			out = append(out, strings.ToLower(strings.ReplaceAll(id, `""`, `"`)))
			continue
		case SpanCode:
		default:
			out = append(out, "'")
			continue
		}
		part := sql[sp.Start:sp.End]
		for i := 0; i < len(part) && len(out) < n; {
			c := part[i]
			switch {
			case c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\f':
				i++
			case identChar(c):
				j := i
				for j < len(part) && identChar(part[j]) {
					j++
				}
				out = append(out, strings.ToLower(part[i:j]))
				i = j
			default:
				if c != '(' || !skipParens {
					out = append(out, string(c))
				}
				i++
			}
		}
	}
	if len(out) > n {
		out = out[:n]
	}
	return out
}

// closeQuote is the offset just past the quote q that closes the string
// or identifier whose text starts at j: a doubled q is one character of
// it, and so, with backslash (an E” string), is an escaped one. An
// unclosed one runs to the end.
func closeQuote(sql string, j int, q byte, backslash bool) int {
	for j < len(sql) {
		switch {
		case backslash && sql[j] == '\\':
			j += 2
		case sql[j] == q && j+1 < len(sql) && sql[j+1] == q:
			j += 2
		case sql[j] == q:
			return j + 1
		default:
			j++
		}
	}
	return len(sql)
}
