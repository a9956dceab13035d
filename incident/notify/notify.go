// Package notify runs the notification hook: a command that gets the
// payload as JSON on its standard input, or a webhook URL the payload is
// POSTed to as JSON. A run is bounded by a timeout; a command that runs
// past it is killed with its whole process group. Describe says what will
// run and Run's errors say what went wrong, both without the hook's
// secrets (a webhook URL's token, userinfo and path).
package notify

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"maps"
	"net/http"
	"net/url"
	"os"
	"os/exec"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"

	"mvdan.cc/sh/v3/syntax"

	"github.com/warroom-dev/warroom/incident"
	"github.com/warroom-dev/warroom/internal/sanitize"
)

const (
	// DefaultTimeout bounds a run when Hook.Timeout is zero.
	DefaultTimeout = 10 * time.Second
	// OutputLimit bounds Result.Output: the last OutputLimit bytes of a
	// command's output, the first OutputLimit bytes of a webhook's answer.
	OutputLimit = 4 << 10
	// PayloadVersion is Payload.Version as Run sends it. It changes only
	// if a field changes meaning or goes away; new fields may be added
	// without changing it.
	PayloadVersion = 1
)

// waitDelay is how long a command's output is waited for once it has
// exited (a child it left behind may hold the output open) or once it was
// killed, before Run stops waiting.
const waitDelay = time.Second

// excerptLimit bounds the excerpt of output or answer an error quotes.
const excerptLimit = 200

// mask replaces a secret.
const mask = "xxxxx"

// ErrTimeout is in the chain of Run's error when the hook ran past its
// timeout (errors.Is(err, ErrTimeout)).
var ErrTimeout = errors.New("hook timed out")

// errOwnTimeout is the cause of Run's own deadline, to tell it from the
// caller's.
var errOwnTimeout = errors.New("hook timeout")

// Hook is a configured notification hook: exactly one of Command and URL.
type Hook struct {
	// Command is the argv to run, without a shell; the payload is its
	// standard input. It inherits the console's environment.
	Command []string
	// URL is a webhook (http or https) the payload is POSTed to.
	URL string
	// Timeout bounds one run; zero means DefaultTimeout.
	Timeout time.Duration
	// Headers are extra request headers for URL (Authorization...).
	// Content-Type is always application/json. Never shown by Describe
	// or in errors.
	Headers map[string]string
}

// Kind is what happened, in Payload.Kind.
type Kind string

// The kinds of Payload.Kind.
const (
	KindEscalation Kind = "escalation" // a rung of the ladder is paged
	KindAck        Kind = "ack"        // someone acknowledged
	KindSeverity   Kind = "severity"   // the severity changed
	KindResolved   Kind = "resolved"   // the incident was resolved
	KindReopened   Kind = "reopened"   // the incident was reopened
	KindTest       Kind = "test"       // a test run of the hook
)

// Payload is the JSON a hook receives. Its field names are an interface
// for users' scripts: every field is always present (an unused one is
// empty, 0 or false), names are snake_case and do not change. Example:
//
//	{"version":1,"incident_id":"inc-20250102-0304","title":"API 5xx spike",
//	 "severity":"P1","event":"escalation","level":2,"role":"Secondary On-Call",
//	 "actor":"warroom","time":"2025-01-02T03:09:00Z",
//	 "summary":"no ack after 5m: paging Secondary On-Call","drill":false}
type Payload struct {
	// Version is PayloadVersion (Run sets it).
	Version int `json:"version"`
	// IncidentID is the incident's ID.
	IncidentID string `json:"incident_id"`
	// Title is the incident's title.
	Title string `json:"title"`
	// Severity is "P0" (most severe) to "P3".
	Severity string `json:"severity"`
	// Kind is what happened: escalation, ack, severity, resolved,
	// reopened or test.
	Kind Kind `json:"event"`
	// Level is the rung of the escalation ladder, 1 for the first
	// (the primary on-call), for escalation and ack; 0 otherwise.
	Level int `json:"level"`
	// Role is who that rung pages ("Secondary On-Call"), for escalation
	// and ack; empty otherwise.
	Role string `json:"role"`
	// Team is the on-call team whose rotation the ladder pages; Who and
	// Contact are whom the rung pages (for escalation), or who
	// acknowledged (for ack, Contact empty). Empty when the
	// configuration does not know.
	Team    string `json:"team"`
	Who     string `json:"who"`
	Contact string `json:"contact"`
	// Late is how long after it fell due the step was recorded, in whole
	// seconds: a console that was not running when a rung fell due pages
	// it late. 0 when on time.
	LateSeconds int64 `json:"late_seconds"`
	// Actor is who did it (the engineer, or "warroom" for the clock).
	Actor string `json:"actor"`
	// Time is when it happened, in UTC as RFC 3339 to the second
	// ("2025-01-02T03:09:00Z"). Run sets the zero time to now.
	Time time.Time `json:"time"`
	// Summary is one human-readable line saying what happened.
	Summary string `json:"summary"`
	// Drill is true when the incident is a drill: nothing real is on fire.
	Drill bool `json:"drill"`
}

// MarshalJSON writes Time in UTC to the second.
func (p Payload) MarshalJSON() ([]byte, error) {
	type plain Payload // without this method
	return json.Marshal(struct {
		plain
		Time string `json:"time"`
	}{plain(p), p.Time.UTC().Format(time.RFC3339)})
}

// Result is what a run gave, as far as it got.
type Result struct {
	// ExitCode is the command's exit code; -1 if it did not exit by
	// itself (killed, timed out) or did not start; 0 for a URL.
	ExitCode int
	// Status is the webhook's HTTP status code; 0 for a command or when
	// no answer came.
	Status int
	// Output is the last OutputLimit bytes of a command's standard output
	// and error (interleaved), or the first OutputLimit bytes of the
	// webhook's answer, as written: clean it before showing it
	// (incident.Clean).
	Output string
	// Truncated reports that Output was cut to OutputLimit.
	Truncated bool
	// Duration is how long the run took.
	Duration time.Duration
}

// hookError is Run's error: a message already cleaned of secrets, and
// what it is (ErrTimeout, a context error) for errors.Is.
type hookError struct {
	msg  string
	kind error
}

func (e *hookError) Error() string { return e.msg }
func (e *hookError) Unwrap() error { return e.kind }

// Validate reports whether h can run: exactly one of Command (with a
// program) and URL (http or https, with a host), a timeout that is not
// negative, and headers (for a URL only) that HTTP can carry. Its errors
// do not show the URL's secrets or the headers' values.
func (h Hook) Validate() error {
	switch {
	case len(h.Command) > 0 && h.URL != "":
		return errors.New("notification hook: set a command or a URL, not both")
	case len(h.Command) == 0 && h.URL == "":
		return errors.New("notification hook: no command or URL set")
	case h.Timeout < 0:
		return fmt.Errorf("notification hook: timeout %s is negative", h.Timeout)
	}
	if len(h.Command) > 0 {
		if h.Command[0] == "" {
			return errors.New("notification hook: the command's program is empty")
		}
		if len(h.Headers) > 0 {
			return errors.New("notification hook: headers apply to a webhook URL, not a command")
		}
		return nil
	}
	u, err := url.Parse(h.URL)
	if err != nil {
		// url.Parse's error quotes the whole URL.
		return fmt.Errorf("notification hook: URL %s does not parse", redactURL(h.URL))
	}
	if u.Scheme != "http" && u.Scheme != "https" {
		return fmt.Errorf("notification hook: URL %s is not http or https", redactURL(h.URL))
	}
	if u.Host == "" {
		return fmt.Errorf("notification hook: URL %s has no host", redactURL(h.URL))
	}
	for _, name := range slices.Sorted(maps.Keys(h.Headers)) {
		if !validHeaderName(name) {
			return fmt.Errorf("notification hook: header name %d characters long is not valid (letters, digits and !#$%%&'*+-.^_`|~ only)", len(name))
		}
		if strings.ContainsAny(h.Headers[name], "\r\n\x00") {
			return fmt.Errorf("notification hook: header %s has a line break or NUL in its value", name)
		}
	}
	return nil
}

// Run runs the hook once with p (Version set, a zero Time set to now),
// bounded by h.Timeout and ctx, and returns what it gave. A command gets
// the payload as one line of JSON on its standard input; on the timeout
// (or ctx's end) its process group is killed (SIGKILL; on Unix: elsewhere
// only the command), so the children it started go too. A child the
// command leaves behind when it exits is left alone unless it still holds
// the command's output a second later; then its process group is killed. A webhook is POSTed the same JSON as
// application/json; redirects are followed only to the same scheme and
// host. The error is non-nil for a command that exits non-zero (naming
// the code), a webhook answering other than 2xx (naming the status), a
// timeout (errors.Is(err, ErrTimeout)), an invalid hook or a failure to
// start or connect; its text never holds the URL's secrets.
func (h Hook) Run(ctx context.Context, p Payload) (Result, error) {
	if err := h.Validate(); err != nil {
		return Result{ExitCode: -1}, err
	}
	p.Version = PayloadVersion
	if p.Time.IsZero() {
		p.Time = time.Now()
	}
	body, err := json.Marshal(p)
	if err != nil {
		return Result{ExitCode: -1}, fmt.Errorf("notification hook: payload: %w", err)
	}
	body = append(body, '\n')
	timeout := h.Timeout
	if timeout == 0 {
		timeout = DefaultTimeout
	}
	ctx, cancel := context.WithTimeoutCause(ctx, timeout, errOwnTimeout)
	defer cancel()
	start := time.Now()
	var res Result
	if len(h.Command) > 0 {
		res, err = h.runCommand(ctx, body, timeout)
	} else {
		res, err = h.post(ctx, body, timeout)
	}
	res.Duration = time.Since(start)
	return res, err
}

// ended is the error for a run that ctx ended: Run's own timeout or the
// caller's cancellation or deadline.
func ended(ctx context.Context, what string, timeout time.Duration) error {
	if context.Cause(ctx) == errOwnTimeout {
		return &hookError{msg: fmt.Sprintf("%s timed out after %s", what, timeout), kind: ErrTimeout}
	}
	return &hookError{msg: fmt.Sprintf("%s stopped: %v", what, ctx.Err()), kind: ctx.Err()}
}

func (h Hook) runCommand(ctx context.Context, body []byte, timeout time.Duration) (Result, error) {
	const what = "hook command"
	res := Result{ExitCode: -1}
	cmd := exec.CommandContext(ctx, h.Command[0], h.Command[1:]...)
	cmd.Stdin = bytes.NewReader(body)
	cmd.WaitDelay = waitDelay // for stdin, and a child that will not die
	ownGroup(cmd)
	// Output through a pipe read here rather than exec's copying, so Run
	// knows when something the command left behind holds it open.
	r, w, err := os.Pipe()
	if err != nil {
		return res, &hookError{msg: what + " could not start: " + err.Error(), kind: err}
	}
	defer r.Close()
	cmd.Stdout, cmd.Stderr = w, w
	err = cmd.Start()
	w.Close()
	if err != nil && ctx.Err() != nil {
		return res, ended(ctx, what, timeout)
	}
	if err != nil {
		// exec's error names the program, not a secret; cleaned all the same.
		return res, &hookError{msg: what + " could not start: " + h.scrub(err.Error()), kind: errors.Unwrap(err)}
	}
	out := &tail{}
	copied := make(chan struct{})
	go func() {
		defer close(copied)
		_, _ = io.Copy(out, r)
	}()
	err = cmd.Wait()
	t := time.NewTimer(waitDelay)
	select {
	case <-copied:
		t.Stop()
	case <-t.C:
		// The command is gone but its output is still open: something it
		// started holds it. Kill what is left of its process group, and
		// stop reading whatever holds it from outside the group.
		_ = killGroup(cmd.Process.Pid)
		r.Close()
		<-copied
	}
	res.Output, res.Truncated = out.String(), out.cut
	res.ExitCode = cmd.ProcessState.ExitCode()
	switch {
	case err == nil:
		return res, nil
	case ctx.Err() != nil:
		return res, ended(ctx, what, timeout)
	case res.ExitCode > 0:
		msg := fmt.Sprintf("%s exited with code %d", what, res.ExitCode)
		if ex := h.excerpt(lastLine(res.Output)); ex != "" {
			msg += ": " + ex
		}
		return res, &hookError{msg: msg}
	case !cmd.ProcessState.Exited():
		return res, &hookError{msg: fmt.Sprintf("%s was killed (%s)", what, cmd.ProcessState)}
	default:
		return res, &hookError{msg: what + " failed: " + h.scrub(err.Error())}
	}
}

func (h Hook) post(ctx context.Context, body []byte, timeout time.Duration) (Result, error) {
	var res Result
	const what = "webhook"
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, h.URL, bytes.NewReader(body))
	if err != nil {
		// Its error would quote the URL.
		return res, &hookError{msg: what + " request could not be made for " + redactURL(h.URL)}
	}
	req.Header.Set("User-Agent", "warroom-notify/1")
	for name, value := range h.Headers {
		req.Header.Set(name, value)
	}
	req.Header.Set("Content-Type", "application/json")
	tr := newTransport()
	defer tr.CloseIdleConnections()
	client := &http.Client{Transport: tr, CheckRedirect: sameOrigin}
	resp, err := client.Do(req)
	if err != nil {
		if ctx.Err() != nil {
			return res, ended(ctx, what, timeout)
		}
		// url.Error quotes the URL: keep only its cause.
		var ue *url.Error
		if errors.As(err, &ue) {
			err = ue.Err
		}
		return res, &hookError{msg: what + " POST failed: " + h.scrub(err.Error())}
	}
	defer resp.Body.Close()
	res.Status = resp.StatusCode
	data, _ := io.ReadAll(io.LimitReader(resp.Body, OutputLimit+1))
	if len(data) > OutputLimit {
		data, res.Truncated = data[:OutputLimit], true
	}
	res.Output = string(data)
	if resp.StatusCode >= 200 && resp.StatusCode <= 299 {
		return res, nil // delivered, whatever happened to the rest of the answer
	}
	msg := fmt.Sprintf("%s answered %d %s", what, resp.StatusCode, http.StatusText(resp.StatusCode))
	if resp.StatusCode >= 300 && resp.StatusCode <= 399 {
		msg += " (a redirect to another host is not followed)"
	}
	if ex := h.excerpt(res.Output); ex != "" {
		msg += ": " + ex
	}
	return res, &hookError{msg: msg}
}

// newTransport is a transport for one run (the environment's proxy, no
// connection kept).
func newTransport() *http.Transport {
	var tr *http.Transport
	if dt, ok := http.DefaultTransport.(*http.Transport); ok {
		tr = dt.Clone()
	} else {
		tr = &http.Transport{Proxy: http.ProxyFromEnvironment}
	}
	tr.DisableKeepAlives = true
	return tr
}

// sameOrigin lets a redirect through only to the same scheme and host
// (and at most 5 of them); otherwise the redirect is the answer.
func sameOrigin(req *http.Request, via []*http.Request) error {
	first := via[0].URL
	if len(via) > 5 || req.URL.Scheme != first.Scheme || req.URL.Host != first.Host {
		return http.ErrUseLastResponse
	}
	return nil
}

// Describe says what the hook will run, for a confirmation dialog and the
// timeline, with its secrets masked:
//
//	run /usr/local/bin/page-oncall --team platform --token xxxxx
//	POST https://hooks.slack.com/services/xxxxx
//	POST https://xxxxx@alerts.example.com/hook?token=xxxxx (headers: Authorization)
//
// A URL keeps its scheme, host, port and first path element (unless that
// looks like a token); userinfo, the rest of the path, query values and
// the fragment are masked. A command is its argv quoted for a shell, each
// URL in it masked so, and the values of password or token flags,
// Authorization headers and the other patterns of incident.Redact masked.
// Header values are never shown.
func (h Hook) Describe() string {
	var parts []string
	if len(h.Command) > 0 {
		parts = append(parts, "run "+describeArgv(h.Command))
	}
	if h.URL != "" {
		s := "POST " + redactURL(h.URL)
		if len(h.Headers) > 0 {
			s += " (headers: " + sanitize.Line(strings.Join(slices.Sorted(maps.Keys(h.Headers)), ", ")) + ")"
		}
		parts = append(parts, s)
	}
	if len(parts) == 0 {
		return "no hook"
	}
	return strings.Join(parts, " and ")
}

// secretFlag is a command-line flag whose next argument is a secret.
var secretFlag = regexp.MustCompile(`(?i)^--?[a-z0-9_-]*(?:password|passwd|passphrase|token|secret|api-?key|apikey)$`)

func describeArgv(argv []string) string {
	quoted := make([]string, len(argv))
	for i, a := range argv {
		if i > 0 && secretFlag.MatchString(argv[i-1]) {
			quoted[i] = mask
			continue
		}
		a = incident.Redact(urlInText.ReplaceAllStringFunc(a, redactURL))
		q, err := syntax.Quote(a, syntax.LangBash)
		if err != nil {
			q = strconv.Quote(a) // NUL, which bash cannot hold: shown, not run
		}
		quoted[i] = q
	}
	return incident.Redact(sanitize.Line(strings.Join(quoted, " ")))
}

// urlInText is a URL inside text (url.Error and others quote it: `Post "…"`).
var urlInText = regexp.MustCompile(`[a-zA-Z][a-zA-Z0-9+.-]*://[^\s"'<>]+`)

// tokenish reports whether a path element looks like a token rather than
// a name: long, or with a digit.
func tokenish(s string) bool {
	return len(s) >= 20 || (len(s) >= 8 && strings.ContainsAny(s, "0123456789"))
}

// redactURL is raw with its secrets masked: userinfo, every path element
// after the first (the first too if tokenish), query values (a query
// element without "=" whole) and the fragment. Scheme, host and port
// stay.
func redactURL(raw string) string {
	u, err := url.Parse(raw)
	if err != nil || u.Host == "" || u.Opaque != "" {
		return redactRawURL(raw)
	}
	var b strings.Builder
	b.WriteString(u.Scheme + "://")
	if u.User != nil {
		b.WriteString(mask + "@")
	}
	b.WriteString(redactPort(u.Host))
	b.WriteString(redactPath(u.EscapedPath()))
	if u.RawQuery != "" || u.ForceQuery {
		b.WriteByte('?')
		for i, kv := range strings.Split(u.RawQuery, "&") {
			if i > 0 {
				b.WriteByte('&')
			}
			k, _, ok := strings.Cut(kv, "=")
			switch {
			case ok:
				b.WriteString(k + "=" + mask)
			case kv != "":
				b.WriteString(mask)
			}
		}
	}
	if u.Fragment != "" || u.RawFragment != "" {
		b.WriteString("#" + mask)
	}
	return sanitize.Line(b.String())
}

// redactPath keeps the first element of an escaped path unless tokenish
// and masks the rest: /services/T000/B000/XXXX is /services/xxxxx.
func redactPath(p string) string {
	if p == "" || p == "/" {
		return p
	}
	first, rest, more := strings.Cut(strings.TrimPrefix(p, "/"), "/")
	if tokenish(first) {
		first = mask
	}
	s := "/" + first
	switch {
	case rest != "":
		s += "/" + mask
	case more:
		s += "/"
	}
	return s
}

// redactRawURL masks a URL that does not parse (or has no host): with no
// "scheme://", all of it (a pasted token, "webhook:SECRET"); else what
// follows the host, any userinfo and a port that is not a number.
func redactRawURL(raw string) string {
	i := strings.Index(raw, "://")
	if i < 0 {
		if raw == "" {
			return ""
		}
		return mask
	}
	prefix, rest := raw[:i+3], raw[i+3:]
	end := strings.IndexAny(rest, "/?#")
	if end < 0 {
		end = len(rest)
	}
	host := rest[:end]
	if at := strings.LastIndex(host, "@"); at >= 0 {
		host = mask + "@" + host[at+1:]
	}
	s := prefix + redactPort(host)
	if end < len(rest) {
		s += string(rest[end]) + mask
	}
	return sanitize.Line(s)
}

// redactPort masks the port of host:port unless it is a number.
func redactPort(host string) string {
	i := strings.LastIndex(host, ":")
	if i < 0 || strings.HasSuffix(host, "]") {
		return host
	}
	if _, err := strconv.ParseUint(host[i+1:], 10, 16); err != nil {
		return host[:i+1] + mask
	}
	return host
}

// urlSecrets are the parts of h.URL that redactURL masks, as they may
// appear in text, raw and unescaped.
func (h Hook) urlSecrets() []string {
	u, err := url.Parse(h.URL)
	if err != nil || u.Host == "" {
		// Everything after the scheme and host, in pieces.
		_, rest, _ := strings.Cut(h.URL, "://")
		return strings.FieldsFunc(rest, func(r rune) bool { return strings.ContainsRune("/?#&=@:", r) })
	}
	var s []string
	add := func(v string) {
		s = append(s, v)
		if un, err := url.PathUnescape(v); err == nil && un != v {
			s = append(s, un)
		}
		if un, err := url.QueryUnescape(v); err == nil && un != v {
			s = append(s, un)
		}
	}
	if u.User != nil {
		add(u.User.Username())
		if pw, ok := u.User.Password(); ok {
			add(pw)
		}
		add(u.User.String())
	}
	elems := strings.Split(strings.TrimPrefix(u.EscapedPath(), "/"), "/")
	for i, e := range elems {
		if i > 0 || tokenish(e) {
			add(e)
		}
	}
	for _, kv := range strings.Split(u.RawQuery, "&") {
		k, v, ok := strings.Cut(kv, "=")
		if !ok {
			v = k
		}
		add(v)
	}
	add(u.EscapedFragment())
	return s
}

// scrub makes outside text (an error, an answer) safe to show: one line
// without terminal controls, each URL in it masked (redactURL), each of
// h.URL's secrets (of 4 bytes or more: shorter ones would mask ordinary
// words) masked wherever it appears, and incident.Redact's patterns.
func (h Hook) scrub(s string) string {
	s = urlInText.ReplaceAllStringFunc(sanitize.Line(s), redactURL)
	if h.URL != "" {
		secrets := h.urlSecrets()
		// Longest first, so a secret holding another goes whole.
		slices.SortFunc(secrets, func(a, b string) int { return len(b) - len(a) })
		for _, sec := range secrets {
			if len(sec) >= 4 {
				s = strings.ReplaceAll(s, sec, mask)
			}
		}
	}
	return incident.Redact(s)
}

// excerpt is the start of s scrubbed, for an error: at most excerptLimit
// bytes, whole characters.
func (h Hook) excerpt(s string) string {
	if len(s) > 4*excerptLimit {
		s = s[:4*excerptLimit] // scrub less; cut again below
	}
	s = strings.TrimSpace(h.scrub(s))
	if len(s) <= excerptLimit {
		return s
	}
	cut := excerptLimit
	for cut > 0 && !utf8.RuneStart(s[cut]) {
		cut--
	}
	return s[:cut] + "…"
}

// lastLine is the last line of s that is not blank.
func lastLine(s string) string {
	lines := strings.Split(strings.TrimRight(s, " \t\r\n"), "\n")
	return lines[len(lines)-1]
}

// validHeaderName reports whether name is an HTTP token (RFC 9110).
func validHeaderName(name string) bool {
	if name == "" {
		return false
	}
	for i := 0; i < len(name); i++ {
		c := name[i]
		if c >= 0x80 || c <= ' ' || strings.IndexByte(`()<>@,;:\"/[]?={}`, c) >= 0 || c == 0x7f {
			return false
		}
	}
	return true
}

// tail keeps the last OutputLimit bytes written to it (from one
// goroutine).
type tail struct {
	buf []byte
	cut bool
}

func (t *tail) Write(p []byte) (int, error) {
	t.buf = append(t.buf, p...)
	if len(t.buf) > 2*OutputLimit {
		t.buf = append(t.buf[:0], t.buf[len(t.buf)-OutputLimit:]...)
		t.cut = true
	}
	return len(p), nil
}

// String is the last OutputLimit bytes, from a character's start.
func (t *tail) String() string {
	b := t.buf
	if len(b) > OutputLimit {
		b, t.cut = b[len(b)-OutputLimit:], true
	}
	if t.cut {
		for i := 0; i < utf8.UTFMax && len(b) > 0 && !utf8.RuneStart(b[0]); i++ {
			b = b[1:]
		}
	}
	return string(b)
}
