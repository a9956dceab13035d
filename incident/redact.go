package incident

import (
	"regexp"
	"strings"

	"github.com/warroom-dev/warroom/internal/sanitize"
)

// mask replaces a secret.
const mask = "xxxxx"

// secretKey matches the end of a key name that holds a secret: password,
// db_password, PGPASSWORD, access_token, X-Amz-Security-Token, api_key,
// client_secret, aws_secret_access_key, SecretAccessKey, X-Amz-Signature,
// sig (Azure SAS)...
const secretKey = `[a-z0-9_.-]*?(?:password|passwd|secret|token|api[_-]?key|apikey|secret[_-]?key|secret[_-]?access[_-]?key|private[_-]?key|signature|sig)`

// redaction is one rule: every match of re has its submatch groups listed
// in secret replaced by mask (or, with keep, by keep(match)).
type redaction struct {
	name string
	re   *regexp.Regexp
	// group is the submatch index holding the secret.
	group int
	// ok, if set, decides from the secret whether to redact (to leave
	// ordinary words alone).
	ok func(secret string) bool
	// quoted: the secret group may be wrapped in ' or "; keep the quotes.
	quoted bool
}

var redactions = []redaction{
	// scheme://user:PASS@host — password may contain '@' but not / ? # or space.
	{name: "url-userinfo", re: regexp.MustCompile(`[a-zA-Z][a-zA-Z0-9+.-]*://[^:/?#@\s]*:([^\s/?#]+)@`), group: 1},
	// Authorization: Bearer X / Basic X / token X (HTTP header, also quoted JSON form).
	{name: "authorization-header", re: regexp.MustCompile(`(?i)\bauthorization["']?[ \t]*[:=][ \t]*["']?(?:bearer|basic|token|digest|negotiate|ntlm|aws4-hmac-sha256)[ \t]+([^\s"']+)`), group: 1},
	// X-Api-Key: X, X-Auth-Token: X headers.
	{name: "api-key-header", re: regexp.MustCompile(`(?i)\bx-(?:api-key|auth-token|access-token)["']?[ \t]*:[ \t]*["']?([^\s"']+)`), group: 1},
	// Bare "Bearer X": only when X looks like a credential, so
	// "bearer of bad news" stays intact.
	{name: "bearer", re: regexp.MustCompile(`(?i)\bbearer[ \t]+([A-Za-z0-9\-._~+/]+=*)`), group: 1, ok: tokenish},
	// "SecretAccessKey": "..." / SecretAccessKey: ... (AWS CLI JSON/YAML/text output): 40-char base64-ish.
	{name: "aws-secret-access-key", re: regexp.MustCompile(`(?i)secret_?access_?key["']?[ \t]*[:=][ \t]*["']?([A-Za-z0-9/+]{40})(?:[^A-Za-z0-9/+]|$)`), group: 1},
	// JSON "password": "...", "access_token": "...".
	{name: "json-key", re: regexp.MustCompile(`(?i)"` + secretKey + `"[ \t]*:[ \t]*("(?:[^"\\]|\\.)+")`), group: 1, quoted: true},
	// key=value: libpq DSN password=... / password='...', PGPASSWORD=...,
	// query ?token=...&, aws_secret_access_key = ..., --password=...
	// Space after '=' only together with space before it (ini style), so
	// "password= host=db" does not swallow the next pair.
	{name: "key-value", re: regexp.MustCompile(`(?i)\b` + secretKey + `(?:[ \t]*=|[ \t]+=[ \t]+)('(?:[^'\\]|\\.)*'|"(?:[^"\\]|\\.)*"|[^\s&;"']+)`), group: 1, quoted: true},
	// --password X, --token X (command lines).
	{name: "flag", re: regexp.MustCompile(`(?i)(?:^|\s)--[a-z0-9-]*(?:password|passwd|token|secret|api-key)[ \t]+([^\s-]\S*)`), group: 1},
	// AWS access key ids.
	{name: "aws-access-key-id", re: regexp.MustCompile(`\b(?:AKIA|ASIA)([A-Z0-9]{16})\b`), group: 1},
	// Well-known token formats.
	{name: "github-token", re: regexp.MustCompile(`\bgh[pousr]_([A-Za-z0-9]{30,})\b`), group: 1},
	{name: "github-pat", re: regexp.MustCompile(`\bgithub_pat_([A-Za-z0-9_]{30,})`), group: 1},
	{name: "slack-token", re: regexp.MustCompile(`\bxox[abposr]-([A-Za-z0-9-]{10,})`), group: 1},
	{name: "openai-key", re: regexp.MustCompile(`\bsk-((?:proj-|ant-)?[A-Za-z0-9_-]{20,})`), group: 1},
	{name: "jwt", re: regexp.MustCompile(`\b(eyJ[A-Za-z0-9_-]{8,}\.[A-Za-z0-9_-]{8,}\.[A-Za-z0-9_-]{8,})`), group: 1},
	{name: "private-key-block", re: regexp.MustCompile(`-----BEGIN [A-Z ]*PRIVATE KEY-----([\s\S]*?)-----END [A-Z ]*PRIVATE KEY-----`), group: 1},
}

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

// Redact hides secrets in s: URL passwords, key=value and JSON secrets
// (password, PGPASSWORD, token, access_token, api_key, secret,
// aws_secret_access_key, signatures), Authorization/Bearer credentials, AWS
// access key ids and secret keys, and a few well-known token formats. Text
// without such a pattern ("password reset flow broken") is returned
// unchanged. Redact is idempotent.
func Redact(s string) string {
	for _, r := range redactions {
		s = r.apply(s)
	}
	return s
}

func (r redaction) apply(s string) string {
	matches := r.re.FindAllStringSubmatchIndex(s, -1)
	if matches == nil {
		return s
	}
	var b strings.Builder
	last := 0
	for _, m := range matches {
		start, end := m[2*r.group], m[2*r.group+1]
		if start < 0 {
			continue
		}
		secret := s[start:end]
		if r.quoted && len(secret) >= 2 && (secret[0] == '\'' || secret[0] == '"') && secret[len(secret)-1] == secret[0] {
			start, end = start+1, end-1
			secret = s[start:end]
		}
		if secret == "" || secret == mask || (r.ok != nil && !r.ok(secret)) {
			continue
		}
		b.WriteString(s[last:start])
		b.WriteString(mask)
		last = end
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
