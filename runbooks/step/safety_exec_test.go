//go:build unix

package step

import (
	"bytes"
	"context"
	"errors"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/warroom-dev/warroom/probes/pg"
	"github.com/warroom-dev/warroom/probes/prom"
	"github.com/warroom-dev/warroom/runbooks"
)

// TestArithmeticInjectionDoesNotRun runs the review's scripts on real
// bash with the value x[$(touch pwn)]: each is refused, and nothing is
// created (were one rendered, it runs, to show what it would do).
func TestArithmeticInjectionDoesNotRun(t *testing.T) {
	const v = "x[$(touch pwn)]"
	for _, code := range []string{
		"n={v}; (( n > 10 )) || true",
		"n={v}; [[ $n -gt 10 ]] || true",
		"declare -i n; n={v}",
		"[ -v {v} ] || true",
		"test -v {v} || true",
		"printf -v {v} %s hi",
		"read -r {v} <<< hi",
	} {
		dir := t.TempDir()
		r, err := Render(runbooks.Step{Lang: runbooks.Bash, Code: code}, nil, map[string]string{"v": v})
		if err == nil {
			Run(context.Background(), Backends{Dir: dir}, r, false, nil)
			_, statErr := os.Stat(filepath.Join(dir, "pwn"))
			t.Errorf("%q rendered as %q (the command ran: %v)", code, r.Text, statErr == nil)
			continue
		}
		if !strings.Contains(err.Error(), "{v}") || strings.Contains(err.Error(), v) {
			t.Errorf("%q: err = %v, want one naming {v}, not the value", code, err)
		}
	}
}

// TestSecretNotOnBashCommandLine: while a step with a secret runs, bash's
// /proc/PID/cmdline (readable by any local user) does not hold the value,
// and the step still sees it.
func TestSecretNotOnBashCommandLine(t *testing.T) {
	if _, err := os.Stat("/proc/self/cmdline"); err != nil {
		t.Skip("no /proc")
	}
	const secret = "hunter2-s3cr3t"
	vars := []runbooks.Variable{{Name: "token", Secret: true}}
	r, err := Render(runbooks.Step{Lang: runbooks.Bash, Code: "printf '%s\\n' {token} | tr a-z A-Z; echo \"pid $$\"; sleep 30; :"},
		vars, map[string]string{"token": secret})
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	c := collector{seen: make(chan string, 16)}
	done := make(chan Result, 1)
	go func() { done <- Run(ctx, Backends{KillGrace: time.Second}, r, false, c.progress) }()
	var pid int
	for pid == 0 {
		select {
		case l := <-c.seen:
			if p, ok := strings.CutPrefix(l, "pid "); ok {
				pid, _ = strconv.Atoi(p)
			}
		case <-time.After(20 * time.Second):
			t.Fatalf("no pid line: %q", c.all())
		}
	}
	cmdline, err := os.ReadFile("/proc/" + strconv.Itoa(pid) + "/cmdline")
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Contains(cmdline, []byte("bash")) || !bytes.Contains(cmdline, []byte("WARROOM_SECRET_1")) {
		t.Fatalf("pid %d is not the step's bash: %q", pid, cmdline)
	}
	if bytes.Contains(cmdline, []byte(secret)) {
		t.Fatalf("the secret is on bash's command line: %q", cmdline)
	}
	cancel()
	<-done
	if got := c.all(); len(got) == 0 || got[0] != strings.ToUpper(secret) {
		t.Fatalf("the step did not see the value: %q", got)
	}
}

// TestSecretsMaskedBeforeTheCut: a secret that an over-long line's cut
// would split, and the forms set -x prints it in, are masked whole.
func TestSecretsMaskedBeforeTheCut(t *testing.T) {
	for _, secret := range []string{"hunter2-s3cr3t-value", "it's a s3cr3t", "tab\ts3cr3t"} {
		vars := []runbooks.Variable{{Name: "token", Secret: true}}
		code := "printf '%*s%s tail\\n' " + strconv.Itoa(LineMax-6) + " '' {token}\n" + // the cut falls in the secret
			"printf '%s\\n' {token}\n" +
			"set -x; : {token} \"x {token}\"; set +x\n" +
			"echo 'bye'; exit 1"
		r, err := Render(runbooks.Step{Lang: runbooks.Bash, Code: code}, vars, map[string]string{"token": secret})
		if err != nil {
			t.Fatal(err)
		}
		var c collector
		res := Run(context.Background(), Backends{}, r, false, c.progress)
		got := c.all()
		if len(got) < 5 || got[len(got)-1] != "bye" {
			t.Fatalf("%q: output %q, result %+v", secret, got, res)
		}
		for _, l := range got {
			if strings.Contains(l, "s3c") {
				t.Errorf("%q: a line shows (part of) the secret: %q", secret, l[max(0, len(l)-60):])
			}
		}
		if first := got[0]; !strings.HasSuffix(first, SecretMask+" …") || len(first) > LineMax+len(SecretMask)+8 {
			t.Errorf("%q: the cut line ends %q (%d bytes)", secret, first[max(0, len(first)-30):], len(first))
		}
		if got[1] != SecretMask {
			t.Errorf("%q: line %q, want the mask", secret, got[1])
		}
	}
}

// secretPG answers with results and an error that hold a secret.
type secretPG struct {
	res []pg.Result
	err error
}

func (f secretPG) Run(context.Context, string, []any, bool) ([]pg.Result, error) { return f.res, f.err }

// TestSQLSecretsMaskedBeforeTheCellCut: a secret in a cell that Table's
// cut would split, at the end of a cell the pg probe cut, in a tag, in
// the error.
func TestSQLSecretsMaskedBeforeTheCellCut(t *testing.T) {
	const secret = "hunter2-s3cr3t-value"
	r := Rendered{Lang: runbooks.SQL, Text: "SELECT $1", Args: []any{secret}, Secrets: []string{secret}}
	f := secretPG{res: []pg.Result{{
		Columns: []string{"a", "b"},
		Rows: [][]string{
			{strings.Repeat("x", CellMax-5) + secret, "ok"},        // Table's cut falls in it
			{strings.Repeat("y", 30) + secret[:7] + "…", "pg cut"}, // the probe cut it
			{"'" + secret + "'", "quoted"},
		},
		Tag: "SELECT 3",
	}, {Tag: "NOTICE " + secret}}}
	var c collector
	res := Run(context.Background(), Backends{PG: f}, r, false, c.progress)
	out := strings.Join(c.all(), "\n")
	if strings.Contains(out, "s3c") || strings.Contains(out, "hunter2") || strings.Contains(res.Summary, "hunter2") {
		t.Fatalf("the secret shows:\n%s\nsummary %q", out, res.Summary)
	}
	if strings.Count(out, "‹sec") < 4 { // the first one cut by Table
		t.Fatalf("masks missing:\n%s", out)
	}
	f.err = errors.New(`invalid input syntax for type integer: "` + secret + `"`)
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	res = Run(ctx, Backends{PG: f}, r, false, nil)
	if res.Err == nil || strings.Contains(res.Err.Error(), "hunter2") || !strings.Contains(res.Err.Error(), SecretMask) {
		t.Fatalf("Err = %v", res.Err)
	}
	if !errors.Is(res.Err, context.Canceled) {
		t.Fatalf("Err %v no longer wraps context.Canceled", res.Err)
	}
}

// secretProm answers with a series and an error that hold a secret.
type secretProm struct {
	samples []prom.Sample
	err     error
}

func (p secretProm) QueryRange(context.Context, string, time.Time, time.Time, time.Duration) ([]prom.Series, error) {
	return nil, nil
}
func (p secretProm) Query(context.Context, string, time.Time) ([]prom.Sample, error) {
	return p.samples, p.err
}
func (p secretProm) Alerts(context.Context) ([]prom.Alert, error) { return nil, nil }

func TestPromQLSecretsMasked(t *testing.T) {
	const secret = "hunter2-s3cr3t-value"
	r := Rendered{Lang: runbooks.PromQL, Text: `up{token="` + secret + `"}`, Secrets: []string{secret}}
	p := secretProm{samples: []prom.Sample{{Labels: map[string]string{"__name__": "up", "token": strings.Repeat("z", SeriesMax-20) + secret}, V: 1}}}
	var c collector
	Run(context.Background(), Backends{Prom: p}, r, false, c.progress)
	if out := strings.Join(c.all(), "\n"); strings.Contains(out, "s3c") || !strings.Contains(out, SecretMask) {
		t.Fatalf("output:\n%s", out)
	}
	p.err = errors.New(`bad_data: parse error in up{token="` + secret + `"}`)
	if res := Run(context.Background(), Backends{Prom: p}, r, false, nil); res.Err == nil || strings.Contains(res.Err.Error(), "hunter2") {
		t.Fatalf("Err = %v", res.Err)
	}
}
