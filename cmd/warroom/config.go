package main

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"log/slog"
	"maps"
	"math"
	"net/url"
	"os"
	"path/filepath"
	"reflect"
	"regexp"
	"slices"
	"sort"
	"strings"
	"time"

	"gopkg.in/yaml.v3"

	"github.com/warroom-dev/warroom/incident"
	"github.com/warroom-dev/warroom/incident/notify"
	"github.com/warroom-dev/warroom/incident/report"
)

// Config is the console's configuration: the YAML file, then flags on top.
type Config struct {
	Title string `yaml:"title"`
	// Severity is "" unless the file or a flag set it: a resumed incident
	// keeps its own severity unless one is asked for.
	Severity string        `yaml:"severity"`
	Actor    string        `yaml:"actor"`
	Journal  string        `yaml:"journal"`
	ReadOnly bool          `yaml:"read_only"`
	DryRun   bool          `yaml:"dry_run"`
	Refresh  time.Duration `yaml:"refresh"`
	Runbooks []string      `yaml:"runbooks"`
	// LogLevel is the structured log's level: debug, info, warn, error.
	LogLevel string `yaml:"log_level"`

	Kube struct {
		Kubeconfig string `yaml:"kubeconfig"`
		Context    string `yaml:"context"`
		Namespace  string `yaml:"namespace"`
	} `yaml:"kube"`
	Prometheus struct {
		URL string `yaml:"url"`
		// Credentials and TLS (prom.Options): a token, a token file (read
		// on every request) or basic auth; a CA bundle or insecure.
		BearerToken     string `yaml:"bearer_token"`
		BearerTokenFile string `yaml:"bearer_token_file"`
		Username        string `yaml:"username"`
		Password        string `yaml:"password"`
		CAFile          string `yaml:"ca_file"`
		Insecure        bool   `yaml:"insecure_skip_verify"`
		// Panels replace the error-rate pane's default graphs.
		Panels []PanelConfig `yaml:"panels"`
		// TopQuery is the table under the graph.
		TopQuery string `yaml:"top_query"`
	} `yaml:"prometheus"`
	// Health are HTTP health checks (the playbook's curl …/health): a dot
	// per service in the status bar with its latency.
	Health   []HealthConfig `yaml:"health"`
	Postgres struct {
		DSN string `yaml:"dsn"`
		// IAMAuth signs in with an RDS IAM auth token (from the AWS
		// credential chain, rds.region/rds.profile) instead of a password.
		IAMAuth bool `yaml:"iam_auth"`
		// StatementTimeout and LockTimeout bound the console's own
		// queries (0: 5s and 2s).
		StatementTimeout time.Duration `yaml:"statement_timeout"`
		LockTimeout      time.Duration `yaml:"lock_timeout"`
	} `yaml:"postgres"`
	RDS struct {
		Instance string `yaml:"instance"`
		Region   string `yaml:"region"`
		Profile  string `yaml:"profile"`
		Endpoint string `yaml:"endpoint"`
	} `yaml:"rds"`
	// Escalation is the escalation policy (EscalationPolicy) and the
	// notification hook (NotifyHook).
	Escalation EscalationConfig `yaml:"escalation"`
	// Steps is how runbook steps run: a bash step's environment (added to
	// warroom's own) and working directory, and each step's timeout.
	Steps struct {
		Timeout time.Duration     `yaml:"timeout"`
		Env     map[string]string `yaml:"env"`
		Dir     string            `yaml:"dir"`
	} `yaml:"steps"`
	// Report is what the incident report and its drafts say beyond the
	// journal (report.Options), and when an action's evidence is taken.
	Report struct {
		// EvidenceAfter: how long after an action ends its evidence (the
		// vital signs then) is recorded; 0: 5 minutes (90 s in a drill).
		EvidenceAfter time.Duration `yaml:"evidence_after"`
		Product       string        `yaml:"product"`     // the customer email's "[Agent Platform]"
		Support       string        `yaml:"support"`     // the address customers write to
		StatusPage    string        `yaml:"status_page"` // status.agentplatform.com
		TimeZone      string        `yaml:"time_zone"`   // the report's times (default UTC)
	} `yaml:"report"`

	// Share is the shared timeline (issue 15): this console's events also
	// go to a table in that PostgreSQL database, and every other console
	// of the incident's come back from it.
	Share struct {
		// Postgres is the database's DSN (a URL or key=value settings;
		// what it leaves out comes from PG* variables and .pgpass).
		Postgres string `yaml:"postgres"`
		// IAMAuth signs in with an RDS IAM auth token (rds.region,
		// rds.profile) instead of a password.
		IAMAuth bool `yaml:"iam_auth"`
		// enabled: --share was given (an empty DSN: all of it from PG*).
		enabled bool
	} `yaml:"share"`

	// severityFlag and titleFlag record that --severity and --title were
	// given on the command line (flags.apply): only then does a resumed
	// incident change severity, or a journal of another incident refuse.
	// The file's values are defaults for a new incident.
	severityFlag, titleFlag bool
}

// ReportOptions are the report's options from the config: the product,
// support address and status page the drafts name, the time zone, and
// the escalation policy's response times.
func (c Config) ReportOptions() (report.Options, error) {
	p, err := c.EscalationPolicy()
	if err != nil {
		return report.Options{}, configErrorf("%v", err)
	}
	o := report.Options{Policy: p, Product: c.Report.Product, Support: c.Report.Support, StatusPage: c.Report.StatusPage}
	if c.Report.TimeZone != "" {
		loc, err := time.LoadLocation(c.Report.TimeZone)
		if err != nil {
			return o, configErrorf("report.time_zone: %v", err)
		}
		o.Location = loc
	}
	return o, nil
}

// PanelConfig is one error-rate graph (errorrate.Panel).
type PanelConfig struct {
	Name      string   `yaml:"name"`
	Query     string   `yaml:"query"`
	Unit      string   `yaml:"unit"` // "%", "req/s" or ""
	Threshold *float64 `yaml:"threshold"`
	Below     bool     `yaml:"below"` // the threshold is a floor (a success rate)
}

// HealthConfig is one health check (health.Check).
type HealthConfig struct {
	Name    string        `yaml:"name"`
	URL     string        `yaml:"url"`
	Expect  int           `yaml:"expect"` // the status that means healthy; 0: any 2xx
	Timeout time.Duration `yaml:"timeout"`
}

// EscalationConfig is the escalation: section: the playbook's policy
// (incident.DefaultPolicy) with what it sets on top, and the hook that
// pages.
type EscalationConfig struct {
	// Team is the on-call team whose rotation the ladder pages; empty:
	// the first of Teams.
	Team string `yaml:"team"`
	// Teams replace the playbook's teams when given.
	Teams []TeamConfig `yaml:"teams"`
	// Ladder replaces the playbook's ladder when given.
	Ladder []RungConfig `yaml:"ladder"`
	// Contacts are the contacts of rungs without a rotation, by role
	// (case-insensitive).
	Contacts map[string]ContactConfig `yaml:"contacts"`
	// Response are response times by severity; a zero keeps the
	// playbook's.
	Response struct {
		P0 time.Duration `yaml:"P0"`
		P1 time.Duration `yaml:"P1"`
		P2 time.Duration `yaml:"P2"`
		P3 time.Duration `yaml:"P3"`
	} `yaml:"response"`
	Hook HookConfig `yaml:"hook"`
}

// TeamConfig is one on-call team (incident.Team).
type TeamConfig struct {
	Name      string        `yaml:"name"`
	Primary   ContactConfig `yaml:"primary"`
	Secondary ContactConfig `yaml:"secondary"`
}

// ContactConfig is whom to reach (incident.Contact).
type ContactConfig struct {
	Name    string `yaml:"name"`
	Contact string `yaml:"contact"`
}

// RungConfig is one rung of the ladder (incident.Rung).
type RungConfig struct {
	Role   string        `yaml:"role"`
	Window time.Duration `yaml:"window"`
	// P0 is normal (or empty), at_once or on_schedule (incident.P0Rule).
	P0 string `yaml:"p0"`
	// Rotation is primary, secondary, or empty for a rung that pages
	// Contact.
	Rotation string        `yaml:"rotation"`
	Contact  ContactConfig `yaml:"contact"`
}

// HookConfig is the notification hook (notify.Hook): a command or a URL.
type HookConfig struct {
	Command []string          `yaml:"command"`
	URL     string            `yaml:"url"`
	Headers map[string]string `yaml:"headers"`
	Timeout time.Duration     `yaml:"timeout"`
}

// Defaults are what a config starts from.
func Defaults() Config {
	var c Config
	c.Refresh = 2 * time.Second
	c.LogLevel = "info"
	c.Kube.Namespace = "agent-platform"
	c.Actor = os.Getenv("USER")
	if c.Actor == "" {
		c.Actor = "oncall"
	}
	return c
}

// ConfigError is a configuration mistake: exit status 2, before the TUI.
type ConfigError struct{ Msg string }

func (e *ConfigError) Error() string { return e.Msg }

// configErrorf builds a ConfigError whose text is safe for stderr: one
// line, no control characters, credentials (a DSN's password, a URL's
// userinfo) redacted, whatever the arguments held.
func configErrorf(format string, a ...any) error {
	return &ConfigError{Msg: incident.Clean(fmt.Sprintf(format, a...))}
}

// DefaultConfigPath is $XDG_CONFIG_HOME/warroom/config.yaml.
func DefaultConfigPath() string {
	dir := os.Getenv("XDG_CONFIG_HOME")
	if dir == "" {
		home, err := os.UserHomeDir()
		if err != nil {
			return ""
		}
		dir = filepath.Join(home, ".config")
	}
	return filepath.Join(dir, "warroom", "config.yaml")
}

// LoadFile reads path into c. A missing file is fine only when required is
// false (the default path); an unknown key or a bad value is an error that
// names the key and its line.
func LoadFile(path string, required bool, c *Config) error {
	data, err := os.ReadFile(path)
	if err != nil {
		if errors.Is(err, os.ErrNotExist) && !required {
			return nil
		}
		var pe *fs.PathError
		if errors.As(err, &pe) {
			err = pe.Err // the path is named once, below
		}
		return configErrorf("config %s: %v", path, err)
	}
	return loadData(path, data, c)
}

// loadData is LoadFile once the file is read (the fuzz target's entry).
func loadData(path string, data []byte, c *Config) error {
	if err := decodeFile(data, c); err != nil {
		return configErrorf("config %s: %v", path, err)
	}
	// Paths in the file may start with ~ (the shell expands flags, not YAML).
	c.Journal = expandHome(c.Journal)
	c.Kube.Kubeconfig = expandHome(c.Kube.Kubeconfig)
	for i, p := range c.Runbooks {
		c.Runbooks[i] = expandHome(p)
	}
	return nil
}

// decodeFile decodes one YAML document into c. A second document and a key
// given twice (at any level) are errors: yaml.v3 would silently use the
// first document, and the last of two keys, so the file would not mean
// what it says.
func decodeFile(data []byte, c *Config) error {
	dec := yaml.NewDecoder(bytes.NewReader(data))
	var doc yaml.Node
	if err := dec.Decode(&doc); err != nil {
		if errors.Is(err, io.EOF) {
			return nil // empty file, or only comments
		}
		return errors.New(strings.TrimPrefix(err.Error(), "yaml: "))
	}
	var next yaml.Node
	switch err := dec.Decode(&next); {
	case errors.Is(err, io.EOF):
	case err != nil:
		return errors.New(strings.TrimPrefix(err.Error(), "yaml: "))
	default:
		return fmt.Errorf("line %d: a second YAML document (after ---): a config file is one document", max(next.Line, 1))
	}
	if len(doc.Content) == 0 || doc.Content[0].Tag == "!!null" {
		return nil // only "---", or "~"
	}
	if err := noDuplicateKeys(doc.Content[0], ""); err != nil {
		return err
	}
	return decodeStrict(doc.Content[0], reflect.ValueOf(c).Elem(), "")
}

// noDuplicateKeys fails on the first mapping, anywhere under n, that has
// the same key twice.
func noDuplicateKeys(n *yaml.Node, prefix string) error {
	switch n.Kind {
	case yaml.SequenceNode:
		for _, e := range n.Content {
			if err := noDuplicateKeys(e, prefix); err != nil {
				return err
			}
		}
	case yaml.MappingNode:
		first := map[string]int{}
		for i := 0; i+1 < len(n.Content); i += 2 {
			k := n.Content[i]
			if k.Kind == yaml.ScalarNode {
				if line, dup := first[k.Value]; dup {
					return fmt.Errorf("line %d: duplicate key %q (first at line %d)", k.Line, prefix+k.Value, line)
				}
				first[k.Value] = k.Line
			}
			if err := noDuplicateKeys(n.Content[i+1], prefix+k.Value+"."); err != nil {
				return err
			}
		}
	}
	return nil
}

// expandHome turns a leading ~/ into the home directory.
func expandHome(p string) string {
	if p != "~" && !strings.HasPrefix(p, "~/") {
		return p
	}
	home, err := os.UserHomeDir()
	if err != nil {
		return p
	}
	return filepath.Join(home, strings.TrimPrefix(p, "~"))
}

// decodeStrict walks a mapping node against a struct: every key must be a
// known yaml tag; every value must decode into its field. Errors name the
// dotted key and its line.
func decodeStrict(n *yaml.Node, v reflect.Value, prefix string) error {
	if n.Kind != yaml.MappingNode {
		where := "the top level"
		if prefix != "" {
			where = strings.TrimSuffix(prefix, ".")
		}
		return fmt.Errorf("line %d: %s must be a mapping of keys", n.Line, where)
	}
	fields := map[string]reflect.Value{}
	var known []string
	t := v.Type()
	for i := 0; i < t.NumField(); i++ {
		tag := strings.Split(t.Field(i).Tag.Get("yaml"), ",")[0]
		if tag != "" && tag != "-" {
			fields[tag] = v.Field(i)
			known = append(known, tag)
		}
	}
	sort.Strings(known)
	for i := 0; i+1 < len(n.Content); i += 2 {
		k, val := n.Content[i], n.Content[i+1]
		name := prefix + k.Value
		f, ok := fields[k.Value]
		if !ok {
			return fmt.Errorf("line %d: unknown key %q (known keys%s: %s)", k.Line, name, under(prefix), strings.Join(known, ", "))
		}
		if err := decodeValue(val, f, name); err != nil {
			return err
		}
	}
	return nil
}

// decodeValue decodes n into the field v, named name. A struct, and each
// struct in a list or a map of them, is decoded strictly (decodeStrict),
// so an unknown key is an error at any depth (escalation.ladder[1].windw);
// anything else is yaml.v3's.
func decodeValue(n *yaml.Node, v reflect.Value, name string) error {
	if n.Kind == yaml.AliasNode && n.Alias != nil {
		n = n.Alias
	}
	t := v.Type()
	switch {
	case strictStruct(t):
		return decodeStrict(n, v, name+".")
	case t.Kind() == reflect.Slice && strictStruct(t.Elem()):
		if n.Tag == "!!null" {
			v.SetZero()
			return nil
		}
		if n.Kind != yaml.SequenceNode {
			return fmt.Errorf("line %d: %s must be a list", n.Line, name)
		}
		s := reflect.MakeSlice(t, len(n.Content), len(n.Content))
		for i, e := range n.Content {
			if err := decodeValue(e, s.Index(i), fmt.Sprintf("%s[%d]", name, i)); err != nil {
				return err
			}
		}
		v.Set(s)
		return nil
	case t.Kind() == reflect.Map && t.Key().Kind() == reflect.String && strictStruct(t.Elem()):
		if n.Tag == "!!null" {
			v.SetZero()
			return nil
		}
		if n.Kind != yaml.MappingNode {
			return fmt.Errorf("line %d: %s must be a mapping", n.Line, name)
		}
		m := reflect.MakeMapWithSize(t, len(n.Content)/2)
		for i := 0; i+1 < len(n.Content); i += 2 {
			k := reflect.New(t.Key()).Elem()
			if err := decodeValue(n.Content[i], k, name+" key"); err != nil {
				return err
			}
			e := reflect.New(t.Elem()).Elem()
			if err := decodeValue(n.Content[i+1], e, name+"."+k.String()); err != nil {
				return err
			}
			m.SetMapIndex(k, e)
		}
		v.Set(m)
		return nil
	}
	if err := n.Decode(v.Addr().Interface()); err != nil {
		msg := err.Error()
		if te := (*yaml.TypeError)(nil); errors.As(err, &te) && len(te.Errors) > 0 {
			msg = te.Errors[0]
			if j := strings.Index(msg, ": "); j >= 0 && strings.HasPrefix(msg, "line ") {
				msg = msg[j+2:]
			}
		}
		if secretKey(name) {
			// yaml.v3 quotes the start of the value: it may be a token.
			msg = quotedValue.ReplaceAllString(msg, "$1")
		}
		return fmt.Errorf("line %d: bad value for %s: %s", n.Line, name, msg)
	}
	return nil
}

// strictStruct reports whether t is decoded key by key (decodeStrict).
func strictStruct(t reflect.Type) bool {
	return t.Kind() == reflect.Struct && t != reflect.TypeFor[time.Time]()
}

// secretKey reports whether the value of the key name may hold a secret
// that an error must not quote: the hook's URL, headers and command.
func secretKey(name string) bool {
	return strings.HasPrefix(name, "escalation.hook.")
}

// quotedValue is the value yaml.v3 quotes in a type error ("cannot
// unmarshal !!str `Bearer ...` into …"): from the first backtick to the
// last one before " into ", so a backtick inside the value does not end
// it early; without " into ", to the end.
var quotedValue = regexp.MustCompile("(?s) `.*`( into )|(?s) `.*$")

func under(prefix string) string {
	if prefix == "" {
		return ""
	}
	return " under " + strings.TrimSuffix(prefix, ".")
}

// Validate checks values that decode but make no sense.
func (c *Config) Validate() error {
	if c.Severity != "" {
		if _, err := incident.ParseSeverity(c.Severity); err != nil {
			return configErrorf("severity: %v", err)
		}
	}
	if c.Report.EvidenceAfter < 0 {
		return configErrorf("report.evidence_after: %s is negative", c.Report.EvidenceAfter)
	}
	if c.Report.TimeZone != "" {
		if _, err := time.LoadLocation(c.Report.TimeZone); err != nil {
			return configErrorf("report.time_zone: %v", err)
		}
	}
	if c.Refresh < 200*time.Millisecond {
		return configErrorf("refresh: %s is too short (at least 200ms)", c.Refresh)
	}
	if c.Prometheus.URL != "" {
		u, err := url.Parse(c.Prometheus.URL)
		if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
			return configErrorf("prometheus.url: %q is not an http(s) URL", incident.Redact(c.Prometheus.URL))
		}
	}
	for i, p := range c.Prometheus.Panels {
		switch {
		case strings.TrimSpace(p.Name) == "" || strings.TrimSpace(p.Query) == "":
			return configErrorf("prometheus.panels[%d]: a panel needs a name and a query", i)
		case p.Unit != "" && p.Unit != "%" && p.Unit != "req/s":
			return configErrorf("prometheus.panels[%d].unit: %q is not \"%%\", \"req/s\" or empty", i, p.Unit)
		case p.Threshold != nil && (math.IsNaN(*p.Threshold) || math.IsInf(*p.Threshold, 0)):
			return configErrorf("prometheus.panels[%d].threshold: not a number", i)
		case p.Threshold != nil && p.Unit == "%" && (*p.Threshold < 0 || *p.Threshold > 1):
			return configErrorf("prometheus.panels[%d].threshold: %v is not a ratio: a %% panel's values are 0..1 (5%% is 0.05)", i, *p.Threshold)
		}
		for j := range i {
			if c.Prometheus.Panels[j].Name == p.Name {
				return configErrorf("prometheus.panels[%d].name: %q is used twice", i, p.Name)
			}
		}
	}
	seen := map[string]bool{}
	for i, h := range c.Health {
		u, err := url.Parse(h.URL)
		switch {
		case strings.TrimSpace(h.Name) == "":
			return configErrorf("health[%d].name: a check needs a name", i)
		case seen[h.Name]:
			return configErrorf("health[%d].name: %q is used twice", i, h.Name)
		case h.Name == "kube" || h.Name == "prom" || h.Name == "pg" || h.Name == "rds":
			return configErrorf("health[%d].name: %q is a backend's name in the status bar: pick another", i, h.Name)
		case h.URL == "" && strings.HasPrefix(h.Name, "http"):
			return configErrorf("health[%d]: %q has no name: --health NAME=URL, e.g. api=https://api.example.com/health", i, incident.Redact(h.Name))
		case err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "":
			return configErrorf("health[%d].url: %q is not an http(s) URL", i, incident.Redact(h.URL))
		case h.Expect != 0 && (h.Expect < 100 || h.Expect > 599):
			return configErrorf("health[%d].expect: %d is not an HTTP status", i, h.Expect)
		}
		seen[h.Name] = true
	}
	if c.RDS.Instance != "" && c.RDS.Region == "" && os.Getenv("AWS_REGION") == "" && os.Getenv("AWS_DEFAULT_REGION") == "" && c.RDS.Profile == "" {
		return configErrorf("rds.region: an RDS instance needs a region (--region, rds.region or AWS_REGION)")
	}
	if c.Postgres.IAMAuth && c.RDS.Region == "" && os.Getenv("AWS_REGION") == "" && os.Getenv("AWS_DEFAULT_REGION") == "" && c.RDS.Profile == "" {
		return configErrorf("postgres.iam_auth: an IAM auth token needs a region (--region, rds.region or AWS_REGION)")
	}
	if c.Postgres.StatementTimeout < 0 || c.Postgres.LockTimeout < 0 {
		return configErrorf("postgres.statement_timeout, lock_timeout: a duration (e.g. 5s), not negative")
	}
	for _, p := range c.Runbooks {
		if _, err := os.Stat(p); err != nil {
			return configErrorf("runbooks: %v", err)
		}
	}
	if _, err := c.SlogLevel(); err != nil {
		return configErrorf("log_level: %v", err)
	}
	if _, err := c.EscalationPolicy(); err != nil {
		return err
	}
	if _, err := c.NotifyHook(); err != nil {
		return err
	}
	if c.Journal != "" {
		if err := journalPathOK(c.Journal); err != nil {
			return err
		}
	}
	if strings.TrimSpace(c.Actor) == "" {
		return configErrorf("actor: must not be empty")
	}
	return nil
}

// SlogLevel is LogLevel as a slog.Level.
func (c *Config) SlogLevel() (slog.Level, error) {
	var l slog.Level
	if err := l.UnmarshalText([]byte(c.LogLevel)); err != nil {
		return l, fmt.Errorf("%q is not a level (debug, info, warn, error)", c.LogLevel)
	}
	return l, nil
}

// DefaultSeverity is what a new incident is declared with when none is given.
const DefaultSeverity = incident.P1

// EffectiveSeverity is the configured severity, or DefaultSeverity.
func (c *Config) EffectiveSeverity() incident.Severity {
	if s, err := incident.ParseSeverity(c.Severity); err == nil {
		return s
	}
	return DefaultSeverity
}

// PostgresDSN is the DSN to use and whether Postgres is configured at all:
// --postgres / postgres.dsn, else DATABASE_URL, else libpq's PG* variables.
func (c *Config) PostgresDSN() (string, bool) {
	if c.Postgres.DSN != "" {
		return c.Postgres.DSN, true
	}
	if v := os.Getenv("DATABASE_URL"); v != "" {
		return v, true
	}
	for _, k := range []string{"PGHOST", "PGDATABASE", "PGSERVICE"} {
		if os.Getenv(k) != "" {
			return "", true
		}
	}
	return "", false
}

// ShareDSN is the shared timeline's DSN and whether the timeline is
// shared: --share (even empty: PG* variables) or share.postgres.
func (c *Config) ShareDSN() (string, bool) {
	return c.Share.Postgres, c.Share.enabled || c.Share.Postgres != ""
}

// KubeConfigured reports whether there is a kubeconfig (or an in-cluster
// service account) to use.
func (c *Config) KubeConfigured() bool {
	if c.Kube.Kubeconfig != "" || c.Kube.Context != "" || os.Getenv("KUBECONFIG") != "" {
		return true
	}
	// In a pod: client-go falls back to the service account, as kubectl does.
	if os.Getenv("KUBERNETES_SERVICE_HOST") != "" && os.Getenv("KUBERNETES_SERVICE_PORT") != "" {
		return true
	}
	home, err := os.UserHomeDir()
	if err != nil {
		return false
	}
	_, err = os.Stat(filepath.Join(home, ".kube", "config"))
	return err == nil
}

// journalPathOK checks, before anything opens it, that the journal and the
// log beside it are regular files or do not exist yet: opening a FIFO
// blocks until a writer comes, and reading a device (/dev/zero) never ends.
// (incident.Open refuses them too; this says so plainly, before the lock.)
func journalPathOK(journal string) error {
	for _, p := range []string{journal, logPath(journal)} {
		fi, err := os.Stat(p)
		if errors.Is(err, fs.ErrNotExist) {
			continue
		}
		if err != nil {
			return configErrorf("journal: %v", err)
		}
		if !fi.Mode().IsRegular() {
			what := p
			if p != journal {
				what = "the log beside it, " + p + ","
			}
			return configErrorf("journal: %s is %s, not a regular file: name a file, or a path that does not exist yet", what, incident.FileKind(fi.Mode()))
		}
	}
	return nil
}

// EscalationPolicy is the playbook's policy (incident.DefaultPolicy) with
// the escalation: section on top: teams given replace the playbook's, a
// ladder given replaces its ladder, contacts fill the contact of the
// ladder's rungs by role (case-insensitive), and each response time given
// replaces that severity's. Its error is a ConfigError naming the
// escalation key at fault; a policy it returns passes Validate.
func (c Config) EscalationPolicy() (incident.Policy, error) {
	e := c.Escalation
	p := incident.DefaultPolicy()
	if e.Teams != nil {
		p.Teams = make([]incident.Team, 0, len(e.Teams))
		seen := map[string]int{}
		for i, t := range e.Teams {
			key := fmt.Sprintf("escalation.teams[%d]", i)
			name := strings.TrimSpace(t.Name)
			if name == "" {
				return incident.Policy{}, configErrorf("%s.name: a team needs a name", key)
			}
			if j, dup := seen[strings.ToLower(name)]; dup {
				return incident.Policy{}, configErrorf("%s.name: %q is escalation.teams[%d]'s name too", key, name, j)
			}
			seen[strings.ToLower(name)] = i
			primary, err := contactOf(t.Primary, key+".primary")
			if err != nil {
				return incident.Policy{}, err
			}
			secondary, err := contactOf(t.Secondary, key+".secondary")
			if err != nil {
				return incident.Policy{}, err
			}
			p.Teams = append(p.Teams, incident.Team{Name: name, Primary: primary, Secondary: secondary})
		}
	}
	if e.Ladder != nil {
		if len(e.Ladder) == 0 {
			return incident.Policy{}, configErrorf("escalation.ladder: the ladder has no rung (leave it out for the playbook's)")
		}
		p.Ladder = make([]incident.Rung, 0, len(e.Ladder))
		for i, r := range e.Ladder {
			rung, err := rungOf(r, i, len(e.Ladder), p.Ladder)
			if err != nil {
				return incident.Policy{}, err
			}
			p.Ladder = append(p.Ladder, rung)
		}
	}
	if err := applyContacts(&p, e); err != nil {
		return incident.Policy{}, err
	}
	if e.Teams != nil && len(e.Teams) == 0 {
		for i, r := range p.Ladder {
			if r.Rotation != "" {
				return incident.Policy{}, configErrorf("escalation.teams: no team, but %s pages a team's %s", rungKey(e, i, r.Role), r.Rotation)
			}
		}
	}
	for _, r := range []struct {
		sev incident.Severity
		d   time.Duration
	}{{incident.P0, e.Response.P0}, {incident.P1, e.Response.P1}, {incident.P2, e.Response.P2}, {incident.P3, e.Response.P3}} {
		if r.d < 0 {
			return incident.Policy{}, configErrorf("escalation.response.%s: %s is negative", r.sev, r.d)
		}
		p.Response[r.sev] = r.d
	}
	if team := strings.TrimSpace(e.Team); team != "" {
		if _, ok := p.Team(team); !ok {
			names := make([]string, len(p.Teams))
			for i, t := range p.Teams {
				names[i] = t.Name
			}
			where := "the playbook's teams"
			if e.Teams != nil {
				where = "escalation.teams"
			}
			return incident.Policy{}, configErrorf("escalation.team: %q is not one of %s (%s)", team, where, strings.Join(names, ", "))
		}
		p.OnCall = team
	}
	if err := p.Validate(); err != nil {
		// The checks above should have named the key; this is the net.
		return incident.Policy{}, configErrorf("escalation: %v", err)
	}
	return p, nil
}

// rungOf is escalation.ladder[i] as a rung, checked: before names the
// rungs before it.
func rungOf(r RungConfig, i, n int, before []incident.Rung) (incident.Rung, error) {
	key := fmt.Sprintf("escalation.ladder[%d]", i)
	role := strings.TrimSpace(r.Role)
	if role == "" {
		return incident.Rung{}, configErrorf("%s.role: a rung needs a role (e.g. Team Lead)", key)
	}
	for j, b := range before {
		if strings.EqualFold(b.Role, role) {
			return incident.Rung{}, configErrorf("%s.role: %q is escalation.ladder[%d]'s role too", key, role, j)
		}
	}
	last := i == n-1
	switch {
	case r.Window < 0:
		return incident.Rung{}, configErrorf("%s.window: %s is negative", key, r.Window)
	case !last && r.Window == 0:
		return incident.Rung{}, configErrorf("%s.window: a rung before the last needs a window: how long it has to answer before the next is paged (e.g. 5m)", key)
	case last && r.Window != 0:
		return incident.Rung{}, configErrorf("%s.window: the last rung has no window: nobody is left to page after it", key)
	}
	var rule incident.P0Rule
	switch strings.ToLower(strings.TrimSpace(r.P0)) {
	case "", "normal":
		rule = incident.P0Normal
	case "at_once":
		rule = incident.P0AtOnce
	case "on_schedule":
		rule = incident.P0OnSchedule
	default:
		return incident.Rung{}, configErrorf("%s.p0: %q is not normal, at_once or on_schedule", key, r.P0)
	}
	rotation := strings.ToLower(strings.TrimSpace(r.Rotation))
	if rotation != "" && rotation != incident.RotationPrimary && rotation != incident.RotationSecondary {
		return incident.Rung{}, configErrorf("%s.rotation: %q is not primary, secondary or empty (the rung pages its contact)", key, r.Rotation)
	}
	contact, err := contactOf(r.Contact, key+".contact")
	if err != nil {
		return incident.Rung{}, err
	}
	if rotation != "" && contact != (incident.Contact{}) {
		return incident.Rung{}, configErrorf("%s.contact: the rung pages the on-call team's %s (escalation.teams): a contact is for a rung without a rotation", key, rotation)
	}
	return incident.Rung{Role: role, Window: r.Window, OnP0: rule, Rotation: rotation, Contact: contact}, nil
}

// applyContacts puts escalation.contacts on p's ladder, by role.
func applyContacts(p *incident.Policy, e EscalationConfig) error {
	roles := slices.Sorted(maps.Keys(e.Contacts))
	given := map[int]string{}
	for _, role := range roles {
		key := "escalation.contacts." + role
		i := slices.IndexFunc(p.Ladder, func(r incident.Rung) bool {
			return strings.EqualFold(r.Role, strings.TrimSpace(role))
		})
		if i < 0 {
			names := make([]string, len(p.Ladder))
			for j, r := range p.Ladder {
				names[j] = r.Role
			}
			return configErrorf("escalation.contacts: %q is not a role of the ladder (%s)", role, strings.Join(names, ", "))
		}
		r := &p.Ladder[i]
		switch {
		case given[i] != "":
			return configErrorf("%s: %q and %q are the same role", key, given[i], role)
		case r.Rotation != "":
			return configErrorf("%s: the %s rung pages the on-call team's %s: set it in escalation.teams", key, r.Role, r.Rotation)
		case r.Contact != (incident.Contact{}):
			return configErrorf("%s: %s has a contact already", key, rungKey(e, i, r.Role))
		}
		given[i] = role
		contact, err := contactOf(e.Contacts[role], key)
		if err != nil {
			return err
		}
		r.Contact = contact
	}
	return nil
}

// rungKey names rung i of the policy's ladder for an error.
func rungKey(e EscalationConfig, i int, role string) string {
	if e.Ladder != nil {
		return fmt.Sprintf("escalation.ladder[%d] (%s)", i, role)
	}
	return fmt.Sprintf("the playbook's rung %d (%s)", i+1, role)
}

// contactOf is c checked: how to reach someone without whom is an error.
func contactOf(c ContactConfig, key string) (incident.Contact, error) {
	out := incident.Contact{Name: strings.TrimSpace(c.Name), Contact: strings.TrimSpace(c.Contact)}
	if out.Name == "" && out.Contact != "" {
		return incident.Contact{}, configErrorf("%s.name: a contact needs a name (whom to page), not only how", key)
	}
	return out, nil
}

// NotifyHook is escalation.hook as a notify.Hook, or nil when none is
// configured. Its error is a ConfigError that never holds the URL's
// secrets or a header's value.
func (c Config) NotifyHook() (*notify.Hook, error) {
	h := c.Escalation.Hook
	switch {
	case len(h.Command) == 0 && h.URL == "" && len(h.Headers) == 0 && h.Timeout == 0:
		return nil, nil
	case len(h.Command) > 0 && h.URL != "":
		return nil, configErrorf("escalation.hook: set command or url, not both")
	case len(h.Command) == 0 && h.URL == "":
		return nil, configErrorf("escalation.hook: no command or url: set one (or leave the hook out)")
	}
	hook := &notify.Hook{Command: slices.Clone(h.Command), URL: h.URL, Timeout: h.Timeout, Headers: maps.Clone(h.Headers)}
	if err := hook.Validate(); err != nil {
		// Validate's errors hide the URL's secrets and the headers' values.
		return nil, configErrorf("escalation.hook: %s", strings.TrimPrefix(err.Error(), "notification hook: "))
	}
	return hook, nil
}
