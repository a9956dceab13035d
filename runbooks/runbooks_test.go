package runbooks

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

var playbookOrder = []string{"API Service Down", "Database Connection Issues", "High Error Rate", "Agent Execution Failures", "Security Incident"}

func TestShippedAreTheFiveRunbooksInPlaybookOrder(t *testing.T) {
	books, err := Shipped()
	if err != nil {
		t.Fatal(err)
	}
	if len(books) != len(playbookOrder) {
		t.Fatalf("got %d runbooks, want %d", len(books), len(playbookOrder))
	}
	for i, w := range playbookOrder {
		if books[i].Title != w {
			t.Errorf("runbook %d = %q, want %q", i, books[i].Title, w)
		}
		if books[i].Severity == "" || len(books[i].Symptoms) != 3 || len(books[i].Steps) == 0 || !strings.HasPrefix(books[i].Source, "embedded:0") {
			t.Errorf("%s: severity %q symptoms %q %d steps source %q", w, books[i].Severity, books[i].Symptoms, len(books[i].Steps), books[i].Source)
		}
		for _, v := range books[i].Variables {
			if !v.Declared || v.Description == "" {
				t.Errorf("%s: variable %+v is not declared with a description", w, v)
			}
		}
	}
	if got := books[1].Symptoms; got[0] != `"Connection refused" errors` {
		t.Errorf("Database Connection Issues symptoms = %q", got)
	}
	checkParsed(t, books, "db")
}

// stepNamed finds a runbook's step by name.
func stepNamed(t *testing.T, rb Runbook, name string) Step {
	t.Helper()
	for _, st := range rb.Steps {
		if st.Name == name {
			return st
		}
	}
	t.Fatalf("%s has no step %q", rb.Title, name)
	return Step{}
}

// The shipped steps are the playbook's, made runnable: variables for what
// differs per environment, no step that never ends or needs a TTY, the
// psql and Prometheus queries as sql and promql steps, the broken "kill
// long-running queries" SQL fixed, destructive steps marked.
func TestShippedStepsAreRunnable(t *testing.T) {
	books, err := Shipped()
	if err != nil {
		t.Fatal(err)
	}
	for _, b := range books {
		for _, st := range b.Steps {
			if strings.Contains(st.Code, "agent-platform") || strings.Contains(st.Code, "$DB_HOST") {
				t.Errorf("%s › %s: a per-environment value is not a variable: %q", b.Title, st.Name, st.Code)
			}
			if st.Lang == Bash && (strings.Contains(st.Code, " -f ") || strings.Contains(st.Code, " -it ") || strings.Contains(st.Code, "psql")) {
				t.Errorf("%s › %s: follows, needs a TTY or shells out to psql: %q", b.Title, st.Name, st.Code)
			}
			if st.Destructive && !st.Marked {
				t.Errorf("%s › %s: destructive (%s) but not marked", b.Title, st.Name, st.Why)
			}
		}
	}
	api := books[0]
	if st := stepNamed(t, api, "If recent deployment: Rollback"); st.Code != "kubectl rollout undo deployment/{deployment} -n {namespace}" || !st.Destructive || st.Section != "Resolution" {
		t.Errorf("rollback step %+v", st)
	}
	if st := stepNamed(t, api, "Check pod logs"); st.Code != "kubectl logs deployment/{deployment} -n {namespace} --tail=100" {
		t.Errorf("logs step %+v", st)
	}
	if v, _ := api.Variable("namespace"); v.Default != "agent-platform" {
		t.Errorf("namespace %+v", v)
	}
	db := books[1]
	kill := stepNamed(t, db, "Database overloaded: Kill long-running queries")
	if kill.Lang != SQL || !kill.Marked || strings.Contains(kill.Code, "WHERE duration") ||
		!strings.Contains(kill.Code, "now() - query_start > interval '5 minutes' AND state <> 'idle' AND pid <> pg_backend_pid()") {
		t.Errorf("kill step %+v", kill)
	}
	if st := stepNamed(t, db, "Check connections"); st.Lang != SQL || st.Destructive || !strings.Contains(st.Code, "FROM pg_stat_activity") {
		t.Errorf("connections step %+v", st)
	}
	if v, _ := db.Variable("db_instance"); v.Default != "agent-platform-prod" {
		t.Errorf("db_instance %+v", v)
	}
	if st := stepNamed(t, books[2], "Check error distribution"); st.Lang != PromQL || st.Code != "sum by (status) (rate(http_requests_total[5m]))" {
		t.Errorf("promql step %+v", st)
	}
	if v, ok := books[3].Variable("agent_id"); !ok || v.Default != "" {
		t.Errorf("agent_id %+v", v)
	}
	sec := books[4]
	if st := stepNamed(t, sec, "Revoke the API key"); st.Lang != SQL || !st.Marked || st.Code != "UPDATE api_keys SET revoked_at = now() WHERE id = '{key_id}';" || st.Section != "Containment" {
		t.Errorf("revoke step %+v", st)
	}
	if !strings.Contains(sec.Body, "SECURITY INCIDENT - IMMEDIATE ACTIONS") {
		t.Errorf("the immediate actions box is gone:\n%s", sec.Body)
	}
	for _, st := range sec.Steps {
		if strings.Contains(st.Code, "IMMEDIATE") {
			t.Errorf("the immediate actions box is a step: %+v", st)
		}
	}
}

func TestLoadFolderAndSingleFile(t *testing.T) {
	dir := t.TempDir()
	must(t, os.WriteFile(filepath.Join(dir, "disk.md"), []byte("# Disk full\n\n**Symptoms:**\n- ENOSPC in logs\n\n```bash\ndf -h\n```\n"), 0o644))
	must(t, os.WriteFile(filepath.Join(dir, "notes.txt"), []byte("ignored"), 0o644))
	books, err := Load(dir)
	if err != nil {
		t.Fatal(err)
	}
	if len(books) != 1 || books[0].Title != "Disk full" || books[0].Symptoms[0] != "ENOSPC in logs" || len(books[0].Steps) != 1 {
		t.Fatalf("got %+v", books)
	}
	empty := filepath.Join(dir, "empty.md")
	must(t, os.WriteFile(empty, []byte("no heading here"), 0o644))
	if _, err := Load(empty); err == nil || !strings.Contains(err.Error(), "empty.md:1:") {
		t.Errorf("a file with no runbook must be an error naming it: %v", err)
	}
	if _, err := Load(dir); err == nil {
		t.Error("a folder with a bad file must be an error")
	}
	if _, err := Load(filepath.Join(dir, "missing")); err == nil {
		t.Error("a missing path must be an error")
	}
	books, err = Load("testdata/playbook.md")
	if err != nil || len(books) != 5 {
		t.Fatalf("the playbook: %d runbooks, %v", len(books), err)
	}
	for i, w := range playbookOrder {
		if books[i].Title != w {
			t.Errorf("playbook runbook %d = %q, want %q", i, books[i].Title, w)
		}
	}
}

func must(t *testing.T, err error) {
	t.Helper()
	if err != nil {
		t.Fatal(err)
	}
}
