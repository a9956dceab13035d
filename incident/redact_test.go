package incident

import "testing"

func TestRedact(t *testing.T) {
	cases := []struct{ name, in, want string }{
		// Ordinary text is untouched.
		{"plain", "password reset flow broken", "password reset flow broken"},
		{"plain-colon", "Password: reset flow broken for SSO users", "Password: reset flow broken for SSO users"},
		{"bearer-prose", "the bearer of bad news", "the bearer of bad news"},
		{"tokens-count", "max_tokens=4096 token_type=bearer", "max_tokens=4096 token_type=bearer"},
		{"url-no-password", "https://user@github.com/org/repo and https://api.example.com:8443/health", "https://user@github.com/org/repo and https://api.example.com:8443/health"},
		{"git-sha", "deploy 3f786850e387550fdab836ed7e6dc881de23001b", "deploy 3f786850e387550fdab836ed7e6dc881de23001b"},
		{"empty-password", "password= host=db", "password= host=db"},

		// URLs.
		{"url", "postgres://app:hunter2@db:5432/prod", "postgres://app:xxxxx@db:5432/prod"},
		{"url-at-in-password", "mysql://root:p@ss@db/x", "mysql://root:xxxxx@db/x"},
		{"url-redis-no-user", "redis://:sekrit@cache:6379", "redis://:xxxxx@cache:6379"},
		{"url-two", "a=amqp://u:p1@mq b=https://v:p2@h/?q=a@b", "a=amqp://u:xxxxx@mq b=https://v:xxxxx@h/?q=a@b"},

		// libpq DSNs and env.
		{"dsn", "host=db user=app password=hunter2 sslmode=require", "host=db user=app password=xxxxx sslmode=require"},
		{"dsn-quoted", "host=db password='hun ter\\'2' dbname=x", "host=db password='xxxxx' dbname=x"},
		{"dsn-double-quoted", `PASSWORD="a b c" next`, `PASSWORD="xxxxx" next`},
		{"pgpassword", "PGPASSWORD=hunter2 psql -h db", "PGPASSWORD=xxxxx psql -h db"},
		{"prefixed", "DB_PASSWORD=x1 spring.datasource.password=x2 MYSQL_ROOT_PASSWORD = x3", "DB_PASSWORD=xxxxx spring.datasource.password=xxxxx MYSQL_ROOT_PASSWORD = xxxxx"},
		{"odbc", "Server=db;Password=hunter2;Database=x", "Server=db;Password=xxxxx;Database=x"},

		// Query strings and key=value tokens.
		{"query", "GET /cb?code=1&access_token=abc123&state=z", "GET /cb?code=1&access_token=xxxxx&state=z"},
		{"token", "token=abc api_key=def apikey=ghi secret=jkl client_secret=mno", "token=xxxxx api_key=xxxxx apikey=xxxxx secret=xxxxx client_secret=xxxxx"},
		{"presigned", "https://b.s3.amazonaws.com/k?X-Amz-Security-Token=FQoG&X-Amz-Signature=9f8e", "https://b.s3.amazonaws.com/k?X-Amz-Security-Token=xxxxx&X-Amz-Signature=xxxxx"},
		{"flag-eq", "mysql --password=hunter2 -h db", "mysql --password=xxxxx -h db"},
		{"flag-space", "vault login --token s.abcdef -method=x", "vault login --token xxxxx -method=x"},
		{"json", `{"user":"app","password":"hun\"ter2","access_token": "abc"}`, `{"user":"app","password":"xxxxx","access_token": "xxxxx"}`},

		// Authorization / Bearer.
		{"authz", "Authorization: Bearer abc", "Authorization: Bearer xxxxx"},
		{"authz-basic", `-H "authorization: Basic dXNlcjpwYXNz"`, `-H "authorization: Basic xxxxx"`},
		{"bearer", "sent Bearer eyJ0eXAi.payload.sig9 to api", "sent Bearer xxxxx to api"},
		{"bearer-long", "Bearer abcdefghijklmnopqrstuvwxyz", "Bearer xxxxx"},
		{"api-key-header", "X-Api-Key: 0123456789abcdef", "X-Api-Key: xxxxx"},

		// AWS.
		{"aws-ini", "aws_secret_access_key = wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY", "aws_secret_access_key = xxxxx"},
		{"aws-json", `"SecretAccessKey": "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY",`, `"SecretAccessKey": "xxxxx",`},
		{"aws-yaml", "  SecretAccessKey: wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY\n", "  SecretAccessKey: xxxxx\n"},
		{"aws-key-id", "key AKIAIOSFODNN7EXAMPLE and ASIAY34FZKBOKMUTVV7A", "key AKIAxxxxx and ASIAxxxxx"},
		{"aws-key-id-short", "AKIA1234 is not a key", "AKIA1234 is not a key"},

		// Well-known token formats.
		{"github", "ghp_16C7e42F292c6912E7710c838347Ae178B4a", "ghp_xxxxx"},
		{"slack", "xoxb-1234567890-abcdefghij", "xoxb-xxxxx"},
		{"openai", "OPENAI key sk-proj-abcdefghijklmnopqrstuvwx", "OPENAI key sk-xxxxx"},
		{"jwt", "cookie eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiIxMjM0NTY3ODkwIn0.SflKxwRJSMeKKF2QT4fwpM", "cookie xxxxx"},
		{"pem", "-----BEGIN RSA PRIVATE KEY-----\nMIIEow\n-----END RSA PRIVATE KEY-----", "-----BEGIN RSA PRIVATE KEY-----xxxxx-----END RSA PRIVATE KEY-----"},
	}
	for _, c := range cases {
		got := Redact(c.in)
		if got != c.want {
			t.Errorf("%s: Redact(%q)\n got %q\nwant %q", c.name, c.in, got, c.want)
		}
		if again := Redact(got); again != got {
			t.Errorf("%s: not idempotent: %q -> %q", c.name, got, again)
		}
	}
}
