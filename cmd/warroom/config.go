package main

import (
	"errors"
	"fmt"
	"log/slog"
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
	} `yaml:"prometheus"`
	Postgres struct {
		DSN string `yaml:"dsn"`
	} `yaml:"postgres"`
	RDS struct {
		Instance string `yaml:"instance"`
		Region   string `yaml:"region"`
		Profile  string `yaml:"profile"`
		Endpoint string `yaml:"endpoint"`
	} `yaml:"rds"`
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

func configErrorf(format string, a ...any) error { return &ConfigError{Msg: fmt.Sprintf(format, a...)} }

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
		return configErrorf("config %s: %v", path, err)
	}
	var doc yaml.Node
	if err := yaml.Unmarshal(data, &doc); err != nil {
		return configErrorf("config %s: %v", path, strings.TrimPrefix(err.Error(), "yaml: "))
	}
	if len(doc.Content) == 0 {
		return nil // empty file
	}
	if err := decodeStrict(doc.Content[0], reflect.ValueOf(c).Elem(), ""); err != nil {
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
	if c.RDS.Instance != "" && c.RDS.Region == "" && os.Getenv("AWS_REGION") == "" && os.Getenv("AWS_DEFAULT_REGION") == "" && c.RDS.Profile == "" {
		return configErrorf("rds.region: an RDS instance needs a region (--region, rds.region or AWS_REGION)")
	}
	for _, p := range c.Runbooks {
		if _, err := os.Stat(p); err != nil {
			return configErrorf("runbooks: %v", err)
		}
	}
	if _, err := c.SlogLevel(); err != nil {
		return configErrorf("log_level: %v", err)
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

// KubeConfigured reports whether there is a kubeconfig to use.
func (c *Config) KubeConfigured() bool {
	if c.Kube.Kubeconfig != "" || c.Kube.Context != "" || os.Getenv("KUBECONFIG") != "" {
		return true
	}
	home, err := os.UserHomeDir()
	if err != nil {
		return false
	}
	_, err = os.Stat(filepath.Join(home, ".kube", "config"))
	return err == nil
}
