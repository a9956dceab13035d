package incident

import (
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"

	"github.com/warroom-dev/warroom/internal/sanitize"
)

// plant is a secret in the format of one redaction pattern: Redact must
// mask secret wherever the line stands on its own.
type plant struct{ rule, line, secret string }

var plants = []plant{
	{"url-userinfo", "postgres://app:Zq9Marker1@db:5432/prod", "Zq9Marker1"},
	{"authorization-header", "Authorization: Basic Zq9Marker1", "Zq9Marker1"},
	{"api-key-header", "X-Api-Key: Zq9Marker1", "Zq9Marker1"},
	{"bearer", "sent Bearer Zq9Marker1Zq9Marker1 upstream", "Zq9Marker1Zq9Marker1"},
	{"cookie-header", "Cookie: sid=Zq9Marker1; theme=dark", "Zq9Marker1"},
	{"aws-secret-access-key", "aws_secret_access_key = Zq9Marker1Zq9Marker1Zq9Marker1Zq9Marker1", "Zq9Marker1Zq9Marker1Zq9Marker1Zq9Marker1"},
	{"json-key", `{"password": "Zq9Marker1"}`, "Zq9Marker1"},
	{"key-value", "host=db password=Zq9Marker1 sslmode=require", "Zq9Marker1"},
	{"colon-key", "  api_key: Zq9Marker1", "Zq9Marker1"},
	{"env-space", "PGPASSWORD Zq9Marker1", "Zq9Marker1"},
	{"flag", "vault login --token Zq9Marker1", "Zq9Marker1"},
	{"mysql-p", "mysql -h db -u root -pZq9Marker1 app", "Zq9Marker1"},
	{"sshpass-p", "sshpass -p Zq9Marker1 ssh db", "Zq9Marker1"},
	{"redis-cli-a", "redis-cli -h cache -a Zq9Marker1 ping", "Zq9Marker1"},
	{"curl-user", "curl -u alice:Zq9Marker1 https://api/x", "Zq9Marker1"},
	{"aws-access-key-id", "AKIAZQ9MARKER1ZQ9MAR", "ZQ9MARKER1ZQ9MAR"},
	{"github-token", "ghp_Zq9Marker1Zq9Marker1Zq9Marker1Zq9M", "Zq9Marker1Zq9Marker1Zq9Marker1Zq9M"},
	{"github-pat", "github_pat_Zq9Marker1Zq9Marker1Zq9Marker1Zq9M", "Zq9Marker1Zq9Marker1Zq9Marker1Zq9M"},
	{"gitlab-token", "glpat-Zq9Marker1Zq9Marker1", "Zq9Marker1Zq9Marker1"},
	{"slack-token", "xoxb-Zq9Marker1Zq9Marker1", "Zq9Marker1Zq9Marker1"},
	{"openai-key", "sk-proj-Zq9Marker1Zq9Marker1", "Zq9Marker1Zq9Marker1"},
	{"stripe-key", "sk_live_Zq9Marker1Zq9Marker1", "Zq9Marker1Zq9Marker1"},
	{"google-api-key", "AIzaZq9Marker1Zq9Marker1Zq9Marker1Zq9Ma", "Zq9Marker1Zq9Marker1Zq9Marker1Zq9Ma"},
	{"npm-token", "npm_Zq9Marker1Zq9Marker1Zq9Marker1Zq9Mar", "Zq9Marker1Zq9Marker1Zq9Marker1Zq9Mar"},
	{"jwt", "eyJZq9Marker1.Zq9Marker1.Zq9Marker1", "eyJZq9Marker1.Zq9Marker1.Zq9Marker1"},
	{"private-key-block", "-----BEGIN PRIVATE KEY-----Zq9Marker1-----END PRIVATE KEY-----", "Zq9Marker1"},
}

// TestPlantsCoverTable: FuzzRedact plants a secret of every pattern, and
// each plant is masked on its own.
func TestPlantsCoverTable(t *testing.T) {
	have := map[string]bool{}
	for _, p := range plants {
		have[p.rule] = true
		if strings.Contains(Redact(p.line), p.secret) {
			t.Errorf("%s: plant %q not masked: %q", p.rule, p.line, Redact(p.line))
		}
	}
	for _, r := range redactions {
		if !have[r.name] {
			t.Errorf("pattern %s has no plant for FuzzRedact", r.name)
		}
	}
}

// FuzzRedact: Redact never panics and is idempotent; Clean's output has no
// control and is one line; and a secret of each pattern's format, planted
// on its own line inside fuzzed text, never survives.
func FuzzRedact(f *testing.F) {
	for _, c := range redactCases {
		f.Add(c.in, c.want)
	}
	f.Add("token: password:", "'")
	f.Add("-----BEGIN PRIVATE KEY-----", "-----END RSA PRIVATE KEY-----")
	f.Add(`password="unterminated`, `"`)
	f.Add("Cookie: a=b; Path=c=d", "curl -u 'x")
	f.Fuzz(func(t *testing.T, before, after string) {
		s := before + after
		r := Redact(s)
		if again := Redact(r); again != r {
			t.Fatalf("not idempotent:\n in  %q\n out %q\n out %q", s, r, again)
		}
		c := Clean(s)
		if !sanitize.IsSafe(c) || strings.Contains(c, "\n") {
			t.Fatalf("Clean(%q) = %q: not one safe line", s, c)
		}
		if Clean(c) != c {
			t.Fatalf("Clean not idempotent: %q -> %q", c, Clean(c))
		}
		for _, p := range plants {
			in := before + "\n" + p.line + "\n" + after
			out := Redact(in)
			if strings.Count(out, p.secret) > strings.Count(before, p.secret)+strings.Count(after, p.secret) {
				t.Fatalf("%s: planted secret survived:\n in  %q\n out %q", p.rule, in, out)
			}
		}
	})
}

// FuzzJournalRead: any bytes as a journal file. ReadFile and Open never
// panic or fail on a regular file; every string of every event is safe to
// draw (one line, unless its field is multi-line), redaction-stable and
// clean-stable; skipped lines and their errors are safe to print; folding
// the events never panics; and after Open, an Append lands as one more
// event.
func FuzzJournalRead(f *testing.F) {
	for _, s := range []string{
		"",
		`{"v":2,"id":"019550dd-76b0-7b30-a21d-67bd57807bb6","time":"2025-03-01T08:40:46Z","actor":"alice","kind":"declared","summary":"API 5xx","severity":{"to":"P1"}}` + "\n",
		`{"time":"2025-03-01T02:00:00Z","actor":"bob","kind":"probe","summary":"postgres lost: dial \u001b]0;x\u0007 password=hunter2"}` + "\n" + `{"time":"2025-03-01T02:00:00Z","kind":"step-started","summary":"restart"}`,
		`{"v":2,"time":"2025-03-01T02:00:00Z","actor":"a","kind":"alert","alert":{"name":"\u009b2J","labels":{"k\u202e":"v\u001b[31m","k":"w"}}}`,
		`{"v":2,"time":"2025-03-01T02:00:00Z","actor":"a","kind":"action","action":{"lines":["mysql -pX\u2066"],"output":"a\r\nb\u001bPpayload","exit_code":-1}}` + "\n" + `{"time":"2025-03-01T02:0`,
		`{"v":3,"time":"9999-12-31T23:59:59Z","kind":"checklist","checklist":{"item":"x","list":5}}` + "\r\n\n\n" + `{"kind":""}` + "\n" + "garbage \x1b[31m\xff\n",
		`{"time":"0001-01-01T00:00:00Z","kind":"ack","ack":{"level":-5}}`,
	} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		path := filepath.Join(t.TempDir(), "inc.jsonl")
		if err := os.WriteFile(path, data, 0o600); err != nil {
			t.Fatal(err)
		}
		evs, skipped, err := ReadFile(path)
		if err != nil {
			t.Fatalf("ReadFile: %v", err)
		}
		for _, ev := range evs {
			eachString(reflect.ValueOf(ev), false, func(s string, text bool) {
				if !sanitize.IsSafe(s) || (!text && strings.Contains(s, "\n")) {
					t.Fatalf("unsafe string %q in %+v", s, ev)
				}
				if Redact(s) != s {
					t.Fatalf("string %q not redaction-stable: %q", s, Redact(s))
				}
			})
			if again := clean(ev); !reflect.DeepEqual(again, ev) {
				t.Fatalf("cleaning again changes %+v to %+v", ev, again)
			}
		}
		for _, s := range skipped {
			if !sanitize.IsSafe(s.Text) || strings.Contains(s.Text, "\n") || !sanitize.IsSafe(s.Err.Error()) {
				t.Fatalf("skipped line %d not safe to print: %q: %q", s.Line, s.Text, s.Err)
			}
		}
		sess := Fold(evs)
		sess.Open()
		var s2 Session
		for i := len(evs) - 1; i >= 0; i-- {
			s2.Apply(evs[i])
		}

		j, opened, _, err := Open(path)
		if err != nil {
			t.Fatalf("Open: %v", err)
		}
		if !reflect.DeepEqual(opened, evs) {
			t.Fatalf("Open and ReadFile read differently")
		}
		j.sync = func(*os.File) error { return nil } // no fsync: speed, not durability, is tested here
		_, err = j.Append(Note("fuzz", "after", t0))
		j.Close()
		if err != nil {
			t.Fatal(err)
		}
		again, _, err := ReadFile(path)
		if err != nil || len(again) != len(evs)+1 || again[len(again)-1].Summary != "after" {
			t.Fatalf("after Append: %d events (had %d), %v", len(again), len(evs), err)
		}
	})
}

// eachString calls fn with every string reachable from v and whether its
// field keeps newlines (clean:"text").
func eachString(v reflect.Value, text bool, fn func(s string, text bool)) {
	switch v.Kind() {
	case reflect.String:
		fn(v.String(), text)
	case reflect.Pointer:
		if !v.IsNil() {
			eachString(v.Elem(), text, fn)
		}
	case reflect.Struct:
		for i := range v.NumField() {
			if f := v.Type().Field(i); f.IsExported() {
				eachString(v.Field(i), f.Tag.Get("clean") == "text", fn)
			}
		}
	case reflect.Slice, reflect.Array:
		for i := range v.Len() {
			eachString(v.Index(i), text, fn)
		}
	case reflect.Map:
		for it := v.MapRange(); it.Next(); {
			eachString(it.Key(), false, fn)
			eachString(it.Value(), text, fn)
		}
	}
}
