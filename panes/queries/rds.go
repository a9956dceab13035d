package queries

import (
	"fmt"
	"strings"
	"time"

	"github.com/warroom-dev/warroom/internal/sanitize"
	"github.com/warroom-dev/warroom/probes"
	"github.com/warroom-dev/warroom/probes/rds"
	"github.com/warroom-dev/warroom/tui/common"
)

// rdsLine is the instance on one line: status first (a narrow pane cuts
// the tail), then what an engineer checks in the console.
func (m *Model) rdsLine(now time.Time) string {
	st := m.c.Styles
	if m.rds.State.Status != probes.OK && m.rds.State.LastOK.IsZero() {
		return "RDS " + common.StateLineFit(st, m.rds.State, now, 3*m.rds.Interval, max(m.w-4, 0))
	}
	in := m.rds.Data
	line := m.instanceSummary(in)
	if n := len(in.Maintenance); n > 0 {
		line += " · " + st.Warn.Render(fmt.Sprintf("%d pending maintenance", n))
	}
	if len(in.Events) > 0 {
		e := in.Events[0]
		line += st.Muted.Render(fmt.Sprintf(" · %s %s", e.At.Local().Format("15:04"), sanitize.Line(e.Message)))
	}
	if m.rds.State.Status == probes.Failing {
		// The age before the status it qualifies: a stale "available"
		// must not read as current.
		return common.Truncate("RDS "+st.Bad.Render("stale · "+m.rds.State.DataAge(now))+" · "+line+" · "+
			st.Bad.Render(probes.ErrorText(m.rds.State.LastErr)), m.w)
	}
	return common.Truncate("RDS "+line, m.w)
}

func (m *Model) instanceSummary(in rds.Instance) string {
	s := m.instanceHead(in)
	if in.AllocatedGiB > 0 {
		s += " · " + storage(in)
	}
	return s
}

// instanceHead is the instance without its storage.
func (m *Model) instanceHead(in rds.Instance) string {
	st := m.c.Styles
	status := sanitize.Line(in.Status)
	if status == "available" {
		status = st.OK.Render(status)
	} else {
		status = st.Warn.Render(status)
	}
	az := "Single-AZ " + sanitize.Line(in.AZ)
	if in.MultiAZ {
		az = "Multi-AZ " + sanitize.Line(in.AZ) + "→" + sanitize.Line(in.SecondaryAZ)
	}
	parts := []string{sanitize.Line(in.ID) + " " + status, sanitize.Line(in.Class), sanitize.Line(in.Engine) + " " + sanitize.Line(in.EngineVersion), az}
	return strings.Join(parts, " · ")
}

func storage(in rds.Instance) string {
	s := fmt.Sprintf("%d GiB %s", in.AllocatedGiB, sanitize.Line(in.StorageType))
	if in.IOPS > 0 {
		s += fmt.Sprintf(" %d IOPS", in.IOPS)
	}
	if in.MaxAllocatedGiB > 0 {
		s += fmt.Sprintf(" (autoscales to %d GiB)", in.MaxAllocatedGiB)
	}
	return s
}

func (m *Model) instanceView() string {
	lines := m.instanceLines(m.c.Now())
	start, end := m.scroll.Window(len(lines), m.h)
	return strings.Join(lines[start:end], "\n")
}

// instanceLines is the RDS instance in full: what `aws rds
// describe-db-instances` and the console's events tab say.
func (m *Model) instanceLines(now time.Time) []string {
	st := m.c.Styles
	out := []string{"RDS " + common.StateLineFit(st, m.rds.State, now, 3*m.rds.Interval, max(m.w-4, 0))}
	if m.rds.State.LastOK.IsZero() {
		return append(out, common.FailureDetail(st, m.rds.State, m.w, max(m.h-2, 1)))
	}
	in := m.rds.Data
	out = append(out, wrap(m.instanceHead(in), m.w)...)
	if in.Endpoint != "" {
		out = append(out, fmt.Sprintf("endpoint %s:%d", sanitize.Line(in.Endpoint), in.Port))
	}
	if in.AllocatedGiB > 0 {
		out = append(out, "storage "+storage(in))
	}
	for _, p := range in.Pending {
		out = append(out, st.Warn.Render("pending change: "+sanitize.Line(p)))
	}
	out = append(out, "")
	if len(in.Maintenance) == 0 {
		out = append(out, st.Muted.Render("no pending maintenance"))
	}
	for _, a := range in.Maintenance {
		l := "maintenance: " + sanitize.Line(a.Action)
		if a.Description != "" {
			l += " — " + sanitize.Line(a.Description)
		}
		for _, d := range []struct {
			label string
			t     time.Time
		}{{"auto-applied after", a.AutoAppliedAfter}, {"forced on", a.ForcedApplyDate}, {"applies", a.CurrentApplyDate}} {
			if !d.t.IsZero() {
				l += " · " + d.label + " " + d.t.Local().Format("2006-01-02 15:04")
			}
		}
		if a.OptInStatus != "" {
			l += " · opt-in " + sanitize.Line(a.OptInStatus)
		}
		out = append(out, wrap(st.Warn.Render(l), m.w)...)
	}
	out = append(out, "", st.Muted.Render("events, last hour (newest first):"))
	if len(in.Events) == 0 {
		out = append(out, st.Muted.Render("  none"))
	}
	for _, e := range in.Events {
		l := fmt.Sprintf("  %s  %s", e.At.Local().Format("15:04:05"), sanitize.Line(e.Message))
		if len(e.Categories) > 0 {
			l += st.Muted.Render(" [" + sanitize.Line(strings.Join(e.Categories, ",")) + "]")
		}
		out = append(out, wrap(l, m.w)...)
	}
	for _, p := range in.Partial {
		out = append(out, st.Warn.Render("not read: "+sanitize.Line(p)))
	}
	hint := "F reboot with failover · esc back"
	if !in.MultiAZ {
		hint = "Single-AZ: no failover possible · esc back"
	}
	return append(out, "", st.Muted.Render(hint))
}
