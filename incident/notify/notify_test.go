package notify

import (
	"context"
	"encoding/json"
	"errors"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"reflect"
	"slices"
	"strings"
	"testing"
	"time"
)

// upperBound is the generous bound a timed-out run must return within;
// not a measurement, a guard against Run hanging.
const upperBound = 10 * time.Second

func samplePayload() Payload {
	return Payload{
		IncidentID: "inc-20250102-0304",
		Title:      "API 5xx spike — checkout",
		Severity:   "P1",
		Kind:       KindEscalation,
		Level:      2,
		Role:       "Secondary On-Call",
		Actor:      "warroom",
		Time:       time.Date(2025, 1, 2, 4, 9, 0, 0, time.FixedZone("CET", 3600)),
		Summary:    "no ack after 5m: paging Secondary On-Call",
		Drill:      true,
	}
}

// needSh skips a test that runs /bin/sh where there is none.
func needSh(t *testing.T) {
	t.Helper()
	if _, err := os.Stat("/bin/sh"); err != nil {
		t.Skipf("no /bin/sh to run hook commands with: %v", err)
	}
}

func TestCommandGetsPayload(t *testing.T) {
	needSh(t)
	file := filepath.Join(t.TempDir(), "payload.json")
	h := Hook{Command: []string{"/bin/sh", "-c", `cat > "$1"; echo done`, "sh", file}}
	want := samplePayload()
	res, err := h.Run(context.Background(), want)
	if err != nil {
		t.Fatalf("Run: %v (output %q)", err, res.Output)
	}
	if res.ExitCode != 0 || res.Output != "done\n" || res.Truncated {
		t.Errorf("result = %+v, want exit 0 and output %q", res, "done\n")
	}
	data, err := os.ReadFile(file)
	if err != nil {
		t.Fatal(err)
	}
	if !strings.HasSuffix(string(data), "}\n") || strings.Count(string(data), "\n") != 1 {
		t.Errorf("stdin = %q, want one line of JSON", data)
	}
	var got Payload
	if err := json.Unmarshal(data, &got); err != nil {
		t.Fatalf("payload %s does not decode: %v", data, err)
	}
	want.Version = PayloadVersion
	if !got.Time.Equal(want.Time) {
		t.Errorf("time = %v, want %v", got.Time, want.Time)
	}
	got.Time, want.Time = time.Time{}, time.Time{}
	if got != want {
		t.Errorf("payload = %+v\nwant      %+v", got, want)
	}
}

// TestPayloadWire pins the JSON names and forms scripts rely on.
func TestPayloadWire(t *testing.T) {
	data, err := json.Marshal(samplePayload())
	if err != nil {
		t.Fatal(err)
	}
	var m map[string]any
	if err := json.Unmarshal(data, &m); err != nil {
		t.Fatal(err)
	}
	keys := slices.Sorted(func(yield func(string) bool) {
		for k := range m {
			if !yield(k) {
				return
			}
		}
	})
	wantKeys := []string{"actor", "contact", "drill", "event", "incident_id", "late_seconds", "level", "role", "severity", "summary", "team", "time", "title", "version", "who"}
	if !reflect.DeepEqual(keys, wantKeys) {
		t.Errorf("keys = %v, want %v", keys, wantKeys)
	}
	if m["time"] != "2025-01-02T03:09:00Z" {
		t.Errorf("time = %v, want UTC RFC 3339 2025-01-02T03:09:00Z", m["time"])
	}
	if m["event"] != "escalation" || m["severity"] != "P1" || m["level"] != 2.0 || m["drill"] != true {
		t.Errorf("payload = %s", data)
	}
	// An event without a rung still has every key.
	data, _ = json.Marshal(Payload{Kind: KindResolved})
	for _, k := range []string{`"level":0`, `"role":""`, `"drill":false`} {
		if !strings.Contains(string(data), k) {
			t.Errorf("%s lacks %s", data, k)
		}
	}
}

func TestRunSetsVersionAndTime(t *testing.T) {
	needSh(t)
	before := time.Now().Add(-time.Second)
	res, err := Hook{Command: []string{"/bin/sh", "-c", "cat"}}.Run(context.Background(), Payload{Kind: KindTest})
	if err != nil {
		t.Fatal(err)
	}
	var got Payload
	if err := json.Unmarshal([]byte(res.Output), &got); err != nil {
		t.Fatalf("%q: %v", res.Output, err)
	}
	if got.Version != PayloadVersion || got.Kind != KindTest || got.Time.Before(before.Truncate(time.Second)) {
		t.Errorf("payload = %+v, want version %d, kind test, time about now", got, PayloadVersion)
	}
}

func TestCommandExitCode(t *testing.T) {
	needSh(t)
	h := Hook{Command: []string{"/bin/sh", "-c", "echo to-stdout; echo 'curl: (6) Could not resolve host' >&2; exit 3"}}
	res, err := h.Run(context.Background(), samplePayload())
	if err == nil {
		t.Fatal("Run succeeded, want an error for exit 3")
	}
	if !strings.Contains(err.Error(), "exited with code 3") || !strings.Contains(err.Error(), "Could not resolve host") {
		t.Errorf("error %q does not name exit code 3 and the last line", err)
	}
	if errors.Is(err, ErrTimeout) {
		t.Errorf("error %q is a timeout", err)
	}
	if res.ExitCode != 3 {
		t.Errorf("exit code = %d, want 3", res.ExitCode)
	}
	if !strings.Contains(res.Output, "to-stdout\n") || !strings.Contains(res.Output, "Could not resolve host") {
		t.Errorf("output %q lacks stdout or stderr", res.Output)
	}
}

func TestCommandOutputBounded(t *testing.T) {
	needSh(t)
	// 16384 bytes of 'a' (doubled 14 times), then a line with a
	// multi-byte character.
	h := Hook{Command: []string{"/bin/sh", "-c", `s=a; i=0; while [ $i -lt 14 ]; do s=$s$s; i=$((i+1)); done; printf '%s\n' "$s"; echo 'the end é'`}}
	res, err := h.Run(context.Background(), samplePayload())
	if err != nil {
		t.Fatal(err)
	}
	if !res.Truncated || len(res.Output) > OutputLimit || !strings.HasSuffix(res.Output, "a\nthe end é\n") {
		t.Errorf("output: truncated %v, %d bytes, ends %q; want truncated, ≤ %d, the last bytes",
			res.Truncated, len(res.Output), res.Output[max(0, len(res.Output)-20):], OutputLimit)
	}
}

func TestCommandNotFound(t *testing.T) {
	_, err := Hook{Command: []string{filepath.Join(t.TempDir(), "no-such-hook")}}.Run(context.Background(), samplePayload())
	if err == nil || !strings.Contains(err.Error(), "could not start") {
		t.Errorf("error = %v, want could not start", err)
	}
}

func TestCommandCancelled(t *testing.T) {
	needSh(t)
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	_, err := Hook{Command: []string{"/bin/sh", "-c", "sleep 30"}}.Run(ctx, samplePayload())
	if err == nil || !errors.Is(err, context.Canceled) || errors.Is(err, ErrTimeout) {
		t.Errorf("error = %v, want cancelled, not a timeout", err)
	}
}

// The Slack-style webhook path and query a test server is called with.
const (
	hookPath  = "/services/T0SECRET1/B0SECRET2/XXXXSECRETXXXXSECRETXXXX"
	hookQuery = "token=qsecret42&channel=ops"
)

func secretsIn(s string) []string {
	var found []string
	for _, sec := range []string{"T0SECRET1", "B0SECRET2", "XXXXSECRETXXXXSECRETXXXX", "qsecret42", "hunter22"} {
		if strings.Contains(s, sec) {
			found = append(found, sec)
		}
	}
	return found
}

func TestWebhookPost(t *testing.T) {
	type request struct {
		method, path, query, contentType, auth string
		body                                   []byte
	}
	got := make(chan request, 1)
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		body, _ := io.ReadAll(r.Body)
		got <- request{r.Method, r.URL.Path, r.URL.RawQuery, r.Header.Get("Content-Type"), r.Header.Get("Authorization"), body}
		io.WriteString(w, "ok")
	}))
	defer srv.Close()
	h := Hook{URL: srv.URL + hookPath + "?" + hookQuery, Headers: map[string]string{"Authorization": "Bearer hunter22"}}
	want := samplePayload()
	res, err := h.Run(context.Background(), want)
	if err != nil {
		t.Fatalf("Run: %v", err)
	}
	if res.Status != 200 || res.Output != "ok" {
		t.Errorf("result = %+v, want status 200, output ok", res)
	}
	r := <-got
	if r.method != http.MethodPost || r.path != hookPath || r.query != hookQuery {
		t.Errorf("request %s %s?%s, want POST %s?%s", r.method, r.path, r.query, hookPath, hookQuery)
	}
	if r.contentType != "application/json" || r.auth != "Bearer hunter22" {
		t.Errorf("content type %q, authorization %q", r.contentType, r.auth)
	}
	var p Payload
	if err := json.Unmarshal(r.body, &p); err != nil {
		t.Fatalf("body %q: %v", r.body, err)
	}
	want.Version = PayloadVersion
	if !p.Time.Equal(want.Time) {
		t.Errorf("time = %v, want %v", p.Time, want.Time)
	}
	p.Time, want.Time = time.Time{}, time.Time{}
	if p != want {
		t.Errorf("payload = %+v\nwant      %+v", p, want)
	}
}

func TestWebhookError(t *testing.T) {
	// The server echoes the request's URL, as some do in an error page.
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.WriteHeader(http.StatusInternalServerError)
		io.WriteString(w, "internal error handling "+r.URL.String()+" for https://user:hunter22@example.com/x")
	}))
	defer srv.Close()
	h := Hook{URL: srv.URL + hookPath + "?" + hookQuery}
	res, err := h.Run(context.Background(), samplePayload())
	if err == nil {
		t.Fatal("Run succeeded on a 500")
	}
	msg := err.Error()
	if !strings.Contains(msg, "500") || !strings.Contains(msg, "internal error handling") {
		t.Errorf("error %q does not name 500 and the answer", msg)
	}
	if s := secretsIn(msg); len(s) > 0 {
		t.Errorf("error %q holds secrets %q", msg, s)
	}
	if res.Status != 500 {
		t.Errorf("status = %d, want 500", res.Status)
	}
}

func TestWebhookTimeout(t *testing.T) {
	release := make(chan struct{})
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		select {
		case <-r.Context().Done():
		case <-release:
		}
	}))
	defer srv.Close()
	defer close(release) // before srv.Close, which waits for the handler
	h := Hook{URL: srv.URL + hookPath + "?" + hookQuery, Timeout: 300 * time.Millisecond}
	start := time.Now()
	_, err := h.Run(context.Background(), samplePayload())
	if d := time.Since(start); d > upperBound {
		t.Errorf("Run took %v against a hanging server, timeout 300ms", d)
	}
	if err == nil || !errors.Is(err, ErrTimeout) || !strings.Contains(err.Error(), "timed out") {
		t.Fatalf("error = %v, want timed out", err)
	}
	if s := secretsIn(err.Error()); len(s) > 0 {
		t.Errorf("error %q holds secrets %q", err, s)
	}
}

func TestWebhookUnreachable(t *testing.T) {
	srv := httptest.NewServer(http.NotFoundHandler())
	u := srv.URL
	srv.Close() // nothing listens there now
	_, err := Hook{URL: strings.Replace(u, "http://", "http://user:hunter22@", 1) + hookPath + "?" + hookQuery}.Run(context.Background(), samplePayload())
	if err == nil || !strings.Contains(err.Error(), "POST failed") {
		t.Fatalf("error = %v, want POST failed", err)
	}
	if s := secretsIn(err.Error()); len(s) > 0 {
		t.Errorf("error %q holds secrets %q", err, s)
	}
}

func TestWebhookRedirect(t *testing.T) {
	other := make(chan string, 2)
	elsewhere := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		other <- r.URL.Path
	}))
	defer elsewhere.Close()
	same := make(chan string, 2)
	var srv *httptest.Server
	srv = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		switch r.URL.Path {
		case "/same":
			http.Redirect(w, r, "/landed", http.StatusTemporaryRedirect)
		case "/landed":
			body, _ := io.ReadAll(r.Body)
			same <- r.Method + " " + string(body[:min(len(body), 1)])
		default:
			http.Redirect(w, r, elsewhere.URL+"/stolen", http.StatusTemporaryRedirect)
		}
	}))
	defer srv.Close()

	if _, err := (Hook{URL: srv.URL + "/same"}).Run(context.Background(), samplePayload()); err != nil {
		t.Errorf("redirect on the same host: %v", err)
	}
	if got := <-same; got != "POST {" {
		t.Errorf("after a same-host 307: %q, want the POST with its body", got)
	}

	res, err := Hook{URL: srv.URL + "/away"}.Run(context.Background(), samplePayload())
	if err == nil || !strings.Contains(err.Error(), "307") || res.Status != 307 {
		t.Errorf("redirect to another host: status %d, error %v; want 307 not followed", res.Status, err)
	}
	select {
	case p := <-other:
		t.Errorf("the other host was called (%s)", p)
	default:
	}
}

func TestDescribe(t *testing.T) {
	for _, tc := range []struct {
		name string
		h    Hook
		want string
	}{
		{"token query", Hook{URL: "https://alerts.example.com/hook?token=abc123secret&channel=ops"},
			"POST https://alerts.example.com/hook?token=xxxxx&channel=xxxxx"},
		{"slack", Hook{URL: "https://hooks.slack.com/services/T00000000/B00000000/XXXXXXXXXXXXXXXXXXXXXXXX"},
			"POST https://hooks.slack.com/services/xxxxx"},
		{"userinfo", Hook{URL: "https://user:pa55word@alerts.example.com:8443/notify"},
			"POST https://xxxxx@alerts.example.com:8443/notify"},
		{"token first element", Hook{URL: "https://webhook.site/0b7c1e2a-3d4f-4a5b-9c6d-7e8f9a0b1c2d"},
			"POST https://webhook.site/xxxxx"},
		{"fragment and trailing slash", Hook{URL: "http://localhost:9000/hooks/?x#frag"},
			"POST http://localhost:9000/hooks/?xxxxx#xxxxx"},
		{"headers by name only", Hook{URL: "https://alerts.example.com/", Headers: map[string]string{"X-Api-Key": "k3y", "Authorization": "Bearer abc"}},
			"POST https://alerts.example.com/ (headers: Authorization, X-Api-Key)"},
		{"does not parse", Hook{URL: "https://user:pw@alerts.example.com:bad/x/secret?token=1"},
			"POST https://xxxxx@alerts.example.com:xxxxx/xxxxx"},
		{"command", Hook{Command: []string{"/usr/local/bin/page-oncall", "--team", "platform ops", "--token", "s3cr3t value"}},
			"run /usr/local/bin/page-oncall --team 'platform ops' --token xxxxx"},
		{"command with a URL and a header", Hook{Command: []string{"curl", "-H", "Authorization: Bearer abcdef123456", "-d", "@-",
			"https://hooks.slack.com/services/T00000000/B00000000/XXXXXXXXXXXXXXXXXXXXXXXX"}},
			"run curl -H 'Authorization: Bearer xxxxx' -d @- https://hooks.slack.com/services/xxxxx"},
		{"control characters", Hook{Command: []string{"notify", "a\x1b[2Jb"}},
			`run notify $'a\x1b[2Jb'`},
		{"none", Hook{}, "no hook"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if got := tc.h.Describe(); got != tc.want {
				t.Errorf("Describe() = %q\nwant          %q", got, tc.want)
			}
		})
	}
}

func TestValidate(t *testing.T) {
	for _, tc := range []struct {
		name string
		h    Hook
		want string // in the error; "" for valid
	}{
		{"command", Hook{Command: []string{"/bin/true"}}, ""},
		{"url", Hook{URL: "https://hooks.slack.com/services/T0/B0/X", Timeout: time.Second, Headers: map[string]string{"Authorization": "Bearer x"}}, ""},
		{"both", Hook{Command: []string{"/bin/true"}, URL: "https://example.com/"}, "not both"},
		{"neither", Hook{Timeout: time.Second}, "no command or URL"},
		{"empty program", Hook{Command: []string{""}}, "empty"},
		{"negative timeout", Hook{Command: []string{"/bin/true"}, Timeout: -time.Second}, "negative"},
		{"headers on a command", Hook{Command: []string{"/bin/true"}, Headers: map[string]string{"A": "b"}}, "headers"},
		{"scheme", Hook{URL: "ftp://user:hunter22@example.com/T0SECRET1"}, "not http or https"},
		{"no host", Hook{URL: "https:///T0SECRET1"}, "no host"},
		{"does not parse", Hook{URL: "https://user:hunter22@exa mple.com/T0SECRET1?token=qsecret42"}, "does not parse"},
		{"header name", Hook{URL: "https://example.com/", Headers: map[string]string{"Bad Name": "x"}}, "header name"},
		{"header name holds a secret", Hook{URL: "https://example.com/", Headers: map[string]string{"Bad hunter22": "x"}}, "header name"},
		{"a pasted token", Hook{URL: "T0SECRET1"}, "not http or https"},
		{"opaque", Hook{URL: "webhook:T0SECRET1"}, "not http or https"},
		{"secret as the port", Hook{URL: "https://example.com:hunter22/x"}, "does not parse"},
		{"header value", Hook{URL: "https://example.com/", Headers: map[string]string{"X-Token": "hunter22\r\nX-Evil: 1"}}, "line break"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			err := tc.h.Validate()
			switch {
			case tc.want == "" && err != nil:
				t.Errorf("Validate() = %v, want nil", err)
			case tc.want != "" && (err == nil || !strings.Contains(err.Error(), tc.want)):
				t.Errorf("Validate() = %v, want an error saying %q", err, tc.want)
			case err != nil && len(secretsIn(err.Error())) > 0:
				t.Errorf("Validate() = %q holds secrets %q", err, secretsIn(err.Error()))
			}
			if tc.want != "" {
				if _, rerr := tc.h.Run(context.Background(), samplePayload()); rerr == nil || rerr.Error() != err.Error() {
					t.Errorf("Run on an invalid hook = %v, want %v", rerr, err)
				}
			}
		})
	}
}
