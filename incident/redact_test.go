package incident

import (
	"os"
	"strings"
	"testing"
)

// redactCases: for every named pattern of the table, cases that must be
// masked (in != want) and cases that must stay as they are (in == want).
// TestRedactTableCovered checks that each name has both.
var redactCases = []struct{ rule, in, want string }{
	// Ordinary text, not attributed to one pattern.
	{"", "password reset flow broken", "password reset flow broken"},
	{"", "token bucket rate limiter drops requests", "token bucket rate limiter drops requests"},
	{"", "secret santa moved to friday", "secret santa moved to friday"},
	{"", "deploy 3f786850e387550fdab836ed7e6dc881de23001b", "deploy 3f786850e387550fdab836ed7e6dc881de23001b"},

	{"url-userinfo", "postgres://app:hunter2@db:5432/prod", "postgres://app:xxxxx@db:5432/prod"},
	{"url-userinfo", "mysql://root:p@ss@db/x", "mysql://root:xxxxx@db/x"},
	{"url-userinfo", "redis://:sekrit@cache:6379", "redis://:xxxxx@cache:6379"},
	{"url-userinfo", "a=amqp://u:p1@mq b=https://v:p2@h/?q=a@b", "a=amqp://u:xxxxx@mq b=https://v:xxxxx@h/?q=a@b"},
	{"url-userinfo", "https://user@github.com/org/repo and https://api.example.com:8443/health", "https://user@github.com/org/repo and https://api.example.com:8443/health"},

	{"authorization-header", "Authorization: Bearer abc", "Authorization: Bearer xxxxx"},
	{"authorization-header", `-H "authorization: Basic dXNlcjpwYXNz"`, `-H "authorization: Basic xxxxx"`},
	{"authorization-header", "Proxy-Authorization: Digest abc123", "Proxy-Authorization: Digest xxxxx"},
	{"authorization-header", "authorization failed for user alice", "authorization failed for user alice"},

	{"api-key-header", "X-Api-Key: 0123456789abcdef", "X-Api-Key: xxxxx"},
	{"api-key-header", "X-Auth-Token: abc", "X-Auth-Token: xxxxx"},
	{"api-key-header", "x-api-key header missing", "x-api-key header missing"},

	{"bearer", "sent Bearer eyJ0eXAi.payload.sig9 to api", "sent Bearer xxxxx to api"},
	{"bearer", "Bearer abcdefghijklmnopqrstuvwxyz", "Bearer xxxxx"},
	{"bearer", "the bearer of bad news", "the bearer of bad news"},
	{"bearer", "max_tokens=4096 token_type=bearer", "max_tokens=4096 token_type=bearer"},

	{"cookie-header", "Cookie: session=abc123; theme=dark", "Cookie: session=xxxxx; theme=xxxxx"},
	{"cookie-header", "Set-Cookie: sid=31d4d96e407aad42; Path=/; Secure; HttpOnly", "Set-Cookie: sid=xxxxx; Path=/; Secure; HttpOnly"},
	{"cookie-header", `-H 'Cookie: _ga=GA1.2; csrftoken=ab12'`, `-H 'Cookie: _ga=xxxxx; csrftoken=xxxxx'`},
	{"cookie-header", "cookie banner broken on checkout", "cookie banner broken on checkout"},
	{"cookie-header", "Cookie: none sent", "Cookie: none sent"},

	{"aws-secret-access-key", "aws_secret_access_key = wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY", "aws_secret_access_key = xxxxx"},
	{"aws-secret-access-key", `"SecretAccessKey": "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY",`, `"SecretAccessKey": "xxxxx",`},
	{"aws-secret-access-key", "  SecretAccessKey: wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY\n", "  SecretAccessKey: xxxxx\n"},
	{"aws-secret-access-key", "export AWS_SECRET_ACCESS_KEY=wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY", "export AWS_SECRET_ACCESS_KEY=xxxxx"},
	{"aws-secret-access-key", "rotate the secret access key tomorrow", "rotate the secret access key tomorrow"},

	{"json-key", `{"user":"app","password":"hun\"ter2","access_token": "abc"}`, `{"user":"app","password":"xxxxx","access_token": "xxxxx"}`},
	{"json-key", `{"private_key": "-----BEGIN"}`, `{"private_key": "xxxxx"}`},
	{"json-key", `{"password_changed": true, "token_count": 3}`, `{"password_changed": true, "token_count": 3}`},

	{"key-value", "host=db user=app password=hunter2 sslmode=require", "host=db user=app password=xxxxx sslmode=require"},
	{"key-value", "host=db password='hun ter\\'2' dbname=x", "host=db password='xxxxx' dbname=x"},
	{"key-value", `PASSWORD="a b c" next`, `PASSWORD="xxxxx" next`},
	{"key-value", "PGPASSWORD=hunter2 psql -h db", "PGPASSWORD=xxxxx psql -h db"},
	{"key-value", "export PGPASSWORD=hunter2", "export PGPASSWORD=xxxxx"},
	{"key-value", "failed to connect to `user=app password=hunter2`: dial error", "failed to connect to `user=app password=xxxxx`: dial error"},
	{"key-value", "DB_PASSWORD=x1 spring.datasource.password=x2 MYSQL_ROOT_PASSWORD = x3", "DB_PASSWORD=xxxxx spring.datasource.password=xxxxx MYSQL_ROOT_PASSWORD = xxxxx"},
	{"key-value", "Server=db;Password=hunter2;Database=x", "Server=db;Password=xxxxx;Database=x"},
	{"key-value", "Driver={x};Uid=app;Pwd=hunter2;", "Driver={x};Uid=app;Pwd=xxxxx;"},
	{"key-value", "MYSQL_PWD=hunter2 mysql -h db", "MYSQL_PWD=xxxxx mysql -h db"},
	{"key-value", "ssh-keygen passphrase=correct-horse", "ssh-keygen passphrase=xxxxx"},
	{"key-value", "GET /cb?code=1&access_token=abc123&state=z", "GET /cb?code=1&access_token=xxxxx&state=z"},
	{"key-value", "token=abc api_key=def apikey=ghi secret=jkl client_secret=mno", "token=xxxxx api_key=xxxxx apikey=xxxxx secret=xxxxx client_secret=xxxxx"},
	{"key-value", "https://b.s3.amazonaws.com/k?X-Amz-Security-Token=FQoG&X-Amz-Signature=9f8e", "https://b.s3.amazonaws.com/k?X-Amz-Security-Token=xxxxx&X-Amz-Signature=xxxxx"},
	{"key-value", "mysql --password=hunter2 -h db", "mysql --password=xxxxx -h db"},
	{"key-value", "password= host=db", "password= host=db"},
	{"key-value", "PWD=/home/alice OLDPWD=/tmp", "PWD=/home/alice OLDPWD=/tmp"},
	{"key-value", "max_tokens=4096 token_type=bearer", "max_tokens=4096 token_type=bearer"},

	{"colon-key", "password: hunter2", "password: xxxxx"},
	{"colon-key", "password: x", "password: xxxxx"},
	{"colon-key", "secret: x", "secret: xxxxx"},
	{"colon-key", "token: x", "token: xxxxx"},
	{"colon-key", "api_key: x", "api_key: xxxxx"},
	{"colon-key", "  db_password: 'hunter 2'\n  user: app", "  db_password: 'xxxxx'\n  user: app"},
	{"colon-key", `token: "abc def"`, `token: "xxxxx"`},
	{"colon-key", "'api_key': 'k-123'", "'api_key': 'xxxxx'"},
	{"colon-key", "{password: hunter, user: bob}", "{password: xxxxx, user: bob}"},
	{"colon-key", "token: password: hunter", "token: password: xxxxx"},
	{"colon-key", "Password: reset flow broken for SSO users", "Password: reset flow broken for SSO users"},
	{"colon-key", "secret: santa is on friday", "secret: santa is on friday"},
	{"colon-key", "tokens: 4096 used", "tokens: 4096 used"},

	{"env-space", "PGPASSWORD hunter2", "PGPASSWORD xxxxx"},
	{"env-space", "set -x GITHUB_TOKEN 'abc def'", "set -x GITHUB_TOKEN 'xxxxx'"},
	{"env-space", "setenv MYSQL_PWD hunter", "setenv MYSQL_PWD xxxxx"},
	{"env-space", "PGPASSWORD is not set in the pod", "PGPASSWORD is not set in the pod"},
	{"env-space", "GITHUB_TOKEN expired yesterday", "GITHUB_TOKEN expired yesterday"},

	{"flag", "vault login --token s.abcdef -method=x", "vault login --token xxxxx -method=x"},
	{"flag", "openssl --passphrase hunter2", "openssl --passphrase xxxxx"},
	{"flag", "kubectl create secret --dry-run -o yaml", "kubectl create secret --dry-run -o yaml"},

	{"mysql-p", "mysql -h db -u root -pHunter2 app", "mysql -h db -u root -pxxxxx app"},
	{"mysql-p", "mysqldump -uroot -p'hun ter2' db > x.sql", "mysqldump -uroot -p'xxxxx' db > x.sql"},
	{"mysql-p", "mysqladmin -proot status", "mysqladmin -pxxxxx status"},
	{"mysql-p", "mysql -u root -p app", "mysql -u root -p app"},
	{"mysql-p", "mysql -h db -P 3306 -u app", "mysql -h db -P 3306 -u app"},
	{"mysql-p", "psql -p 5432 -h db", "psql -p 5432 -h db"},
	{"mysql-p", "psql -p5432 -h db", "psql -p5432 -h db"},

	{"sshpass-p", "sshpass -p hunter2 ssh db", "sshpass -p xxxxx ssh db"},
	{"sshpass-p", "sshpass -f ~/.pw ssh db", "sshpass -f ~/.pw ssh db"},

	{"redis-cli-a", "redis-cli -h cache -a hunter2 ping", "redis-cli -h cache -a xxxxx ping"},
	{"redis-cli-a", "redis-cli -h cache ping", "redis-cli -h cache ping"},

	{"curl-user", "curl -u alice:hunter2 https://api/x", "curl -u alice:xxxxx https://api/x"},
	{"curl-user", "curl -s --user alice:hunter2 https://api/x", "curl -s --user alice:xxxxx https://api/x"},
	{"curl-user", "curl --user='bob:pa ss' https://api/x", "curl --user='bob:xxxxx' https://api/x"},
	{"curl-user", "curl -ualice:hunter2 https://api/x", "curl -ualice:xxxxx https://api/x"},
	{"curl-user", "curl -u alice https://api/x", "curl -u alice https://api/x"},
	{"curl-user", "sort -u a:b | uniq", "sort -u a:b | uniq"},

	{"aws-access-key-id", "key AKIAIOSFODNN7EXAMPLE and ASIAY34FZKBOKMUTVV7A", "key AKIAxxxxx and ASIAxxxxx"},
	{"aws-access-key-id", "AKIA1234 is not a key", "AKIA1234 is not a key"},

	{"github-token", "ghp_16C7e42F292c6912E7710c838347Ae178B4a", "ghp_xxxxx"},
	{"github-token", "ghp_short", "ghp_short"},
	{"github-pat", "github_pat_11ABCDEFG0123456789_abcdefghijklmnopqrstuvwxyz", "github_pat_xxxxx"},
	{"github-pat", "github_pat_ prefix", "github_pat_ prefix"},
	{"gitlab-token", "glpat-xxyyzz0123456789ABCD", "glpat-xxxxx"},
	{"gitlab-token", "glpat-short", "glpat-short"},
	{"slack-token", "xoxb-1234567890-abcdefghij", "xoxb-xxxxx"},
	{"slack-token", "xoxo hugs", "xoxo hugs"},
	{"openai-key", "OPENAI key sk-proj-abcdefghijklmnopqrstuvwx", "OPENAI key sk-xxxxx"},
	{"openai-key", "task-1234 sk-short", "task-1234 sk-short"},
	{"stripe-key", "STRIPE_KEY sk_live_4eC39HqLyjWDarjtT1zdp7dc", "STRIPE_KEY sk_live_xxxxx"},
	{"stripe-key", "rk_test_51HAbCdEfGhIjKlMn and whsec_abcdefghijklmnopqrstuvwxyz", "rk_test_xxxxx and whsec_xxxxx"},
	{"stripe-key", "pk_live_4eC39HqLyjWDarjtT1zdp7dc is public", "pk_live_4eC39HqLyjWDarjtT1zdp7dc is public"},
	{"stripe-key", "risk_test_plan_v2", "risk_test_plan_v2"},
	{"google-api-key", "key=AIzaSyA-1234567890abcdefghijklmnopqrstu", "key=AIzaxxxxx"},
	{"google-api-key", "maps AIzaSyA-1234567890abcdefghijklmnopqrstu ok", "maps AIzaxxxxx ok"},
	{"google-api-key", "AIzaShort", "AIzaShort"},
	{"npm-token", "//registry.npmjs.org/:_authToken npm_abcdefghijklmnopqrstuvwxyz0123456789", "//registry.npmjs.org/:_authToken npm_xxxxx"},
	{"npm-token", "npm_config_cache=/tmp/npm", "npm_config_cache=/tmp/npm"},
	{"jwt", "cookie eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiIxMjM0NTY3ODkwIn0.SflKxwRJSMeKKF2QT4fwpM", "cookie xxxxx"},
	{"jwt", "eyJ is how base64 JSON starts", "eyJ is how base64 JSON starts"},
	{"private-key-block", "-----BEGIN RSA PRIVATE KEY-----\nMIIEow\n-----END RSA PRIVATE KEY-----", "-----BEGIN RSA PRIVATE KEY-----xxxxx-----END RSA PRIVATE KEY-----"},
	{"private-key-block", "-----BEGIN PUBLIC KEY-----\nMIIBI\n-----END PUBLIC KEY-----", "-----BEGIN PUBLIC KEY-----\nMIIBI\n-----END PUBLIC KEY-----"},
}

func TestRedact(t *testing.T) {
	for _, c := range redactCases {
		got := Redact(c.in)
		if got != c.want {
			t.Errorf("%s: Redact(%q)\n got %q\nwant %q", c.rule, c.in, got, c.want)
		}
		if again := Redact(got); again != got {
			t.Errorf("%s: not idempotent: %q -> %q", c.rule, got, again)
		}
	}
}

// TestRedactTableCovered: every pattern has a case it masks and a case it
// leaves alone, and every case names a pattern that exists.
func TestRedactTableCovered(t *testing.T) {
	names := map[string]bool{"": true}
	for _, r := range redactions {
		names[r.name] = true
	}
	pos, neg := map[string]bool{}, map[string]bool{}
	for _, c := range redactCases {
		if !names[c.rule] {
			t.Errorf("case %q names no pattern %q", c.in, c.rule)
		}
		if c.in == c.want {
			neg[c.rule] = true
		} else {
			pos[c.rule] = true
		}
	}
	for _, r := range redactions {
		if !pos[r.name] || !neg[r.name] {
			t.Errorf("pattern %s: needs a masked case (%v) and an unchanged case (%v)", r.name, pos[r.name], neg[r.name])
		}
	}
}

// TestRedactionsDocumented keeps docs/redaction.md in step with the table.
func TestRedactionsDocumented(t *testing.T) {
	doc, err := os.ReadFile("../docs/redaction.md")
	if err != nil {
		t.Fatal(err)
	}
	for _, r := range redactions {
		if !strings.Contains(string(doc), "`"+r.name+"`") {
			t.Errorf("docs/redaction.md does not describe pattern `%s`", r.name)
		}
	}
}

// TestRedactHintsAreNecessary: a pattern's hints only skip text it cannot
// match: each case that a pattern masks also contains one of its hints.
func TestRedactHintsAreNecessary(t *testing.T) {
	for _, c := range redactCases {
		for i := range redactions {
			r := &redactions[i]
			if r.re.MatchString(c.in) && !r.mayMatch(fold(c.in)) {
				t.Errorf("%s matches %q but its hints %q skip it", r.name, c.in, r.hints)
			}
		}
	}
}

// BenchmarkRedact: a typical event string without secrets (most are), and
// an action output with a few.
func BenchmarkRedact(b *testing.B) {
	for _, s := range []string{
		"rolling back api to the previous ReplicaSet: 5xx ratio 12% > 5% for 2m",
		strings.Repeat("2025-03-01T08:40:46Z INFO request done status=200 path=/api/v1/agents dur=12ms\n", 20) +
			"psql postgres://app:hunter2@db/prod password=x token: abc123\n",
	} {
		b.Run(strings.Fields(s)[0], func(b *testing.B) {
			b.SetBytes(int64(len(s)))
			for b.Loop() {
				Redact(s)
			}
		})
	}
}

// Redact keeps its candidate patterns in a uint64: one bit each.
func TestRedactionsFitTheCandidateMask(t *testing.T) {
	if len(redactions) > 64 {
		t.Fatalf("%d redactions: Redact's candidate mask holds 64", len(redactions))
	}
}
