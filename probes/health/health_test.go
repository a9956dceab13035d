package health_test

import (
	"context"
	"errors"
	"fmt"
	"net"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	"github.com/warroom-dev/warroom/probes/health"

	"github.com/warroom-dev/warroom/internal/testenv"
)

// clock is a fake now: each call moves it by step.
type clock struct {
	mu   sync.Mutex
	t    time.Time
	step time.Duration
}

func (c *clock) now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	t := c.t
	c.t = c.t.Add(c.step)
	return t
}

var t0 = time.Date(2026, 11, 27, 8, 40, 0, 0, time.UTC)

func serve(t *testing.T, h http.HandlerFunc) *httptest.Server {
	t.Helper()
	srv := httptest.NewServer(h)
	t.Cleanup(srv.Close)
	return srv
}

func status(code int) http.HandlerFunc {
	return func(w http.ResponseWriter, _ *http.Request) {
		w.WriteHeader(code)
		fmt.Fprintln(w, http.StatusText(code))
	}
}

func TestOK(t *testing.T) {
	srv := serve(t, status(http.StatusOK))
	clk := &clock{t: t0, step: 15 * time.Millisecond}
	r := health.Run(context.Background(), nil, health.Check{Name: "api", URL: srv.URL + "/health"}, clk.now)
	want := health.Result{Name: "api", OK: true, Status: 200, Latency: 15 * time.Millisecond, At: t0.Add(15 * time.Millisecond)}
	if r != want {
		t.Errorf("Run = %+v, want %+v", r, want)
	}
}

func TestStatus(t *testing.T) {
	for _, tc := range []struct {
		name   string
		code   int
		expect int
		ok     bool
		text   string
	}{
		{"503", http.StatusServiceUnavailable, 0, false, "HTTP 503 Service Unavailable, want 2xx"},
		{"204 is a 2xx", http.StatusNoContent, 0, true, ""},
		{"200 but 204 expected", http.StatusOK, http.StatusNoContent, false, "HTTP 200 OK, want 204"},
		{"503 expected", http.StatusServiceUnavailable, http.StatusServiceUnavailable, true, ""},
	} {
		t.Run(tc.name, func(t *testing.T) {
			srv := serve(t, status(tc.code))
			r := health.New(srv.Client()).Check(context.Background(), health.Check{Name: "api", URL: srv.URL, Expect: tc.expect})
			if r.OK != tc.ok || r.Status != tc.code || (r.Err == nil) != tc.ok {
				t.Fatalf("result %+v, want ok=%v status %d", r, tc.ok, tc.code)
			}
			if !tc.ok {
				var se *health.StatusError
				if !errors.As(r.Err, &se) || se.Status != tc.code || r.Err.Error() != tc.text {
					t.Errorf("err %v, want a StatusError %q", r.Err, tc.text)
				}
			}
		})
	}
}

func TestTimeout(t *testing.T) {
	release := make(chan struct{})
	srv := serve(t, func(w http.ResponseWriter, r *http.Request) {
		select {
		case <-r.Context().Done():
		case <-release:
		}
	})
	defer close(release)
	chk := health.Check{Name: "slow", URL: srv.URL + "/health?token=tok-slow-1", Timeout: 100 * time.Millisecond}
	r := health.Run(context.Background(), srv.Client(), chk, nil)
	var he *health.Error
	if r.OK || r.Status != 0 || !errors.As(r.Err, &he) || !he.Timeout() || !errors.Is(r.Err, context.DeadlineExceeded) {
		t.Fatalf("result %+v (err %v), want a timeout", r, r.Err)
	}
	if want := `no answer within 100ms (Get "` + srv.URL + `/health?…")`; r.Err.Error() != want {
		t.Errorf("err %q, want %q", r.Err, want)
	}
	if r.Latency <= 0 || r.At.IsZero() {
		t.Errorf("latency %v at %v: want both set", r.Latency, r.At)
	}

	// The caller's context ending first is said so.
	c, cancel := context.WithCancel(context.Background())
	cancel()
	r = health.Run(c, srv.Client(), chk, nil)
	if r.OK || !errors.Is(r.Err, context.Canceled) || !strings.HasPrefix(r.Err.Error(), "stopped: context canceled") {
		t.Errorf("canceled: %+v (err %v)", r, r.Err)
	}
}

func TestConnectionRefused(t *testing.T) {
	addr := testenv.ClosedAddr(t)
	r := health.Run(context.Background(), nil, health.Check{Name: "db", URL: "http://" + addr + "/health"}, nil)
	if r.OK || r.Status != 0 || !errors.Is(r.Err, syscall.ECONNREFUSED) {
		t.Fatalf("result %+v (err %v), want connection refused", r, r.Err)
	}
	var he *health.Error
	if !errors.As(r.Err, &he) || he.Timeout() || !strings.Contains(r.Err.Error(), "connect: connection refused") {
		t.Errorf("err %v", r.Err)
	}
}

func TestRedirectNotFollowed(t *testing.T) {
	var targetHits atomic.Int32
	target := serve(t, func(w http.ResponseWriter, _ *http.Request) { targetHits.Add(1) })
	host := strings.TrimPrefix(target.URL, "http://")
	srv := serve(t, func(w http.ResponseWriter, r *http.Request) {
		http.Redirect(w, r, "http://sso:pw-sso-2@"+host+"/login?token=tok-sso-3&next=/health", http.StatusFound)
	})
	// A client that would follow redirects: Run must not.
	client := &http.Client{}
	r := health.Run(context.Background(), client, health.Check{Name: "api", URL: srv.URL + "/health"}, nil)
	var se *health.StatusError
	if r.OK || r.Status != http.StatusFound || !errors.As(r.Err, &se) {
		t.Fatalf("result %+v, want a 302 failure", r)
	}
	if want := "http://" + host + "/login?…"; se.Location != want {
		t.Errorf("Location %q, want %q", se.Location, want)
	}
	if want := "HTTP 302 Found, want 2xx (redirects to http://" + host + "/login?…)"; r.Err.Error() != want {
		t.Errorf("err %q, want %q", r.Err, want)
	}
	if n := targetHits.Load(); n != 0 {
		t.Errorf("the redirect was followed (%d hits)", n)
	}
	if client.CheckRedirect != nil {
		t.Error("Run changed the caller's client")
	}
	// Expecting the redirect makes it healthy.
	r = health.Run(context.Background(), client, health.Check{Name: "api", URL: srv.URL + "/health", Expect: http.StatusFound}, nil)
	if !r.OK || r.Err != nil {
		t.Errorf("Expect 302: %+v", r)
	}
}

// noSecrets fails if err's text, or that of anything it unwraps to,
// holds one of the secrets.
func noSecrets(t *testing.T, err error, secrets ...string) {
	t.Helper()
	if err == nil {
		t.Fatal("no error")
	}
	for e := err; e != nil; e = errors.Unwrap(e) {
		for _, txt := range []string{e.Error(), fmt.Sprintf("%+v", e), fmt.Sprintf("%#v", e)} {
			for _, s := range secrets {
				if strings.Contains(txt, s) {
					t.Errorf("error text holds the credential %q: %s", s, txt)
				}
			}
		}
	}
}

func TestNoCredentialsInErrors(t *testing.T) {
	secrets := []string{"alice", "pw-alice-9", "tok-q-7", "key-q-8"}
	dead := testenv.ClosedAddr(t)
	release := make(chan struct{})
	slow := serve(t, func(w http.ResponseWriter, r *http.Request) {
		select {
		case <-r.Context().Done():
		case <-release:
		}
	})
	defer close(release)
	slowHost := strings.TrimPrefix(slow.URL, "http://")
	redirect := serve(t, func(w http.ResponseWriter, r *http.Request) {
		http.Redirect(w, r, "https://alice:pw-alice-9@login.example/?token=tok-q-7", http.StatusFound)
	})
	for _, tc := range []struct{ name, url string }{
		{"refused", "http://alice:pw-alice-9@" + dead + "/health?token=tok-q-7&api_key=key-q-8"},
		{"timeout", "http://alice:pw-alice-9@" + slowHost + "/health?token=tok-q-7"},
		{"bad URL", "http://alice:pw-alice-9@[::1/health?token=tok-q-7"},
		{"unknown scheme", "gopher://alice:pw-alice-9@" + dead + "/?token=tok-q-7"},
		{"redirect", redirect.URL + "/health?token=tok-q-7"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			r := health.Run(context.Background(), nil, health.Check{Name: "x", URL: tc.url, Timeout: 200 * time.Millisecond}, nil)
			if r.OK {
				t.Fatalf("OK from %s", tc.name)
			}
			noSecrets(t, r.Err, secrets...)
			t.Logf("%v", r.Err)
		})
	}
}

func TestBodyBounded(t *testing.T) {
	// 64 KiB, then a body that never ends: a check reading more than
	// MaxBody would hang until its timeout.
	release := make(chan struct{})
	srv := serve(t, func(w http.ResponseWriter, r *http.Request) {
		_, _ = w.Write(make([]byte, health.MaxBody))
		w.(http.Flusher).Flush()
		select {
		case <-r.Context().Done():
		case <-release:
		}
	})
	defer close(release)
	r := health.Run(context.Background(), srv.Client(), health.Check{Name: "big", URL: srv.URL, Timeout: time.Minute}, nil)
	if !r.OK || r.Err != nil {
		t.Errorf("result %+v, want ok after reading %d bytes", r, health.MaxBody)
	}
}

func TestBodyDrainedConnectionReused(t *testing.T) {
	srv := httptest.NewUnstartedServer(status(http.StatusOK))
	var conns atomic.Int32
	srv.Config.ConnState = func(_ net.Conn, s http.ConnState) {
		if s == http.StateNew {
			conns.Add(1)
		}
	}
	srv.Start()
	defer srv.Close()
	p := health.New(srv.Client())
	for i := range 3 {
		if r := p.Check(context.Background(), health.Check{Name: "api", URL: srv.URL}); !r.OK {
			t.Fatalf("check %d: %+v", i, r)
		}
	}
	if n := conns.Load(); n != 1 {
		t.Errorf("%d connections for 3 checks, want 1 (bodies drained, connection reused)", n)
	}
}
