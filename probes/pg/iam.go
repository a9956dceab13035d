package pg

import (
	"context"
	"errors"
	"net"
	"strconv"
	"sync"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/feature/rds/auth"
	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"
	"github.com/jackc/pgx/v5/pgxpool"
)

// IAMAuth makes each new connection's password an RDS IAM auth token for
// the DSN's host, port and user, signed with Credentials for Region.
// Tokens are valid 15 minutes: one is reused for new connections during
// TokenReuse, and rebuilt after (sooner when the credentials it was
// signed with expire first). The server checks the token only when a
// connection opens, so open connections outlive it.
//
// The token is a bearer secret sent as a clear-text password: with IAM,
// the connection must use TLS. sslmode unset, "prefer" or "allow" act as
// "require" (the plain-text attempts are dropped); "disable" is refused.
// verify-full with sslrootcert set to the RDS CA bundle is what to use
// where the bundle is at hand.
type IAMAuth struct {
	Region      string
	Credentials aws.CredentialsProvider
	Now         func() time.Time // nil: time.Now
}

// TokenReuse is how long an IAM auth token is reused (it lives 15 min).
const TokenReuse = 10 * time.Minute

// credentialsMargin: a token is not reused past this much before its
// signing credentials expire.
const credentialsMargin = time.Minute

// buildToken is auth.BuildAuthToken (a seam for tests).
type buildToken func(ctx context.Context, endpoint, region, user string, creds aws.CredentialsProvider) (string, error)

func sdkBuildToken(ctx context.Context, endpoint, region, user string, creds aws.CredentialsProvider) (string, error) {
	return auth.BuildAuthToken(ctx, endpoint, region, user, creds)
}

// tokenCache holds one token per endpoint and user.
type tokenCache struct {
	iam   IAMAuth
	build buildToken

	mu     sync.Mutex
	tokens map[string]cachedToken
}

type cachedToken struct {
	token string
	until time.Time
}

func newTokenCache(iam IAMAuth, build buildToken) *tokenCache {
	if iam.Now == nil {
		iam.Now = time.Now
	}
	return &tokenCache{iam: iam, build: build, tokens: map[string]cachedToken{}}
}

// token returns a token for user at endpoint (host:port), from the cache
// while it is young enough.
func (c *tokenCache) token(ctx context.Context, endpoint, user string) (string, error) {
	c.mu.Lock()
	defer c.mu.Unlock()
	key := endpoint + "\x00" + user
	now := c.iam.Now()
	if t, ok := c.tokens[key]; ok && now.Before(t.until) {
		return t.token, nil
	}
	creds, err := c.iam.Credentials.Retrieve(ctx)
	if err != nil {
		return "", errors.New("RDS IAM auth: AWS credentials: " + redact(err.Error()))
	}
	fixed := aws.CredentialsProviderFunc(func(context.Context) (aws.Credentials, error) { return creds, nil })
	tok, err := c.build(ctx, endpoint, c.iam.Region, user, fixed)
	if err != nil {
		return "", errors.New("RDS IAM auth token: " + redact(err.Error()))
	}
	until := now.Add(TokenReuse)
	if creds.CanExpire && creds.Expires.Add(-credentialsMargin).Before(until) {
		until = creds.Expires.Add(-credentialsMargin)
	}
	c.tokens[key] = cachedToken{token: tok, until: until}
	return tok, nil
}

// beforeConnect sets the connection's password to a token.
func (c *tokenCache) beforeConnect(ctx context.Context, cc *pgx.ConnConfig) error {
	endpoint := net.JoinHostPort(cc.Host, strconv.Itoa(int(cc.Port)))
	tok, err := c.token(ctx, endpoint, cc.User)
	if err != nil {
		return err
	}
	cc.Password = tok
	return nil
}

// Configure checks the settings for IAM, forces TLS on cfg.ConnConfig and
// installs the token hook as cfg.BeforeConnect, for a pool built from cfg.
// The hook also serves lone connections: call it on a copy of
// cfg.ConnConfig (taken after Configure, so TLS is forced) before
// pgx.ConnectConfig, as the pool does; the pool and those connections
// then share one token cache.
func (a *IAMAuth) Configure(cfg *pgxpool.Config) error { return a.configure(cfg) }

// configure checks the settings for IAM, forces TLS and installs the
// token hook.
func (a *IAMAuth) configure(cfg *pgxpool.Config) error {
	return a.configureWith(cfg, sdkBuildToken)
}

func (a *IAMAuth) configureWith(cfg *pgxpool.Config, build buildToken) error {
	switch {
	case a.Region == "":
		return errors.New("RDS IAM auth: no AWS region")
	case a.Credentials == nil:
		return errors.New("RDS IAM auth: no AWS credentials")
	case cfg.ConnConfig.User == "":
		return errors.New("RDS IAM auth: no database user")
	}
	if err := requireTLS(&cfg.ConnConfig.Config); err != nil {
		return err
	}
	cache := newTokenCache(*a, build)
	cfg.BeforeConnect = cache.beforeConnect
	return nil
}

// requireTLS drops the attempts without TLS (sslmode prefer and allow try
// both); none left (sslmode=disable) is an error.
func requireTLS(c *pgconn.Config) error {
	all := append([]*pgconn.FallbackConfig{{Host: c.Host, Port: c.Port, TLSConfig: c.TLSConfig}}, c.Fallbacks...)
	var tlsOnly []*pgconn.FallbackConfig
	for _, f := range all {
		if f.TLSConfig != nil {
			tlsOnly = append(tlsOnly, f)
		}
	}
	if len(tlsOnly) == 0 {
		return errors.New("RDS IAM auth needs TLS (the token is sent as the password): sslmode=disable is refused; use sslmode=require or verify-full")
	}
	c.Host, c.Port, c.TLSConfig = tlsOnly[0].Host, tlsOnly[0].Port, tlsOnly[0].TLSConfig
	c.Fallbacks = tlsOnly[1:]
	return nil
}
