package pg

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/jackc/pgx/v5/pgconn"
)

func TestPoolSettings(t *testing.T) {
	for _, tc := range []struct {
		name, dsn        string
		stmt, lock       time.Duration
		wantStmt, wantLk string
	}{
		{"defaults", "postgres://u@db.invalid/app", 0, 0, "5000", "2000"},
		{"options win", "host=db.invalid user=u statement_timeout=9000", 200 * time.Millisecond, 1500 * time.Microsecond, "200", "2"},
		{"the DSN's own when no option", "host=db.invalid user=u statement_timeout=9000 lock_timeout=100", 0, 0, "9000", "100"},
		{"negative disables", "postgres://u@db.invalid/app", -1, -1, "0", "0"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			cfg, err := poolConfig(Options{DSN: tc.dsn, StatementTimeout: tc.stmt, LockTimeout: tc.lock})
			if err != nil {
				t.Fatal(err)
			}
			rp := cfg.ConnConfig.RuntimeParams
			if rp["statement_timeout"] != tc.wantStmt || rp["lock_timeout"] != tc.wantLk || rp["application_name"] != AppName {
				t.Errorf("runtime params %v, want statement_timeout %s, lock_timeout %s, application_name %s", rp, tc.wantStmt, tc.wantLk, AppName)
			}
			if cfg.MaxConns != 2 || cfg.ConnConfig.ConnectTimeout != 5*time.Second {
				t.Errorf("MaxConns %d, ConnectTimeout %v; want 2, 5s", cfg.MaxConns, cfg.ConnConfig.ConnectTimeout)
			}
		})
	}
	cfg, err := poolConfig(Options{DSN: "postgres://u@db.invalid/app?connect_timeout=12&application_name=theirs"})
	if err != nil {
		t.Fatal(err)
	}
	if cfg.ConnConfig.ConnectTimeout != 12*time.Second || cfg.ConnConfig.RuntimeParams["application_name"] != AppName {
		t.Errorf("connect_timeout %v (want the DSN's 12s), application_name %q (want %q)",
			cfg.ConnConfig.ConnectTimeout, cfg.ConnConfig.RuntimeParams["application_name"], AppName)
	}
}

func TestBadDSNErrorHasNoPassword(t *testing.T) {
	const secret = "s3cret-Passw0rd"
	for _, dsn := range []string{
		"postgres://u:" + secret + "@[::1/app",
		"host=x user=u password=" + secret + " port=notaport",
		"postgres://u:" + secret + "@h/app?sslmode=bogus",
	} {
		_, err := New(dsn)
		if err == nil {
			t.Errorf("New(%q): no error", redact(dsn))
			continue
		}
		if strings.Contains(err.Error(), secret) || strings.Contains(ErrorText(err), secret) {
			t.Errorf("error leaks the password: %v", err)
		}
	}
}

func TestErrorText(t *testing.T) {
	pe := &pgconn.PgError{
		Severity: "ERROR", Code: "42501",
		Message: "permission denied to terminate process",
		Detail:  `Only roles with privileges of the "pg_signal_backend" role may terminate backends.`,
		Hint:    "Ask a superuser.",
	}
	want := `permission denied to terminate process (Only roles with privileges of the "pg_signal_backend" role may terminate backends.) [Ask a superuser.]`
	err := wrap(fmt.Errorf("signal: %w", pe))
	if got := ErrorText(err); got != want {
		t.Errorf("ErrorText = %q\nwant %q", got, want)
	}
	if err.Error() != want {
		t.Errorf("Error() = %q, want ErrorText's", err.Error())
	}
	var got *pgconn.PgError
	if !errors.As(err, &got) || got.Code != "42501" {
		t.Errorf("errors.As does not find the SQLSTATE: %v", got)
	}
	if s := ErrorText(&pgconn.PgError{Message: "only this"}); s != "only this" {
		t.Errorf("ErrorText without detail = %q", s)
	}
	if s := ErrorText(errors.New("dial postgres://u:hunter2x@h/db: refused")); strings.Contains(s, "hunter2x") {
		t.Errorf("ErrorText leaks a password: %q", s)
	}
	if ErrorText(nil) != "" {
		t.Error("ErrorText(nil) is not empty")
	}
}

// fakeCreds counts Retrieve calls.
type fakeCreds struct {
	mu      sync.Mutex
	calls   int
	expires time.Time // zero: static credentials
}

func (f *fakeCreds) Retrieve(context.Context) (aws.Credentials, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.calls++
	return aws.Credentials{
		AccessKeyID: "AKIDEXAMPLE", SecretAccessKey: fmt.Sprintf("secret-%d", f.calls),
		CanExpire: !f.expires.IsZero(), Expires: f.expires,
	}, nil
}

func (f *fakeCreds) count() int {
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.calls
}

type fakeClock struct {
	mu  sync.Mutex
	now time.Time
}

func (c *fakeClock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.now
}

func (c *fakeClock) advance(d time.Duration) {
	c.mu.Lock()
	c.now = c.now.Add(d)
	c.mu.Unlock()
}

func TestIAMTokenCache(t *testing.T) {
	creds := &fakeCreds{}
	clock := &fakeClock{now: time.Date(2026, 5, 9, 8, 0, 0, 0, time.UTC)}
	cfg, err := poolConfig(Options{
		DSN: "postgres://iam_reader:ignored-pw@db.abc.eu-west-1.rds.amazonaws.com:5432/app?sslmode=require",
		IAM: &IAMAuth{Region: "eu-west-1", Credentials: creds, Now: clock.Now},
	})
	if err != nil {
		t.Fatal(err)
	}
	if cfg.BeforeConnect == nil {
		t.Fatal("no BeforeConnect hook")
	}
	connect := func() string {
		t.Helper()
		cc := cfg.ConnConfig.Copy()
		if err := cfg.BeforeConnect(context.Background(), cc); err != nil {
			t.Fatal(err)
		}
		return cc.Password
	}
	first := connect()
	for _, want := range []string{"db.abc.eu-west-1.rds.amazonaws.com:5432?Action=connect", "DBUser=iam_reader", "X-Amz-Signature=", "X-Amz-Expires=900", "eu-west-1%2Frds-db"} {
		if !strings.Contains(first, want) {
			t.Errorf("token %q lacks %q", first, want)
		}
	}
	if first == "ignored-pw" || creds.count() != 1 {
		t.Fatalf("password %q after one connect, %d credential reads", first, creds.count())
	}
	clock.advance(TokenReuse - time.Second)
	if got := connect(); got != first || creds.count() != 1 {
		t.Errorf("within %v: token rebuilt (%d credential reads)", TokenReuse, creds.count())
	}
	clock.advance(time.Second)
	second := connect()
	if creds.count() != 2 || !strings.Contains(second, "X-Amz-Signature=") {
		t.Errorf("after %v: %d credential reads, want 2 (token %q)", TokenReuse, creds.count(), second)
	}
	if second == first {
		t.Error("the rebuilt token is the old one (signed with other credentials, it must differ)")
	}
	// Another user (or endpoint) has its own token.
	cc := cfg.ConnConfig.Copy()
	cc.User = "other"
	if err := cfg.BeforeConnect(context.Background(), cc); err != nil || !strings.Contains(cc.Password, "DBUser=other") || creds.count() != 3 {
		t.Errorf("other user: %v, token %q, %d reads", err, cc.Password, creds.count())
	}
}

func TestIAMTokenNotReusedPastCredentialsExpiry(t *testing.T) {
	clock := &fakeClock{now: time.Date(2026, 5, 9, 8, 0, 0, 0, time.UTC)}
	creds := &fakeCreds{expires: clock.now.Add(5 * time.Minute)}
	c := newTokenCache(IAMAuth{Region: "us-east-1", Credentials: creds, Now: clock.Now}, sdkBuildToken)
	ctx := context.Background()
	if _, err := c.token(ctx, "h:5432", "u"); err != nil {
		t.Fatal(err)
	}
	clock.advance(5*time.Minute - credentialsMargin - time.Second)
	if _, err := c.token(ctx, "h:5432", "u"); err != nil || creds.count() != 1 {
		t.Fatalf("before the margin: %v, %d reads, want 1", err, creds.count())
	}
	clock.advance(time.Second)
	if _, err := c.token(ctx, "h:5432", "u"); err != nil || creds.count() != 2 {
		t.Errorf("at the credentials' expiry margin: %v, %d reads, want 2", err, creds.count())
	}
}

func TestIAMRequiresTLS(t *testing.T) {
	iam := &IAMAuth{Region: "eu-west-1", Credentials: &fakeCreds{}}
	_, err := poolConfig(Options{DSN: "postgres://u@db.example:5432/app?sslmode=disable", IAM: iam})
	if err == nil || !strings.Contains(err.Error(), "TLS") {
		t.Errorf("IAM with sslmode=disable: %v, want a refusal naming TLS", err)
	}
	for _, mode := range []string{"", "&sslmode=prefer", "&sslmode=allow", "&sslmode=require", "&sslmode=verify-full"} {
		cfg, err := poolConfig(Options{DSN: "postgres://u@db.example:5432/app?connect_timeout=3" + mode, IAM: iam})
		if err != nil {
			t.Errorf("sslmode %q: %v", mode, err)
			continue
		}
		c := cfg.ConnConfig
		if c.TLSConfig == nil || c.Host != "db.example" || c.Port != 5432 {
			t.Errorf("sslmode %q: primary %s:%d without TLS", mode, c.Host, c.Port)
		}
		for _, f := range c.Fallbacks {
			if f.TLSConfig == nil {
				t.Errorf("sslmode %q: a plain-text fallback to %s:%d is left", mode, f.Host, f.Port)
			}
		}
	}
	for _, bad := range []IAMAuth{{Credentials: &fakeCreds{}}, {Region: "eu-west-1"}} {
		if _, err := poolConfig(Options{DSN: "postgres://u@db.example/app?sslmode=require", IAM: &bad}); err == nil {
			t.Errorf("IAM %+v: no error", bad)
		}
	}
}

func TestIAMCredentialsErrorIsReported(t *testing.T) {
	failing := aws.CredentialsProviderFunc(func(context.Context) (aws.Credentials, error) {
		return aws.Credentials{}, errors.New("no EC2 IMDS role found")
	})
	cfg, err := poolConfig(Options{DSN: "postgres://u@db.example:5432/app?sslmode=require", IAM: &IAMAuth{Region: "eu-west-1", Credentials: failing}})
	if err != nil {
		t.Fatal(err)
	}
	err = cfg.BeforeConnect(context.Background(), cfg.ConnConfig.Copy())
	if err == nil || !strings.Contains(err.Error(), "no EC2 IMDS role found") || !strings.Contains(err.Error(), "IAM") {
		t.Errorf("BeforeConnect with failing credentials: %v", err)
	}
}
