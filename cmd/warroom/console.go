package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"log/slog"
	"net/http"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	tea "github.com/charmbracelet/bubbletea"
	"github.com/charmbracelet/lipgloss"
	"github.com/charmbracelet/x/ansi"
	"github.com/muesli/termenv"
	"mvdan.cc/sh/v3/syntax"

	"github.com/go-logr/logr"
	"github.com/warroom-dev/warroom/incident"
	"github.com/warroom-dev/warroom/incident/notify"
	"github.com/warroom-dev/warroom/internal/drill"
	"github.com/warroom-dev/warroom/internal/sanitize"
	"github.com/warroom-dev/warroom/panes/errorrate"
	"github.com/warroom-dev/warroom/panes/escalation"
	"github.com/warroom-dev/warroom/panes/pods"
	"github.com/warroom-dev/warroom/panes/queries"
	"github.com/warroom-dev/warroom/panes/runbook"
	"github.com/warroom-dev/warroom/panes/timeline"
	"k8s.io/client-go/kubernetes"
	"k8s.io/klog/v2"

	"github.com/warroom-dev/warroom/probes/health"
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
	// where says where runbook steps run, per language, for their
	// confirmation (set up before the program starts).
	where map[runbooks.Lang]string
}

// console runs against the configured backends.
func console(cfg Config, sys sys, stdout, stderr io.Writer) error {
	var b backends
	b.namespace = cfg.Kube.Namespace
	b.where = stepsWhere(cfg)
	if cfg.KubeConfigured() {
		rc, err := kube.RestConfig(cfg.Kube.Kubeconfig, cfg.Kube.Context)
		if err != nil {
			return configErrorf("%v", err)
		}
		cs, err := kubernetes.NewForConfig(rc)
		if err != nil {
			return configErrorf("kubeconfig: %v", err)
		}
		client := kube.New(cs)
		if mc, err := kube.NewMetrics(rc); err == nil {
			client.Metrics = mc.Pods
		}
		b.kube = client
	}
	if cfg.Prometheus.URL != "" {
		pc := cfg.Prometheus
		p, err := prom.NewWithOptions(pc.URL, prom.Options{BearerToken: pc.BearerToken, BearerTokenFile: pc.BearerTokenFile,
			Username: pc.Username, Password: pc.Password, CAFile: pc.CAFile, Insecure: pc.Insecure})
		if err != nil {
			return configErrorf("prometheus.url: %s", unprefixed("prometheus", err))
		}
		b.prom = p
	}
	if dsn, ok := cfg.PostgresDSN(); ok {
		o := pg.Options{DSN: dsn, StatementTimeout: cfg.Postgres.StatementTimeout, LockTimeout: cfg.Postgres.LockTimeout}
		if cfg.Postgres.IAMAuth {
			ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
			aws, err := rds.LoadConfig(ctx, cfg.RDS.Region, cfg.RDS.Profile)
			cancel()
			if err != nil {
				return configErrorf("postgres.iam_auth: %s", err)
			}
			o.IAM = &pg.IAMAuth{Region: aws.Region, Credentials: aws.Credentials}
		}
		p, err := pg.NewWithOptions(context.Background(), o)
		if err != nil {
			return configErrorf("%s", prefixed("postgres", err))
		}
		b.pg = p
	}
	if cfg.RDS.Instance != "" {
		ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		client, err := rds.NewClient(ctx, cfg.RDS.Region, cfg.RDS.Profile, cfg.RDS.Endpoint)
		cancel()
		if err != nil {
			return configErrorf("%s", prefixed("rds", err))
		}
		b.rds, b.rdsInst = rds.New(client), cfg.RDS.Instance
	}
	if cfg.Title == "" {
		cfg.Title = "Incident " + sys.now().UTC().Format("2006-01-02 15:04 UTC")
	}
	return session(cfg, sys, cfg.EffectiveSeverity(), common.Mode{ReadOnly: cfg.ReadOnly, DryRun: cfg.DryRun}, "incident",
		func(incident.Session, []incident.Event) (backends, *drill.Scenario) { return b, nil }, stdout, stderr)
}

// demo runs the embedded drill. Its clock is anchored at the journal's
// declaration, so a resumed drill goes on where it was, and the actions
// already taken in it (an undone rollout) are replayed from the journal.
//
// The drill's title counts as asked for: pointed at the journal of a real
// incident, the drill refuses rather than replay its story into it.
func demo(cfg Config, sys sys, stdout, stderr io.Writer) error {
	cfg.Title, cfg.titleFlag = drill.Title, true
	declare := drill.Severity
	if cfg.Severity != "" {
		declare = cfg.EffectiveSeverity() // --severity still wins
	}
	return session(cfg, sys, declare, common.Mode{Drill: true, ReadOnly: cfg.ReadOnly, DryRun: cfg.DryRun}, "drill",
		func(_ incident.Session, events []incident.Event) (backends, *drill.Scenario) {
			sc := drill.Resume(events, sys.now)
			return backends{
				kube: sc.Kube(), prom: sc.Prom(), pg: sc.PG(), rds: sc.RDS(),
				rdsInst: drill.InstanceID, namespace: drill.Namespace, where: drillWhere(),
			}, sc
		}, stdout, stderr)
}

// stateDir is where journals go by default: $XDG_STATE_HOME/warroom.
func stateDir() string {
	dir := os.Getenv("XDG_STATE_HOME")
	if dir == "" {
		if home, err := os.UserHomeDir(); err == nil {
			dir = filepath.Join(home, ".local", "state")
		} else {
			dir = os.TempDir()
		}
	}
	return filepath.Join(dir, "warroom")
}

// newJournal creates a new, empty journal for a new incident in dir:
// prefix-YYYYMMDD-HHMMSS.jsonl, or -2, -3… when that second's name is
// taken. O_EXCL makes the name this incident's alone, so two warrooms
// started in the same second never share a journal (the second one would
// otherwise resume the first's incident as its own).
func newJournal(dir, prefix string, at time.Time) (string, error) {
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return "", fmt.Errorf("journal: %w", err)
	}
	base := filepath.Join(dir, prefix+"-"+at.UTC().Format("20060102-150405"))
	for n := 1; n <= 1000; n++ {
		path := base + ".jsonl"
		if n > 1 {
			path = fmt.Sprintf("%s-%d.jsonl", base, n)
		}
		f, err := os.OpenFile(path, os.O_WRONLY|os.O_CREATE|os.O_EXCL, 0o600)
		if errors.Is(err, fs.ErrExist) {
			continue
		}
		if err != nil {
			return "", fmt.Errorf("journal: %w", err)
		}
		return path, f.Close()
	}
	return "", fmt.Errorf("journal: %s-*.jsonl: a thousand journals this second; pass --journal", base)
}

// prefixed is err's text with "name: " in front, unless the error already
// says it (pg's errors start with "postgres: "): never "postgres: postgres:".
func prefixed(name string, err error) string {
	msg := err.Error()
	if strings.HasPrefix(msg, name+": ") {
		return msg
	}
	return name + ": " + msg
}

// unprefixed is err's text without a leading "name: ", for a message that
// names the setting itself ("prometheus.url: …").
func unprefixed(name string, err error) string {
	return strings.TrimPrefix(err.Error(), name+": ")
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
//
// Everything that can fail for a reason the user can fix (runbooks, the
// log level, a journal that is not a file or holds another incident) fails
// before anything is written to the journal.
func session(cfg Config, sys sys, declare incident.Severity, mode common.Mode, prefix string, connect func(incident.Session, []incident.Event) (backends, *drill.Scenario), stdout, stderr io.Writer) error {
	books, err := loadRunbooks(cfg)
	if err != nil {
		return err
	}
	level, err := cfg.SlogLevel()
	if err != nil {
		return configErrorf("log_level: %v", err)
	}
	var esc escalationSetup
	if esc.policy, err = cfg.EscalationPolicy(); err != nil {
		return configErrorf("%v", err)
	}
	if mode.Drill {
		esc.policy = drill.OnCall(esc.policy.Accelerated(drill.EscalationSpeed))
	}
	if esc.hook, err = cfg.NotifyHook(); err != nil {
		return configErrorf("%v", err)
	}
	madeJournal := cfg.Journal == ""
	if madeJournal {
		if cfg.Journal, err = newJournal(stateDir(), prefix, sys.now()); err != nil {
			return configErrorf("%v", err)
		}
	} else if err := journalPathOK(cfg.Journal); err != nil {
		return err
	}
	j, events, skipped, err := incident.Open(cfg.Journal)
	if err != nil {
		return configErrorf("%v", err)
	}
	defer j.Close()
	s := incident.Fold(events)
	if !s.Declared.IsZero() && cfg.titleFlag && s.Title != cfg.Title && s.Title != incident.Clean(cfg.Title) {
		return anotherIncident(j.Path(), s, cfg.Title)
	}
	if !s.Declared.IsZero() && !mode.Drill && s.Title == drill.Title {
		// A drill's journal resumed by the real console would put real
		// backends, and real actions, under the drill's story.
		return configErrorf("journal %s is a drill's (%q): to resume it: %s; the real console starts a new incident without --journal",
			j.Path(), s.Title, resumeCommand(j.Path(), true))
	}
	log, logFile, err := openLog(logPath(j.Path()), level)
	if err != nil {
		return configErrorf("log: %v", err)
	}
	defer logFile.Close()
	// client-go logs through klog, which writes to stderr: under the TUI
	// that would tear the screen. Its lines (a watch that failed and is
	// retried) go to the log beside the journal instead; the pane shows
	// the state itself.
	setKlogLogger(log.With("from", "client-go"))
	log.Info("console started", "journal", j.Path(), "version", version, "drill", mode.Drill, "read_only", mode.ReadOnly, "dry_run", mode.DryRun, "events", len(events))
	var notice string
	for _, s := range skipped {
		// The path and the parse error may carry anything: one clean line.
		why := "torn or not JSON"
		if errors.Is(s.Err, incident.ErrLineTooLong) {
			why = "too long"
		}
		fmt.Fprintln(stderr, "warroom:", incident.Clean(fmt.Sprintf("journal %s line %d skipped (%s): %v", j.Path(), s.Line, why, s.Err)))
		notice = fmt.Sprintf("journal: %d line(s) could not be read and were skipped (last: line %d, %v); everything else was resumed", len(skipped), s.Line, s.Err)
	}
	sev := declare
	// A new incident's declaration, made now and written once the share
	// (if any) has opened: a share that refuses (a wrong password) stops
	// warroom before anything is written.
	var decl *incident.Event
	incidentID := s.ID
	if s.Declared.IsZero() {
		d := incident.Declared(cfg.Actor, cfg.Title, sev, sys.now())
		if _, ok := cfg.ShareDSN(); ok {
			d.Host = userAtHost() // as sharing stamps every event a person records
		}
		d = incident.Prepare(d)
		decl, incidentID = &d, d.ID
	}
	var sh *sharing
	if _, ok := cfg.ShareDSN(); ok {
		if sh, err = openSharing(cfg, incidentID, j, events, log); err != nil {
			if madeJournal && len(events) == 0 {
				// Nothing was declared: the empty journal made for it
				// and its log go, so a rerun leaves no stray incident.
				j.Close()
				logFile.Close()
				os.Remove(j.Path())
				os.Remove(logPath(j.Path()))
			}
			return err
		}
		defer sh.Close()
		if decl == nil {
			// What the others recorded while this console was away, in
			// the journal before the panes start: the ladder must not
			// page rungs an ack elsewhere already stopped.
			for _, ev := range sh.catchUp(shareCatchUp) {
				events = append(events, ev)
				s.Apply(ev)
			}
		}
	}
	switch {
	case decl != nil:
		ev, err := j.Append(*decl)
		if err != nil {
			return errors.New(prefixed("journal", err))
		}
		events = append(events, ev)
		s.Apply(ev)
	case sev != s.Severity && cfg.severityFlag: // --severity on resume: a change
		ev, err := j.Append(incident.SeverityChange(cfg.Actor, s.Severity, sev, "", sys.now()))
		if err != nil {
			return errors.New(prefixed("journal", err))
		}
		events = append(events, ev)
		s.Apply(ev)
	}
	if sh != nil {
		// What the database lacks (events recorded offline, or before the
		// timeline was shared, the declaration) goes up; the rest is
		// ignored by ID.
		sh.publishAll(events)
	}
	b, sc := connect(s, events)

	r := lipgloss.NewRenderer(sys.out)
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

	if sys.headless {
		r.SetColorProfile(termenv.TrueColor) // draw every style, as on a terminal
	}

	c := common.Common{
		Styles:  styles.New(r, theme),
		Now:     sys.now,
		Actor:   cfg.Actor,
		Mode:    mode,
		Journal: j,
		Log:     log,
	}
	if sh != nil {
		c.Journal, c.Host = sh, sh.host
		if sys.recorder != nil {
			sys.recorder(sh)
		}
	}
	resume := resumeCommand(j.Path(), mode.Drill)
	if sh != nil && cfg.Share.enabled {
		// The DSN given on the command line without its password (it
		// comes from PGPASSWORD or .pgpass then): the resumed console
		// shares again (share.postgres needs nothing).
		resume += " --share " + shellQuote(dsnWithoutPassword(cfg.Share.Postgres))
	}
	// The session's lifetime: watches and streams the panes start end with it.
	ctx, endSession := context.WithCancel(context.Background())
	defer endSession()
	ro, err := cfg.ReportOptions()
	if err != nil {
		return err
	}
	evidenceAfter := cfg.Report.EvidenceAfter
	if evidenceAfter == 0 && mode.Drill {
		evidenceAfter = drill.EvidenceAfter
	}
	var clipboard func(string) error
	if !sys.headless {
		// OSC 52 in one write: the renderer's own writes are whole
		// frames, so the sequence never lands inside one.
		out := sys.out
		clipboard = func(text string) error {
			_, err := io.WriteString(out, ansi.SetSystemClipboard(text))
			return err
		}
	}
	m := tui.New(tui.Options{
		Common:        c,
		Panes:         buildPanes(ctx, c, cfg, b, esc, s, events, runbooks.NewIndex(books)),
		Session:       s,
		JournalPath:   j.Path(),
		Resume:        resume,
		Notice:        notice,
		EvidenceAfter: evidenceAfter,
		Awaiting:      awaiting(events, sh),
		Report:        ro,
		Clipboard:     clipboard,
		Share:         shareOption(sh),
	})
	opts := []tea.ProgramOption{tea.WithFPS(30), tea.WithOutput(sys.out)}
	if sys.headless {
		opts = append(opts, tea.WithInput(nil), tea.WithoutSignalHandler())
	} else {
		opts = append(opts, tea.WithAltScreen())
	}
	p := tea.NewProgram(m, opts...)
	if sys.started != nil {
		sys.started(p)
	}
	if sc != nil {
		go playScript(ctx, p, sc, s.ID, c.Journal, events, sys.scriptEvery)
	}
	if _, err := p.Run(); err != nil {
		return err
	}
	fmt.Fprintf(stdout, "journal: %s\nresume:  %s\n", sanitize.Line(j.Path()), sanitize.Line(resume))
	return nil
}

// awaiting are the actions whose evidence this console takes over at
// start: on a shared timeline only those started here (by this OS
// user@host, or before the timeline was shared); the console that
// started the others takes theirs.
func awaiting(events []incident.Event, sh *sharing) map[string]incident.Awaiting {
	aw := incident.AwaitingEvidence(events)
	if sh == nil || len(aw) == 0 {
		return aw
	}
	host := map[string]string{}
	for _, ev := range events {
		if _, ok := aw[ev.ID]; ok {
			host[ev.ID] = ev.Host
		}
	}
	for id := range aw {
		if h := host[id]; h != "" && h != sh.host {
			delete(aw, id)
		}
	}
	return aw
}

// shareOption is sh as the shell's Share: nil (not a nil *sharing) when
// the timeline is not shared.
func shareOption(sh *sharing) tui.Share {
	if sh == nil {
		return nil
	}
	return sh
}

// escalationSetup is the escalation pane's policy and hook, from the
// config (a drill's policy accelerated).
type escalationSetup struct {
	policy incident.Policy
	hook   *notify.Hook
}

// resumeCommand is the command line that resumes the journal at path, with
// the binary as it was invoked (./bin/warroom after make demo).
func resumeCommand(path string, drill bool) string {
	self := "warroom"
	switch arg0 := os.Args[0]; {
	case strings.Contains(arg0, string(filepath.Separator)+"go-build"):
		self = "go run ./cmd/warroom" // go run's binary is deleted on exit
	case strings.ContainsRune(arg0, filepath.Separator):
		self = shellQuote(arg0)
	}
	if drill {
		return self + " demo --journal " + shellQuote(path)
	}
	return self + " --journal " + shellQuote(path)
}

// anotherIncident refuses to declare a new incident into the journal of
// another one (its title differs from the one asked for), and says how to
// resume that one instead.
func anotherIncident(path string, s incident.Session, title string) error {
	sev := "severity unknown"
	if s.SeverityKnown {
		sev = s.Severity.String()
	}
	return configErrorf("journal %s already holds another incident, %q (%s, declared %s), not %q: to resume it: %s; to declare a new incident, leave out --journal (a new journal is made) or name a new file",
		path, s.Title, sev, s.Declared.UTC().Format("2006-01-02 15:04 UTC"), title, resumeCommand(path, s.Title == drill.Title))
}

// buildPanes is the console's panes, in the order of their tabs and jump
// keys, with their place in the grid.
func buildPanes(ctx context.Context, c common.Common, cfg Config, b backends, esc escalationSetup, s incident.Session, events []incident.Event, ix *runbooks.Index) []tui.PaneSpec {
	return []tui.PaneSpec{
		{Pane: pods.New(c, b.kube, pods.Config{Namespaces: kube.SplitNamespaces(b.namespace), Context: ctx}), Tab: "Pods"},
		{Pane: errorrate.New(c, b.prom, errorrateConfig(cfg, s)), Tab: "Errors"},
		{Pane: queries.New(c, b.pg, b.rds, queries.Config{Refresh: cfg.Refresh, RDSInstance: b.rdsInst}), Tab: "Queries"},
		{Pane: escalation.New(c, escalation.Config{Session: s, Policy: esc.policy, Hook: esc.hook}), Tab: "Escalation"},
		{Pane: runbook.New(c, ix, runbookConfig(cfg, b)), Tab: "Runbooks", Place: tui.PlaceSidebar},
		{Pane: timeline.New(c, timeline.Config{Events: events}), Tab: "Timeline", Place: tui.PlaceStrip},
	}
}

// playScript records the drill's scripted events when they fall due on
// the drill's clock, each once, by ID: events already in the journal (a
// resumed drill) are not repeated. The script is read anew every period,
// because actions change it (an undo resolves the alert a minute later).
//
// It runs beside the program until ctx ends, handing the program each
// recorded event, rather than as a chain of tea.Cmds: a Cmd whose BatchMsg
// holds the next tick leaves every earlier tick's goroutine waiting for it
// (bubbletea waits for the whole batch), one goroutine more per tick for as
// long as the drill runs — the soak test found 3,600 an hour.
func playScript(ctx context.Context, p *tea.Program, sc *drill.Scenario, incidentID string, j common.Recorder, have []incident.Event, every time.Duration) {
	seen := map[string]bool{}
	for _, e := range have {
		seen[e.ID] = true
	}
	t := time.NewTicker(every)
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		}
		now := sc.Now()
		for _, s := range sc.Script(incidentID) {
			if seen[s.Event.ID] || s.Event.Time.After(now) {
				continue
			}
			seen[s.Event.ID] = true
			p.Send(common.RecordEvent(j, s.Event)()) // returns at once once the program has ended
		}
	}
}

// shellQuote quotes s for bash (mvdan.cc/sh), for the resume hint.
func shellQuote(s string) string {
	q, err := syntax.Quote(s, syntax.LangBash)
	if err != nil {
		return strconv.Quote(s) // only for strings bash cannot hold (NUL): shown, not run
	}
	return q
}

// klogTarget is where client-go's klog lines go: the log of the session
// running now. klog's logger is process-wide and read by client-go's
// goroutines at any time, so it is set once, to a handler that forwards
// to this.
var (
	klogOnce   sync.Once
	klogTarget atomic.Pointer[slog.Logger]
)

type klogForward struct{}

func (klogForward) Enabled(ctx context.Context, l slog.Level) bool {
	t := klogTarget.Load()
	return t != nil && t.Enabled(ctx, l)
}
func (klogForward) Handle(ctx context.Context, r slog.Record) error {
	if t := klogTarget.Load(); t != nil {
		return t.Handler().Handle(ctx, r)
	}
	return nil
}
func (f klogForward) WithAttrs([]slog.Attr) slog.Handler { return f }
func (f klogForward) WithGroup(string) slog.Handler      { return f }

// setKlogLogger sends client-go's log lines (a watch that failed and is
// retried) to log, the log beside the journal: klog writes to stderr by
// default, which would tear the screen.
func setKlogLogger(log *slog.Logger) {
	klogTarget.Store(log)
	klogOnce.Do(func() { klog.SetLogger(logr.FromSlogHandler(klogForward{})) })
}

// errorrateConfig is the error-rate pane's config: the graphs (the
// defaults unless the config names others) and the health checks.
func errorrateConfig(cfg Config, s incident.Session) errorrate.Config {
	ec := errorrate.Config{Refresh: cfg.Refresh, Session: s, TopQuery: cfg.Prometheus.TopQuery}
	for _, p := range cfg.Prometheus.Panels {
		ec.Panels = append(ec.Panels, errorrate.Panel{Name: p.Name, Query: p.Query, Unit: p.Unit, Threshold: p.Threshold, Below: p.Below})
	}
	for _, h := range cfg.Health {
		ec.Health = append(ec.Health, health.Check{Name: h.Name, URL: h.URL, Expect: h.Expect, Timeout: h.Timeout})
	}
	if len(ec.Health) > 0 {
		ec.HealthProbe = health.New(&http.Client{CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }})
	}
	return ec
}
