package runbooks

import (
	"fmt"
	"math/rand/v2"
	"os"
	"strings"
	"testing"
)

func loadPlaybook(t testing.TB) []Runbook {
	t.Helper()
	data, err := os.ReadFile("testdata/playbook.md")
	if err != nil {
		t.Fatal(err)
	}
	books, err := Parse(string(data), "testdata/playbook.md")
	if err != nil {
		t.Fatal(err)
	}
	return books
}

func shippedBooks(t testing.TB) []Runbook {
	t.Helper()
	books, err := Shipped()
	if err != nil {
		t.Fatal(err)
	}
	return books
}

// Symptom phrasings find their runbook first, in the shipped files and in
// the playbook alike.
func TestSearchRanksBySymptom(t *testing.T) {
	for name, books := range map[string][]Runbook{"shipped": shippedBooks(t), "playbook": loadPlaybook(t)} {
		ix := NewIndex(books)
		for query, want := range map[string]string{
			"pool exhausted":      "Database Connection Issues",
			"connection refused":  "Database Connection Issues",
			"refused connection":  "Database Connection Issues", // words in any order
			"timeouts":            "Database Connection Issues",
			"unauthorized access": "Security Incident",
			"agent failures":      "Agent Execution Failures",
			"5xx":                 "API Service Down", // both API Service Down and High Error Rate say 5xx: load order
			"error rate":          "High Error Rate",
			"HighErrorRate":       "High Error Rate",
			"health checks":       "API Service Down",
			"rollback":            "API Service Down", // a step name
			"revoke":              "Security Incident",
		} {
			m := ix.Search(query)
			if len(m) == 0 || m[0].Runbook.Title != want {
				var got []string
				for _, x := range m {
					got = append(got, fmt.Sprintf("%s (%d)", x.Runbook.Title, x.Score))
				}
				t.Errorf("%s: search %q = %q, want %q first", name, query, got, want)
				continue
			}
			for _, i := range m[0].Matched {
				if i < 0 || i >= len(m[0].Key) {
					t.Errorf("%s: %q: offset %d outside %q", name, query, i, m[0].Key)
				}
			}
		}
		if m := ix.Search("5xx"); len(m) < 2 || m[1].Runbook.Title != "High Error Rate" {
			t.Errorf("%s: 5xx second should be High Error Rate: %+v", name, m)
		}
		if all := ix.Search("  "); len(all) != 5 || all[4].Runbook.Title != "Security Incident" {
			t.Errorf("%s: empty query returned %d", name, len(all))
		}
		if m := ix.Search("zzqx"); len(m) != 0 {
			t.Errorf("%s: nonsense matched %d", name, len(m))
		}
	}
}

// The matched offsets of a word match mark the word in the key.
func TestSearchMatchedMarksTheWords(t *testing.T) {
	ix := NewIndex(shippedBooks(t))
	m := ix.Search("exhausted pool")
	if len(m) == 0 {
		t.Fatal("no match")
	}
	var b strings.Builder
	for _, i := range m[0].Matched {
		b.WriteByte(m[0].Key[i])
	}
	if got := b.String(); got != "poolexhausted" {
		t.Errorf("matched %q in %q", got, m[0].Key)
	}
}

var benchWords = strings.Fields(`api database connection pool exhausted refused timeout queries
	error rate 5xx health check pods crashloop latency disk full memory leak cpu throttling
	queue backlog kafka redis cache eviction dns resolution certificate expired tls handshake
	deploy rollback canary replica lag vacuum bloat lock contention deadlock agent execution
	llm provider fallback webhook retries storage bucket quota auth token unauthorized access`)

// generated makes n runbooks the size of the shipped ones.
func generated(n int) []Runbook {
	r := rand.New(rand.NewPCG(1, 2))
	phrase := func(k int) string {
		w := make([]string, k)
		for i := range w {
			w[i] = benchWords[r.IntN(len(benchWords))]
		}
		return strings.Join(w, " ")
	}
	books := make([]Runbook, n)
	for i := range books {
		b := &books[i]
		b.Title = fmt.Sprintf("%s %d", strings.ToUpper(phrase(3)[:1])+phrase(3)[1:], i)
		for range 3 {
			b.Symptoms = append(b.Symptoms, phrase(4))
		}
		b.Tags = strings.Fields(phrase(3))
		for range 6 {
			b.Steps = append(b.Steps, Step{Name: phrase(4), Lang: Bash})
		}
	}
	return books
}

func BenchmarkSearch2000(b *testing.B) {
	ix := NewIndex(generated(2000))
	for _, q := range []string{"pool exhausted", "5xx", "connection refused", "agent failures", "p"} {
		b.Run(strings.ReplaceAll(q, " ", "_"), func(b *testing.B) {
			b.ReportAllocs()
			for b.Loop() {
				ix.Search(q)
			}
		})
	}
}

func BenchmarkNewIndex2000(b *testing.B) {
	books := generated(2000)
	b.ReportAllocs()
	for b.Loop() {
		NewIndex(books)
	}
}
