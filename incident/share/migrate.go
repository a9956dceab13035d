package share

import (
	"context"
	"embed"
	"errors"
	"fmt"
	"io/fs"
	"path"
	"slices"
	"strconv"
	"strings"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"
)

//go:embed migrations/*.sql
var migrationFiles embed.FS

// Migration is one schema version: a plain SQL file embedded in the
// binary (migrations/NNNN_name.sql), applied in one transaction.
type Migration struct {
	Version int
	File    string // "migrations/0001_events.sql"
	SQL     string
}

// migrationLock is the pg_advisory_xact_lock key every migration takes, so
// two consoles starting together apply each version once ("warroomS").
const migrationLock int64 = 0x7761_7272_6f6f_6d53

// Migrations returns the embedded migrations in version order.
func Migrations() []Migration {
	entries, err := fs.ReadDir(migrationFiles, "migrations")
	if err != nil {
		panic("share: embedded migrations: " + err.Error())
	}
	var out []Migration
	for _, e := range entries {
		name := e.Name()
		num, _, ok := strings.Cut(name, "_")
		v, err := strconv.Atoi(num)
		if !ok || err != nil || !strings.HasSuffix(name, ".sql") {
			panic("share: migration file " + name + " is not NNNN_name.sql")
		}
		file := path.Join("migrations", name)
		b, err := migrationFiles.ReadFile(file)
		if err != nil {
			panic("share: " + err.Error())
		}
		out = append(out, Migration{Version: v, File: file, SQL: string(b)})
	}
	slices.SortFunc(out, func(a, b Migration) int { return a.Version - b.Version })
	return out
}

// Conn is what Migrate needs: a *pgx.Conn, a *pgxpool.Pool or a
// *pgxpool.Conn.
type Conn interface {
	Begin(ctx context.Context) (pgx.Tx, error)
	QueryRow(ctx context.Context, sql string, args ...any) pgx.Row
}

// SchemaBehindError: the database lacks a migration and this role could
// not apply it.
type SchemaBehindError struct {
	Version int    // the first missing version
	File    string // its SQL file (migrations/…)
	Err     error
}

func (e *SchemaBehindError) Error() string {
	return fmt.Sprintf("share: the shared timeline's schema lacks version %d (%s) and this role cannot apply it: %s; "+
		"run `warroom share migrate` once with a role that may create tables, or apply that file by hand",
		e.Version, e.File, errorText(e.Err))
}

func (e *SchemaBehindError) Unwrap() error { return e.Err }

// schemaVersions reads the applied versions; none when warroom_schema does
// not exist. It runs no DDL.
func schemaVersions(ctx context.Context, c Conn) (map[int]bool, error) {
	var exists bool
	if err := c.QueryRow(ctx, "SELECT to_regclass('warroom_schema') IS NOT NULL").Scan(&exists); err != nil {
		return nil, err
	}
	got := map[int]bool{}
	if !exists {
		return got, nil
	}
	var vs []int32
	if err := c.QueryRow(ctx, "SELECT coalesce(array_agg(version), '{}') FROM warroom_schema").Scan(&vs); err != nil {
		return nil, err
	}
	for _, v := range vs {
		got[int(v)] = true
	}
	return got, nil
}

// current reports whether every migration is applied; if not, the first
// missing one.
func current(ctx context.Context, c Conn) (bool, Migration, error) {
	got, err := schemaVersions(ctx, c)
	if err != nil {
		return false, Migration{}, err
	}
	for _, m := range Migrations() {
		if !got[m.Version] {
			return false, m, nil
		}
	}
	return true, Migration{}, nil
}

// Migrate applies the migrations the database lacks, in order, each in
// its own transaction under pg_advisory_xact_lock, recording each version
// in warroom_schema. A schema already current runs no DDL. When the role
// may not create what a missing version needs, the error is a
// *SchemaBehindError naming the version and its file.
func Migrate(ctx context.Context, c Conn) error {
	ok, _, err := current(ctx, c)
	if err != nil {
		return wrap("read the schema version", err)
	}
	if ok {
		return nil
	}
	for _, m := range Migrations() {
		if err := apply(ctx, c, m); err != nil {
			var pe *pgconn.PgError
			if errors.As(err, &pe) && (pe.Code == "42501" || pe.Code == "25006") { // insufficient_privilege, read_only_sql_transaction
				return &SchemaBehindError{Version: m.Version, File: m.File, Err: err}
			}
			return wrap(fmt.Sprintf("apply schema version %d (%s)", m.Version, m.File), err)
		}
	}
	return nil
}

// apply runs m in one transaction unless another console applied it
// first (the advisory lock makes the check and the DDL one step).
func apply(ctx context.Context, c Conn, m Migration) error {
	tx, err := c.Begin(ctx)
	if err != nil {
		return err
	}
	defer tx.Rollback(context.WithoutCancel(ctx)) //nolint:errcheck // after Commit: a no-op
	if _, err := tx.Exec(ctx, "SELECT pg_advisory_xact_lock($1)", migrationLock); err != nil {
		return err
	}
	// pg_class read with this statement's snapshot, taken after the
	// lock: to_regclass goes through the backend's catalog caches, which
	// an advisory lock does not refresh (a table another console just
	// created would look missing).
	var exists bool
	if err := tx.QueryRow(ctx, `SELECT EXISTS (SELECT 1 FROM pg_catalog.pg_class
		WHERE relname = 'warroom_schema' AND relnamespace = current_schema()::regnamespace)`).Scan(&exists); err != nil {
		return err
	}
	if !exists {
		if _, err := tx.Exec(ctx, `CREATE TABLE warroom_schema (version int PRIMARY KEY, applied_at timestamptz NOT NULL DEFAULT now())`); err != nil {
			return err
		}
	}
	var done bool
	if err := tx.QueryRow(ctx, "SELECT EXISTS (SELECT 1 FROM warroom_schema WHERE version = $1)", m.Version).Scan(&done); err != nil {
		return err
	}
	if done {
		return tx.Commit(ctx)
	}
	if _, err := tx.Exec(ctx, m.SQL); err != nil {
		return err
	}
	if _, err := tx.Exec(ctx, "INSERT INTO warroom_schema (version) VALUES ($1)", m.Version); err != nil {
		return err
	}
	return tx.Commit(ctx)
}
