package queries

import (
	"context"
	"io"
	"regexp"
	"strings"
	"testing"
	"time"

	tea "github.com/charmbracelet/bubbletea"
	"github.com/charmbracelet/lipgloss"
	"github.com/charmbracelet/x/ansi"
	"github.com/muesli/termenv"

	"github.com/warroom-dev/warroom/probes"
	"github.com/warroom-dev/warroom/probes/pg"
	"github.com/warroom-dev/warroom/probes/rds"
	"github.com/warroom-dev/warroom/tui/common"
	"github.com/warroom-dev/warroom/tui/styles"

	"github.com/warroom-dev/warroom/internal/testenv"
)

var t0 = time.Date(2026, 11, 27, 3, 0, 0, 0, time.UTC)

func testCommon() common.Common {
	r := lipgloss.NewRenderer(io.Discard)
	r.SetColorProfile(termenv.Ascii)
	return common.Common{Styles: styles.New(r, styles.DefaultTheme()), Now: func() time.Time { return t0 }}
}

// doubled finds a prefix said twice in a row ("postgres: postgres:"), or
// a backend name right after "<name> lost: " or "RDS " repeated.
var doubled = regexp.MustCompile(`(?i)\b([a-z_][a-z0-9_ .-]*): ([a-z_][a-z0-9_ .-]*):`)

func repeatsAPrefix(s string) string {
	for _, m := range doubled.FindAllStringSubmatch(s, -1) {
		if strings.EqualFold(strings.TrimSpace(m[1]), strings.TrimSpace(m[2])) {
			return m[0]
		}
	}
	for _, name := range []string{"postgres", "rds", "prometheus"} {
		if strings.Contains(strings.ToLower(s), name+": "+name) || strings.Contains(strings.ToLower(s), name+" lost: "+name+":") {
			return name
		}
	}
	return ""
}

func TestRepeatsAPrefixCanFail(t *testing.T) {
	if repeatsAPrefix("● failing · postgres: postgres: dial error") == "" {
		t.Fatal("the checker misses a doubled prefix")
	}
}

// The real pg probe against a closed port: what the pane shows says the
// cause, once, with no prefix said twice.
func TestUnreachablePostgresIsShownOnceAndCauseFirst(t *testing.T) {
	p, err := pg.New("postgres://warroom:s3cret@" + testenv.ClosedAddr(t) + "/app?connect_timeout=5")
	if err != nil {
		t.Fatal(err)
	}
	m := New(testCommon(), p, nil, Config{Refresh: time.Second})
	m.SetSize(60, 12)
	cmd := m.Init()
	msg := runFetch(t, cmd)
	m.Update(msg)
	if m.pg.State.Status != probes.Failing {
		t.Fatalf("state %v, want failing", m.pg.State.Status)
	}
	v := m.View()
	if r := repeatsAPrefix(v); r != "" {
		t.Errorf("view repeats %q:\n%s", r, v)
	}
	if r := repeatsAPrefix(m.pg.State.Describe(t0)); r != "" {
		t.Errorf("state repeats %q", r)
	}
	plain := strings.ReplaceAll(strings.ReplaceAll(v, "\n", ""), " ", "")
	if !strings.Contains(plain, "connectionrefused") {
		t.Errorf("the cause is not shown:\n%s", v)
	}
	if strings.Count(plain, "connectionrefused") > 2 { // state line + detail, not once per attempt
		t.Errorf("the cause repeats per attempt:\n%s", v)
	}
	if strings.Contains(v, "s3cret") {
		t.Errorf("password on screen:\n%s", v)
	}
	// The detail under the state line starts with the cause, not pgx's
	// "failed to connect to …:" header.
	lines := strings.Split(v, "\n")
	if len(lines) < 2 || strings.HasPrefix(lines[1], "failed to connect") {
		t.Errorf("detail starts with the header:\n%s", v)
	}
	for i, l := range lines {
		if ansi.StringWidth(l) > 60 {
			t.Errorf("line %d too wide: %q", i, l)
		}
	}
	// New with a DSN it cannot parse: its error does not name the backend
	// (the caller does, once).
	if _, err := pg.New("postgres://u:pw@[::1"); err == nil || strings.HasPrefix(err.Error(), "postgres:") {
		t.Errorf("pg.New error = %v, want one that does not start with postgres:", err)
	}
}

// runFetch runs cmd (a batch of fetches) and returns the pg feed's result.
func runFetch(t *testing.T, cmd tea.Cmd) tea.Msg {
	t.Helper()
	var pending []tea.Cmd
	pending = append(pending, cmd)
	for len(pending) > 0 {
		c := pending[0]
		pending = pending[1:]
		if c == nil {
			continue
		}
		switch msg := c().(type) {
		case tea.BatchMsg:
			pending = append(pending, msg...)
		case probes.Result[pg.Snapshot]:
			return msg
		}
	}
	t.Fatal("no pg result")
	return nil
}

// A stale RDS status keeps its age before the status, at any width.
func TestStaleRDSStatusShowsItsAgeFirst(t *testing.T) {
	m := New(testCommon(), nil, fakeRDS{}, Config{Refresh: time.Second, RDSInstance: "db"})
	m.rds.Update(probes.Result[rds.Instance]{Tag: m.rds.Tag, Data: rds.Instance{ID: "db", Status: "available"}, At: t0.Add(-time.Minute)})
	m.rds.Update(probes.Result[rds.Instance]{Tag: m.rds.Tag, Err: context.DeadlineExceeded, At: t0})
	for _, w := range []int{30, 50, 80} {
		m.SetSize(w, 10)
		l := m.rdsLine(t0)
		if !strings.Contains(l, "data from") || ansi.StringWidth(l) > w {
			t.Errorf("width %d: %q", w, l)
		}
	}
}

type fakeRDS struct{}

func (fakeRDS) Describe(context.Context, string) (rds.Instance, error) { return rds.Instance{}, nil }
func (fakeRDS) Failover(context.Context, string) (rds.Instance, error) { return rds.Instance{}, nil }
