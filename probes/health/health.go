// Package health runs HTTP health checks: the playbook's
// `curl https://api…/health`, as a result a pane and the status bar show
// (a dot, the latency, the status or the error).
//
// A check is one GET. Redirects are not followed (a health endpoint that
// redirects, often to a login page, is reported with its status and where
// it points); the body is read, up to 64 KiB, so that the connection can be
// reused and the latency includes it. Error text never holds credentials:
// URLs in it lose their userinfo and query, and the check URL's password
// and query values are masked wherever they appear.
package health

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strings"
	"time"

	"github.com/warroom-dev/warroom/probes"
)

// DefaultTimeout bounds a check whose Timeout is zero.
const DefaultTimeout = 5 * time.Second

// MaxBody is how much of a body a check reads; the rest is left unread.
const MaxBody = 64 << 10

// Check is one configured health check.
type Check struct {
	Name string
	URL  string
	// Expect is the status that means healthy; 0: any 2xx.
	Expect int
	// Timeout bounds the whole check, body included (DefaultTimeout when 0).
	Timeout time.Duration
}

// Result is one run of a Check.
type Result struct {
	Name string
	OK   bool
	// Status is the HTTP status answered, 0 when there was no answer.
	Status int
	// Latency is from sending the request to the end of the body read
	// (or to the failure).
	Latency time.Duration
	// Err says why the check failed (nil when OK): a *StatusError for an
	// unexpected status, else the transport's error (connection refused,
	// timeout, TLS…), without credentials.
	Err error
	// At is when the check ended.
	At time.Time
}

// StatusError is a check's answer with a status it does not expect.
type StatusError struct {
	Status int
	Expect int // 0: any 2xx
	// Location is where a redirect points, without userinfo and query.
	Location string
}

func (e *StatusError) Error() string {
	want := "2xx"
	if e.Expect != 0 {
		want = fmt.Sprint(e.Expect)
	}
	msg := fmt.Sprintf("HTTP %d %s, want %s", e.Status, http.StatusText(e.Status), want)
	if e.Location != "" {
		msg += " (redirects to " + e.Location + ")"
	}
	return msg
}

// Error is a check's failure without an acceptable answer. Its text is
// clean; Unwrap gives only a cause whose own text is clean too (a net,
// TLS or context error), for errors.Is(err, context.DeadlineExceeded) or
// errors.Is(err, syscall.ECONNREFUSED).
type Error struct {
	msg   string
	cause error
}

func (e *Error) Error() string { return e.msg }

// Unwrap is the credential-free cause, or nil.
func (e *Error) Unwrap() error { return e.cause }

// Timeout reports whether the check ran out of time.
func (e *Error) Timeout() bool {
	if errors.Is(e.cause, context.DeadlineExceeded) {
		return true
	}
	var t interface{ Timeout() bool }
	return errors.As(e.cause, &t) && t.Timeout()
}

// Probe runs checks.
type Probe interface {
	// Check runs chk once; the result's Err is set exactly when !OK.
	Check(ctx context.Context, chk Check) Result
}

// New makes a Probe that runs checks with client (nil: a client of its
// own), never following redirects.
func New(client *http.Client) Probe {
	return probe{client: client}
}

type probe struct{ client *http.Client }

func (p probe) Check(ctx context.Context, chk Check) Result {
	return Run(ctx, p.client, chk, time.Now)
}

// defaultClient is used when Run is given none: its own transport, so
// that other code's changes to http.DefaultTransport do not reach it.
var defaultClient = &http.Client{Transport: http.DefaultTransport.(*http.Transport).Clone()}

// Run runs chk once with c (nil: a default client), timing it with now
// (nil: time.Now). Redirects are not followed even when c would.
func Run(ctx context.Context, c *http.Client, chk Check, now func() time.Time) Result {
	if now == nil {
		now = time.Now
	}
	if c == nil {
		c = defaultClient
	}
	nc := *c // a copy: the caller's client keeps its redirect policy
	nc.CheckRedirect = func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }

	sc := newScrubber(chk.URL)
	timeout := chk.Timeout
	if timeout <= 0 {
		timeout = DefaultTimeout
	}
	parent := ctx
	ctx, cancel := context.WithTimeout(ctx, timeout)
	defer cancel()
	// why names a timeout or a cancellation better than the transport does.
	why := func() string {
		switch {
		case parent.Err() != nil:
			return "stopped: " + parent.Err().Error()
		case ctx.Err() != nil:
			return fmt.Sprintf("no answer within %s", timeout)
		}
		return ""
	}

	start := now()
	res := Result{Name: chk.Name}
	finish := func(err error) Result {
		res.At = now()
		res.Latency = res.At.Sub(start)
		if err != nil {
			res.OK, res.Err = false, err
		}
		return res
	}

	req, err := http.NewRequestWithContext(ctx, http.MethodGet, chk.URL, nil)
	if err != nil {
		return finish(&Error{msg: "bad URL: " + sc.clean(chk.URL)})
	}
	resp, err := nc.Do(req)
	if err != nil {
		return finish(sc.wrap(err, why()))
	}
	res.Status = resp.StatusCode
	_, rerr := io.Copy(io.Discard, io.LimitReader(resp.Body, MaxBody))
	resp.Body.Close()
	if !statusOK(resp.StatusCode, chk.Expect) {
		se := &StatusError{Status: resp.StatusCode, Expect: chk.Expect}
		if loc := resp.Header.Get("Location"); loc != "" && resp.StatusCode/100 == 3 {
			se.Location = sc.clean(probes.CleanURL(loc))
		}
		return finish(se)
	}
	if rerr != nil {
		return finish(sc.wrapBody(rerr, why()))
	}
	res.OK = true
	return finish(nil)
}

func statusOK(status, expect int) bool {
	if expect == 0 {
		return status/100 == 2
	}
	return status == expect
}

// scrubber makes error text safe for one check URL.
type scrubber struct{ secrets []string }

func newScrubber(raw string) scrubber {
	var sc scrubber
	u, err := url.Parse(raw)
	if err != nil {
		return sc
	}
	if p, ok := u.User.Password(); ok {
		sc.secrets = append(sc.secrets, p)
	}
	for _, vs := range u.Query() {
		sc.secrets = append(sc.secrets, vs...)
	}
	return sc
}

// clean is s with URLs cleaned and the check URL's secrets masked.
func (sc scrubber) clean(s string) string { return probes.CleanText(s, sc.secrets) }

// safe: err's text, all along its chain, is what clean leaves as it is.
func (sc scrubber) safe(err error) bool {
	for e := err; e != nil; e = errors.Unwrap(e) {
		if t := e.Error(); sc.clean(t) != t || strings.Contains(t, "@") {
			return false
		}
	}
	return err != nil
}

// wrap turns the client's error into an *Error; why, when set, replaces
// the transport's words for a timeout or a cancellation.
func (sc scrubber) wrap(err error, why string) error {
	var ue *url.Error
	if errors.As(err, &ue) {
		e := &Error{msg: sc.clean(ue.Error())}
		if sc.safe(ue.Err) {
			e.cause = ue.Err
		}
		if why != "" {
			e.msg = fmt.Sprintf("%s (%s %q)", why, ue.Op, sc.clean(probes.CleanURL(ue.URL)))
		}
		return e
	}
	e := &Error{msg: sc.clean(err.Error())}
	if sc.safe(err) {
		e.cause = err
	}
	return e
}

// wrapBody is a failure while reading an expected answer's body.
func (sc scrubber) wrapBody(err error, why string) error {
	e := &Error{msg: "reading the body: " + sc.clean(err.Error())}
	if sc.safe(err) {
		e.cause = err
	}
	if why != "" {
		e.msg = "reading the body: " + why
	}
	return e
}
