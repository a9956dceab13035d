package main

import (
	"bytes"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/spf13/pflag"

	"github.com/warroom-dev/warroom/incident"
	"github.com/warroom-dev/warroom/probes/kube"
)

func writeConfig(t *testing.T, body string) string {
	t.Helper()
	p := filepath.Join(t.TempDir(), "config.yaml")
	if err := os.WriteFile(p, []byte(body), 0o600); err != nil {
		t.Fatal(err)
	}
	return p
}

// A bad config exits 2 before the TUI starts: the key (and line) named on
// stderr, nothing at all on stdout, no escape sequence anywhere.
func TestBadConfigExitsTwoNamingKeyAndLine(t *testing.T) {
	cases := []struct {
		name, body string
		want       []string
	}{
		{"unknown top key", "title: x\npromethus:\n  url: http://x\n", []string{"line 2", `unknown key "promethus"`, "prometheus"}},
		{"unknown nested key", "prometheus:\n  uri: http://x\n", []string{"line 2", `unknown key "prometheus.uri"`, "known keys under prometheus: bearer_token, bearer_token_file, ca_file, insecure_skip_verify, panels, password, top_query, url, username"}},
		{"bad duration", "refresh: fast\n", []string{"line 1", "bad value for refresh"}},
		{"bad bool", "read_only: maybe\n", []string{"line 1", "bad value for read_only"}},
		{"bad severity", "severity: P7\n", []string{"severity", "P7"}},
		{"bad url", "prometheus:\n  url: localhost:9090\n", []string{"prometheus.url", "not an http(s) URL"}},
		{"not a mapping", "kube: [a, b]\n", []string{"line 1", "kube must be a mapping"}},
		{"yaml syntax", "title: [unclosed\n", []string{"config"}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			var out, errb bytes.Buffer
			code := run([]string{"--config", writeConfig(t, c.body)}, &out, &errb)
			if code != 2 {
				t.Fatalf("exit %d, want 2; stderr %q", code, errb.String())
			}
			if out.Len() != 0 {
				t.Errorf("stdout must stay empty, got %q", out.String())
			}
			for _, w := range c.want {
				if !strings.Contains(errb.String(), w) {
					t.Errorf("stderr %q lacks %q", errb.String(), w)
				}
			}
			if strings.ContainsRune(errb.String(), '\x1b') {
				t.Errorf("escape sequence on stderr: %q", errb.String())
			}
		})
	}
}

func TestBadFlagExitsTwo(t *testing.T) {
	var out, errb bytes.Buffer
	if code := run([]string{"--refresh", "soon"}, &out, &errb); code != 2 {
		t.Fatalf("exit %d, want 2 (%s)", code, errb.String())
	}
	if code := run([]string{"--no-such-flag"}, &out, &errb); code != 2 {
		t.Fatalf("exit %d, want 2", code)
	}
}

func TestMissingExplicitConfigIsAnError(t *testing.T) {
	var out, errb bytes.Buffer
	if code := run([]string{"--config", filepath.Join(t.TempDir(), "nope.yaml")}, &out, &errb); code != 2 {
		t.Fatalf("exit %d, want 2", code)
	}
}

func TestFlagsWinOverConfig(t *testing.T) {
	cfgPath := writeConfig(t, `
title: from file
severity: P2
actor: file-user
refresh: 5s
read_only: true
kube:
  namespace: payments
prometheus:
  url: http://file:9090
postgres:
  dsn: postgres://u:secret@file/db
`)
	cmd := newRootCmd(&bytes.Buffer{}, &bytes.Buffer{})
	var f flags
	f.register(cmd.Flags())
	if err := cmd.Flags().Parse([]string{"--config", cfgPath, "--severity", "P0", "--namespace", "agent-platform", "--prometheus", "http://flag:9090"}); err != nil {
		t.Fatal(err)
	}
	c, err := f.loadConfig(cmd.Flags())
	if err != nil {
		t.Fatal(err)
	}
	if c.Severity != "P0" || c.Kube.Namespace != "agent-platform" || c.Prometheus.URL != "http://flag:9090" {
		t.Errorf("flags did not win: %+v", c)
	}
	if c.Title != "from file" || c.Actor != "file-user" || c.Refresh != 5*time.Second || !c.ReadOnly || c.Postgres.DSN == "" {
		t.Errorf("file values lost: %+v", c)
	}
}

func TestDefaultConfigPathIsOptional(t *testing.T) {
	t.Setenv("XDG_CONFIG_HOME", t.TempDir())
	cmd := newRootCmd(&bytes.Buffer{}, &bytes.Buffer{})
	var f flags
	f.register(cmd.Flags())
	c, err := f.loadConfig(cmd.Flags())
	if err != nil {
		t.Fatal(err)
	}
	if c.Kube.Namespace != "agent-platform" || c.EffectiveSeverity().String() != "P1" {
		t.Errorf("defaults: %+v", c)
	}
}

func TestPostgresFromEnvironment(t *testing.T) {
	c := Defaults()
	t.Setenv("DATABASE_URL", "")
	t.Setenv("PGHOST", "")
	t.Setenv("PGDATABASE", "")
	t.Setenv("PGSERVICE", "")
	if _, ok := c.PostgresDSN(); ok {
		t.Fatal("nothing set, yet configured")
	}
	t.Setenv("PGHOST", "db.internal")
	if dsn, ok := c.PostgresDSN(); !ok || dsn != "" {
		t.Fatalf("PGHOST should configure libpq defaults: %q %v", dsn, ok)
	}
	t.Setenv("DATABASE_URL", "postgres://a@b/c")
	if dsn, _ := c.PostgresDSN(); dsn != "postgres://a@b/c" {
		t.Fatalf("DATABASE_URL ignored: %q", dsn)
	}
	c.Postgres.DSN = "postgres://flag@x/y"
	if dsn, _ := c.PostgresDSN(); dsn != "postgres://flag@x/y" {
		t.Fatalf("explicit DSN should win: %q", dsn)
	}
}

func TestVersion(t *testing.T) {
	var out bytes.Buffer
	if code := run([]string{"version"}, &out, &bytes.Buffer{}); code != 0 || !strings.HasPrefix(out.String(), "warroom ") {
		t.Fatalf("version: %d %q", code, out.String())
	}
}

// The README's flags table lists every flag the console has.
func TestReadmeListsEveryFlag(t *testing.T) {
	data, err := os.ReadFile("../../README.md")
	if err != nil {
		t.Fatal(err)
	}
	cmd := newRootCmd(&bytes.Buffer{}, &bytes.Buffer{})
	n := 0
	cmd.PersistentFlags().VisitAll(func(f *pflag.Flag) {
		n++
		if !bytes.Contains(data, []byte("`--"+f.Name)) {
			t.Errorf("README lacks --%s", f.Name)
		}
	})
	if n < 17 {
		t.Errorf("only %d flags registered", n)
	}
}

func TestConfigPathsExpandHome(t *testing.T) {
	home := t.TempDir()
	t.Setenv("HOME", home)
	if err := os.Mkdir(filepath.Join(home, "runbooks"), 0o700); err != nil {
		t.Fatal(err)
	}
	c := Defaults()
	if err := LoadFile(writeConfig(t, "runbooks: [~/runbooks]\njournal: ~/j.jsonl\n"), true, &c); err != nil {
		t.Fatal(err)
	}
	if c.Runbooks[0] != filepath.Join(home, "runbooks") || c.Journal != filepath.Join(home, "j.jsonl") {
		t.Fatalf("not expanded: %q %q", c.Runbooks, c.Journal)
	}
	if err := c.Validate(); err != nil {
		t.Fatal(err)
	}
}

// A journal another console holds is refused before the screen is touched:
// exit 2, the journal named, nothing declared in it.
func TestJournalInUseIsRefused(t *testing.T) {
	path := filepath.Join(t.TempDir(), "inc.jsonl")
	j, _, _, err := incident.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer j.Close()
	var out, errOut bytes.Buffer
	code := runSys([]string{"demo", "--journal", path, "--config", writeConfig(t, "")}, &out, &errOut, headless(time.Now))
	if code != 2 || !strings.Contains(errOut.String(), "in use by another warroom") || !strings.Contains(errOut.String(), path) {
		t.Fatalf("exit %d, stderr %q", code, errOut.String())
	}
	if out.Len() != 0 {
		t.Errorf("stdout: %q", out.String())
	}
	if evs, _, _ := incident.ReadFile(path); len(evs) != 0 {
		t.Errorf("the refused console wrote %d events", len(evs))
	}
}

// --log-level must be a level.
func TestBadLogLevelExitsTwo(t *testing.T) {
	var out, errOut bytes.Buffer
	code := run([]string{"demo", "--log-level", "loud", "--config", writeConfig(t, "")}, &out, &errOut)
	if code != 2 || !strings.Contains(errOut.String(), "log_level") {
		t.Fatalf("exit %d, stderr %q", code, errOut.String())
	}
}

func TestShellQuote(t *testing.T) {
	for in, want := range map[string]string{
		"./bin/warroom":         "./bin/warroom",
		"/tmp/my journal.jsonl": "'/tmp/my journal.jsonl'",
		"it's":                  `"it's"`,
	} {
		if got := shellQuote(in); got != want {
			t.Errorf("shellQuote(%q) = %s, want %s", in, got, want)
		}
	}
}

// The log is beside the journal, never the journal itself.
func TestLogPathIsNeverTheJournal(t *testing.T) {
	for in, want := range map[string]string{"/s/a.jsonl": "/s/a.log", "/s/a.log": "/s/a.log.log", "/s/a": "/s/a.log"} {
		if got := logPath(in); got != want {
			t.Errorf("logPath(%s) = %s, want %s", in, got, want)
		}
	}
}

// Usage mistakes exit 2, extra positional arguments included.
func TestExtraArgumentsExitTwo(t *testing.T) {
	for _, args := range [][]string{{"extra"}, {"demo", "extra"}, {"version", "extra"}} {
		var out, errOut bytes.Buffer
		if code := run(args, &out, &errOut); code != 2 {
			t.Errorf("%q: exit %d, want 2 (stderr %q)", args, code, errOut.String())
		}
	}
}

// A Prometheus URL with a password is never echoed in clear.
func TestBadPrometheusURLIsRedacted(t *testing.T) {
	var out, errOut bytes.Buffer
	code := run([]string{"--config", writeConfig(t, ""), "--prometheus", "ftp://admin:s3cret-pw@prom:9090"}, &out, &errOut)
	if code != 2 || strings.Contains(errOut.String(), "s3cret-pw") || !strings.Contains(errOut.String(), "not an http(s) URL") {
		t.Fatalf("exit %d, stderr %q", code, errOut.String())
	}
}

func TestNamespacesFlags(t *testing.T) {
	for _, c := range []struct {
		args []string
		want []string
	}{
		{nil, []string{"agent-platform"}},
		{[]string{"-n", "payments,agent-platform, payments"}, []string{"payments", "agent-platform", "payments"}},
		{[]string{"--namespace", "a", "-A"}, kube.AllNamespaces},
		{[]string{"--namespace", ""}, kube.AllNamespaces},
	} {
		cmd := newRootCmd(&bytes.Buffer{}, &bytes.Buffer{})
		var f flags
		f.register(cmd.Flags())
		if err := cmd.Flags().Parse(c.args); err != nil {
			t.Fatal(err)
		}
		cfg, err := f.loadConfig(cmd.Flags())
		if err != nil {
			t.Fatal(err)
		}
		if got := kube.SplitNamespaces(cfg.Kube.Namespace); strings.Join(got, "|") != strings.Join(c.want, "|") {
			t.Errorf("%q: namespaces %q, want %q", c.args, got, c.want)
		}
	}
}

// In a pod, with no kubeconfig, the service account is used as kubectl
// uses it: Kubernetes counts as configured.
func TestInClusterCountsAsConfigured(t *testing.T) {
	t.Setenv("HOME", t.TempDir())
	t.Setenv("KUBECONFIG", "")
	t.Setenv("KUBERNETES_SERVICE_HOST", "")
	t.Setenv("KUBERNETES_SERVICE_PORT", "")
	var c Config
	if c.KubeConfigured() {
		t.Fatal("no kubeconfig and not in a pod: configured")
	}
	t.Setenv("KUBERNETES_SERVICE_HOST", "10.0.0.1")
	t.Setenv("KUBERNETES_SERVICE_PORT", "443")
	if !c.KubeConfigured() {
		t.Fatal("in a pod: not configured")
	}
}

func TestPanelAndHealthConfigMistakes(t *testing.T) {
	for _, c := range []struct{ yaml, want string }{
		{"prometheus:\n  panels:\n    - {name: x, query: up, unit: \"%\", threshold: 5}\n", "is not a ratio"},
		{"prometheus:\n  panels:\n    - {name: x, query: up}\n    - {name: x, query: up}\n", "is used twice"},
		{"prometheus:\n  panels:\n    - {name: x, query: up, unit: ms}\n", "unit"},
		{"health:\n  - {name: kube, url: http://x/health}\n", "a backend's name"},
		{"health:\n  - {name: api, url: ftp://x}\n", "not an http(s) URL"},
	} {
		var stderr bytes.Buffer
		code := run([]string{"--config", writeConfig(t, c.yaml), "--journal", filepath.Join(t.TempDir(), "j.jsonl")}, &bytes.Buffer{}, &stderr)
		if code != 2 || !strings.Contains(stderr.String(), c.want) {
			t.Errorf("%q: exit %d, stderr %q; want 2 and %q", c.yaml, code, stderr.String(), c.want)
		}
	}
}
