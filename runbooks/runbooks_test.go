package runbooks

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func TestShippedPlaybookLoadsAsFiveRunbooks(t *testing.T) {
	books, err := Shipped()
	if err != nil {
		t.Fatal(err)
	}
	want := []string{"API Service Down", "Database Connection Issues", "High Error Rate", "Agent Execution Failures", "Security Incident"}
	if len(books) != len(want) {
		t.Fatalf("got %d runbooks, want %d", len(books), len(want))
	}
	for i, w := range want {
		if books[i].Title != w {
			t.Errorf("runbook %d = %q, want %q", i, books[i].Title, w)
		}
	}
	if got := books[1].Symptoms; len(got) != 3 || got[0] != `"Connection refused" errors` {
		t.Errorf("Database Connection Issues symptoms = %q", got)
	}
	if !strings.Contains(books[0].Body, "kubectl rollout undo deployment/api -n agent-platform") {
		t.Errorf("API Service Down body lacks its rollback step:\n%s", books[0].Body)
	}
}

func TestSearchBySymptom(t *testing.T) {
	books, _ := Shipped()
	ix := NewIndex(books)
	m := ix.Search("pool exhausted")
	if len(m) == 0 || m[0].Runbook.Title != "Database Connection Issues" {
		t.Fatalf("search 'pool exhausted': %+v", m)
	}
	m = ix.Search("5xx")
	if len(m) == 0 {
		t.Fatal("no match for 5xx")
	}
	if all := ix.Search(""); len(all) != 5 {
		t.Errorf("empty query returned %d", len(all))
	}
}

func TestLoadFolderAndSingleFile(t *testing.T) {
	dir := t.TempDir()
	os.WriteFile(filepath.Join(dir, "disk.md"), []byte("# Disk full\n\n**Symptoms:**\n- ENOSPC in logs\n\n```bash\ndf -h\n```\n"), 0o644)
	os.WriteFile(filepath.Join(dir, "notes.txt"), []byte("ignored"), 0o644)
	books, err := Load(dir)
	if err != nil {
		t.Fatal(err)
	}
	if len(books) != 1 || books[0].Title != "Disk full" || books[0].Symptoms[0] != "ENOSPC in logs" {
		t.Fatalf("got %+v", books)
	}
	empty := filepath.Join(dir, "empty.md")
	os.WriteFile(empty, []byte("no heading here"), 0o644)
	if _, err := Load(empty); err == nil {
		t.Error("a file with no runbook must be an error")
	}
	if _, err := Load(filepath.Join(dir, "missing")); err == nil {
		t.Error("a missing path must be an error")
	}
}
