// Command warroom is a full-screen terminal war-room console for the
// engineer on call during an incident: pods, error rate, slow queries and
// the escalation clock on one screen, runbooks beside them, and every
// action on a timeline that outlives the process.
//
// All setup (config, clients, journal, runbooks) happens here, before the
// TUI starts: a mistake is reported on a clean terminal with exit status 2.
package main

import (
	"errors"
	"fmt"
	"io"
	"os"
	"runtime"
	"strings"
	"time"

	tea "github.com/charmbracelet/bubbletea"
	"github.com/spf13/cobra"
	"github.com/spf13/pflag"
	"golang.org/x/term"

	"github.com/warroom-dev/warroom/incident"
	"github.com/warroom-dev/warroom/tui/common"
)

// version is set at build time with -ldflags "-X main.version=…".
var version = "dev"

func main() {
	os.Exit(run(os.Args[1:], os.Stdout, os.Stderr))
}

// run is main without the exit, for tests.
func run(args []string, stdout, stderr io.Writer) int {
	return runSys(args, stdout, stderr, osSys())
}

// runSys is run with the process's terminal and clock given by sys.
func runSys(args []string, stdout, stderr io.Writer, sys sys) int {
	root := newRootCmdSys(stdout, stderr, sys)
	root.SetArgs(args)
	err := root.Execute()
	if err == nil {
		return 0
	}
	// Last line of defence: whatever an error carries (a path with escape
	// sequences, a DSN from a library's message) reaches stderr as one
	// clean line with credentials redacted.
	fmt.Fprintln(stderr, "warroom:", incident.Clean(err.Error()))
	var ce *ConfigError
	if errors.As(err, &ce) || isUsageError(err) {
		return 2
	}
	return 1
}

// sys is what a session takes from the process: its clock, and the
// terminal it draws on. main uses osSys(); the soak test runs the real
// wiring headless on a compressed clock.
type sys struct {
	now func() time.Time
	// scriptEvery is how often (real time) the drill's script is read.
	scriptEvery time.Duration
	in          *os.File  // keys
	out         io.Writer // the screen
	// headless runs without a terminal (tests): no terminal check, no
	// input, no alternate screen, no signal handler.
	headless bool
	// started, if set, is given the program just before it runs.
	started func(*tea.Program)
	// recorder, if set, is given the journal the panes record through
	// when the timeline is shared (tests add events as panes do).
	recorder func(common.Recorder)
}

func osSys() sys {
	return sys{now: time.Now, scriptEvery: time.Second, in: os.Stdin, out: os.Stdout}
}

// errNoTerminal is exit status 2, like a usage mistake: warroom was started
// where it cannot draw or read keys (a pipe, cron, CI), and nothing was
// declared or written.
var errNoTerminal = usageError{errors.New("not a terminal: warroom is a full-screen console and needs a terminal on stdin and stdout (nothing was declared or written)")}

// terminal checks, before any journal is opened, that the console can draw
// and read keys.
func (s sys) terminal() error {
	if s.headless {
		return nil
	}
	out, ok := s.out.(*os.File)
	if s.in == nil || !ok || !term.IsTerminal(int(s.in.Fd())) || !term.IsTerminal(int(out.Fd())) {
		return errNoTerminal
	}
	return nil
}

// usageError marks flag and argument mistakes (exit 2, like config ones).
type usageError struct{ error }

// noArgs is cobra.NoArgs as a usage error (exit 2).
func noArgs(cmd *cobra.Command, args []string) error {
	if err := cobra.NoArgs(cmd, args); err != nil {
		return usageError{err}
	}
	return nil
}

func isUsageError(err error) bool {
	var ue usageError
	return errors.As(err, &ue)
}

// flags are the console's flags; each has a config key (flags win).
type flags struct {
	config     string
	kubeconfig string
	context    string
	namespace  string
	prometheus string
	postgres   string
	pgIAM      bool
	rdsInst    string
	region     string
	profile    string
	runbooks   []string
	journal    string
	title      string
	severity   string
	actor      string
	readOnly   bool
	dryRun     bool
	refresh    time.Duration
	logLevel   string

	allNamespaces bool
	promTokenFile string
	promCA        string
	promInsecure  bool
	health        []string
	share         string
	shareIAM      bool
}

func (f *flags) register(fs *pflag.FlagSet) {
	d := Defaults()
	fs.StringVar(&f.config, "config", "", "config file (default $XDG_CONFIG_HOME/warroom/config.yaml)")
	fs.StringVar(&f.kubeconfig, "kubeconfig", "", "kubeconfig file (kube.kubeconfig; default $KUBECONFIG or ~/.kube/config)")
	fs.StringVar(&f.context, "context", "", "kubeconfig context (kube.context; default the current one)")
	fs.StringVarP(&f.namespace, "namespace", "n", d.Kube.Namespace, "namespaces to watch, comma-separated (kube.namespace)")
	fs.BoolVarP(&f.allNamespaces, "all-namespaces", "A", false, "watch every namespace (kube.namespace: \"\")")
	fs.StringVar(&f.prometheus, "prometheus", "", "Prometheus URL, e.g. http://localhost:9090 (prometheus.url)")
	fs.StringVar(&f.promTokenFile, "prometheus-token-file", "", "file holding a bearer token for Prometheus, read on every request (prometheus.bearer_token_file)")
	fs.StringVar(&f.promCA, "prometheus-ca", "", "PEM CA bundle to verify Prometheus' certificate (prometheus.ca_file)")
	fs.BoolVar(&f.promInsecure, "prometheus-insecure", false, "do not verify Prometheus' certificate (prometheus.insecure_skip_verify)")
	fs.StringArrayVar(&f.health, "health", nil, "a health check NAME=URL, e.g. api=https://api.example.com/health; repeatable (health)")
	fs.StringVar(&f.postgres, "postgres", "", "PostgreSQL DSN (postgres.dsn; else $DATABASE_URL, else libpq PG* variables)")
	fs.BoolVar(&f.pgIAM, "postgres-iam", false, "sign in to PostgreSQL with an RDS IAM auth token (postgres.iam_auth; AWS credential chain, --region, --profile)")
	fs.StringVar(&f.rdsInst, "rds-instance", "", "RDS DB instance identifier (rds.instance)")
	fs.StringVar(&f.region, "region", "", "AWS region for RDS (rds.region; else $AWS_REGION)")
	fs.StringVar(&f.profile, "profile", "", "AWS shared-config profile (rds.profile)")
	fs.StringArrayVar(&f.runbooks, "runbooks", nil, "extra runbooks: a folder or a .md file; repeatable (runbooks)")
	fs.StringVar(&f.journal, "journal", "", "timeline journal; an existing one is resumed (journal; default a new file under $XDG_STATE_HOME/warroom)")
	fs.StringVar(&f.title, "title", "", "incident title when declaring (title)")
	fs.StringVar(&f.severity, "severity", DefaultSeverity.String(), "severity P0..P3 (severity); on resume, a change")
	fs.StringVar(&f.actor, "actor", d.Actor, "who is acting, on the timeline (actor)")
	fs.BoolVar(&f.readOnly, "read-only", false, "make destructive actions impossible (read_only)")
	fs.BoolVar(&f.dryRun, "dry-run", false, "show destructive actions as \"would run\" without running them (dry_run)")
	fs.DurationVar(&f.refresh, "refresh", d.Refresh, "how often panes poll their backends (refresh)")
	fs.StringVar(&f.share, "share", "", "share the incident's timeline with other consoles through this PostgreSQL database: a DSN; empty for PG* variables (share.postgres)")
	fs.BoolVar(&f.shareIAM, "share-iam", false, "sign in to the --share database with an RDS IAM auth token (share.iam_auth)")
	fs.StringVar(&f.logLevel, "log-level", d.LogLevel, "level of the log written beside the journal: debug, info, warn, error (log_level)")
}

// apply puts the flags the user set on top of the config.
func (f *flags) apply(fs *pflag.FlagSet, c *Config) {
	set := func(name string, fn func()) {
		if fs.Changed(name) {
			fn()
		}
	}
	set("kubeconfig", func() { c.Kube.Kubeconfig = f.kubeconfig })
	set("context", func() { c.Kube.Context = f.context })
	set("namespace", func() { c.Kube.Namespace = f.namespace })
	set("all-namespaces", func() {
		if f.allNamespaces {
			c.Kube.Namespace = ""
		}
	})
	set("prometheus", func() { c.Prometheus.URL = f.prometheus })
	set("prometheus-token-file", func() { c.Prometheus.BearerTokenFile = f.promTokenFile })
	set("prometheus-ca", func() { c.Prometheus.CAFile = f.promCA })
	set("prometheus-insecure", func() { c.Prometheus.Insecure = f.promInsecure })
	set("health", func() {
		c.Health = nil // the command line's checks replace the file's
		for _, h := range f.health {
			name, u, _ := strings.Cut(h, "=")
			c.Health = append(c.Health, HealthConfig{Name: name, URL: u})
		}
	})
	set("postgres", func() { c.Postgres.DSN = f.postgres })
	set("postgres-iam", func() { c.Postgres.IAMAuth = f.pgIAM })
	set("rds-instance", func() { c.RDS.Instance = f.rdsInst })
	set("region", func() { c.RDS.Region = f.region })
	set("profile", func() { c.RDS.Profile = f.profile })
	set("runbooks", func() { c.Runbooks = append(c.Runbooks, f.runbooks...) })
	set("journal", func() { c.Journal = f.journal })
	set("title", func() { c.Title, c.titleFlag = f.title, true })
	set("severity", func() { c.Severity, c.severityFlag = f.severity, true })
	set("actor", func() { c.Actor = f.actor })
	set("read-only", func() { c.ReadOnly = f.readOnly })
	set("dry-run", func() { c.DryRun = f.dryRun })
	set("refresh", func() { c.Refresh = f.refresh })
	set("log-level", func() { c.LogLevel = f.logLevel })
	set("share", func() { c.Share.Postgres, c.Share.enabled = f.share, true })
	set("share-iam", func() { c.Share.IAMAuth = f.shareIAM })
}

// loadConfig reads the config file (explicit or default) and applies flags.
func (f *flags) loadConfig(fs *pflag.FlagSet) (Config, error) {
	c := Defaults()
	path, required := f.config, true
	if path == "" {
		path, required = DefaultConfigPath(), false
	}
	if path != "" {
		if err := LoadFile(path, required, &c); err != nil {
			return c, err
		}
	}
	f.apply(fs, &c)
	return c, c.Validate()
}

func newRootCmd(stdout, stderr io.Writer) *cobra.Command {
	return newRootCmdSys(stdout, stderr, osSys())
}

func newRootCmdSys(stdout, stderr io.Writer, sys sys) *cobra.Command {
	var f flags
	root := &cobra.Command{
		Use:   "warroom",
		Short: "A terminal war-room console for the engineer on call",
		Long: `warroom shows what is burning — pods, the error rate, slow queries, the
escalation clock — beside the runbooks, and keeps every action on a timeline
that survives crashes and becomes the incident report.

Start the embedded drill with 'warroom demo'.`,
		Args:          noArgs,
		SilenceUsage:  true,
		SilenceErrors: true,
		RunE: func(cmd *cobra.Command, _ []string) error {
			cfg, err := f.loadConfig(cmd.Flags())
			if err != nil {
				return err
			}
			if err := sys.terminal(); err != nil {
				return err
			}
			return console(cfg, sys, stdout, stderr)
		},
	}
	root.SetOut(stdout)
	root.SetErr(stderr)
	root.SetFlagErrorFunc(func(_ *cobra.Command, err error) error { return usageError{err} })
	f.register(root.PersistentFlags())

	root.AddCommand(&cobra.Command{
		Use:   "demo",
		Short: "Run the embedded drill: a scripted incident, nothing real touched",
		Args:  noArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			cfg, err := f.loadConfig(cmd.Flags())
			if err != nil {
				return err
			}
			if err := sys.terminal(); err != nil {
				return err
			}
			return demo(cfg, sys, stdout, stderr)
		},
	})
	root.AddCommand(runbooksCmd(&f, stdout))
	root.AddCommand(reportCmd(&f, sys, stdout, stderr))
	root.AddCommand(incidentsCmd(&f, stdout))
	root.AddCommand(joinCmd(&f, sys, stdout, stderr))
	root.AddCommand(&cobra.Command{
		Use:   "version",
		Short: "Print the version",
		Args:  noArgs,
		RunE: func(*cobra.Command, []string) error {
			fmt.Fprintf(stdout, "warroom %s (%s, %s/%s)\n", version, runtime.Version(), runtime.GOOS, runtime.GOARCH)
			return nil
		},
	})
	return root
}
