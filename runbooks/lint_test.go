package runbooks

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func TestLintShippedIsClean(t *testing.T) {
	problems, err := Lint("shipped")
	if err != nil {
		t.Fatal(err)
	}
	for _, p := range problems {
		t.Errorf("%s", p)
	}
	entries, err := os.ReadDir("shipped")
	if err != nil || len(entries) != 5 {
		t.Fatalf("shipped has %d files, %v", len(entries), err)
	}
}

func TestLintFindsProblems(t *testing.T) {
	dir := t.TempDir()
	file := filepath.Join(dir, "bad.md")
	must(t, os.WriteFile(file, []byte(`---
title: Bad
variables:
  - name: namespace
  - name: unused
---

# Bad

**Investigation:**

`+"```bash\nkubectl get pods -n {namespace}\n```\n\n```bash\nkubectl get svc -n {namespace} -l app={app}\n```\n\n"+
		"- Roll back\n  ```bash\n  kubectl rollout undo deployment/api -n {namespace}\n  ```\n"+
		"- Look\n  ```bash\n  curl \"http://x/{namespace}\"\n  ```\n"+
		"- Look inside\n  ```bash\n  kubectl exec deploy/api -n {namespace} -- sh -c \"ls /data/{namespace}\"\n  ```\n"), 0o644))
	must(t, os.WriteFile(filepath.Join(dir, "broken.md"), []byte("---\ntitle: B\nowners: x\n---\n"), 0o644))
	problems, err := Lint(dir)
	if err != nil {
		t.Fatal(err)
	}
	var got []string
	for _, p := range problems {
		got = append(got, strings.TrimPrefix(p.String(), dir+string(filepath.Separator)))
	}
	want := []string{
		"bad.md:5: Bad: note: variable {unused} is declared but no step uses it",
		"bad.md:16: Bad: bash step has no name: put a list item or a paragraph before its block, or a comment line first in it",
		"bad.md:16: Bad: variable {app} is not declared in the front matter",
		`bad.md:21: Bad › Roll back: destructive step (kubectl rollout undo) is not marked: write "` + "```bash destructive\"",
		"bad.md:29: Bad › Look inside: variable {namespace} is in a string another program reads as code (after -c, eval, ssh): the console quotes it for bash, that program reads it again; pass it as an argument or an environment variable",
		`broken.md:3: front matter: unknown key "owners" (known: title, severity, symptoms, tags, signals, owner, variables)`,
	}
	if strings.Join(got, "\n") != strings.Join(want, "\n") {
		t.Errorf("got:\n%s\nwant:\n%s", strings.Join(got, "\n"), strings.Join(want, "\n"))
	}
	if !problems[0].Note || problems[1].Note {
		t.Errorf("notes: %+v", problems[:2])
	}
	if _, err := Lint(filepath.Join(dir, "missing")); err == nil {
		t.Error("a missing path must be an error")
	}
}

// The playbook as written: its destructive steps are not marked, and
// without front matter its variables are not "undeclared".
func TestLintPlaybook(t *testing.T) {
	problems, err := Lint("testdata/playbook.md")
	if err != nil {
		t.Fatal(err)
	}
	var got []string
	for _, p := range problems {
		if p.File != "testdata/playbook.md" || p.Line < 124 || p.Runbook == "" {
			t.Errorf("problem %+v", p)
		}
		got = append(got, p.Step)
	}
	want := []string{
		"Check pod status (+3 more)", // kubectl logs -f
		"If recent deployment: Rollback", "If resource exhaustion: Scale up",
		"If database issue: Check DB connection", // kubectl exec -it
		"Connection pool exhausted: Restart API pods", "Database overloaded: Kill long-running queries",
		"LLM provider issue: Enable fallback provider",
		"Compromised credentials: Revoke immediately", "Suspicious user: Disable account",
	}
	if strings.Join(got, "\n") != strings.Join(want, "\n") {
		t.Errorf("got:\n%s\nwant:\n%s", strings.Join(got, "\n"), strings.Join(want, "\n"))
	}
}

func TestNeverEnds(t *testing.T) {
	for code, endless := range map[string]bool{
		"kubectl logs -f deployment/api":                 true,
		"kubectl logs deployment/api --tail=100":         false,
		"kubectl apply -f manifest.yaml":                 false,
		"kubectl exec -it deployment/api -- sh":          true,
		"kubectl exec deployment/api -- ls":              false,
		"tail -F /var/log/syslog":                        true,
		"kubectl get pods -w":                            true,
		"curl -s -w '%{http_code}' http://x":             false,
		"watch kubectl get pods":                         true,
		"kubectl top pods -n x":                          false,
		"# kubectl logs -f is what you'd do by hand\nls": false,
	} {
		if got := neverEnds(code) != ""; got != endless {
			t.Errorf("neverEnds(%q) = %v, want %v", code, got, endless)
		}
	}
}
