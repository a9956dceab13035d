package queries

import (
	"errors"
	"slices"
	"strings"
	"testing"
	"time"

	tea "github.com/charmbracelet/bubbletea"
	"github.com/charmbracelet/x/ansi"

	"github.com/warroom-dev/warroom/incident"
	"github.com/warroom-dev/warroom/internal/cmdtest"
	"github.com/warroom-dev/warroom/probes"
	"github.com/warroom-dev/warroom/probes/pg"
	"github.com/warroom-dev/warroom/tui/common"
)

// oneVitals fails unless vms is one VitalsMsg from the pane showing want
// ("name value", or "name unknown: why"), stamped at t0 (the pane's
// clock), and returns its vitals.
func oneVitals(t *testing.T, what string, vms []common.VitalsMsg, want ...string) []incident.Vital {
	t.Helper()
	if len(vms) != 1 {
		t.Fatalf("%s: %d VitalsMsgs, want 1: %+v", what, len(vms), vms)
	}
	vm := vms[0]
	var got []string
	for _, v := range vm.Vitals {
		s := v.String()
		if !v.Known() {
			s += ": " + v.Error
		}
		got = append(got, s)
		if v.Source != "queries" || !v.At.Equal(t0) {
			t.Errorf("%s: %+v: source %q at %v", what, v, v.Source, v.At)
		}
	}
	if vm.Source != "queries" || !slices.Equal(got, want) {
		t.Fatalf("%s: from %q %q, want %q", what, vm.Source, got, want)
	}
	return vm.Vitals
}

// busy is 94 of 100 connections; an idle-in-transaction session older
// than every active query (not a query running), a 7-minute active query
// and a young one.
func busy() pg.Snapshot {
	return pg.Snapshot{At: t0, Connections: 94, MaxConnections: 100, Sessions: []pg.Session{
		sess(100, "idle in transaction", 9*time.Minute, "UPDATE orders SET x = 1"),
		sess(600, "active", 7*time.Minute, "SELECT pg_sleep(3600)"),
		sess(700, "active", 200*time.Millisecond, "SELECT 1"),
	}}
}

// Init says the vitals are unknown; a good poll measures the connections
// against max_connections and the longest active query; the same answer
// again says nothing; paused, the latest answer still counts.
func TestVitalsConnectionsAndLongestQuery(t *testing.T) {
	m := newPane(t, &fakePG{})
	oneVitals(t, "Init", cmdtest.Vitals(m.Init()), "connections unknown: not polled yet", "longest query unknown: not polled yet")
	m = newPane(t, &fakePG{})
	vs := oneVitals(t, "94 of 100", cmdtest.Vitals(feedCmd(m, busy())), "connections 94/100", "longest query 7m0s")
	if v := vs[0]; v.Name != incident.VitalConnections || v.Unit != incident.UnitCount || v.Value == nil || *v.Value != 94 || v.Max == nil || *v.Max != 100 {
		t.Errorf("connections %+v, want 94 of 100", v)
	}
	if v := vs[1]; v.Name != incident.VitalLongestQuery || v.Unit != incident.UnitSeconds || v.Value == nil || *v.Value != 420 || v.Max != nil {
		t.Errorf("longest query %+v, want 420 s", v)
	}
	if vms := cmdtest.Vitals(feedCmd(m, busy())); len(vms) != 0 {
		t.Fatalf("the same answer: published again %+v", vms)
	}
	// Paused: the list is frozen, the vitals are the latest answer's.
	press(m, "p")
	calm := pg.Snapshot{At: t0.Add(time.Second), Connections: 12, MaxConnections: 100,
		Sessions: []pg.Session{sess(100, "idle in transaction", 9*time.Minute, "UPDATE orders SET x = 1")}}
	oneVitals(t, "paused, no active query", cmdtest.Vitals(feedCmd(m, calm)), "connections 12/100", "longest query 0ms")
	if v := ansi.Strip(m.View()); !strings.Contains(v, "connections 94/100") {
		t.Errorf("paused, the list moved on:\n%s", v)
	}
	// max_connections unread: the count alone.
	noMax := calm
	noMax.MaxConnections = 0
	vs = oneVitals(t, "no max_connections", cmdtest.Vitals(feedCmd(m, noMax)), "connections 12", "longest query 0ms")
	if vs[0].Max != nil {
		t.Errorf("no max_connections, yet a max: %v", *vs[0].Max)
	}
	// Backends of other roles hide their queries: the longest is unknown,
	// not the longest of those this role can read.
	hidden := noMax
	hidden.Hidden = 3
	vs = oneVitals(t, "hidden backends", cmdtest.Vitals(feedCmd(m, hidden)), "connections 12", "longest query unknown: 3 backends of other roles are not readable (grant pg_read_all_stats)")
	if vs[1].Value != nil || !strings.Contains(vs[1].Error, "3 backends of other roles") {
		t.Errorf("hidden backends: %+v", vs[1])
	}
}

// PostgreSQL failing: both vitals unknown with the error (its secret
// masked), not 0, after a good poll too, while the list keeps its last
// good data; the same failure again says nothing; a failure of an older
// generation says nothing; recovery measures again.
func TestVitalsUnknownWhilePostgresFails(t *testing.T) {
	m := newPane(t, &fakePG{})
	oneVitals(t, "good", cmdtest.Vitals(feedCmd(m, busy())), "connections 94/100", "longest query 7m0s")
	down := errors.New("failed to connect to postgres://warroom:s3cret@db.internal:5432/app: dial tcp: connect: connection refused")
	fail := func(err error, gen int) tea.Cmd {
		_, cmd := m.Update(probes.Result[pg.Snapshot]{Tag: m.pg.Tag, Gen: gen, Err: err, At: t0})
		return cmd
	}
	why := probes.ErrorText(down) // the error as the state line says it
	vs := oneVitals(t, "down", cmdtest.Vitals(fail(down, m.pg.Gen)), "connections unknown: "+why, "longest query unknown: "+why)
	for _, v := range vs {
		if v.Value != nil || v.Max != nil || !strings.Contains(v.Error, "connection refused") || strings.Contains(v.Error, "s3cret") {
			t.Errorf("down: %+v, want no value, the error without its password", v)
		}
	}
	if v := ansi.Strip(m.View()); !strings.Contains(v, "failing") || !strings.Contains(v, "connections 94/100") {
		t.Errorf("the list dropped its last good data:\n%s", v)
	}
	if vms := cmdtest.Vitals(fail(down, m.pg.Gen)); len(vms) != 0 {
		t.Fatalf("still down: published again %+v", vms)
	}
	oneVitals(t, "recovered", cmdtest.Vitals(feedCmd(m, busy())), "connections 94/100", "longest query 7m0s")
	if vms := cmdtest.Vitals(fail(down, m.pg.Gen-1)); len(vms) != 0 || m.pg.State.Status != probes.OK {
		t.Fatalf("an older generation's failure: published %+v, state %v", vms, m.pg.State.Status)
	}
}

// PostgreSQL not configured: unknown from the start, never 0.
func TestVitalsNotConfigured(t *testing.T) {
	m := New(testCommon(), nil, nil, Config{Refresh: time.Second})
	oneVitals(t, "Init", cmdtest.Vitals(m.Init()), "connections unknown: not configured", "longest query unknown: not configured")
}
