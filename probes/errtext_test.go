package probes

import (
	"errors"
	"reflect"
	"strings"
	"testing"
)

func TestErrorLinesPutTheCauseFirst(t *testing.T) {
	cases := []struct {
		err  error
		want []string
	}{
		{nil, nil},
		{errors.New("connection refused"), []string{"connection refused"}},
		// pgx: a header, then the same attempt twice (TLS, then plain).
		{errors.New("failed to connect to `user=u database=db`:\n\t127.0.0.1:1 (localhost): dial error: connection refused\n\t127.0.0.1:1 (localhost): dial error: connection refused"),
			[]string{"127.0.0.1:1 (localhost): dial error: connection refused", "(failed to connect to `user=u database=db`)"}},
		// A first line that is not a header stays first.
		{errors.New("query failed\ndetail: x"), []string{"query failed", "detail: x"}},
		// Escape sequences are gone; blank lines too.
		{errors.New("bad\x1b]0;pwned\x07 gateway\n\n"), []string{"bad gateway"}},
	}
	for _, c := range cases {
		if got := ErrorLines(c.err); !reflect.DeepEqual(got, c.want) {
			t.Errorf("ErrorLines(%q) = %q, want %q", c.err, got, c.want)
		}
	}
	if got, want := ErrorText(errors.New("a:\nb\nc")), "b ⏎ c ⏎ (a)"; got != want {
		t.Errorf("ErrorText = %q, want %q", got, want)
	}
}

// A backend error that carries a DSN is shown with its password masked.
func TestErrorLinesRedact(t *testing.T) {
	got := strings.Join(ErrorLines(errors.New("dial postgres://app:hunter2@db:5432/x: refused")), "\n")
	if strings.Contains(got, "hunter2") || !strings.Contains(got, "xxxxx") {
		t.Fatalf("not redacted: %q", got)
	}
}

func TestCleanTextDropsCredentialsFromURLs(t *testing.T) {
	got := CleanText(`Get "https://bob:hunter22@api.example.com/health?token=s3cr3t#x": dial tcp: refused; also s3cr3t`, []string{"s3cr3t", "ab"})
	want := `Get "https://api.example.com/health?…": dial tcp: refused; also xxxxx`
	if got != want {
		t.Errorf("CleanText:\n got %q\nwant %q", got, want)
	}
	if got := CleanURL("bob:pw@db.internal:5432/x?sslmode=disable"); got != "db.internal:5432/x?…" {
		t.Errorf("CleanURL of a host-less URL: %q", got)
	}
}
