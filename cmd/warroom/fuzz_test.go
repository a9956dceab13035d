package main

import (
	"bytes"
	"strings"
	"testing"

	"github.com/warroom-dev/warroom/internal/sanitize"
)

// plantedPW stands in for a password in fuzzed configs; pwMark is where
// the fuzzer's input puts it, always as a URL's password.
const (
	plantedPW = "Pl4nted-pw-Zq9"
	pwMark    = "@@PW@@"
	pwURL     = "postgres://u:" + pwMark + "@"
)

// FuzzConfig: any bytes as the config file load (LoadFile after its read:
// loadData) and validate without
// panicking; every error is one line of safe text; a password planted in
// a URL anywhere in the file is never shown.
func FuzzConfig(f *testing.F) {
	for _, seed := range []string{
		"",
		"---\n",
		"actor: alice\nseverity: P1\nread_only: true\nrefresh: 2s\nkube:\n  context: prod\n  namespace: agent-platform\nprometheus:\n  url: http://prometheus.monitoring:9090\npostgres:\n  dsn: " + pwURL + "db-primary:5432/agent_platform\nrds:\n  instance: agent-platform-prod\n  region: eu-west-1\nrunbooks:\n  - ~/runbooks\n",
		"prometheus:\n  url: " + strings.Replace(pwURL, "postgres", "ftp", 1) + "prom:9090\n",
		"prometheus:\n  url: " + pwURL + "prom:9090\n",
		"postgres:\n  dsn: " + pwURL + "db/x\n  dsn: " + pwURL + "db/y\n",
		"kube:\n  \"" + pwURL + "h/db\": 1\n",
		pwURL + "h: x\n",
		"title: a\n---\ntitle: " + pwURL + "h\n",
		"read_only: " + pwURL + "h/db\n",
		"refresh: " + pwURL + "h/db\n",
		"journal: /dev/null\n",
		"journal: \"\\e]0;pwned\\a\"\n",
		"title: \"\\x1b[2J\\u009b31m\"\nseverity: \"P\\x1b1\"\n",
		"runbooks: [a, b]\nrunbooks: [c]\n",
		"a: &x [1, 2]\nb: *x\n",
		"<<: {title: x}\n",
		"? [complex]\n: key\n",
		"kube: !!binary aGVsbG8=\n",
		"log_level: \"\\n\"\n",
	} {
		f.Add([]byte(seed))
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		// The password is only planted where the input says, and the
		// check only holds when it appears nowhere else.
		planted := !bytes.Contains(data, []byte(plantedPW)) &&
			bytes.Count(data, []byte(pwMark)) == bytes.Count(data, []byte(pwURL))
		data = bytes.ReplaceAll(data, []byte(pwMark), []byte(plantedPW))
		// LoadFile once the file is read: no file per input, so the
		// fuzzer runs at memory speed.
		c := Defaults()
		err := loadData("/etc/warroom/config.yaml", data, &c)
		if err == nil {
			err = c.Validate()
		}
		if err == nil {
			return
		}
		msg := err.Error()
		if strings.Contains(msg, "\n") || !sanitize.IsSafe(msg) {
			t.Fatalf("error is not one safe line: %q", msg)
		}
		if planted && strings.Contains(msg, plantedPW) {
			t.Fatalf("password shown: %q", msg)
		}
	})
}
