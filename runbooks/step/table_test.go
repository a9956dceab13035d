package step

import (
	"context"
	"errors"
	"strings"
	"testing"

	"github.com/warroom-dev/warroom/probes/pg"
	"github.com/warroom-dev/warroom/runbooks"
)

func TestTableAlignsSanitizesAndCuts(t *testing.T) {
	got := Table([]string{"pid", "query"}, [][]string{
		{"4100", "UPDATE \x1b[31mred\x1b[0m\nnext"},
		{"7", strings.Repeat("x", 100)},
		{"日本", "wide"},
	}, 20)
	want := []string{
		" pid  | query",
		"------+----------------------",
		" 4100 | UPDATE red ⏎ next",
		" 7    | xxxxxxxxxxxxxxxxxxx…",
		" 日本 | wide",
	}
	if strings.Join(got, "\n") != strings.Join(want, "\n") {
		t.Fatalf("got\n%s\nwant\n%s", strings.Join(got, "\n"), strings.Join(want, "\n"))
	}
}

// fakeRunner answers Run with fixed results.
type fakeRunner struct {
	res      []pg.Result
	err      error
	readOnly bool
	args     []any
}

func (f *fakeRunner) Run(_ context.Context, _ string, args []any, readOnly bool) ([]pg.Result, error) {
	f.readOnly, f.args = readOnly, args
	return f.res, f.err
}

func TestSQLSummaries(t *testing.T) {
	f := &fakeRunner{res: []pg.Result{
		{Columns: []string{"n"}, Rows: [][]string{{"1"}}, Tag: "SELECT 600", Truncated: true},
		{Tag: "UPDATE 2"},
		{Columns: []string{"id"}, Rows: [][]string{{"9"}}, Tag: "DELETE 1"},
	}}
	var c collector
	res := Run(context.Background(), Backends{PG: f}, Rendered{Lang: runbooks.SQL, Text: "x", Args: []any{"a"}}, true, c.progress)
	if res.Err != nil || res.Summary != "600 rows, UPDATE 2, DELETE 1" {
		t.Fatalf("result %+v", res)
	}
	if f.readOnly || len(f.args) != 1 {
		t.Fatalf("a destructive step ran read-only=%v with args %v", f.readOnly, f.args)
	}
	want := []string{" n", "---", " 1", "(600 rows, the first 1 shown)", "", "UPDATE 2", "", " id", "----", " 9", "(1 row)"}
	if got := c.all(); strings.Join(got, "|") != strings.Join(want, "|") {
		t.Fatalf("output %q", got)
	}
	Run(context.Background(), Backends{PG: f}, Rendered{Lang: runbooks.SQL, Text: "x"}, false, nil)
	if !f.readOnly {
		t.Fatal("a step not destructive ran read-write")
	}
	// Cancelled: the error says so and wraps ctx's.
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	f.err = errors.New("canceling statement due to user request")
	res = Run(ctx, Backends{PG: f}, Rendered{Lang: runbooks.SQL, Text: "x"}, false, nil)
	if !errors.Is(res.Err, context.Canceled) || res.Summary != "cancelled" {
		t.Fatalf("result %+v", res)
	}
}

func TestPromQLWithoutPrometheus(t *testing.T) {
	res := Run(context.Background(), Backends{}, Rendered{Lang: runbooks.PromQL, Text: "up"}, false, nil)
	if res.Err == nil || !strings.Contains(res.Err.Error(), "Prometheus") || res.Summary != "not run" {
		t.Fatalf("result %+v", res)
	}
}
