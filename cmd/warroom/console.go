package main

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"time"

	tea "github.com/charmbracelet/bubbletea"
	"github.com/charmbracelet/lipgloss"
	"github.com/muesli/termenv"
	"mvdan.cc/sh/v3/syntax"

	"github.com/warroom-dev/warroom/incident"
	"github.com/warroom-dev/warroom/internal/drill"
	"github.com/warroom-dev/warroom/internal/sanitize"
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
	return session(cfg, cfg.EffectiveSeverity(), common.Mode{ReadOnly: cfg.ReadOnly, DryRun: cfg.DryRun},
		func(incident.Session, []incident.Event) (backends, *drill.Scenario) { return b, nil }, stdout, stderr)
}

// demo runs the embedded drill. Its clock is anchored at the journal's
// declaration, so a resumed drill goes on where it was, and the actions
// already taken in it (an undone rollout) are replayed from the journal.
func demo(cfg Config, stdout, stderr io.Writer) error {
	cfg.Title = drill.Title
	declare := drill.Severity
	if cfg.Severity != "" {
		declare = cfg.EffectiveSeverity() // --severity still wins
	}
	if cfg.Journal == "" {
		cfg.Journal = defaultJournal("drill", time.Now())
	}
	return session(cfg, declare, common.Mode{Drill: true, ReadOnly: cfg.ReadOnly, DryRun: cfg.DryRun},
		func(_ incident.Session, events []incident.Event) (backends, *drill.Scenario) {
			sc := drill.Resume(events, time.Now)
			return backends{
				kube: sc.Kube(), prom: sc.Prom(), pg: sc.PG(), rds: sc.RDS(),
				rdsInst: drill.InstanceID, namespace: drill.Namespace,
			}, sc
		}, stdout, stderr)
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

// logPath is the structured log's file, beside the journal (never the
// journal itself, whatever its name).
func logPath(journal string) string {
	if p := strings.TrimSuffix(journal, filepath.Ext(journal)) + ".log"; p != journal {
		return p
	}
	return journal + ".log"
}

// openLog opens the structured log (JSON lines, appended, 0600) at level.
func openLog(path string, level slog.Level) (*slog.Logger, io.Closer, error) {
	f, err := os.OpenFile(path, os.O_WRONLY|os.O_CREATE|os.O_APPEND, 0o600)
	if err != nil {
		return nil, nil, err
	}
	return slog.New(slog.NewJSONHandler(f, &slog.HandlerOptions{Level: level})), f, nil
}

// session opens the journal, declares (with severity declare) or resumes
// the incident, builds the backends (connect is given the incident as
// declared or resumed), the panes, and runs the program. On resume, the
// severity changes only if the user asked for one (cfg.Severity set).
func session(cfg Config, declare incident.Severity, mode common.Mode, connect func(incident.Session, []incident.Event) (backends, *drill.Scenario), stdout, stderr io.Writer) error {
	if cfg.Journal == "" {
		cfg.Journal = defaultJournal("incident", time.Now())
	}
	j, events, skipped, err := incident.Open(cfg.Journal)
	if err != nil {
		return configErrorf("%v", err)
	}
	defer j.Close()
	level, err := cfg.SlogLevel()
	if err != nil {
		return configErrorf("log_level: %v", err)
	}
	log, logFile, err := openLog(logPath(j.Path()), level)
	if err != nil {
		return configErrorf("log: %v", err)
	}
	defer logFile.Close()
	log.Info("console started", "journal", j.Path(), "version", version, "drill", mode.Drill, "read_only", mode.ReadOnly, "dry_run", mode.DryRun, "events", len(events))
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
		s.Apply(ev)
	case sev != s.Severity && cfg.Severity != "": // asked for explicitly on resume
		ev, err := j.Append(incident.SeverityChange(cfg.Actor, s.Severity, sev, time.Now()))
		if err != nil {
			return fmt.Errorf("journal: %w", err)
		}
		events = append(events, ev)
		s.Apply(ev)
	}
	b, sc := connect(s, events)

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
		Log:     log,
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
		init = drillScript(sc, s.ID, j, events)
	}
	m := tui.New(tui.Options{
		Common:      c,
		Panes:       buildPanes(c, cfg, b, s, events, runbooks.NewIndex(books)),
		Session:     s,
		JournalPath: j.Path(),
		Resume:      resume,
		Notice:      notice,
		Init:        init,
	})
	p := tea.NewProgram(m, tea.WithAltScreen(), tea.WithFPS(30), tea.WithOutput(os.Stdout))
	if _, err := p.Run(); err != nil {
		return err
	}
	fmt.Fprintf(stdout, "journal: %s\nresume:  %s\n", sanitize.Line(j.Path()), sanitize.Line(resume))
	return nil
}

// buildPanes is the console's panes, in the order of their tabs and jump
// keys, with their place in the grid.
func buildPanes(c common.Common, cfg Config, b backends, s incident.Session, events []incident.Event, ix *runbooks.Index) []tui.PaneSpec {
	return []tui.PaneSpec{
		{Pane: pods.New(c, b.kube, pods.Config{Namespace: b.namespace, Refresh: cfg.Refresh}), Tab: "Pods"},
		{Pane: errorrate.New(c, b.prom, errorrate.Config{Refresh: cfg.Refresh}), Tab: "Errors"},
		{Pane: queries.New(c, b.pg, b.rds, queries.Config{Refresh: cfg.Refresh, RDSInstance: b.rdsInst}), Tab: "Queries"},
		{Pane: escalation.New(c, escalation.Config{Session: s}), Tab: "Escalation"},
		{Pane: runbook.New(c, ix, runbook.Config{}), Tab: "Runbooks", Place: tui.PlaceSidebar},
		{Pane: timeline.New(c, timeline.Config{Events: events}), Tab: "Timeline", Place: tui.PlaceStrip},
	}
}

// drillScript records the drill's scripted events when they fall due on
// the drill's clock, each once, by ID: events already in the journal (a
// resumed drill) are not repeated. The script is read anew each second,
// because actions change it (an undo resolves the alert a minute later).
// The seen set belongs to this chain of Cmds alone: each tick runs after
// the previous one.
func drillScript(sc *drill.Scenario, incidentID string, j common.Recorder, have []incident.Event) []tea.Cmd {
	seen := map[string]bool{}
	for _, e := range have {
		seen[e.ID] = true
	}
	return []tea.Cmd{scriptTick(sc, incidentID, j, seen)}
}

func scriptTick(sc *drill.Scenario, incidentID string, j common.Recorder, seen map[string]bool) tea.Cmd {
	return tea.Tick(time.Second, func(now time.Time) tea.Msg {
		var cmds tea.BatchMsg
		for _, s := range sc.Script(incidentID) {
			if seen[s.Event.ID] || s.Event.Time.After(now) {
				continue
			}
			seen[s.Event.ID] = true
			cmds = append(cmds, common.RecordEvent(j, s.Event))
		}
		return append(cmds, scriptTick(sc, incidentID, j, seen))
	})
}

// shellQuote quotes s for bash (mvdan.cc/sh), for the resume hint.
func shellQuote(s string) string {
	q, err := syntax.Quote(s, syntax.LangBash)
	if err != nil {
		return strconv.Quote(s) // only for strings bash cannot hold (NUL): shown, not run
	}
	return q
}
