package prom

import (
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"os"
	"time"

	"github.com/prometheus/client_golang/api"
	v1 "github.com/prometheus/client_golang/api/prometheus/v1"
	"github.com/prometheus/common/config"

	"github.com/warroom-dev/warroom/probes"
)

// DefaultTimeout bounds every query when Options.Timeout is zero (and
// always for New): a Prometheus that accepts the connection and never
// answers fails the query, it does not hang the pane.
const DefaultTimeout = 10 * time.Second

// Options are how to reach a Prometheus behind authentication or TLS.
// At most one of a bearer token, a token file and basic auth; a username
// and password in the address count as basic auth.
type Options struct {
	// BearerToken is sent as "Authorization: Bearer …".
	BearerToken string
	// BearerTokenFile is read again on every request (a rotated token is
	// picked up without a restart); it must be readable at NewWithOptions.
	BearerTokenFile string
	// Username and Password are HTTP basic auth.
	Username, Password string
	// CAFile is a PEM bundle to verify the server's certificate with
	// (instead of the system roots); reloaded when it changes.
	CAFile string
	// Insecure skips verifying the server's certificate.
	Insecure bool
	// Timeout bounds each query (DefaultTimeout when zero or less); a
	// shorter deadline of the caller's context wins.
	Timeout time.Duration
}

// NewWithOptions makes a probe of the Prometheus HTTP API at address
// (http:// or https://) with the credentials and TLS settings of o,
// through prometheus/common's HTTP client (the one Prometheus scrapes
// with). It reads the CA and token files to check them but makes no
// request. Its errors, and those of every query, never hold a credential.
func NewWithOptions(address string, o Options) (Probe, error) {
	base, user, sc, err := parseAddress(address)
	if err != nil {
		return nil, err
	}
	if user != nil {
		if o.Username != "" || o.Password != "" {
			return nil, errors.New("credentials both in the address and as username/password: give one")
		}
		o.Username = user.Username()
		o.Password, _ = user.Password()
	}
	basic := o.Username != "" || o.Password != ""
	switch {
	case o.BearerToken != "" && o.BearerTokenFile != "":
		return nil, errors.New("a bearer token and a bearer token file: give one")
	case (o.BearerToken != "" || o.BearerTokenFile != "") && basic:
		return nil, errors.New("a bearer token and basic auth (username/password): give one")
	}
	sc.secrets = append(sc.secrets, o.Password, o.BearerToken)
	sc.timeout = timeoutOr(o.Timeout)

	cfg := config.DefaultHTTPClientConfig // follow redirects (auth is not sent to another host), HTTP/2
	cfg.ProxyConfig = config.ProxyConfig{ProxyFromEnvironment: true}
	cfg.TLSConfig = config.TLSConfig{CAFile: o.CAFile, InsecureSkipVerify: o.Insecure}
	switch {
	case o.BearerToken != "":
		cfg.Authorization = &config.Authorization{Type: "Bearer", Credentials: config.Secret(o.BearerToken)}
	case o.BearerTokenFile != "":
		if _, err := os.ReadFile(o.BearerTokenFile); err != nil {
			return nil, fmt.Errorf("bearer token file: %w", err) // a path, no secret
		}
		cfg.Authorization = &config.Authorization{Type: "Bearer", CredentialsFile: o.BearerTokenFile}
	case basic:
		cfg.BasicAuth = &config.BasicAuth{Username: o.Username, Password: config.Secret(o.Password)}
	}
	if err := cfg.Validate(); err != nil {
		return nil, errors.New(sc.clean(err.Error()))
	}
	client, err := config.NewClientFromConfig(cfg, "warroom-prometheus")
	if err != nil {
		// e.g. "unable to load specified CA cert /path: …"
		return nil, errors.New(sc.clean(err.Error()))
	}
	return newProbe(api.Config{Address: base, Client: client}, sc)
}

// New makes a probe of the Prometheus HTTP API at address through rt
// (client_golang's default transport when nil), with DefaultTimeout per
// query. A username and password in the address are sent as basic auth
// and kept out of every URL the client builds, so out of its errors.
func New(address string, rt http.RoundTripper) (Probe, error) {
	base, user, sc, err := parseAddress(address)
	if err != nil {
		return nil, err
	}
	if rt == nil {
		rt = api.DefaultRoundTripper
	}
	if user != nil {
		pass, _ := user.Password()
		sc.secrets = append(sc.secrets, pass)
		rt = config.NewBasicAuthRoundTripper(config.NewInlineSecret(user.Username()), config.NewInlineSecret(pass), rt)
	}
	sc.timeout = DefaultTimeout
	return newProbe(api.Config{Address: base, RoundTripper: rt}, sc)
}

func newProbe(cfg api.Config, sc scrubber) (Probe, error) {
	c, err := api.NewClient(cfg)
	if err != nil {
		return nil, errors.New(sc.clean(err.Error())) // the caller names the setting: no "prometheus: " here
	}
	return probe{api: v1.NewAPI(c), sc: sc}, nil
}

func timeoutOr(d time.Duration) time.Duration {
	if d <= 0 {
		return DefaultTimeout
	}
	return d
}

// parseAddress checks address and splits its userinfo off. The scrubber
// it returns masks the address's password and query values.
func parseAddress(address string) (base string, user *url.Userinfo, sc scrubber, err error) {
	u, err := url.Parse(address)
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
		return "", nil, sc, fmt.Errorf("%q is not an http:// or https:// URL", probes.CleanURL(address))
	}
	if p, ok := u.User.Password(); ok {
		sc.secrets = append(sc.secrets, p)
	}
	for _, vs := range u.Query() {
		sc.secrets = append(sc.secrets, vs...)
	}
	user, u.User = u.User, nil
	return u.String(), user, sc, nil
}
