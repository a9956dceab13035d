package runbooks

import (
	"path"
	"strings"

	"mvdan.cc/sh/v3/syntax"

	"github.com/warroom-dev/warroom/probes/pg"
)

// Detect reports whether a step's code changes the world in a way that is
// hard to undo, and what in it does ("kubectl rollout undo", "DELETE",
// "pg_terminate_backend"). It is a cheap reading, not a proof: a step that
// hides what it does (a script, eval) is not detected, which is what the
// fence's "destructive" mark is for.
//
//   - bash: kubectl rollout undo/restart/pause/resume, delete, scale (to 0
//     replicas said so), drain, cordon, uncordon, taint, set, patch,
//     apply, edit, replace, create, label, annotate, autoscale, and what
//     kubectl exec runs after "--"; aws operations that fail over, reboot,
//     delete, modify, stop, terminate, revoke… (aws s3 rm/rb/mv); rm;
//     psql -c (and a here-document fed to psql) with destructive SQL;
//     helm rollback/uninstall/upgrade/install; kill, pkill, killall;
//     systemctl stop/restart/…; docker rm/stop/kill/restart; reboot,
//     shutdown. Through sudo, xargs, env, timeout, nohup, watch, time and
//     in command substitutions; comments and quoted text are not commands.
//   - sql: statements that write or change the schema or privileges
//     (UPDATE, DELETE, INSERT, MERGE, DROP, TRUNCATE, ALTER (ALTER SYSTEM),
//     CREATE, GRANT, REVOKE, also after EXPLAIN ANALYZE or inside a CTE);
//     COPY (to or from a file or program, or into a table); VACUUM,
//     ANALYZE, REINDEX, CLUSTER (they take locks); CALL and DO (code the
//     step does not show); pg_terminate_backend, pg_cancel_backend,
//     pg_drop_replication_slot, pg_reload_conf, pg_switch_wal,
//     pg_rotate_logfile, pg_promote, set_config and the large-object
//     writers (lo_create, lo_import, lo_export, lo_unlink…);
//     case-insensitive, ignoring comments, string literals (E'…' with its
//     backslash escapes, $$…$$) and quoted identifiers ("SELECT … FOR
//     UPDATE" and "ON DELETE" are not writes).
//   - promql: never.
func Detect(lang Lang, code string) (destructive bool, why string) {
	switch lang {
	case Bash:
		why = detectBash(code)
	case SQL:
		why = detectSQL(code)
	}
	return why != "", why
}

var shParser = syntax.Variant(syntax.LangBash)

func detectBash(code string) string {
	f, err := syntax.NewParser(shParser).Parse(strings.NewReader(code), "")
	if err != nil {
		return detectBashLines(code)
	}
	why := ""
	syntax.Walk(f, func(n syntax.Node) bool {
		if why != "" {
			return false
		}
		st, ok := n.(*syntax.Stmt)
		if !ok {
			return true
		}
		call, ok := st.Cmd.(*syntax.CallExpr)
		if !ok {
			return true
		}
		args := make([]string, 0, len(call.Args))
		for _, w := range call.Args {
			args = append(args, wordText(w))
		}
		if why = detectCmd(args); why != "" {
			return false
		}
		// SQL fed to psql in a here-document.
		if u := unwrap(args); len(u) > 0 && path.Base(u[0]) == "psql" {
			for _, r := range st.Redirs {
				if r.Hdoc != nil {
					if w := detectSQL(wordText(r.Hdoc)); w != "" {
						why = "psql: " + w
						return false
					}
				}
			}
		}
		return true
	})
	return why
}

// detectBashLines is the fallback for code the shell parser rejects: each
// line split at ; | & into words.
func detectBashLines(code string) string {
	for _, l := range strings.Split(code, "\n") {
		l = strings.TrimSpace(l)
		if strings.HasPrefix(l, "#") {
			continue
		}
		for _, part := range strings.FieldsFunc(l, func(r rune) bool { return r == ';' || r == '|' || r == '&' }) {
			var args []string
			for _, w := range strings.Fields(part) {
				args = append(args, strings.Trim(w, `"'`))
			}
			if why := detectCmd(args); why != "" {
				return why
			}
		}
	}
	return ""
}

// wordText is a word as the command sees it, as far as it is literal;
// expansions are kept as "$".
func wordText(w *syntax.Word) string {
	var b strings.Builder
	var parts func([]syntax.WordPart)
	parts = func(ps []syntax.WordPart) {
		for _, p := range ps {
			switch p := p.(type) {
			case *syntax.Lit:
				b.WriteString(p.Value)
			case *syntax.SglQuoted:
				b.WriteString(p.Value)
			case *syntax.DblQuoted:
				parts(p.Parts)
			default:
				b.WriteString("$")
			}
		}
	}
	parts(w.Parts)
	return b.String()
}

// unwrap drops the commands that run another one: sudo, xargs, env,
// timeout, nohup, watch, time, command, exec.
func unwrap(args []string) []string {
	for len(args) > 0 {
		name := path.Base(args[0])
		valueFlags := ""
		switch name {
		case "sudo":
			valueFlags = " -u -g -C -D -h -p -r -t -U "
		case "xargs":
			valueFlags = " -I -n -P -L -d -E -s -a "
		case "watch":
			valueFlags = " -n -d "
		case "timeout":
			valueFlags = " -s -k "
		case "env", "nohup", "time", "command", "exec", "nice", "ionice", "stdbuf":
			valueFlags = " -u -n -c -i -o -e "
		default:
			return args
		}
		args = args[1:]
		for len(args) > 0 && strings.HasPrefix(args[0], "-") {
			if strings.Contains(valueFlags, " "+args[0]+" ") && len(args) > 1 {
				args = args[1:]
			}
			args = args[1:]
		}
		if name == "env" {
			for len(args) > 0 && strings.Contains(args[0], "=") {
				args = args[1:]
			}
		}
		if name == "timeout" && len(args) > 0 {
			args = args[1:] // the duration
		}
	}
	return args
}

// kubectl flags that take the next word as their value.
var kubectlValueFlags = map[string]bool{
	"-n": true, "--namespace": true, "--context": true, "--cluster": true, "--user": true,
	"--kubeconfig": true, "-s": true, "--server": true, "--token": true, "-l": true,
	"--selector": true, "-c": true, "--container": true, "-o": true, "--output": true,
	"-f": true, "--filename": true, "--as": true, "--as-group": true, "--request-timeout": true,
	"--field-selector": true, "--since": true, "--tail": true, "--timeout": true,
	"--replicas": true, "--type": true, "-p": true, "--patch": true, "--to-revision": true,
	"--grace-period": true, "--current-replicas": true, "--resource-version": true,
}

var kubectlDestructive = map[string]bool{
	"delete": true, "scale": true, "drain": true, "cordon": true, "uncordon": true,
	"taint": true, "set": true, "patch": true, "apply": true, "edit": true,
	"replace": true, "create": true, "label": true, "annotate": true, "autoscale": true,
	"rollout": true,
}

// detectCmd says what makes one simple command destructive, or "".
func detectCmd(args []string) string {
	args = unwrap(args)
	if len(args) == 0 {
		return ""
	}
	name := path.Base(args[0])
	rest := args[1:]
	switch name {
	case "kubectl", "oc":
		return detectKubectl(name, rest)
	case "aws":
		return detectAWS(rest)
	case "rm":
		for _, a := range rest {
			if a == "--recursive" || strings.HasPrefix(a, "-") && !strings.HasPrefix(a, "--") && strings.ContainsAny(a, "rR") {
				return "rm -r"
			}
		}
		return "rm"
	case "psql":
		for i, a := range rest {
			var sql string
			switch {
			case (a == "-c" || a == "--command") && i+1 < len(rest):
				sql = rest[i+1]
			case strings.HasPrefix(a, "--command="):
				sql = strings.TrimPrefix(a, "--command=")
			case strings.HasPrefix(a, "-c") && len(a) > 2:
				sql = a[2:]
			}
			if w := detectSQL(sql); w != "" {
				return "psql: " + w
			}
		}
	case "helm":
		if sub := positional(rest, nil); len(sub) > 0 {
			switch sub[0] {
			case "rollback", "uninstall", "delete", "del", "un", "upgrade", "install":
				return "helm " + sub[0]
			}
		}
	case "kill", "pkill", "killall":
		return name
	case "systemctl", "service":
		for _, a := range positional(rest, nil) {
			switch a {
			case "stop", "restart", "kill", "disable", "mask", "reload", "try-restart", "reload-or-restart":
				return name + " " + a
			}
		}
	case "docker", "podman":
		if sub := positional(rest, nil); len(sub) > 0 {
			switch sub[0] {
			case "rm", "rmi", "stop", "kill", "restart":
				return name + " " + sub[0]
			}
		}
	case "reboot", "shutdown", "halt", "poweroff":
		return name
	}
	return ""
}

// positional are the words that are not flags (nor values of valueFlags).
func positional(args []string, valueFlags map[string]bool) []string {
	var out []string
	for i := 0; i < len(args); i++ {
		a := args[i]
		if a == "--" {
			break
		}
		if strings.HasPrefix(a, "-") && len(a) > 1 {
			if valueFlags[a] {
				i++
			}
			continue
		}
		out = append(out, a)
	}
	return out
}

func detectKubectl(name string, args []string) string {
	pos := positional(args, kubectlValueFlags)
	if len(pos) == 0 {
		return ""
	}
	sub := pos[0]
	switch {
	case sub == "exec":
		for i, a := range args {
			if a == "--" {
				if w := detectCmd(args[i+1:]); w != "" {
					return name + " exec: " + w
				}
				break
			}
		}
		return ""
	case sub == "rollout":
		if len(pos) > 1 {
			switch pos[1] {
			case "undo", "restart", "pause", "resume":
				return name + " rollout " + pos[1]
			}
		}
		return ""
	case sub == "set" && len(pos) > 1:
		return name + " set " + pos[1]
	case sub == "scale":
		for i, a := range args {
			if a == "--replicas=0" || a == "--replicas" && i+1 < len(args) && args[i+1] == "0" {
				return name + " scale to 0 replicas"
			}
		}
		return name + " scale"
	case kubectlDestructive[sub]:
		return name + " " + sub
	}
	return ""
}

var awsValueFlags = map[string]bool{
	"--region": true, "--profile": true, "--output": true, "--endpoint-url": true,
	"--query": true, "--color": true, "--ca-bundle": true, "--cli-read-timeout": true,
	"--cli-connect-timeout": true,
}

// awsVerbs start the aws CLI operations that change things hard to undo.
var awsVerbs = []string{
	"failover", "reboot", "delete", "modify", "stop", "terminate", "revoke",
	"promote", "reset", "remove", "detach", "disable", "deregister", "switchover",
	"start-failover", "update", "put",
}

func detectAWS(args []string) string {
	pos := positional(args, awsValueFlags)
	if len(pos) < 2 {
		return ""
	}
	service, op := pos[0], pos[1]
	if service == "s3" {
		switch op {
		case "rm", "rb", "mv":
			return "aws s3 " + op
		}
		return ""
	}
	for _, v := range awsVerbs {
		if op == v || strings.HasPrefix(op, v+"-") {
			return "aws " + service + " " + op
		}
	}
	return ""
}

// sqlWrites are the statements that write, or change the schema or
// privileges.
var sqlWrites = map[string]bool{
	"UPDATE": true, "DELETE": true, "INSERT": true, "MERGE": true, "DROP": true,
	"TRUNCATE": true, "ALTER": true, "CREATE": true, "GRANT": true, "REVOKE": true,
}

// sqlStatements are destructive only as a statement of their own (not
// after EXPLAIN, not as a word elsewhere): they take heavy locks (VACUUM,
// ANALYZE, REINDEX, CLUSTER), run code the step does not show (CALL,
// DO), or read or write files and programs on the server (COPY).
var sqlStatements = map[string]bool{
	"VACUUM": true, "ANALYZE": true, "ANALYSE": true, "REINDEX": true, "CLUSTER": true,
	"CALL": true, "DO": true, "COPY": true,
}

// sqlFuncs are the functions that signal backends, change the server's
// configuration or files, or write large objects.
var sqlFuncs = map[string]bool{
	"PG_TERMINATE_BACKEND": true, "PG_CANCEL_BACKEND": true, "PG_DROP_REPLICATION_SLOT": true,
	"PG_RELOAD_CONF": true, "PG_SWITCH_WAL": true, "PG_SWITCH_XLOG": true, "PG_ROTATE_LOGFILE": true,
	"PG_PROMOTE": true, "SET_CONFIG": true,
	"LO_CREAT": true, "LO_CREATE": true, "LO_IMPORT": true, "LO_EXPORT": true, "LO_UNLINK": true,
	"LO_PUT": true, "LO_FROM_BYTEA": true, "LO_TRUNCATE": true, "LO_TRUNCATE64": true, "LOWRITE": true,
}

// detectSQL reads SQL as tokens, skipping comments, strings and quoted
// identifiers: a write keyword counts where a statement starts (the
// beginning, after ';', '(' or ')' as in a CTE, after EXPLAIN ANALYZE);
// VACUUM, ANALYZE, REINDEX, CLUSTER, CALL, DO and COPY at the beginning
// or after ';'; the functions of sqlFuncs anywhere.
func detectSQL(code string) string {
	toks := sqlTokens(code)
	for i, w := range toks {
		prev := ";"
		if i > 0 {
			prev = toks[i-1]
		}
		next := ""
		if i+1 < len(toks) {
			next = toks[i+1]
		}
		if sqlFuncs[w] {
			return strings.ToLower(w)
		}
		if sqlStatements[w] && prev == ";" {
			if w == "COPY" {
				return copyDirection(toks[i+1:])
			}
			return w
		}
		if sqlWrites[w] {
			switch prev {
			case ";", "(", ")", "ANALYZE", "VERBOSE", "EXPLAIN":
				if w == "ALTER" && next == "SYSTEM" {
					return "ALTER SYSTEM"
				}
				return w
			}
		}
	}
	return ""
}

// copyDirection says what a COPY does, from the tokens after COPY.
func copyDirection(toks []string) string {
	depth := 0
	for i, t := range toks {
		switch t {
		case "(":
			depth++
		case ")":
			depth--
		case ";":
			return "COPY"
		case "TO", "FROM":
			if depth == 0 {
				if i+1 < len(toks) && toks[i+1] == "PROGRAM" {
					return "COPY " + t + " PROGRAM"
				}
				return "COPY " + t
			}
		}
	}
	return "COPY"
}

// sqlTokens cuts SQL into tokens: words upper-cased, "'" for a string,
// a quoted identifier or a dollar-quoted body, "$" for a parameter, other
// characters one by one; comments and whitespace dropped. Quotes and
// comments are found by pg.Lex, as PostgreSQL's lexer sees them.
func sqlTokens(sql string) []string {
	var out []string
	for _, sp := range pg.Lex(sql) {
		switch sp.Kind {
		case pg.SpanComment:
			continue
		case pg.SpanCode:
		default:
			out = append(out, "'")
			continue
		}
		code := sql[sp.Start:sp.End]
		for i := 0; i < len(code); {
			c := code[i]
			switch {
			case c == '$':
				i++
				for i < len(code) && isDigit(code[i]) {
					i++
				}
				out = append(out, "$")
			case isIdentStart(c):
				j := i
				for j < len(code) && isIdent(code[j]) {
					j++
				}
				out = append(out, strings.ToUpper(code[i:j]))
				i = j
			case c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\f':
				i++
			default:
				out = append(out, string(c))
				i++
			}
		}
	}
	return out
}

func isDigit(c byte) bool { return c >= '0' && c <= '9' }
func isIdentStart(c byte) bool {
	return c == '_' || c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= 0x80
}
func isIdent(c byte) bool { return isIdentStart(c) || isDigit(c) || c == '$' }
