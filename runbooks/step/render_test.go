package step

import (
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"

	"github.com/warroom-dev/warroom/runbooks"
)

func render(t *testing.T, lang runbooks.Lang, code string, values map[string]string, vars ...runbooks.Variable) (Rendered, error) {
	t.Helper()
	return Render(runbooks.Step{Lang: lang, Code: code}, vars, values)
}

func TestRenderMissingValueNamesTheVariable(t *testing.T) {
	_, err := render(t, runbooks.Bash, "kubectl get pods -n {namespace} {pod}", map[string]string{"namespace": "x"})
	if err == nil || !strings.Contains(err.Error(), "{pod}") {
		t.Fatalf("err = %v, want one naming {pod}", err)
	}
}

func TestRenderOnlyTheStepsVars(t *testing.T) {
	// The parser decided {print} is not a variable (awk): it stays.
	s := runbooks.Step{Lang: runbooks.Bash, Code: "awk '{print}' {file}", Vars: []string{"file"}}
	r, err := Render(s, nil, map[string]string{"file": "a b"})
	if err != nil {
		t.Fatal(err)
	}
	if want := "awk '{print}' 'a b'"; r.Text != want {
		t.Fatalf("Text = %q, want %q", r.Text, want)
	}
}

func TestRenderRefusesNUL(t *testing.T) {
	for _, lang := range []runbooks.Lang{runbooks.Bash, runbooks.SQL, runbooks.PromQL} {
		if _, err := render(t, lang, "x {v}", map[string]string{"v": "a\x00b"}); err == nil || !strings.Contains(err.Error(), "NUL") {
			t.Errorf("%s: err = %v, want a NUL refusal", lang, err)
		}
	}
}

func TestRenderBashContexts(t *testing.T) {
	v := map[string]string{"v": "a b"}
	for _, tc := range []struct{ code, want string }{
		{"echo {v}", `echo 'a b'`},
		{"echo 'x{v}y'", `echo 'x''a b''y'`},
		{`echo "x{v}y"`, `echo "x"'a b'"y"`},
		{`echo $'x{v}y'`, `echo $'x''a b'$'y'`},
		{"# uses {v}\necho", "# uses 'a b'\necho"},
		{"x={v}; echo \"$x\"", `x='a b'; echo "$x"`},
		{`echo "$(printf %s {v})"`, `echo "$(printf %s 'a b')"`},
		{`echo \\{v}`, `echo \\'a b'`},
		{"case {v} in x) ;; esac", "case 'a b' in x) ;; esac"},
		{"f() { local n={v}; }", "f() { local n='a b'; }"},
	} {
		r, err := render(t, runbooks.Bash, tc.code, v)
		if err != nil {
			t.Errorf("%q: %v", tc.code, err)
			continue
		}
		if r.Text != tc.want {
			t.Errorf("%q:\n got %s\nwant %s", tc.code, r.Text, tc.want)
		}
	}
}

func TestRenderBashKeywordsAreQuoted(t *testing.T) {
	for _, v := range []string{"done", "if", "!", "}"} {
		r, err := render(t, runbooks.Bash, "{v} x", map[string]string{"v": v})
		if err != nil {
			t.Fatal(err)
		}
		if want := "'" + v + "' x"; r.Text != want {
			t.Errorf("%q: Text = %q, want %q", v, r.Text, want)
		}
	}
}

func TestRenderBashRefusesUnquotablePlaces(t *testing.T) {
	v := map[string]string{"v": "1", "w": "2"}
	for _, code := range []string{
		"echo $(( {v} + 1 ))",
		"(( {v} > 1 ))",
		"let x={v}",
		"for (( i={v}; i<3; i++ )); do :; done",
		"echo ${x:-{v}}",
		"cat <<EOF\n{v}\nEOF",
		"cat <<'EOF'\n{v}\nEOF",
		"echo `echo {v}`",
		"eval echo {v}",
		"[[ 1 -eq {v} ]]",
		"[[ -v {v} ]]",
		"declare -i n={v}",
		"a[{v}]=1",
		"{v}=1",
		"arr=([{v}]=x)",
		`echo \{v}`,
		`echo "\{v}"`,
		`echo $'\{v}'`,
		"for {v} in a; do :; done",
		"echo 'unterminated {v}",
	} {
		if r, err := render(t, runbooks.Bash, code, v); err == nil {
			t.Errorf("%q: rendered as %q, want a refusal", code, r.Text)
		}
	}
}

func TestRenderSecretsMasked(t *testing.T) {
	vars := []runbooks.Variable{{Name: "token", Secret: true}}
	r, err := render(t, runbooks.Bash, `curl -H "Authorization: Bearer {token}" {url}`,
		map[string]string{"token": "s3cr3t", "url": "http://x"}, vars...)
	if err != nil {
		t.Fatal(err)
	}
	// The script only refers to the value: it comes in the environment.
	if want := `curl -H "Authorization: Bearer ${WARROOM_SECRET_1}" http://x`; r.Text != want {
		t.Fatalf("Text = %q, want %q", r.Text, want)
	}
	if !reflect.DeepEqual(r.Env, []string{"WARROOM_SECRET_1=s3cr3t"}) {
		t.Fatalf("Env = %q", r.Env)
	}
	if got := strings.Join(r.Lines, "\n"); strings.Contains(got, "s3cr3t") || !strings.Contains(got, "‹token›") {
		t.Fatalf("Lines %q: the secret is not masked", got)
	}
	if !reflect.DeepEqual(r.Secrets, []string{"s3cr3t"}) {
		t.Fatalf("Secrets = %q", r.Secrets)
	}

	r, err = render(t, runbooks.SQL, "UPDATE api_keys SET revoked_at = now() WHERE key = '{token}'",
		map[string]string{"token": "s3cr3t"}, vars...)
	if err != nil {
		t.Fatal(err)
	}
	if got := strings.Join(r.Lines, "\n"); strings.Contains(got, "s3cr3t") || !strings.Contains(got, "-- $1 = ‹token›") {
		t.Fatalf("SQL Lines %q", got)
	}
	r, err = render(t, runbooks.PromQL, `up{token="{token}"}`, map[string]string{"token": "s3cr3t"}, vars...)
	if err != nil {
		t.Fatal(err)
	}
	if got := strings.Join(r.Lines, "\n"); strings.Contains(got, "s3cr3t") || !strings.Contains(got, "‹token›") {
		t.Fatalf("PromQL Lines %q", got)
	}
}

func TestRenderSQL(t *testing.T) {
	v := map[string]string{"key_id": "k'1", "user_id": "42", "d": "5 minutes", "n": "10"}
	for _, tc := range []struct {
		code, want string
		args       []any
		lines      []string
	}{
		{
			code: "UPDATE api_keys SET revoked_at = NOW() WHERE id = '{key_id}';\nUPDATE refresh_tokens SET revoked_at = NOW() WHERE user_id = '{user_id}';",
			want: "UPDATE api_keys SET revoked_at = NOW() WHERE id = $1;\nUPDATE refresh_tokens SET revoked_at = NOW() WHERE user_id = $2;",
			args: []any{"k'1", "42"},
			lines: []string{"UPDATE api_keys SET revoked_at = NOW() WHERE id = $1;", "UPDATE refresh_tokens SET revoked_at = NOW() WHERE user_id = $2;",
				"-- $1 = 'k''1'", "-- $2 = '42'"},
		},
		{code: "SELECT * FROM t WHERE a = {user_id} OR b = '{user_id}' LIMIT {n}", want: "SELECT * FROM t WHERE a = $1 OR b = $1 LIMIT $2", args: []any{"42", "10"}},
		{code: "SELECT now() - interval '{d}'", want: "SELECT now() - $1::interval", args: []any{"5 minutes"}},
		{code: "SELECT 1 -- for {n}\n/* {n} */", want: "SELECT 1 -- for {n}\n/* {n} */"},
		{code: "SELECT '{x}' AS \"{n}\"", want: ""}, // error: in an identifier
	} {
		vals := map[string]string{"x": "y"}
		for k, val := range v {
			vals[k] = val
		}
		r, err := render(t, runbooks.SQL, tc.code, vals)
		if tc.want == "" {
			if err == nil {
				t.Errorf("%q: rendered %q, want an error", tc.code, r.Text)
			}
			continue
		}
		if err != nil {
			t.Errorf("%q: %v", tc.code, err)
			continue
		}
		if r.Text != tc.want || !reflect.DeepEqual(r.Args, tc.args) {
			t.Errorf("%q:\n got %q %q\nwant %q %q", tc.code, r.Text, r.Args, tc.want, tc.args)
		}
		if tc.lines != nil && !reflect.DeepEqual(r.Lines, tc.lines) {
			t.Errorf("%q: Lines = %q, want %q", tc.code, r.Lines, tc.lines)
		}
	}
}

func TestRenderSQLRefusals(t *testing.T) {
	v := map[string]string{"v": "x"}
	for _, code := range []string{
		"SELECT * FROM t WHERE name LIKE '%{v}%'",
		"SELECT E'{v}'",
		`SELECT "{v}" FROM t`,
		"DO $$ BEGIN PERFORM '{v}'; END $$",
		"SELECT $1, '{v}'",
		"SELECT B'{v}'",
	} {
		if r, err := render(t, runbooks.SQL, code, v); err == nil {
			t.Errorf("%q: rendered %q, want a refusal", code, r.Text)
		}
	}
}

func TestRenderPromQL(t *testing.T) {
	for _, tc := range []struct {
		code, v, want string
	}{
		{`up{job="{v}"}`, `a"b\c` + "\n", `up{job="a\"b\\c\n"}`},
		{`up{job='{v}'}`, `it's`, `up{job='it\'s'}`},
		{"up{job=`{v}`}", `a"b`, "up{job=`a\"b`}"},
		{`rate(http_requests_total[{v}])`, "5m", `rate(http_requests_total[5m])`},
		{`{v}{job="api"}`, "http_requests_total", `http_requests_total{job="api"}`},
		{"up # {v}", "a b", "up # {v}"},
		{`rate(x[{v}])`, `5m]) or vector(1`, ""},
		{"up{job=`{v}`}", "a`b", ""},
	} {
		r, err := render(t, runbooks.PromQL, tc.code, map[string]string{"v": tc.v})
		if tc.want == "" {
			if err == nil {
				t.Errorf("%q with %q: rendered %q, want an error", tc.code, tc.v, r.Text)
			}
			continue
		}
		if err != nil {
			t.Errorf("%q with %q: %v", tc.code, tc.v, err)
			continue
		}
		if r.Text != tc.want {
			t.Errorf("%q with %q: got %s, want %s", tc.code, tc.v, r.Text, tc.want)
		}
	}
}

// TestShippedStepsRender renders every fenced step of the shipped
// runbooks with a value for each placeholder: none is refused.
func TestShippedStepsRender(t *testing.T) {
	files, err := filepath.Glob("../shipped/*.md")
	if err != nil || len(files) == 0 {
		t.Fatalf("no shipped runbooks: %v", err)
	}
	langs := map[string]runbooks.Lang{"bash": runbooks.Bash, "sh": runbooks.Bash, "shell": runbooks.Bash, "sql": runbooks.SQL, "promql": runbooks.PromQL}
	n := 0
	for _, f := range files {
		b, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		var lang runbooks.Lang
		var block []string
		indent := ""
		for _, l := range strings.Split(string(b), "\n") {
			trimmed := strings.TrimSpace(l)
			switch {
			case lang == "" && strings.HasPrefix(trimmed, "```"):
				info := strings.Fields(strings.TrimPrefix(trimmed, "```"))
				if len(info) > 0 && langs[info[0]] != "" {
					lang, block = langs[info[0]], nil
					indent = l[:len(l)-len(strings.TrimLeft(l, " "))]
				}
			case lang != "" && trimmed == "```":
				code := strings.Join(block, "\n")
				values := map[string]string{}
				for _, name := range runbooks.VarNames(code) {
					values[name] = "value-1"
				}
				if _, err := Render(runbooks.Step{Lang: lang, Code: code}, nil, values); err != nil {
					t.Errorf("%s: %s step %q: %v", filepath.Base(f), lang, code, err)
				}
				lang = ""
				n++
			case lang != "":
				block = append(block, strings.TrimPrefix(l, indent))
			}
		}
	}
	if n == 0 {
		t.Fatal("no steps found")
	}
}

func TestPromQLValuesReadable(t *testing.T) {
	for v, want := range map[float64]string{34.05225599999999: "34.0523", 1234567.4: "1234567", 0.000123: "0.000123", 8.4: "8.4"} {
		if got := value(v); got != want {
			t.Errorf("value(%v) = %q, want %q", v, got, want)
		}
	}
}
