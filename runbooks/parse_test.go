package runbooks

import (
	"encoding/json"
	"errors"
	"os"
	"strings"
	"testing"

	"github.com/charmbracelet/x/exp/golden"
)

// goldenParse parses a testdata file and compares its runbooks, as JSON,
// with testdata/<TestName>.golden (go test -run … -update rewrites it).
func goldenParse(t *testing.T, file string) []Runbook {
	t.Helper()
	data, err := os.ReadFile(file)
	if err != nil {
		t.Fatal(err)
	}
	books, err := Parse(string(data), file)
	if err != nil {
		t.Fatal(err)
	}
	out, err := json.MarshalIndent(books, "", "  ")
	if err != nil {
		t.Fatal(err)
	}
	golden.RequireEqual(t, append(out, '\n'))
	checkParsed(t, books, "x")
	return books
}

func TestParseGoldenPlaybook(t *testing.T) {
	books := goldenParse(t, "testdata/playbook.md")
	// What the golden file says, spelled out.
	if len(books) != 5 || books[0].Title != "API Service Down" || books[0].Line != 124 {
		t.Fatalf("runbooks %d, first %q line %d", len(books), books[0].Title, books[0].Line)
	}
	names := map[string]Step{}
	for _, b := range books {
		for _, st := range b.Steps {
			names[st.Name] = st
		}
	}
	for name, want := range map[string]struct {
		lang        Lang
		section     string
		destructive bool
		line        int
	}{
		"Check pod status (+3 more)":                     {Bash, "Investigation", false, 133},
		"If recent deployment: Rollback":                 {Bash, "Resolution", true, 150},
		"If resource exhaustion: Scale up":               {Bash, "Resolution", true, 155},
		"Database overloaded: Kill long-running queries": {SQL, "Resolution", true, 194},
		"LLM provider issue: Enable fallback provider":   {Bash, "Resolution", true, 253},
		"Compromised credentials: Revoke immediately":    {SQL, "Containment", true, 300},
	} {
		st, ok := names[name]
		if !ok || st.Lang != want.lang || st.Section != want.section || st.Destructive != want.destructive || st.Line != want.line || st.Marked {
			t.Errorf("step %q = %+v, want %+v", name, st, want)
		}
	}
	if len(books[4].Steps) != 3 {
		t.Errorf("Security Incident: the IMMEDIATE ACTIONS box is not a step: %+v", books[4].Steps)
	}
	if v := books[4].Variables; len(v) != 2 || v[0].Name != "key_id" || v[1].Name != "user_id" || v[0].Declared {
		t.Errorf("Security Incident variables %+v", v)
	}
}

func TestParseGoldenFrontMatter(t *testing.T) {
	books := goldenParse(t, "testdata/frontmatter.md")
	b := books[0]
	if len(books) != 1 || b.Title != "Disk Full on Workers" || b.Severity != "P2" || b.Owner != "Infrastructure on-call" || b.Line != 24 {
		t.Fatalf("got %+v", b)
	}
	if strings.Contains(b.Body, "severity") || !strings.HasPrefix(b.Body, "Text under the title.") {
		t.Errorf("body keeps the front matter or the title:\n%s", b.Body)
	}
	var vars []string
	for _, v := range b.Variables {
		vars = append(vars, v.Name)
	}
	if strings.Join(vars, ",") != "namespace,node,token,unused,bucket" || !b.Variables[2].Secret || b.Variables[4].Declared {
		t.Errorf("variables %+v", b.Variables)
	}
	var got []string
	for _, st := range b.Steps {
		got = append(got, st.Section+" › "+st.Name)
	}
	want := []string{
		"Investigation › Which pods run on the node (+1 more)",
		"Investigation › Check the node's conditions",
		"Investigation › ",
		"Clean up › Drain the node",
		"Clean up › Purge the job cache",
		"Clean up › ",
	}
	if strings.Join(got, "\n") != strings.Join(want, "\n") {
		t.Errorf("steps:\n%s\nwant:\n%s", strings.Join(got, "\n"), strings.Join(want, "\n"))
	}
	if st := b.Steps[3]; !st.Destructive || st.Marked || st.Why != "kubectl drain" {
		t.Errorf("drain: %+v", st)
	}
	if st := b.Steps[4]; !st.Destructive || !st.Marked || st.Why != "marked destructive" {
		t.Errorf("purge: %+v", st)
	}
	if st := b.Steps[2]; st.Lang != PromQL || len(st.Vars) != 1 || st.Vars[0] != "node" {
		t.Errorf("promql: %+v", st)
	}
}

func TestParseMalformed(t *testing.T) {
	for _, tc := range []struct{ name, in, want string }{
		{"unterminated front matter", "---\ntitle: A\n# A\n", "x.md:1: front matter is not closed"},
		{"front matter alone", "---", "x.md:1: front matter is not closed"},
		{"unknown key", "---\ntitle: A\nbogus: 1\n---\n# A\n", `x.md:3: front matter: unknown key "bogus"`},
		{"unknown key, CRLF", "---\r\ntitle: A\r\n\r\nbogus: 1\r\n---\r\n# A\r\n", `x.md:4: front matter: unknown key "bogus"`},
		{"bad YAML", "---\ntitle: A\n\ttags: [a\n---\n# A\n", "x.md:3: front matter: "},
		{"unclosed list", "---\ntitle: [a\n---\n# A\n", "x.md:2: front matter: "},
		{"not a mapping", "---\n- a\n---\n# A\n", "x.md:2: front matter: expected keys"},
		{"key twice", "---\ntitle: A\ntitle: B\n---\n", `x.md:3: front matter: key "title" given twice (first on line 2)`},
		{"bad severity", "---\ntitle: A\nseverity: P7\n---\n", `x.md:3: front matter: severity "P7"`},
		{"unknown signal", "---\ntitle: A\nsignals:\n  - http.5xx\n  - disk.full\n---\n", `x.md:5: front matter: unknown signal "disk.full"`},
		{"symptoms not a list", "---\ntitle: A\nsymptoms: slow\n---\n", "x.md:3: front matter: symptoms: want a list"},
		{"variable twice", "---\ntitle: A\nvariables:\n  - name: ns\n  - name: ns\n---\n", `x.md:5: front matter: variable "ns" declared twice (first on line 4)`},
		{"bad variable name", "---\ntitle: A\nvariables:\n  - name: Bad-Name\n---\n", `x.md:4: front matter: variables: name "Bad-Name"`},
		{"variable unknown key", "---\ntitle: A\nvariables:\n  - name: ns\n    descr: x\n---\n", `x.md:5: front matter: variables: unknown key "descr"`},
		{"variable not a mapping", "---\ntitle: A\nvariables:\n  - ns\n---\n", "x.md:4: front matter: variables: want {name"},
		{"secret not a bool", "---\ntitle: A\nvariables:\n  - name: ns\n    secret: maybe\n---\n", "x.md:5: front matter: variables: secret: want true or false"},
		{"no title", "---\nseverity: P1\n---\n\nno heading\n", "x.md:1: front matter has no title"},
		{"no heading", "no heading here\n", "x.md:1: no runbook found"},
		{"empty", "", "x.md:1: no runbook found"},
		{"empty runbooks section", "# Playbook\n\n## Runbooks\n\ntext only\n\n### \n", ""},
		{"runbooks section without runbooks", "# Playbook\n\n## Runbooks\n\ntext only\n\n## Other\n", "x.md:3: the '## Runbooks' section has no '### Title' runbook heading"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			books, err := Parse(tc.in, "x.md")
			if tc.want == "" {
				if err != nil || len(books) == 0 {
					t.Fatalf("want runbooks, got %+v, %v", books, err)
				}
				return
			}
			var pe *ParseError
			if err == nil || !strings.HasPrefix(err.Error(), tc.want) || !errors.As(err, &pe) || books != nil {
				t.Fatalf("got %v (%+v), want an error starting %q", err, books, tc.want)
			}
		})
	}
}

// A step's name comes from the list item, paragraph or comment before or
// in it; a bold label on its own is the section; fences other than bash,
// sh, shell, sql and promql are not steps.
func TestStepNamesAndSections(t *testing.T) {
	md := "# T\n\n**Investigation:**\n\n```bash\nuptime\n```\n\nLook at the disks:\n\n```bash\ndf -h\n```\n\n" +
		"1. **If full:** Clean up\n   ```sh\n   rm -r /tmp/cache\n   ```\n\n#### Queries\n\n```sql\n-- Active sessions\nSELECT 1;\n```\n\n" +
		"```SQL destructive\nSELECT 2;\n```\n\n```python\nprint(1)\n```\n\n```go\n```\n\n## Restart\n\n```bash\nkubectl rollout restart deployment/api\n```\n"
	books, err := Parse(md, "x.md")
	if err != nil {
		t.Fatal(err)
	}
	var got []string
	for _, st := range books[0].Steps {
		got = append(got, strings.Join([]string{st.Section, st.Name, string(st.Lang), st.Why}, "|"))
	}
	want := []string{
		"Investigation|Investigation|bash|",
		"Investigation|Look at the disks|bash|",
		"Investigation|If full: Clean up|bash|rm -r",
		"Queries|Active sessions|sql|",
		"Queries||sql|marked destructive",
		"Restart|Restart|bash|kubectl rollout restart",
	}
	if strings.Join(got, "\n") != strings.Join(want, "\n") {
		t.Errorf("steps:\n%s\nwant:\n%s", strings.Join(got, "\n"), strings.Join(want, "\n"))
	}
}

func BenchmarkParsePlaybook(b *testing.B) {
	data, err := os.ReadFile("testdata/playbook.md")
	if err != nil {
		b.Fatal(err)
	}
	md := string(data)
	b.SetBytes(int64(len(md)))
	b.ReportAllocs()
	for b.Loop() {
		if books, err := Parse(md, "playbook.md"); err != nil || len(books) != 5 {
			b.Fatal(len(books), err)
		}
	}
}
