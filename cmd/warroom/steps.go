package main

import (
	"fmt"
	"maps"
	"os"
	"os/user"
	"slices"

	"github.com/jackc/pgx/v5/pgconn"

	"github.com/warroom-dev/warroom/incident"
	"github.com/warroom-dev/warroom/panes/runbook"
	"github.com/warroom-dev/warroom/probes/kube"
	"github.com/warroom-dev/warroom/probes/pg"
	"github.com/warroom-dev/warroom/runbooks"
	"github.com/warroom-dev/warroom/runbooks/step"
)

// runbookConfig is what runbook steps run on: bash with the configured
// environment, SQL through the pg probe's pool, PromQL through the prom
// probe; and the configured values their variables are prefilled with.
func runbookConfig(cfg Config, b backends) runbook.Config {
	var env []string
	for _, k := range slices.Sorted(maps.Keys(cfg.Steps.Env)) {
		env = append(env, k+"="+cfg.Steps.Env[k])
	}
	if cfg.Kube.Kubeconfig != "" && cfg.Steps.Env["KUBECONFIG"] == "" {
		env = append(env, "KUBECONFIG="+cfg.Kube.Kubeconfig)
	}
	rc := runbook.Config{
		Runner:   step.Backends{Prom: b.prom, Env: env, Dir: cfg.Steps.Dir},
		Defaults: map[string]string{},
		Where:    b.where,
		Timeout:  cfg.Steps.Timeout,
	}
	if r, ok := pg.AsRunner(b.pg); ok {
		rc.Runner.PG = r
	}
	// The first namespace the pods pane watches (none when it watches all).
	if ns := kube.SplitNamespaces(b.namespace); ns[0] != "" {
		rc.Defaults["namespace"] = ns[0]
	}
	if b.rdsInst != "" {
		rc.Defaults["db_instance"] = b.rdsInst
	}
	return rc
}

// stepsWhere says where each kind of step runs, for the confirmation:
// the host and user a bash step runs as (and its KUBECONFIG), the
// database a SQL step reaches (never its password), the Prometheus.
func stepsWhere(cfg Config) map[runbooks.Lang]string {
	host, _ := os.Hostname()
	who := ""
	if u, err := user.Current(); err == nil {
		who = " as " + u.Username
	}
	bash := "bash on " + host + who
	if kc := cfg.Kube.Kubeconfig; kc != "" {
		bash += ", KUBECONFIG=" + kc
	} else if kc := os.Getenv("KUBECONFIG"); kc != "" {
		bash += ", KUBECONFIG=" + kc
	}
	out := map[runbooks.Lang]string{runbooks.Bash: bash}
	if dsn, ok := cfg.PostgresDSN(); ok {
		if pc, err := pgconn.ParseConfig(dsn); err == nil {
			out[runbooks.SQL] = fmt.Sprintf("PostgreSQL %s@%s:%d/%s", pc.User, pc.Host, pc.Port, pc.Database)
		} else {
			out[runbooks.SQL] = "PostgreSQL (the configured DSN)"
		}
	} else {
		out[runbooks.SQL] = "no PostgreSQL configured (--postgres)"
	}
	if cfg.Prometheus.URL != "" {
		out[runbooks.PromQL] = "Prometheus " + incident.Clean(cfg.Prometheus.URL)
	} else {
		out[runbooks.PromQL] = "no Prometheus configured (--prometheus)"
	}
	return out
}

// drillWhere is where a drill's steps go: SQL and PromQL to its simulated
// backends; bash nowhere (it would run on this machine).
func drillWhere() map[runbooks.Lang]string {
	return map[runbooks.Lang]string{
		runbooks.Bash:   "this machine — a drill does not run it",
		runbooks.SQL:    "the drill's simulated database",
		runbooks.PromQL: "the drill's simulated Prometheus",
	}
}
