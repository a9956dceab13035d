package prom

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"regexp"
	"strconv"
	"strings"
	"time"

	v1 "github.com/prometheus/client_golang/api/prometheus/v1"

	"github.com/warroom-dev/warroom/probes"
)

// ErrorType says what kind of failure an *Error is: Prometheus' own
// errorType when it answered with one, or one of the transport's below.
type ErrorType string

const (
	// ErrConnection: no HTTP answer at all (connection refused, DNS, TLS,
	// a reset, a token file that cannot be read).
	ErrConnection ErrorType = "connection_error"
	// ErrTimeout: no answer within the query timeout (Options.Timeout),
	// or Prometheus' own query timeout.
	ErrTimeout ErrorType = "timeout"
	// ErrCanceled: the caller's context ended first.
	ErrCanceled ErrorType = "canceled"
	// ErrBadData: Prometheus rejected the query ("parse error: …").
	ErrBadData ErrorType = ErrorType(v1.ErrBadData)
	// ErrExecution: the query parsed but failed to evaluate
	// ("many-to-many matching not allowed…").
	ErrExecution ErrorType = ErrorType(v1.ErrExec)
	// ErrServer and ErrClient: an HTTP 5xx or 4xx that is not one of
	// Prometheus' API errors (a proxy, 401/403 from an auth gateway).
	ErrServer ErrorType = ErrorType(v1.ErrServer)
	ErrClient ErrorType = ErrorType(v1.ErrClient)
	// ErrBadResponse: an answer that is not what was asked for.
	ErrBadResponse ErrorType = ErrorType(v1.ErrBadResponse)
)

// Error is how every method of a Probe made by New or NewWithOptions
// fails. Its text is "type: message" with Prometheus' own message
// ("bad_data: invalid parameter \"query\": 1:33: parse error: …") or the
// transport's, and never holds a credential: URLs lose their userinfo
// and query, the configured password and token are masked, and the body
// of a non-API error answer (which a proxy may fill with anything) is
// dropped. Unwrap gives only a credential-free cause — a net error
// (errors.Is(err, syscall.ECONNREFUSED)), a TLS error or a context
// error — never the client library's error itself.
type Error struct {
	Type ErrorType
	Msg  string
	// cause, when set, has a text without URLs or credentials.
	cause error
}

func (e *Error) Error() string { return string(e.Type) + ": " + e.Msg }

// Unwrap is the credential-free cause, or nil.
func (e *Error) Unwrap() error { return e.cause }

// scrubber makes error text safe: it knows the probe's secrets.
type scrubber struct {
	secrets []string // masked wherever they appear (only those of 4+ bytes)
	timeout time.Duration
}

// clean is s without URL userinfo and queries, and with every secret masked.
func (sc scrubber) clean(s string) string { return probes.CleanText(s, sc.secrets) }

// httpStatusMsg is client_golang's message for an HTTP error status
// without a Prometheus API body ("client error: 401").
var httpStatusMsg = regexp.MustCompile(`^(?:client error|server error|bad response code):? (\d{3})$`)

// wrap turns what client_golang returned into an *Error. parent is the
// caller's context (to tell its deadline from the query timeout).
func (sc scrubber) wrap(parent context.Context, err error) error {
	if err == nil {
		return nil
	}
	var ae *v1.Error
	var ue *url.Error
	switch {
	case errors.As(err, &ae):
		// Detail (the raw body of a non-API answer) is left out.
		msg := ae.Msg
		if m := httpStatusMsg.FindStringSubmatch(msg); m != nil {
			code, _ := strconv.Atoi(m[1])
			msg = fmt.Sprintf("HTTP %d %s (not an answer of the Prometheus API)", code, http.StatusText(code))
		}
		return &Error{Type: ErrorType(ae.Type), Msg: sc.clean(msg)}
	case errors.Is(err, context.Canceled):
		return &Error{Type: ErrCanceled, Msg: "canceled", cause: context.Canceled}
	case errors.Is(err, context.DeadlineExceeded):
		msg := fmt.Sprintf("no answer within %s (the query timeout)", sc.timeout)
		if parent.Err() != nil {
			msg = "no answer before the caller's deadline"
		}
		return &Error{Type: ErrTimeout, Msg: msg, cause: context.DeadlineExceeded}
	case errors.As(err, &ue):
		e := &Error{Type: ErrConnection, Msg: sc.clean(ue.Error())}
		if sc.safeCause(ue.Err) {
			e.cause = ue.Err
		}
		if ue.Timeout() {
			e.Type = ErrTimeout
		}
		return e
	}
	return &Error{Type: ErrBadResponse, Msg: sc.clean(err.Error())}
}

// safeCause: an error that clean would leave as it is, all along its
// chain (net and TLS errors name host:port only), so Unwrap may hand it out.
func (sc scrubber) safeCause(err error) bool {
	for e := err; e != nil; e = errors.Unwrap(e) {
		if t := e.Error(); sc.clean(t) != t || strings.Contains(t, "@") {
			return false
		}
	}
	return err != nil
}
