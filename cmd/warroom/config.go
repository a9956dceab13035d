package main

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"log/slog"
	"math"
	"net/url"
	"os"
	"path/filepath"
	"reflect"
	"sort"
	"strings"
	"time"

	"gopkg.in/yaml.v3"

	"github.com/warroom-dev/warroom/incident"
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

	// severityFlag and titleFlag record that --severity and --title were
	// given on the command line (flags.apply): only then does a resumed
	// incident change severity, or a journal of another incident refuse.
	// The file's values are defaults for a new incident.
	severityFlag, titleFlag bool
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
		if f.Kind() == reflect.Struct && f.Type() != reflect.TypeOf(time.Time{}) {
			if err := decodeStrict(val, f, name+"."); err != nil {
				return err
			}
			continue
		}
		if err := val.Decode(f.Addr().Interface()); err != nil {
			msg := err.Error()
			if te := (*yaml.TypeError)(nil); errors.As(err, &te) && len(te.Errors) > 0 {
				msg = te.Errors[0]
				if j := strings.Index(msg, ": "); j >= 0 && strings.HasPrefix(msg, "line ") {
					msg = msg[j+2:]
				}
			}
			return fmt.Errorf("line %d: bad value for %s: %s", val.Line, name, msg)
		}
	}
	return nil
}

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
