package incident

import (
	"regexp"
	"strings"
	"unicode"

	"github.com/warroom-dev/warroom/internal/sanitize"
)

// mask replaces a secret.
const mask = "xxxxx"

// SecretMask replaces a value known to be secret (a runbook variable
// marked secret) wherever the console shows or writes it: the step
// runner, the shell and the report use this one.
const SecretMask = "‹secret›"

// secretKey matches the end of a key name that holds a secret in
// key=value and JSON form: password, db_password, PGPASSWORD, MYSQL_PWD,
// passphrase, access_token, X-Amz-Security-Token, api_key, client_secret,
// aws_secret_access_key, SecretAccessKey, X-Amz-Signature, sig (Azure
// SAS)...
const secretKey = `[a-z0-9_.-]*?(?:password|passwd|passphrase|pwd|secret|token|api[_-]?key|apikey|secret[_-]?key|secret[_-]?access[_-]?key|private[_-]?key|signature|sig)`

// colonKey is the narrower list for "key: value" (YAML, headers, prose):
// no pwd, sig or signature, which read as ordinary words there
// ("Signature: J. Smith").
const colonKey = `[a-z0-9_.-]*?(?:password|passwd|passphrase|secret|token|api[_-]?key|apikey|secret[_-]?key|secret[_-]?access[_-]?key|private[_-]?key)`

// quotedValue is a '…' or "…" value on one line (a quote left open does
// not swallow the lines after it).
const quotedValue = `'(?:[^'\\\n]|\\.)*'|"(?:[^"\\\n]|\\.)*"`

// A redaction is one named pattern. In every match of re, the first
// participating group named "s" is the secret and is replaced by mask; a
// group named "k", if any, is the key it belongs to (for ok).
type redaction struct {
	name string
	re   *regexp.Regexp
	// hints: lowercase strings of which any match contains at least one;
	// re runs only on text containing one, which keeps Redact cheap on
	// the long outputs and many events a journal holds.
	hints []string
	// ok, if set, decides from the key, the secret and the text after it
	// whether to redact, to leave ordinary words alone. A refused match
	// is searched again from its secret, so "token: password: x" still
	// finds the password.
	ok func(key, secret, rest string) bool
	// quoted: the secret may be wrapped in ' or "; keep the quotes.
	quoted bool
	// inner, if set, is applied to the secret instead of masking all of
	// it (a Cookie header: each cookie's value, not the names).
	inner *redaction
	// multiLine: matches may span lines (every other pattern stays on
	// one line and is applied line by line).
	multiLine bool
}

// redactions is the table, applied in order. docs/redaction.md lists every
// name with examples; TestRedactionsDocumented keeps the two in step.
var redactions = []redaction{
	// scheme://user:PASS@host — password may contain '@' but not / ? # or space.
	{name: "url-userinfo", re: regexp.MustCompile(`[a-zA-Z][a-zA-Z0-9+.-]*://[^:/?#@\s]*:(?P<s>[^\s/?#]+)@`), hints: []string{"://"}},
	// Authorization: Bearer X / Basic X / token X (HTTP header, also quoted JSON form).
	{name: "authorization-header", re: regexp.MustCompile(`(?i)\bauthorization["']?[ \t]*[:=][ \t]*["']?(?:bearer|basic|token|digest|negotiate|ntlm|aws4-hmac-sha256)[ \t]+(?P<s>[^\s"']+)`), hints: []string{"authorization"}},
	// X-Api-Key: X, X-Auth-Token: X headers.
	{name: "api-key-header", re: regexp.MustCompile(`(?i)\bx-(?:api-key|auth-token|access-token)["']?[ \t]*:[ \t]*["']?(?P<s>[^\s"']+)`), hints: []string{"x-api-key", "x-auth-token", "x-access-token"}},
	// Bare "Bearer X": only when X looks like a credential, so
	// "bearer of bad news" stays intact.
	{name: "bearer", re: regexp.MustCompile(`(?i)\bbearer[ \t]+(?P<s>[A-Za-z0-9\-._~+/]+=*)`), hints: []string{"bearer"},
		ok: func(_, s, _ string) bool { return tokenish(s) }},
	// Cookie: a=X; b=Y and Set-Cookie: sid=X; Path=/ — each cookie's value,
	// not the attributes (Path, Expires...).
	{name: "cookie-header", re: regexp.MustCompile(`(?i)\b(?:set-)?cookie["']?[ \t]*:[ \t]*(?P<s>[^\n\r"']+)`), hints: []string{"cookie"},
		inner: &redaction{name: "cookie-value", re: regexp.MustCompile(`(?:^|[;,])[ \t]*(?P<k>[^=;,\s]+)=(?P<s>[^;,\s]+)`),
			ok: func(k, _, _ string) bool { return !cookieAttributes[strings.ToLower(k)] }}},
	// "SecretAccessKey": "..." / SecretAccessKey: ... (AWS CLI JSON/YAML/text output): 40-char base64-ish.
	{name: "aws-secret-access-key", re: regexp.MustCompile(`(?i)secret_?access_?key["']?[ \t]*[:=][ \t]*["']?(?P<s>[A-Za-z0-9/+]{40})(?:[^A-Za-z0-9/+]|$)`), hints: []string{"secret"}},
	// JSON "password": "...", "access_token": "...".
	{name: "json-key", re: regexp.MustCompile(`(?i)"` + secretKey + `"[ \t]*:[ \t]*(?P<s>"(?:[^"\\\n]|\\.)+")`), quoted: true,
		hints: []string{"pass", "pwd", "secret", "token", "key", "sig"}},
	// key=value: libpq DSN password=... / password='...', PGPASSWORD=...,
	// MYSQL_PWD=..., Pwd=... (ODBC), passphrase=..., query ?token=...&,
	// aws_secret_access_key = ..., --password=... Space after '=' only
	// together with space before it (ini style), so "password= host=db"
	// does not swallow the next pair. The shell's PWD and OLDPWD are
	// directories, not passwords.
	{name: "key-value", re: regexp.MustCompile(`(?i)\b(?P<k>` + secretKey + `)(?:[ \t]*=|[ \t]+=[ \t]+)(?P<s>` + quotedValue + `|[^\s&;"'` + "`" + `]+)`), quoted: true,
		hints: []string{"pass", "pwd", "secret", "token", "key", "sig"},
		ok:    func(k, _, _ string) bool { return k != "PWD" && k != "OLDPWD" }},
	// key: value (YAML, logs, headers), also quoted: password: x,
	// "token": 'x', api_key: "x". An unquoted value of letters only
	// followed by more words is prose ("Password: reset flow broken").
	{name: "colon-key", re: regexp.MustCompile(`(?i)\b(?P<k>` + colonKey + `)["']?[ \t]*:[ \t]*(?P<s>` + quotedValue + `|[^\s,;"'{}\[\]]+)`), quoted: true,
		hints: []string{"pass", "secret", "token", "key"}, ok: plausible},
	// PGPASSWORD x, MYSQL_PWD x, set -x GITHUB_TOKEN x: an upper-case
	// secret variable, a space, a value (fish, csh, notes). Same prose
	// rule as colon-key ("GITHUB_TOKEN expired yesterday" stays).
	{name: "env-space", re: regexp.MustCompile(`\b(?P<k>[A-Z0-9_]*(?:PASSWORD|PASSWD|_PWD|PASSPHRASE|SECRET|TOKEN|API_KEY|SECRET_KEY|SECRET_ACCESS_KEY))[ \t]+(?P<s>` + quotedValue + `|[^\s'"=,;]+)`), quoted: true,
		hints: []string{"pass", "pwd", "secret", "token", "api_key"}, ok: plausible},
	// --password X, --token X (command lines).
	{name: "flag", re: regexp.MustCompile(`(?i)(?:^|\s)--[a-z0-9-]*(?:password|passwd|passphrase|token|secret|api-key)[ \t]+(?P<s>[^\s-]\S*)`),
		hints: []string{"--"}},
	// mysql -pSECRET (also mysqldump, mysqladmin, mariadb…): only the
	// attached form; "mysql -p db" prompts and names a database, and -P
	// is the port.
	{name: "mysql-p", re: regexp.MustCompile(`\b(?:mysql[a-z]*|mariadb(?:-[a-z]+)?)\b[^\n|;&]*?[ \t]-p(?P<s>` + quotedValue + `|[^\s'"]\S*)`), quoted: true,
		hints: []string{"mysql", "mariadb"}},
	// sshpass -p SECRET / -pSECRET.
	{name: "sshpass-p", re: regexp.MustCompile(`\bsshpass\b[^\n|;&]*?[ \t]-p[ \t]*(?P<s>` + quotedValue + `|[^\s'"]\S*)`), quoted: true,
		hints: []string{"sshpass"}},
	// redis-cli -a SECRET / --pass SECRET.
	{name: "redis-cli-a", re: regexp.MustCompile(`\bredis-cli\b[^\n|;&]*?[ \t](?:-a|--pass)[ \t]+(?P<s>` + quotedValue + `|[^\s'"]\S*)`), quoted: true,
		hints: []string{"redis-cli"}},
	// curl -u user:SECRET, --user user:SECRET, --proxy-user, -U; a bare
	// user (curl then prompts) has nothing to hide.
	{name: "curl-user", re: regexp.MustCompile(`\bcurl\b[^\n|;&]*?[ \t](?:-u[ \t]*|-U[ \t]*|--user(?:[ \t]+|=)|--proxy-user(?:[ \t]+|=))` +
		`(?:'[^':\n]*:(?P<s>[^'\n]+)'|"[^":\n]*:(?P<s>[^"\n]+)"|[^\s:'"]*:(?P<s>[^\s'"]+))`),
		hints: []string{"curl"}},
	// AWS access key ids.
	{name: "aws-access-key-id", re: regexp.MustCompile(`\b(?:AKIA|ASIA)(?P<s>[A-Z0-9]{16})\b`), hints: []string{"akia", "asia"}},
	// Well-known token formats.
	{name: "github-token", re: regexp.MustCompile(`\bgh[pousr]_(?P<s>[A-Za-z0-9]{30,})\b`), hints: []string{"ghp_", "gho_", "ghu_", "ghs_", "ghr_"}},
	{name: "github-pat", re: regexp.MustCompile(`\bgithub_pat_(?P<s>[A-Za-z0-9_]{30,})`), hints: []string{"github_pat_"}},
	{name: "gitlab-token", re: regexp.MustCompile(`\bgl(?:pat|rt|dt)-(?P<s>[A-Za-z0-9_-]{20,})`), hints: []string{"glpat-", "glrt-", "gldt-"}},
	{name: "slack-token", re: regexp.MustCompile(`\bxox[abposr]-(?P<s>[A-Za-z0-9-]{10,})`), hints: []string{"xox"}},
	{name: "openai-key", re: regexp.MustCompile(`\bsk-(?P<s>(?:proj-|ant-)?[A-Za-z0-9_-]{20,})`), hints: []string{"sk-"}},
	// Stripe secret and restricted keys, webhook secrets; pk_ keys are
	// publishable (public) and stay.
	{name: "stripe-key", re: regexp.MustCompile(`\b(?:sk|rk)_(?:live|test)_(?P<s>[0-9A-Za-z]{10,})|\bwhsec_(?P<s>[0-9A-Za-z]{20,})`), hints: []string{"sk_", "rk_", "whsec_"}},
	{name: "google-api-key", re: regexp.MustCompile(`\bAIza(?P<s>[0-9A-Za-z_-]{35})`), hints: []string{"aiza"}},
	{name: "npm-token", re: regexp.MustCompile(`\bnpm_(?P<s>[A-Za-z0-9]{36})`), hints: []string{"npm_"}},
	{name: "jwt", re: regexp.MustCompile(`\b(?P<s>eyJ[A-Za-z0-9_-]{8,}\.[A-Za-z0-9_-]{8,}\.[A-Za-z0-9_-]{8,})`), hints: []string{"eyj"}},
	{name: "private-key-block", re: regexp.MustCompile(`-----BEGIN [A-Z ]*PRIVATE KEY-----(?P<s>[\s\S]*?)-----END [A-Z ]*PRIVATE KEY-----`), hints: []string{"private key"}, multiLine: true},
}

// hints indexes every pattern's hints by their first two bytes, so
// Redact finds which patterns may match a text in one pass over it
// rather than one search per hint. Built once; never changed.
var hints = newHintIndex(redactions)

type hintIndex struct {
	pairs     [1 << 16 / 64]uint64 // a bit per first-two-bytes of a hint
	byPair    map[uint16][]hintRef
	always    uint64 // patterns without hints
	multiLine uint64 // patterns that span lines
}

type hintRef struct {
	hint string
	bit  uint64
}

func newHintIndex(rs []redaction) *hintIndex {
	if len(rs) > 64 {
		panic("incident: more than 64 redactions: Redact's candidate mask holds 64")
	}
	x := &hintIndex{byPair: map[uint16][]hintRef{}}
	for i, r := range rs {
		bit := uint64(1) << i
		if r.multiLine {
			x.multiLine |= bit
		}
		if len(r.hints) == 0 {
			x.always |= bit
		}
		for _, h := range r.hints {
			if len(h) < 2 {
				panic("redaction " + r.name + ": a hint needs two bytes: " + h)
			}
			p := uint16(h[0])<<8 | uint16(h[1])
			x.pairs[p>>6] |= 1 << (p & 63)
			x.byPair[p] = append(x.byPair[p], hintRef{hint: h, bit: bit})
		}
	}
	return x
}

// scan returns a bit per pattern (by index) whose hints low holds, or
// that has none.
func (x *hintIndex) scan(low string) uint64 {
	found := x.always
	for i := 0; i+1 < len(low); i++ {
		p := uint16(low[i])<<8 | uint16(low[i+1])
		if x.pairs[p>>6]&(1<<(p&63)) == 0 {
			continue
		}
		for _, h := range x.byPair[p] {
			if found&h.bit == 0 && strings.HasPrefix(low[i:], h.hint) {
				found |= h.bit
			}
		}
	}
	return found
}

// cookieAttributes are Set-Cookie attributes, not cookies.
var cookieAttributes = map[string]bool{"path": true, "domain": true, "expires": true, "max-age": true,
	"samesite": true, "secure": true, "httponly": true, "partitioned": true, "priority": true}

// tokenish reports whether s looks like a credential rather than a word:
// long, or reasonably long with a digit or token punctuation.
func tokenish(s string) bool {
	if s == mask {
		return false
	}
	if len(s) >= 20 {
		return true
	}
	return len(s) >= 8 && strings.ContainsAny(s, "0123456789-._~+/=")
}

// plausible decides whether the value after "password:" or "PGPASSWORD "
// is a secret rather than the next word of a sentence: a quoted value, a
// value with anything but letters in it, or a word that ends its line or
// clause ("password: hunter" but not "Password: reset flow broken"), and
// not the next key.
func plausible(_, s, rest string) bool {
	if s[0] == '\'' || s[0] == '"' {
		return true // quoted (the quotes are the group's ends)
	}
	if strings.HasSuffix(s, ":") {
		return false // a key ("token: password: x"), searched again
	}
	for _, r := range s {
		if !unicode.IsLetter(r) {
			return true
		}
	}
	rest = strings.TrimLeft(rest, " \t")
	return rest == "" || strings.ContainsRune("\n\r,;}]", rune(rest[0]))
}

// maxPasses bounds Redact's passes to a fixed point (one masking can make
// another pattern's match visible; in practice a second pass finds none).
const maxPasses = 4

// Redact hides secrets in s: the patterns of the table above, described
// with examples (and what is not caught) in docs/redaction.md. Text
// without such a pattern ("password reset flow broken") is returned
// unchanged. Redact is idempotent.
//
// Only private-key-block spans lines; every other pattern is applied line
// by line, and only to lines holding one of its hints, so long command
// output with a secret on one line costs little more than that line.
func Redact(s string) string {
	if s == "" {
		return s
	}
	// The patterns whose hints are anywhere in s, found in one pass: a
	// line can only hold a hint the whole text holds, and a mask (xxxxx)
	// never makes one, so the others are not looked for line by line.
	// Most text has none: it is returned at once.
	cand := hints.scan(fold(s))
	if cand == 0 {
		return s
	}
	for i := range redactions {
		if r := &redactions[i]; r.multiLine && cand&(1<<i) != 0 {
			s = r.apply(s)
		}
	}
	cand &^= hints.multiLine
	var b strings.Builder
	changed := false
	for rest := s; ; {
		line, tail, more := strings.Cut(rest, "\n")
		out := redactLine(line, cand)
		if out != line && !changed {
			changed = true
			b.Grow(len(s) + 16)
			b.WriteString(s[:len(s)-len(rest)])
		}
		if changed {
			b.WriteString(out)
			if more {
				b.WriteByte('\n')
			}
		}
		if !more {
			break
		}
		rest = tail
	}
	if !changed {
		return s
	}
	return b.String()
}

// redactLine applies the one-line patterns of cand (a bit per index in
// redactions) to a line until none changes it.
func redactLine(s string, cand uint64) string {
	for range maxPasses {
		changed := false
		low := fold(s)
		for i := range redactions {
			r := &redactions[i]
			if cand&(1<<i) == 0 || !r.mayMatch(low) {
				continue
			}
			if out := r.apply(s); out != s {
				s, changed = out, true
				low = fold(s)
			}
		}
		if !changed {
			break
		}
	}
	return s
}

// fold lower-cases s for the hints as (?i) matching does (the long s ſ
// matches s there, and K, the Kelvin sign, lowers to k).
func fold(s string) string {
	return strings.ReplaceAll(strings.ToLower(s), "ſ", "s")
}

func (r *redaction) mayMatch(low string) bool {
	if len(r.hints) == 0 {
		return true
	}
	for _, h := range r.hints {
		if strings.Contains(low, h) {
			return true
		}
	}
	return false
}

// group returns the span of the first participating submatch named name.
func (r *redaction) group(m []int, name string) (start, end int) {
	for i, n := range r.re.SubexpNames() {
		if n == name && m[2*i] >= 0 {
			return m[2*i], m[2*i+1]
		}
	}
	return -1, -1
}

func (r *redaction) apply(s string) string {
	var b strings.Builder
	last := 0
	for pos := 0; pos <= len(s); {
		m := r.re.FindStringSubmatchIndex(s[pos:])
		if m == nil {
			break
		}
		for i := range m {
			if m[i] >= 0 {
				m[i] += pos
			}
		}
		next := m[1]
		if next == m[0] {
			next++ // an empty match: step over it
		}
		start, end := r.group(m, "s")
		if start < 0 {
			pos = next
			continue
		}
		key := ""
		if ks, ke := r.group(m, "k"); ks >= 0 {
			key = s[ks:ke]
		}
		rest := s[end:]
		if r.quoted && end-start >= 2 && (s[start] == '\'' || s[start] == '"') && s[end-1] == s[start] {
			start, end = start+1, end-1
		}
		secret := s[start:end]
		if r.inner != nil {
			if out := r.inner.apply(secret); out != secret {
				b.WriteString(s[last:start])
				b.WriteString(out)
				last = end
			}
			pos = next
			continue
		}
		okArg := secret
		if r.quoted && start > 0 && end < len(s) && s[start-1] == s[end] && (s[end] == '\'' || s[end] == '"') {
			okArg = s[start-1 : end+1] // let ok see the quotes
		}
		if secret == "" || secret == mask || (r.ok != nil && !r.ok(key, okArg, rest)) {
			// Refused: the secret may itself start a match.
			if start > m[0] && start < next {
				next = start
			}
			pos = next
			continue
		}
		b.WriteString(s[last:start])
		b.WriteString(mask)
		last = end
		pos = next
	}
	if last == 0 {
		return s
	}
	b.WriteString(s[last:])
	return b.String()
}

// Clean makes outside text safe for one line of a log or a screen:
// terminal controls stripped first (so an escape sequence cannot hide a
// secret from Redact), then secrets redacted.
func Clean(s string) string { return Redact(sanitize.Line(s)) }
