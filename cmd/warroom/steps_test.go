package main

import (
	"slices"
	"testing"
)

// Steps get the configured environment (KUBECONFIG from kube.kubeconfig
// unless steps.env sets it), and their variables the configured values.
func TestRunbookConfigFromTheConfig(t *testing.T) {
	var cfg Config
	cfg.Steps.Env = map[string]string{"B": "2", "A": "1"}
	cfg.Kube.Kubeconfig = "/etc/kube/prod"
	rc := runbookConfig(cfg, backends{namespace: "payments,billing", rdsInst: "db-1"})
	if want := []string{"A=1", "B=2", "KUBECONFIG=/etc/kube/prod"}; !slices.Equal(rc.Runner.Env, want) {
		t.Errorf("env %q, want %q", rc.Runner.Env, want)
	}
	if rc.Defaults["namespace"] != "payments" || rc.Defaults["db_instance"] != "db-1" {
		t.Errorf("defaults %v", rc.Defaults)
	}
	cfg.Steps.Env["KUBECONFIG"] = "/tmp/other"
	if rc := runbookConfig(cfg, backends{}); !slices.Contains(rc.Runner.Env, "KUBECONFIG=/tmp/other") || slices.Contains(rc.Runner.Env, "KUBECONFIG=/etc/kube/prod") {
		t.Errorf("steps.env's KUBECONFIG does not win: %q", rc.Runner.Env)
	}
	if rc := runbookConfig(cfg, backends{}); rc.Defaults["namespace"] != "" {
		t.Errorf("all namespaces gave a default namespace %q", rc.Defaults["namespace"])
	}
}
