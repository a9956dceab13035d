package prom_test

import (
	"context"
	"crypto/x509"
	"encoding/base64"
	"encoding/pem"
	"errors"
	"fmt"
	"io"
	"log"
	"math"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/warroom-dev/warroom/probes/prom"

	"github.com/warroom-dev/warroom/internal/testenv"
)

// The testdata/*.json answers were captured from Prometheus 2.42 (the test
// backends, hack/prom/rules.yml loaded) with curl; in
// alerts_firing_pending.json the pending alert's labels and annotations
// were renamed so that two distinct alerts are listed.

// answer is what the fake Prometheus says to one request.
type answer struct {
	status int
	file   string // under testdata
}

// fakeProm speaks the Prometheus HTTP API from testdata files: answers by
// PromQL text for /api/v1/query and /api/v1/query_range, one answer for
// /api/v1/alerts. It records each request's form and headers.
type fakeProm struct {
	t       *testing.T
	queries map[string]answer
	alerts  answer

	mu   sync.Mutex
	reqs []seen
}

type seen struct {
	Method, Path string
	Form         map[string]string
	Auth         string
}

func (f *fakeProm) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	if err := r.ParseForm(); err != nil {
		http.Error(w, err.Error(), http.StatusBadRequest)
		return
	}
	s := seen{Method: r.Method, Path: r.URL.Path, Form: map[string]string{}, Auth: r.Header.Get("Authorization")}
	for k := range r.Form {
		s.Form[k] = r.Form.Get(k)
	}
	f.mu.Lock()
	f.reqs = append(f.reqs, s)
	f.mu.Unlock()
	var a answer
	switch r.URL.Path {
	case "/api/v1/query", "/api/v1/query_range":
		var ok bool
		if a, ok = f.queries[r.Form.Get("query")]; !ok {
			f.t.Errorf("fake Prometheus: unexpected query %q", r.Form.Get("query"))
			http.Error(w, "unexpected query", http.StatusTeapot)
			return
		}
	case "/api/v1/alerts":
		a = f.alerts
	default:
		http.NotFound(w, r)
		return
	}
	body, err := os.ReadFile(filepath.Join("testdata", a.file))
	if err != nil {
		f.t.Error(err)
		http.Error(w, err.Error(), http.StatusInternalServerError)
		return
	}
	w.Header().Set("Content-Type", "application/json")
	if a.status == 0 {
		a.status = http.StatusOK
	}
	w.WriteHeader(a.status)
	_, _ = w.Write(body)
}

func (f *fakeProm) last() seen {
	f.mu.Lock()
	defer f.mu.Unlock()
	if len(f.reqs) == 0 {
		f.t.Fatal("fake Prometheus got no request")
	}
	return f.reqs[len(f.reqs)-1]
}

func startFake(t *testing.T, f *fakeProm) (prom.Probe, *httptest.Server) {
	t.Helper()
	f.t = t
	srv := httptest.NewServer(f)
	t.Cleanup(srv.Close)
	p, err := prom.New(srv.URL, nil)
	if err != nil {
		t.Fatal(err)
	}
	return p, srv
}

func ctx(t *testing.T) context.Context {
	c, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	t.Cleanup(cancel)
	return c
}

// ts is a Prometheus timestamp (seconds with milliseconds) as a time.
func ts(sec float64) time.Time {
	ms := int64(math.Round(sec * 1000))
	return time.UnixMilli(ms)
}

func TestQueryVector(t *testing.T) {
	const q = `topk(3, sum by (handler) (rate(http_requests_total{status=~"5.."}[1m])))`
	f := &fakeProm{queries: map[string]answer{q: {file: "query_vector_topk.json"}}}
	p, _ := startFake(t, f)
	at := time.Date(2026, 11, 27, 16, 20, 0, 825_000_000, time.UTC)
	got, err := p.Query(ctx(t), q, at)
	if err != nil {
		t.Fatal(err)
	}
	req := f.last()
	if req.Method != http.MethodPost || req.Path != "/api/v1/query" || req.Form["query"] != q {
		t.Errorf("request %s %s query=%q, want POST /api/v1/query with the PromQL", req.Method, req.Path, req.Form["query"])
	}
	if tm, _ := strconv.ParseFloat(req.Form["time"], 64); !ts(tm).Equal(at) {
		t.Errorf("time=%s, want %v", req.Form["time"], at)
	}
	want := []struct {
		handler string
		v       float64
	}{{"/api/v1/tools", 3.5859523809523814}, {"/api/v1/agents", 2.080142857142857}, {"/api/v1/runs", 2.080142857142857}}
	if len(got) != len(want) {
		t.Fatalf("got %d samples, want %d: %+v", len(got), len(want), got)
	}
	for i, w := range want { // topk's order is kept
		s := got[i]
		if s.Labels["handler"] != w.handler || len(s.Labels) != 1 || s.V != w.v || !s.T.Equal(ts(1795796400.825)) {
			t.Errorf("sample %d = %+v, want handler %s, value %v at %v", i, s, w.handler, w.v, ts(1795796400.825))
		}
	}
}

func TestQueryScalar(t *testing.T) {
	const q = `scalar(sum(rate(http_requests_total{status=~"5.."}[1m])) / sum(rate(http_requests_total[1m])))`
	p, _ := startFake(t, &fakeProm{queries: map[string]answer{q: {file: "query_scalar.json"}}})
	got, err := p.Query(ctx(t), q, time.Now())
	if err != nil {
		t.Fatal(err)
	}
	if len(got) != 1 {
		t.Fatalf("got %d samples, want 1: %+v", len(got), got)
	}
	if s := got[0]; s.Labels == nil || len(s.Labels) != 0 || s.V != 0.1546783625730994 || !s.T.Equal(ts(1795796400.464)) {
		t.Errorf("scalar = %+v, want no labels, 0.1546783625730994 at %v", s, ts(1795796400.464))
	}
}

func TestQueryEmptyVector(t *testing.T) {
	const q = `no_such_metric`
	p, _ := startFake(t, &fakeProm{queries: map[string]answer{q: {file: "query_empty.json"}}})
	got, err := p.Query(ctx(t), q, time.Now())
	if err != nil || len(got) != 0 {
		t.Errorf("empty vector: %+v, %v; want no samples and no error", got, err)
	}
}

func TestQueryOtherResultTypes(t *testing.T) {
	f := &fakeProm{queries: map[string]answer{
		`"hello"`: {file: "query_string.json"},
		`up[3s]`:  {file: "query_matrix.json"},
	}}
	p, _ := startFake(t, f)
	for q, typ := range map[string]string{`"hello"`: "string", `up[3s]`: "matrix"} {
		got, err := p.Query(ctx(t), q, time.Now())
		var pe *prom.Error
		if !errors.As(err, &pe) || pe.Type != prom.ErrBadResponse || !strings.Contains(err.Error(), typ) {
			t.Errorf("Query(%s) = %+v, %v; want a bad_response error naming %q", q, got, err, typ)
		}
	}
	// A range query answered with an instant vector is refused too.
	f.queries[`x`] = answer{file: "query_empty.json"}
	if _, err := p.QueryRange(ctx(t), `x`, time.Now().Add(-time.Minute), time.Now(), time.Second); err == nil || !strings.Contains(err.Error(), "expected a matrix, got vector") {
		t.Errorf("QueryRange answered with a vector: err %v, want \"expected a matrix, got vector\"", err)
	}
}

func TestQueryRange(t *testing.T) {
	const q = `sum by (status) (rate(http_requests_total{handler="/api/v1/tools"}[1m]))`
	f := &fakeProm{queries: map[string]answer{q: {file: "query_range_by_status.json"}}}
	p, _ := startFake(t, f)
	start, end := ts(1795796462), ts(1795796466)
	got, err := p.QueryRange(ctx(t), q, start, end, 2*time.Second)
	if err != nil {
		t.Fatal(err)
	}
	req := f.last()
	if req.Path != "/api/v1/query_range" || req.Form["start"] != "1795796462" || req.Form["end"] != "1795796466" || req.Form["step"] != "2" {
		t.Errorf("request %s start=%s end=%s step=%s, want /api/v1/query_range 1795796462 1795796466 2", req.Path, req.Form["start"], req.Form["end"], req.Form["step"])
	}
	if len(got) != 3 {
		t.Fatalf("got %d series, want 3", len(got))
	}
	for i, status := range []string{"200", "500", "502"} {
		s := got[i]
		if s.Labels["status"] != status || len(s.Points) != 3 {
			t.Errorf("series %d: labels %v, %d points; want status %s, 3 points", i, s.Labels, len(s.Points), status)
			continue
		}
		for j, pt := range s.Points {
			if want := ts(1795796462 + 2*float64(j)); !pt.T.Equal(want) {
				t.Errorf("series %s point %d at %v, want %v", status, j, pt.T, want)
			}
		}
	}
	if v := got[1].Points[2].V; v != 0.864406779661017 {
		t.Errorf("status 500 last value %v, want 0.864406779661017", v)
	}
}

func TestAlerts(t *testing.T) {
	f := &fakeProm{alerts: answer{file: "alerts_firing_pending.json"}}
	p, _ := startFake(t, f)
	got, err := p.Alerts(ctx(t))
	if err != nil {
		t.Fatal(err)
	}
	if req := f.last(); req.Method != http.MethodGet || req.Path != "/api/v1/alerts" {
		t.Errorf("request %s %s, want GET /api/v1/alerts", req.Method, req.Path)
	}
	if len(got) != 2 {
		t.Fatalf("got %d alerts, want 2: %+v", len(got), got)
	}
	// Firing first, although Prometheus listed it second.
	fi, pe := got[0], got[1]
	if fi.Name != "HighErrorRate" || fi.State != "firing" || fi.Value != "1.437977715354772e-01" ||
		!fi.ActiveAt.Equal(time.Date(2026, 11, 27, 16, 19, 55, 741563068, time.UTC)) {
		t.Errorf("firing alert = %+v", fi)
	}
	if fi.Labels["alertname"] != "HighErrorRate" || fi.Labels["severity"] != "page" || fi.Labels["service"] != "api" ||
		fi.Annotations["summary"] != "5xx ratio 14.38% is above 5% (api)" || len(fi.Annotations) != 2 {
		t.Errorf("firing alert labels %v annotations %v", fi.Labels, fi.Annotations)
	}
	if pe.Name != "PostgresConnectionsHigh" || pe.State != "pending" || pe.Labels["severity"] != "ticket" ||
		!pe.ActiveAt.Equal(time.Date(2026, 11, 27, 16, 21, 5, 741563068, time.UTC)) {
		t.Errorf("pending alert = %+v", pe)
	}

	f.alerts = answer{file: "alerts_none.json"}
	got, err = p.Alerts(ctx(t))
	if err != nil || len(got) != 0 {
		t.Errorf("no alerts: %+v, %v", got, err)
	}
}

func TestPrometheusErrorText(t *testing.T) {
	const bad, exec = `sum(rate(http_requests_total[1m]`, `http_requests_total + on() http_requests_total`
	f := &fakeProm{queries: map[string]answer{
		bad:  {status: http.StatusBadRequest, file: "error_bad_data.json"},
		exec: {status: http.StatusUnprocessableEntity, file: "error_execution.json"},
	}}
	p, _ := startFake(t, f)
	now := time.Now()
	check := func(what string, err error, typ prom.ErrorType, text string) {
		t.Helper()
		var pe *prom.Error
		if !errors.As(err, &pe) || pe.Type != typ || !strings.Contains(err.Error(), text) {
			t.Errorf("%s: err %v, want a %s error with %q", what, err, typ, text)
		}
	}
	_, err := p.Query(ctx(t), bad, now)
	check("Query, bad PromQL", err, prom.ErrBadData, `bad_data: invalid parameter "query": 1:33: parse error: unclosed left parenthesis`)
	_, err = p.QueryRange(ctx(t), bad, now.Add(-time.Minute), now, time.Second)
	check("QueryRange, bad PromQL", err, prom.ErrBadData, "parse error: unclosed left parenthesis")
	_, err = p.Query(ctx(t), exec, now)
	check("Query, many-to-many", err, prom.ErrExecution, "many-to-many matching not allowed")
}

// writeCA writes srv's certificate as a PEM file.
func writeCA(t *testing.T, srv *httptest.Server) string {
	t.Helper()
	path := filepath.Join(t.TempDir(), "ca.pem")
	pemBytes := pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: srv.Certificate().Raw})
	if err := os.WriteFile(path, pemBytes, 0o600); err != nil {
		t.Fatal(err)
	}
	return path
}

func TestOptionsAuth(t *testing.T) {
	f := &fakeProm{t: t, alerts: answer{file: "alerts_none.json"}}
	srv := httptest.NewServer(f)
	defer srv.Close()
	host := strings.TrimPrefix(srv.URL, "http://")
	tokenFile := filepath.Join(t.TempDir(), "token")
	if err := os.WriteFile(tokenFile, []byte("file-token-1\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	basic := func(u, p string) string {
		r, _ := http.NewRequest("GET", "/", nil)
		r.SetBasicAuth(u, p)
		return r.Header.Get("Authorization")
	}
	for _, tc := range []struct {
		name    string
		address string
		o       prom.Options
		want    string
	}{
		{"none", srv.URL, prom.Options{}, ""},
		{"bearer token", srv.URL, prom.Options{BearerToken: "tok-123"}, "Bearer tok-123"},
		{"token file", srv.URL, prom.Options{BearerTokenFile: tokenFile}, "Bearer file-token-1"},
		{"basic auth", srv.URL, prom.Options{Username: "alice", Password: "pw-alice"}, basic("alice", "pw-alice")},
		{"userinfo", "http://bob:pw-bob@" + host, prom.Options{}, basic("bob", "pw-bob")},
	} {
		t.Run(tc.name, func(t *testing.T) {
			p, err := prom.NewWithOptions(tc.address, tc.o)
			if err != nil {
				t.Fatal(err)
			}
			if _, err := p.Alerts(ctx(t)); err != nil {
				t.Fatal(err)
			}
			if got := f.last().Auth; got != tc.want {
				t.Errorf("Authorization %q, want %q", got, tc.want)
			}
		})
	}

	t.Run("token file re-read", func(t *testing.T) {
		p, err := prom.NewWithOptions(srv.URL, prom.Options{BearerTokenFile: tokenFile})
		if err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(tokenFile, []byte("file-token-2"), 0o600); err != nil {
			t.Fatal(err)
		}
		if _, err := p.Alerts(ctx(t)); err != nil {
			t.Fatal(err)
		}
		if got := f.last().Auth; got != "Bearer file-token-2" {
			t.Errorf("after rotating the token file: Authorization %q, want the new token", got)
		}
	})

	t.Run("New with userinfo", func(t *testing.T) {
		p, err := prom.New("http://carol:pw-carol@"+host, nil)
		if err != nil {
			t.Fatal(err)
		}
		if _, err := p.Alerts(ctx(t)); err != nil {
			t.Fatal(err)
		}
		if got, want := f.last().Auth, basic("carol", "pw-carol"); got != want {
			t.Errorf("Authorization %q, want %q", got, want)
		}
	})
}

func TestOptionsTLS(t *testing.T) {
	f := &fakeProm{t: t, alerts: answer{file: "alerts_none.json"}}
	srv := httptest.NewUnstartedServer(f)
	srv.Config.ErrorLog = log.New(io.Discard, "", 0) // the handshake the client refuses
	srv.StartTLS()
	defer srv.Close()
	ca := writeCA(t, srv)

	p, err := prom.NewWithOptions(srv.URL, prom.Options{CAFile: ca, BearerToken: "tls-token"})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := p.Alerts(ctx(t)); err != nil {
		t.Errorf("with the server's CA: %v", err)
	}
	if got := f.last().Auth; got != "Bearer tls-token" {
		t.Errorf("Authorization over TLS %q", got)
	}

	p, err = prom.NewWithOptions(srv.URL, prom.Options{Insecure: true})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := p.Alerts(ctx(t)); err != nil {
		t.Errorf("insecure: %v", err)
	}

	p, err = prom.NewWithOptions(srv.URL, prom.Options{})
	if err != nil {
		t.Fatal(err)
	}
	_, err = p.Alerts(ctx(t))
	var pe *prom.Error
	var unknown x509.UnknownAuthorityError
	if !errors.As(err, &pe) || pe.Type != prom.ErrConnection || !errors.As(err, &unknown) {
		t.Errorf("without the CA: %v (%T), want a connection_error from an unknown authority", err, err)
	}

	if _, err := prom.NewWithOptions(srv.URL, prom.Options{CAFile: filepath.Join(t.TempDir(), "missing.pem")}); err == nil ||
		!strings.Contains(err.Error(), "missing.pem") {
		t.Errorf("missing CA file: err %v, want one naming the file", err)
	}
}

func TestOptionsInvalid(t *testing.T) {
	dir := t.TempDir()
	for _, tc := range []struct {
		name, address string
		o             prom.Options
		want          string
	}{
		{"token and file", "http://127.0.0.1:1", prom.Options{BearerToken: "tok-secret-1", BearerTokenFile: "/x"}, "give one"},
		{"token and basic", "http://127.0.0.1:1", prom.Options{BearerToken: "tok-secret-1", Username: "u", Password: "pw-secret-1"}, "give one"},
		{"userinfo and username", "http://u:pw-secret-1@127.0.0.1:1", prom.Options{Username: "v"}, "give one"},
		{"no scheme", "u:pw-secret-1@127.0.0.1:9090", prom.Options{}, "not an http:// or https:// URL"},
		{"ftp", "ftp://u:pw-secret-1@127.0.0.1/?token=tok-secret-1", prom.Options{}, "not an http:// or https:// URL"},
		{"missing token file", "http://127.0.0.1:1", prom.Options{BearerTokenFile: filepath.Join(dir, "nope")}, "bearer token file"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, err := prom.NewWithOptions(tc.address, tc.o)
			if err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Fatalf("err %v, want one with %q", err, tc.want)
			}
			for _, secret := range []string{"pw-secret-1", "tok-secret-1"} {
				if strings.Contains(err.Error(), secret) {
					t.Errorf("error %q shows a credential", err)
				}
			}
		})
	}
}

// noSecrets fails if err's text, or that of anything it unwraps to,
// holds one of the secrets.
func noSecrets(t *testing.T, err error, secrets ...string) {
	t.Helper()
	if err == nil {
		t.Fatal("no error")
	}
	var texts []string
	var walk func(error)
	walk = func(e error) {
		for ; e != nil; e = errors.Unwrap(e) {
			texts = append(texts, e.Error(), fmt.Sprintf("%+v", e), fmt.Sprintf("%#v", e))
			if j, ok := e.(interface{ Unwrap() []error }); ok {
				for _, x := range j.Unwrap() {
					walk(x)
				}
			}
		}
	}
	walk(err)
	for _, txt := range texts {
		for _, s := range secrets {
			if strings.Contains(txt, s) {
				t.Errorf("error text holds the credential %q: %s", s, txt)
			}
		}
	}
}

func TestErrorsHoldNoCredentials(t *testing.T) {
	secrets := []string{"pw-alice-77", "tok-zz-9", "alice:", "qs-secret-5", "pw-redirect-3", "tok-redirect-4",
		base64.StdEncoding.EncodeToString([]byte("alice:pw-alice-77"))} // as the Authorization header has it
	// A gateway that refuses, echoing the request (header and URL) in its body.
	echo := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		code := http.StatusUnauthorized
		if r.Header.Get("Authorization") == "" || strings.HasPrefix(r.Header.Get("Authorization"), "Bearer") {
			code = http.StatusBadGateway
		}
		w.WriteHeader(code)
		fmt.Fprintf(w, "denied %s %s %s", r.Header.Get("Authorization"), r.URL.String(), r.URL.RawQuery)
	}))
	defer echo.Close()
	echoHost := strings.TrimPrefix(echo.URL, "http://")
	dead := testenv.ClosedAddr(t)
	// A server that redirects to a URL with credentials where nothing listens.
	redirect := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		http.Redirect(w, r, "http://bob:pw-redirect-3@"+dead+"/api/v1/alerts?token=tok-redirect-4", http.StatusFound)
	}))
	defer redirect.Close()

	type mk func() (prom.Probe, error)
	for _, tc := range []struct {
		name string
		mk   mk
		typ  prom.ErrorType
		text string
	}{
		{"401 echoing basic auth", func() (prom.Probe, error) {
			return prom.NewWithOptions(echo.URL, prom.Options{Username: "alice", Password: "pw-alice-77"})
		}, prom.ErrClient, "client_error: HTTP 401 Unauthorized"},
		{"502 echoing a bearer token", func() (prom.Probe, error) {
			return prom.NewWithOptions(echo.URL+"/?token=qs-secret-5", prom.Options{BearerToken: "tok-zz-9"})
		}, prom.ErrServer, "server_error: HTTP 502 Bad Gateway"},
		{"401 echoing userinfo", func() (prom.Probe, error) {
			return prom.New("http://alice:pw-alice-77@"+echoHost, nil)
		}, prom.ErrClient, "client_error: HTTP 401 Unauthorized"},
		{"refused, userinfo and query in the address", func() (prom.Probe, error) {
			return prom.NewWithOptions("http://alice:pw-alice-77@"+dead+"/?token=qs-secret-5", prom.Options{})
		}, prom.ErrConnection, "connect: connection refused"},
		{"refused, New with userinfo", func() (prom.Probe, error) {
			return prom.New("http://alice:pw-alice-77@"+dead+"/prom?token=qs-secret-5", nil)
		}, prom.ErrConnection, "connect: connection refused"},
		{"redirected to a URL with credentials", func() (prom.Probe, error) {
			return prom.NewWithOptions(redirect.URL, prom.Options{BearerToken: "tok-zz-9"})
		}, prom.ErrConnection, "connect: connection refused"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			p, err := tc.mk()
			if err != nil {
				t.Fatal(err)
			}
			now := time.Now()
			_, e1 := p.Alerts(ctx(t))
			_, e2 := p.Query(ctx(t), "up", now)
			_, e3 := p.QueryRange(ctx(t), "up", now.Add(-time.Minute), now, time.Second)
			for _, err := range []error{e1, e2, e3} {
				noSecrets(t, err, secrets...)
				var pe *prom.Error
				if !errors.As(err, &pe) || pe.Type != tc.typ || !strings.Contains(err.Error(), tc.text) {
					t.Errorf("err %v, want a %s with %q", err, tc.typ, tc.text)
				}
				if tc.typ == prom.ErrConnection && !errors.Is(err, syscall.ECONNREFUSED) {
					t.Errorf("err %v: errors.Is ECONNREFUSED is false", err)
				}
			}
			t.Logf("%v", e1)
		})
	}
}

// hang is a server that answers nothing until the client gives up.
func hang(t *testing.T) *httptest.Server {
	t.Helper()
	release := make(chan struct{})
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		select {
		case <-r.Context().Done():
		case <-release:
		}
	}))
	t.Cleanup(func() { close(release); srv.Close() })
	return srv
}

func TestQueryTimeout(t *testing.T) {
	srv := hang(t)
	p, err := prom.NewWithOptions(srv.URL, prom.Options{Timeout: 200 * time.Millisecond})
	if err != nil {
		t.Fatal(err)
	}
	now := time.Now()
	_, e1 := p.Query(context.Background(), "up", now)
	_, e2 := p.QueryRange(context.Background(), "up", now.Add(-time.Minute), now, time.Second)
	_, e3 := p.Alerts(context.Background())
	for _, err := range []error{e1, e2, e3} {
		var pe *prom.Error
		if !errors.As(err, &pe) || pe.Type != prom.ErrTimeout || !errors.Is(err, context.DeadlineExceeded) ||
			err.Error() != "timeout: no answer within 200ms (the query timeout)" {
			t.Errorf("err %v, want the query timeout", err)
		}
	}

	// The caller's own deadline, shorter, wins and is named as such.
	p, err = prom.NewWithOptions(srv.URL, prom.Options{Timeout: time.Hour})
	if err != nil {
		t.Fatal(err)
	}
	c, cancel := context.WithTimeout(context.Background(), 100*time.Millisecond)
	defer cancel()
	if _, err := p.Alerts(c); !errors.Is(err, context.DeadlineExceeded) || !strings.Contains(err.Error(), "caller's deadline") {
		t.Errorf("caller's deadline: %v", err)
	}
	c, cancel = context.WithCancel(context.Background())
	cancel()
	var pe *prom.Error
	if _, err := p.Alerts(c); !errors.As(err, &pe) || pe.Type != prom.ErrCanceled || !errors.Is(err, context.Canceled) {
		t.Errorf("canceled: %v", err)
	}
}

// deadlineRT records the deadline of each request's context.
type deadlineRT struct {
	mu        sync.Mutex
	deadlines []time.Time
}

func (d *deadlineRT) RoundTrip(r *http.Request) (*http.Response, error) {
	dl, ok := r.Context().Deadline()
	if !ok {
		dl = time.Time{}
	}
	d.mu.Lock()
	d.deadlines = append(d.deadlines, dl)
	d.mu.Unlock()
	return nil, errors.New("recorded")
}

func TestNewDefaultTimeout(t *testing.T) {
	rt := &deadlineRT{}
	p, err := prom.New("http://127.0.0.1:1", rt)
	if err != nil {
		t.Fatal(err)
	}
	before := time.Now()
	_, _ = p.Alerts(context.Background())
	after := time.Now()
	if len(rt.deadlines) != 1 {
		t.Fatalf("%d requests, want 1", len(rt.deadlines))
	}
	dl := rt.deadlines[0]
	if dl.Before(before.Add(prom.DefaultTimeout)) || dl.After(after.Add(prom.DefaultTimeout)) {
		t.Errorf("request deadline %v, want %v after the call (between %v and %v)", dl, prom.DefaultTimeout,
			before.Add(prom.DefaultTimeout), after.Add(prom.DefaultTimeout))
	}
}
