package main

import (
	"bytes"
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/warroom-dev/warroom/runbooks"
)

func runCLI(t *testing.T, args ...string) (string, string, int) {
	t.Helper()
	var out, errb bytes.Buffer
	t.Setenv("XDG_CONFIG_HOME", t.TempDir()) // no user config
	code := run(args, &out, &errb)
	return out.String(), errb.String(), code
}

func TestRunbooksListSearchShow(t *testing.T) {
	out, _, code := runCLI(t, "runbooks", "list")
	if code != 0 || !strings.Contains(out, "Database Connection Issues") || !strings.Contains(out, "TITLE") {
		t.Fatalf("list (%d):\n%s", code, out)
	}
	out, _, code = runCLI(t, "runbooks", "search", "pool", "exhausted")
	if code != 0 || !strings.HasPrefix(out, "Database Connection Issues\n") {
		t.Fatalf("search (%d):\n%s", code, out)
	}
	out, _, code = runCLI(t, "runbooks", "show", "database connection issues")
	if code != 0 || !strings.Contains(out, "pg_terminate_backend") || !strings.Contains(out, "[DESTRUCTIVE") || !strings.Contains(out, "{db_instance}") {
		t.Fatalf("show (%d):\n%s", code, out)
	}
	out, _, code = runCLI(t, "runbooks", "show", "Security Incident", "--json")
	var rb runbooks.Runbook
	if err := json.Unmarshal([]byte(out), &rb); code != 0 || err != nil || rb.Title != "Security Incident" || len(rb.Steps) == 0 {
		t.Fatalf("show --json (%d, %v):\n%s", code, err, out)
	}
	_, errOut, code := runCLI(t, "runbooks", "show", "zzzzqqq")
	if code == 0 || !strings.Contains(errOut, "no runbook titled") {
		t.Fatalf("show unknown (%d): %s", code, errOut)
	}
}

// --runbooks loads the playbook itself as its five runbooks, with steps.
func TestRunbooksPlaybookFlag(t *testing.T) {
	out, _, code := runCLI(t, "runbooks", "list", "--runbooks", filepath.Join("..", "..", "runbooks", "testdata", "playbook.md"))
	if code != 0 || strings.Count(out, "playbook.md") != 5 {
		t.Fatalf("list with the playbook (%d):\n%s", code, out)
	}
}

func TestRunbooksLint(t *testing.T) {
	dir := t.TempDir()
	bad := filepath.Join(dir, "bad.md")
	if err := os.WriteFile(bad, []byte("---\ntitle: Bad\nvariables:\n  - name: ns\n---\n# Bad\n\n```bash\nkubectl delete pod {pod} -n {ns}\n```\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	out, errOut, code := runCLI(t, "runbooks", "lint", bad)
	if code != 1 || !strings.Contains(out, "bad.md:") || !strings.Contains(out, "pod") || !strings.Contains(errOut, "problem") {
		t.Fatalf("lint bad (%d):\n%s\n%s", code, out, errOut)
	}
	out, _, code = runCLI(t, "runbooks", "lint", filepath.Join("..", "..", "runbooks", "shipped"))
	if code != 0 || !strings.Contains(out, "no problems found") {
		t.Fatalf("lint shipped (%d):\n%s", code, out)
	}
	_, errOut, code = runCLI(t, "runbooks", "lint", filepath.Join(dir, "missing.md"))
	if code == 0 || errOut == "" {
		t.Fatalf("lint missing (%d): %s", code, errOut)
	}
}

// show never answers a loose guess as if it were the runbook asked for;
// a title the playbook shares with a shipped file shows both.
func TestRunbooksShowIsExact(t *testing.T) {
	_, errOut, code := runCLI(t, "runbooks", "show", "disk", "full")
	if code == 0 || !strings.Contains(errOut, "no runbook titled") {
		t.Fatalf("show 'disk full' (%d): %s", code, errOut)
	}
	out, _, code := runCLI(t, "runbooks", "show", "security")
	if code != 0 || !strings.HasPrefix(out, "# Security Incident\n") {
		t.Fatalf("show security (%d):\n%s", code, out)
	}
	out, _, code = runCLI(t, "runbooks", "show", "High Error Rate", "--runbooks", filepath.Join("..", "..", "runbooks", "testdata", "playbook.md"))
	if code != 0 || strings.Count(out, "# High Error Rate\n") != 2 || !strings.Contains(out, "playbook.md") {
		t.Fatalf("show with the playbook (%d):\n%s", code, out)
	}
}
