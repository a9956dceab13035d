package testenv

import (
	"os"
	"path/filepath"
	"testing"
)

func TestReadEnvFile(t *testing.T) {
	path := filepath.Join(t.TempDir(), "env")
	data := "# written by hack/backends.sh start; source it: . x\n" +
		"export WARROOM_TEST_PG_DSN='postgres://postgres:pw@127.0.0.1:5/postgres?sslmode=disable'\n" +
		"export WARROOM_TEST_KUBE_CONTEXT='warroom-admin'\n" +
		"not an export line\n"
	if err := os.WriteFile(path, []byte(data), 0o600); err != nil {
		t.Fatal(err)
	}
	got, err := readEnvFile(path)
	if err != nil {
		t.Fatal(err)
	}
	want := map[string]string{
		EnvPostgresDSN: "postgres://postgres:pw@127.0.0.1:5/postgres?sslmode=disable",
		EnvKubeContext: "warroom-admin",
	}
	if len(got) != len(want) {
		t.Errorf("got %d variables %v, want %v", len(got), got, want)
	}
	for k, v := range want {
		if got[k] != v {
			t.Errorf("%s = %q, want %q", k, got[k], v)
		}
	}
}

func TestFreePortsDistinct(t *testing.T) {
	ports, err := freePorts(6)
	if err != nil {
		t.Fatal(err)
	}
	seen := map[int]bool{}
	for _, p := range ports {
		if p <= 0 || seen[p] {
			t.Fatalf("ports %v: not six distinct ports", ports)
		}
		seen[p] = true
	}
}

// Without the shared backends' variables there is nothing to start a
// private set with: skip, never install.
func TestStartBackendsSkipsWithoutTools(t *testing.T) {
	t.Setenv(EnvPostgresDSN, "")
	var skipped bool
	t.Run("inner", func(t *testing.T) {
		defer func() { skipped = t.Skipped() }()
		StartBackends(t)
	})
	if !skipped {
		t.Fatal("StartBackends did not skip without " + EnvPostgresDSN)
	}
}
