// Package testenv finds the real backends that hack/backends.sh starts for
// integration tests. Each helper returns the address from its WARROOM_TEST_*
// variable, or skips the test with a message saying how to get one.
//
//	make test                                   # starts backends, runs go test, stops them
//	hack/with-backends.sh go test -count=1 ./probes/...
//	hack/backends.sh start && . /tmp/warroom-backends/env && go test ./...
package testenv

import (
	"fmt"
	"os"
	"testing"
)

// Environment variables written by hack/backends.sh into its env file.
const (
	EnvPostgresDSN      = "WARROOM_TEST_PG_DSN"
	EnvPrometheusURL    = "WARROOM_TEST_PROM_URL"
	EnvExporterURL      = "WARROOM_TEST_EXPORTER_URL"
	EnvKubeconfig       = "WARROOM_TEST_KUBECONFIG"
	EnvKubeContext      = "WARROOM_TEST_KUBE_CONTEXT"
	EnvKubeconfigNarrow = "WARROOM_TEST_KUBECONFIG_NARROW"
)

const hint = "or run `make test` (hack/with-backends.sh starts one)"

func lookup(t testing.TB, env, what string) string {
	t.Helper()
	v := os.Getenv(env)
	if v == "" {
		t.Skipf("no %s: set %s %s", what, env, hint)
	}
	return v
}

// PostgresDSN is a superuser DSN of a throwaway PostgreSQL server.
func PostgresDSN(t testing.TB) string {
	t.Helper()
	return lookup(t, EnvPostgresDSN, "PostgreSQL")
}

// PrometheusURL is the base URL of a Prometheus that scrapes ExporterURL
// every second.
func PrometheusURL(t testing.TB) string {
	t.Helper()
	return lookup(t, EnvPrometheusURL, "Prometheus")
}

// ExporterURL is the base URL of hack/exporter (GET/POST /control).
func ExporterURL(t testing.TB) string {
	t.Helper()
	return lookup(t, EnvExporterURL, "exporter (hack/exporter)")
}

// Kubeconfig is a kubeconfig file for a cluster-admin (system:masters) user
// of a real kube-apiserver; its current context is KubeContext.
func Kubeconfig(t testing.TB) string {
	t.Helper()
	path := lookup(t, EnvKubeconfig, "kube-apiserver")
	if _, err := os.Stat(path); err != nil {
		t.Skipf("no kube-apiserver: %s=%s: %v; %s", EnvKubeconfig, path, err, hint)
	}
	return path
}

// KubeContext is the admin context in Kubeconfig ("" means its current context).
func KubeContext(t testing.TB) string {
	t.Helper()
	return os.Getenv(EnvKubeContext)
}

// KubeconfigNarrow is a kubeconfig whose user may list pods in the
// "default" namespace only: anywhere else the apiserver answers Forbidden.
func KubeconfigNarrow(t testing.TB) string {
	t.Helper()
	path := lookup(t, EnvKubeconfigNarrow, "kube-apiserver (narrow RBAC user)")
	if _, err := os.Stat(path); err != nil {
		t.Skipf("no kube-apiserver: %s=%s: %v; %s", EnvKubeconfigNarrow, path, err, hint)
	}
	return path
}

// NarrowAllowedNamespace is the only namespace where the narrow user may
// list pods.
const NarrowAllowedNamespace = "default"

// NarrowPodsOnlyNamespace is where the narrow user may read pods and their
// logs but not events, deployments or replicasets (hack/backends.sh).
const NarrowPodsOnlyNamespace = "warroom-narrow-pods"

// ClosedAddr is a loopback host:port nothing listens on (a port that was
// free a moment ago): a backend that refuses connections.
func ClosedAddr(t testing.TB) string {
	t.Helper()
	ports, err := freePorts(1)
	if err != nil {
		t.Fatal(err)
	}
	return fmt.Sprintf("127.0.0.1:%d", ports[0])
}
