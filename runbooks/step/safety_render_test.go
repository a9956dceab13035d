package step

import (
	"context"
	"slices"
	"strconv"
	"strings"
	"testing"

	"github.com/warroom-dev/warroom/probes/pg"
	"github.com/warroom-dev/warroom/runbooks"
)

// The tests of this file pin the fixes of issue 13's security review
// that Render makes; review_exec_test.go has those Run makes.

// TestRenderRefusesArithmeticValues: a value x[$(cmd)] runs cmd wherever
// bash evaluates it as arithmetic, which can happen after the value went
// through a variable (n={v}; (( n > 10 ))): such a value is refused
// whatever the script.
func TestRenderRefusesArithmeticValues(t *testing.T) {
	for _, v := range []string{"x[$(touch pwn)]", "a[`touch pwn`]", "$[1]"} {
		_, err := render(t, runbooks.Bash, "n={v}; (( n > 10 ))", map[string]string{"v": v})
		if err == nil || !strings.Contains(err.Error(), "{v}") || strings.Contains(err.Error(), v) {
			t.Errorf("%q: err = %v, want a refusal naming {v} without the value", v, err)
		}
	}
	// "[" alone, or "$" alone, is a value like any other.
	for _, v := range []string{"[x]", "a$b", "pod-[0]"} {
		if _, err := render(t, runbooks.Bash, "echo {v}", map[string]string{"v": v}); err != nil {
			t.Errorf("%q: %v", v, err)
		}
	}
}

// TestRenderRefusesNamePositions: where bash takes a word as a variable's
// name (and evaluates an index in it), a value cannot go.
func TestRenderRefusesNamePositions(t *testing.T) {
	v := map[string]string{"v": "PATH"}
	for _, code := range []string{
		"[ -v {v} ]",
		"test -v {v}",
		"test -R {v}",
		"printf -v {v} %s hi",
		"printf -v{v} %s hi",
		"builtin printf -v {v} %s hi",
		"read -r {v} <<< hi",
		"read {v}",
		"read -r x {v} <<< hi",
		"read -ra {v} <<< hi",
		"read -a{v} <<< hi",
		"mapfile -t {v} < /dev/null",
		"readarray {v} < /dev/null",
		"mapfile -C {v} x < /dev/null",
		"unset {v}",
		"getopts ab {v}",
		"wait -p {v}",
		"trap {v} EXIT",
	} {
		if r, err := render(t, runbooks.Bash, code, v); err == nil {
			t.Errorf("%q: rendered as %q, want a refusal", code, r.Text)
		}
	}
	for _, code := range []string{
		"test -n {v}",
		"[ -f {v} ]",
		"printf '%s\\n' {v}",
		"printf -v out '%s' {v}",
		"read -rp {v} x <<< hi",
		"read -d {v} -r x <<< hi",
		"mapfile -d {v} -t arr < /dev/null",
		"getopts {v} opt",
		"echo -v {v}",
	} {
		if _, err := render(t, runbooks.Bash, code, v); err != nil {
			t.Errorf("%q: %v", code, err)
		}
	}
}

// TestRenderRefusesOptionValues: a value starting with "-" where it starts
// a word would be read as an option (kubectl delete pod --all).
func TestRenderRefusesOptionValues(t *testing.T) {
	for _, tc := range []struct{ code, v string }{
		{"kubectl delete pod {pod}", "--all"},
		{"[[ {env} == prod ]]", "-z"},
		{"[[ {env} == prod ]]", "-"},
		{`kubectl logs "{pod}"`, "-f"},
		{"kubectl logs '{pod}'", "-f"},
		{"x={pod}; echo $x", "-rf"},
		{"rm {a}{pod}", "-rf"},
	} {
		vals := map[string]string{"pod": tc.v, "env": tc.v, "a": ""}
		_, err := render(t, runbooks.Bash, tc.code, vals)
		if err == nil || !strings.Contains(err.Error(), "would be read as an option") {
			t.Errorf("%q with %q: err = %v, want a refusal", tc.code, tc.v, err)
		}
	}
	// Not at the start of a word: the value is part of a longer one.
	for _, code := range []string{`echo "pod {pod}"`, "kubectl logs --since={pod}", "echo x{pod}", "# {pod}"} {
		if _, err := render(t, runbooks.Bash, code, map[string]string{"pod": "-5m"}); err != nil {
			t.Errorf("%q: %v", code, err)
		}
	}
}

// TestRenderRefusesInvisibleCharacters: a pasted no-break space or
// zero-width space would be rendered $'\u00a0', which bash without a
// UTF-8 locale prints as it is; the error names the character.
func TestRenderRefusesInvisibleCharacters(t *testing.T) {
	for v, want := range map[string]string{
		"api\u00a0pod":  "U+00A0 (no-break space)",
		"api\u200b":     "U+200B (zero-width space)",
		"\ufeffapi":     "U+FEFF (zero-width no-break space)",
		"a\u202eb":      "U+202E (right-to-left override)",
		"a\u3000b":      "U+3000 (ideographic space)",
		"a\nb":          "U+000A (line feed)",
		"\x01ctl":       "U+0001 (a control character)",
		"a\u2028b":      "U+2028 (line separator)",
		"a\U000e0001b":  "U+E0001 (a format character)",
		"a\ue000b":      "U+E000 (a private-use character)",
		"bad \xff byte": "not UTF-8",
	} {
		_, err := render(t, runbooks.Bash, "kubectl get pod {pod}", map[string]string{"pod": v})
		if err == nil || !strings.Contains(err.Error(), want) || !strings.Contains(err.Error(), "{pod}") || strings.Contains(err.Error(), v) {
			t.Errorf("%q: err = %v, want one naming %s", v, err, want)
		}
	}
	for _, v := range []string{"tab\there", "é ünïcode ✓", "日本", "a b"} {
		if _, err := render(t, runbooks.Bash, "echo {v}", map[string]string{"v": v}); err != nil {
			t.Errorf("%q: %v", v, err)
		}
	}
}

// TestRenderSecretsGoInTheEnvironment: a secret is referred to, in the
// quoting form of its context; its value is only in Env.
func TestRenderSecretsGoInTheEnvironment(t *testing.T) {
	vars := []runbooks.Variable{{Name: "token", Secret: true}, {Name: "other", Secret: true}}
	vals := map[string]string{"token": "s3 cr'3t", "other": "o"}
	for _, tc := range []struct{ code, want string }{
		{"curl -u {token} x", `curl -u "${WARROOM_SECRET_1}" x`},
		{`echo "Bearer {token}abc"`, `echo "Bearer ${WARROOM_SECRET_1}abc"`},
		{"echo 'a{token}b'", `echo 'a'"${WARROOM_SECRET_1}"'b'`},
		{"echo $'a{token}b'", `echo $'a'"${WARROOM_SECRET_1}"$'b'`},
		{"echo {token} {other} {token} # {token}", `echo "${WARROOM_SECRET_1}" "${WARROOM_SECRET_2}" "${WARROOM_SECRET_1}" # ‹token›`},
	} {
		r, err := render(t, runbooks.Bash, tc.code, vals, vars...)
		if err != nil {
			t.Errorf("%q: %v", tc.code, err)
			continue
		}
		if r.Text != tc.want {
			t.Errorf("%q:\n got %s\nwant %s", tc.code, r.Text, tc.want)
		}
		if strings.Contains(r.Text, "cr'3t") || strings.Contains(strings.Join(r.Lines, "\n"), "cr'3t") {
			t.Errorf("%q: the secret is in %q / %q", tc.code, r.Text, r.Lines)
		}
		if !strings.Contains(strings.Join(r.Lines, "\n"), "‹token›") {
			t.Errorf("%q: Lines %q do not show ‹token›", tc.code, r.Lines)
		}
		if len(r.Env) == 0 || r.Env[0] != "WARROOM_SECRET_1=s3 cr'3t" {
			t.Errorf("%q: Env = %q", tc.code, r.Env)
		}
	}
	// The checks apply to secrets too, and say nothing of the value.
	_, err := render(t, runbooks.Bash, "login {token}", map[string]string{"token": "-s3cr3t"}, vars...)
	if err == nil || strings.Contains(err.Error(), "s3cr3t") {
		t.Fatalf("err = %v", err)
	}
}

// TestPromQLOutsideQuotes: outside quotes a value is a number, a duration
// or a name; nothing that makes it an expression.
func TestPromQLOutsideQuotes(t *testing.T) {
	for _, v := range []string{"5m", "1h30m", "90s", "10", "-0.5", "1e3", ".5", "http_requests_total", "job:rate5m", "Inf"} {
		if _, err := render(t, runbooks.PromQL, "rate(x[5m]) > {v}", map[string]string{"v": v}); err != nil {
			t.Errorf("%q: %v", v, err)
		}
	}
	for _, v := range []string{"up/up", "1-1", "a b", "5m]) or vector(1", "up{", "-up", "a.b", "/", "1m-", ""} {
		_, err := render(t, runbooks.PromQL, "rate(x[5m]) > {v}", map[string]string{"v": v})
		if err == nil {
			t.Errorf("%q: rendered, want a refusal", v)
		}
	}
}

// TestRenderErrorsNeverHoldTheValue: whatever is refused, the error names
// the variable, not its value (a secret would reach the screen).
func TestRenderErrorsNeverHoldTheValue(t *testing.T) {
	const v = "SeCrEt-x/y z"
	for _, tc := range []struct {
		lang runbooks.Lang
		code string
		val  string
	}{
		{runbooks.PromQL, "up > {v}", v},
		{runbooks.PromQL, "up{job=`{v}`}", v + "`"},
		{runbooks.Bash, "echo {v}", "\u00a0" + v},
		{runbooks.Bash, "echo {v}", "-" + v},
		{runbooks.Bash, "echo {v}", "[$" + v},
		{runbooks.Bash, "(( {v} ))", v},
		{runbooks.SQL, "SELECT '%{v}%'", v},
	} {
		_, err := render(t, tc.lang, tc.code, map[string]string{"v": tc.val})
		if err == nil {
			t.Errorf("%s %q: rendered, want a refusal", tc.lang, tc.code)
			continue
		}
		if strings.Contains(err.Error(), "SeCrEt") {
			t.Errorf("%s %q: the error holds the value: %v", tc.lang, tc.code, err)
		}
	}
}

// TestSQLMoreThanMaxRows: a query the runner stopped reading says "more
// than" instead of a count it does not have.
func TestSQLMoreThanMaxRows(t *testing.T) {
	rows := make([][]string, pg.MaxRows)
	for i := range rows {
		rows[i] = []string{strconv.Itoa(i)}
	}
	f := &fakeRunner{res: []pg.Result{
		{Columns: []string{"n"}, Rows: rows, Tag: "SELECT", Truncated: true},
		{Columns: []string{"id"}, Rows: rows, Tag: "UPDATE 1200", Truncated: true},
	}}
	var c collector
	res := Run(context.Background(), Backends{PG: f}, Rendered{Lang: runbooks.SQL, Text: "x"}, true, c.progress)
	if res.Err != nil || res.Summary != "more than 500 rows, UPDATE 1200" {
		t.Fatalf("result %+v", res)
	}
	out := c.all()
	if !slices.Contains(out, "(more than 500 rows, the first 500 shown)") || !slices.Contains(out, "(UPDATE 1200, the first 500 rows shown)") {
		t.Fatalf("output ends %q", out[len(out)-3:])
	}
}
