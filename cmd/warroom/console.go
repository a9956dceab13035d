package main

import (
	"context"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"
	"time"

	tea "github.com/charmbracelet/bubbletea"
	"github.com/charmbracelet/lipgloss"
	"github.com/muesli/termenv"

	"github.com/warroom-dev/warroom/incident"
	"github.com/warroom-dev/warroom/internal/drill"
	"github.com/warroom-dev/warroom/panes/errorrate"
	"github.com/warroom-dev/warroom/panes/escalation"
	"github.com/warroom-dev/warroom/panes/pods"
	"github.com/warroom-dev/warroom/panes/queries"
	"github.com/warroom-dev/warroom/panes/runbook"
	"github.com/warroom-dev/warroom/panes/timeline"
	"github.com/warroom-dev/warroom/probes/kube"
	"github.com/warroom-dev/warroom/probes/pg"
	"github.com/warroom-dev/warroom/probes/prom"
	"github.com/warroom-dev/warroom/probes/rds"
	"github.com/warroom-dev/warroom/runbooks"
	"github.com/warroom-dev/warroom/tui"
	"github.com/warroom-dev/warroom/tui/common"
	"github.com/warroom-dev/warroom/tui/styles"
)

// backends are the probes a session reads; nil means not configured.
type backends struct {
	kube      kube.Probe
	prom      prom.Probe
	pg        pg.Probe
	rds       rds.Probe
	rdsInst   string
	namespace string
}

// console runs against the configured backends.
func console(cfg Config, stdout, stderr io.Writer) error {
	var b backends
	b.namespace = cfg.Kube.Namespace
	if cfg.KubeConfigured() {
		cs, _, err := kube.NewClientset(cfg.Kube.Kubeconfig, cfg.Kube.Context)
		if err != nil {
			return configErrorf("%v", err)
		}
		b.kube = kube.New(cs)
	}
	if cfg.Prometheus.URL != "" {
		p, err := prom.New(cfg.Prometheus.URL, nil)
		if err != nil {
			return configErrorf("prometheus.url: %v", err)
		}
		b.prom = p
	}
	if dsn, ok := cfg.PostgresDSN(); ok {
		p, err := pg.New(dsn)
		if err != nil {
			return configErrorf("postgres: %v", err)
		}
		b.pg = p
	}
	if cfg.RDS.Instance != "" {
		ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		client, err := rds.NewClient(ctx, cfg.RDS.Region, cfg.RDS.Profile, cfg.RDS.Endpoint)
		cancel()
		if err != nil {
			return configErrorf("rds: %v", err)
		}
		b.rds, b.rdsInst = rds.New(client), cfg.RDS.Instance
	}
	if cfg.Title == "" {
		cfg.Title = "Incident " + time.Now().UTC().Format("2006-01-02 15:04 UTC")
	}
	return session(cfg, cfg.EffectiveSeverity(), b, common.Mode{ReadOnly: cfg.ReadOnly, DryRun: cfg.DryRun}, nil, stdout, stderr)
}

// demo runs the embedded drill.
func demo(cfg Config, stdout, stderr io.Writer) error {
	start := time.Now()
	sc := drill.New(start, time.Now)
	b := backends{
		kube: sc.Kube(), prom: sc.Prom(), pg: sc.PG(), rds: sc.RDS(),
		rdsInst: drill.InstanceID, namespace: drill.Namespace,
	}
	cfg.Title = drill.Title
	declare := drill.Severity
	if cfg.Severity != "" {
		declare = cfg.EffectiveSeverity() // --severity still wins
	}
	if cfg.Journal == "" {
		cfg.Journal = defaultJournal("drill", start)
	}
	return session(cfg, declare, b, common.Mode{Drill: true, ReadOnly: cfg.ReadOnly, DryRun: cfg.DryRun}, sc, stdout, stderr)
}

func defaultJournal(prefix string, at time.Time) string {
	dir := os.Getenv("XDG_STATE_HOME")
	if dir == "" {
		if home, err := os.UserHomeDir(); err == nil {
			dir = filepath.Join(home, ".local", "state")
		} else {
			dir = os.TempDir()
		}
	}
	return filepath.Join(dir, "warroom", prefix+"-"+at.UTC().Format("20060102-150405")+".jsonl")
}

// session opens the journal, declares (with severity declare) or resumes
// the incident, builds the panes and runs the program. On resume, the
// severity changes only if the user asked for one (cfg.Severity set).
func session(cfg Config, declare incident.Severity, b backends, mode common.Mode, sc *drill.Scenario, stdout, stderr io.Writer) error {
	if cfg.Journal == "" {
		cfg.Journal = defaultJournal("incident", time.Now())
	}
	j, events, skipped, err := incident.Open(cfg.Journal)
	if err != nil {
		return configErrorf("journal: %v", err)
	}
	defer j.Close()
	var notice string
	for _, s := range skipped {
		fmt.Fprintf(stderr, "warroom: journal %s line %d skipped (torn or not JSON): %v\n", j.Path(), s.Line, s.Err)
		notice = fmt.Sprintf("journal: %d line(s) could not be read and were skipped (last: line %d, %v); everything else was resumed", len(skipped), s.Line, s.Err)
	}
	sev := declare
	s := incident.Fold(events)
	switch {
	case s.Declared.IsZero():
		ev, err := j.Append(incident.Declared(cfg.Actor, cfg.Title, sev, time.Now()))
		if err != nil {
			return fmt.Errorf("journal: %w", err)
		}
		events = append(events, ev)
	case sev != s.Severity && cfg.Severity != "": // asked for explicitly on resume
		ev, err := j.Append(incident.SeverityChange(cfg.Actor, s.Severity, sev, time.Now()))
		if err != nil {
			return fmt.Errorf("journal: %w", err)
		}
		events = append(events, ev)
	}

	books, err := runbooks.Shipped()
	if err != nil {
		return err
	}
	for _, p := range cfg.Runbooks {
		more, err := runbooks.Load(p)
		if err != nil {
			return configErrorf("%v", err)
		}
		books = append(books, more...)
	}

	r := lipgloss.NewRenderer(os.Stdout)
	theme := styles.DefaultTheme()
	if os.Getenv("NO_COLOR") != "" {
		// termenv reads NO_COLOR as "no styling at all" and would hide the
		// cursor row too; the NoColor theme sets no colour, so an ANSI
		// profile only carries bold, underline and reverse video.
		theme = styles.NoColorTheme()
		r.SetColorProfile(termenv.ANSI)
	}
	// Ask the terminal its colours now, not from inside View.
	r.ColorProfile()
	r.HasDarkBackground()

	c := common.Common{
		Styles:  styles.New(r, theme),
		Now:     time.Now,
		Actor:   cfg.Actor,
		Mode:    mode,
		Journal: j,
	}
	// Resume with the binary as it was invoked (./bin/warroom after make demo).
	self := "warroom"
	switch arg0 := os.Args[0]; {
	case strings.Contains(arg0, string(filepath.Separator)+"go-build"):
		self = "go run ./cmd/warroom" // go run's binary is deleted on exit
	case strings.ContainsRune(arg0, filepath.Separator):
		self = shellQuote(arg0)
	}
	resume := self + " --journal " + shellQuote(j.Path())
	if mode.Drill {
		resume = self + " demo --journal " + shellQuote(j.Path())
	}
	var init []tea.Cmd
	if sc != nil {
		init = drillScript(sc, j, events)
	}
	m := tui.New(tui.Options{
		Common:      c,
		Panes:       buildPanes(c, cfg, b, events, runbooks.NewIndex(books)),
		Events:      events,
		JournalPath: j.Path(),
		Resume:      resume,
		Notice:      notice,
		Init:        init,
	})
	p := tea.NewProgram(m, tea.WithAltScreen(), tea.WithFPS(30), tea.WithOutput(os.Stdout))
	if _, err := p.Run(); err != nil {
		return err
	}
	fmt.Fprintf(stdout, "journal: %s\nresume:  %s\n", j.Path(), resume)
	return nil
}

func buildPanes(c common.Common, cfg Config, b backends, events []incident.Event, ix *runbooks.Index) [6]common.Pane {
	return [6]common.Pane{
		pods.New(c, b.kube, pods.Config{Namespace: b.namespace, Refresh: cfg.Refresh}),
		errorrate.New(c, b.prom, errorrate.Config{Refresh: cfg.Refresh}),
		queries.New(c, b.pg, b.rds, queries.Config{Refresh: cfg.Refresh, RDSInstance: b.rdsInst}),
		escalation.New(c, escalation.Config{Events: events}),
		runbook.New(c, ix, runbook.Config{}),
		timeline.New(c, timeline.Config{Events: events}),
	}
}

// drillScript schedules the drill's timeline events that are not yet in
// the journal (a resumed drill does not repeat itself).
func drillScript(sc *drill.Scenario, j common.Recorder, have []incident.Event) []tea.Cmd {
	seen := map[string]bool{}
	for _, e := range have {
		seen[e.Summary] = true
	}
	var cmds []tea.Cmd
	for _, s := range sc.Script() {
		if seen[s.Event.Summary] {
			continue
		}
		ev := s.Event
		wait := time.Until(ev.Time)
		cmds = append(cmds, tea.Tick(max(wait, 0), func(time.Time) tea.Msg {
			ev.Time = time.Now()
			return common.RecordEvent(j, ev)()
		}))
	}
	return cmds
}

func shellQuote(s string) string {
	if s != "" && strings.IndexFunc(s, func(r rune) bool {
		return !(r == '/' || r == '.' || r == '-' || r == '_' || r >= '0' && r <= '9' || r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z')
	}) < 0 {
		return s
	}
	return "'" + strings.ReplaceAll(s, "'", `'\''`) + "'"
}
