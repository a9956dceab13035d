package main

import (
	"bytes"
	"errors"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/warroom-dev/warroom/incident"
	"github.com/warroom-dev/warroom/incident/notify"
)

// loadEscalation loads body as a config file and validates it, as
// warroom --config does before the TUI.
func loadEscalation(t *testing.T, body string) (Config, error) {
	t.Helper()
	c := Defaults()
	c.Actor = "alice"
	err := loadData("/etc/warroom/config.yaml", []byte(body), &c)
	if err == nil {
		err = c.Validate()
	}
	return c, err
}

// policyOf is body's escalation policy; the config must be valid.
func policyOf(t *testing.T, body string) incident.Policy {
	t.Helper()
	c, err := loadEscalation(t, body)
	if err != nil {
		t.Fatalf("config rejected: %v", err)
	}
	p, err := c.EscalationPolicy()
	if err != nil {
		t.Fatalf("EscalationPolicy: %v", err)
	}
	if err := p.Validate(); err != nil {
		t.Fatalf("the policy does not validate: %v", err)
	}
	return p
}

func TestEscalationDefaultIsThePlaybooks(t *testing.T) {
	for _, body := range []string{"", "title: x\n", "escalation:\n  hook:\n    timeout: 0s\n"} {
		c, err := loadEscalation(t, body)
		if err != nil {
			t.Fatalf("%q: %v", body, err)
		}
		p, err := c.EscalationPolicy()
		if err != nil {
			t.Fatalf("%q: %v", body, err)
		}
		if !reflect.DeepEqual(p, incident.DefaultPolicy()) {
			t.Errorf("%q: policy %+v, want the playbook's %+v", body, p, incident.DefaultPolicy())
		}
		if h, err := c.NotifyHook(); h != nil || err != nil {
			t.Errorf("%q: hook %+v, %v; want none", body, h, err)
		}
	}
}

const fullEscalation = `
escalation:
  team: platform
  teams:
    - name: Platform
      primary:   {name: Alice Ng, contact: "+1 555 0100"}
      secondary: {name: Bob Roy,  contact: "@bob"}
    - name: Security
  ladder:
    - role: Primary On-Call
      window: 5m
      rotation: primary
    - role: Team Lead
      window: 15m
      p0: at_once
      contact: {name: Dana, contact: "+1 555 0199"}
    - role: Engineering Manager + CTO
      p0: on_schedule
  contacts:
    engineering manager + cto: {name: "Eve (EM), Fay (CTO)", contact: "#exec-oncall"}
  response: {P0: 10m, P2: 1h}
  hook:
    command: ["/usr/local/bin/page-oncall", "--json"]
    timeout: 20s
`

func TestEscalationFullExample(t *testing.T) {
	p := policyOf(t, fullEscalation)
	want := incident.Policy{
		Ladder: []incident.Rung{
			{Role: "Primary On-Call", Window: 5 * time.Minute, Rotation: incident.RotationPrimary},
			{Role: "Team Lead", Window: 15 * time.Minute, OnP0: incident.P0AtOnce, Contact: incident.Contact{Name: "Dana", Contact: "+1 555 0199"}},
			{Role: "Engineering Manager + CTO", OnP0: incident.P0OnSchedule, Contact: incident.Contact{Name: "Eve (EM), Fay (CTO)", Contact: "#exec-oncall"}},
		},
		Teams: []incident.Team{
			{Name: "Platform", Primary: incident.Contact{Name: "Alice Ng", Contact: "+1 555 0100"}, Secondary: incident.Contact{Name: "Bob Roy", Contact: "@bob"}},
			{Name: "Security"},
		},
		OnCall:   "platform",
		Response: [4]time.Duration{incident.P0: 10 * time.Minute, incident.P2: time.Hour},
	}
	if !reflect.DeepEqual(p, want) {
		t.Errorf("policy\n%+v\nwant\n%+v", p, want)
	}
	if c, where := p.Contact(0); c.Name != "Alice Ng" || where != "Platform's primary" {
		t.Errorf("rung 1 pages %+v (%s), want Alice Ng, Platform's primary", c, where)
	}
	c, _ := loadEscalation(t, fullEscalation)
	h, err := c.NotifyHook()
	if err != nil {
		t.Fatal(err)
	}
	wantHook := &notify.Hook{Command: []string{"/usr/local/bin/page-oncall", "--json"}, Timeout: 20 * time.Second}
	if !reflect.DeepEqual(h, wantHook) {
		t.Errorf("hook %+v, want %+v", h, wantHook)
	}
}

func TestEscalationWebhook(t *testing.T) {
	c, err := loadEscalation(t, `
escalation:
  hook:
    url: https://hooks.example.com/services/T000/B000/XXXX
    headers: {Authorization: "Bearer abc"}
    timeout: 3s
`)
	if err != nil {
		t.Fatal(err)
	}
	h, err := c.NotifyHook()
	if err != nil {
		t.Fatal(err)
	}
	want := &notify.Hook{URL: "https://hooks.example.com/services/T000/B000/XXXX", Headers: map[string]string{"Authorization": "Bearer abc"}, Timeout: 3 * time.Second}
	if !reflect.DeepEqual(h, want) {
		t.Errorf("hook %+v, want %+v", h, want)
	}
}

func TestEscalationTeamsReplaceDefaults(t *testing.T) {
	p := policyOf(t, "escalation:\n  teams:\n    - name: Payments\n      primary: {name: Pat}\n    - name: Data\n")
	want := []incident.Team{{Name: "Payments", Primary: incident.Contact{Name: "Pat"}}, {Name: "Data"}}
	if !reflect.DeepEqual(p.Teams, want) {
		t.Errorf("teams %+v, want only %+v", p.Teams, want)
	}
	if !reflect.DeepEqual(p.Ladder, incident.DefaultPolicy().Ladder) {
		t.Errorf("ladder changed: %+v", p.Ladder)
	}
	if team, ok := p.OnCallTeam(); !ok || team.Name != "Payments" {
		t.Errorf("on call %+v %v, want the first team, Payments", team, ok)
	}
	p = policyOf(t, "escalation:\n  team: DATA\n  teams: [{name: Payments}, {name: Data}]\n")
	if team, ok := p.OnCallTeam(); !ok || team.Name != "Data" {
		t.Errorf("on call %+v %v, want Data", team, ok)
	}
	// The playbook's teams when none are given.
	p = policyOf(t, "escalation:\n  team: Security\n")
	if !reflect.DeepEqual(p.Teams, incident.DefaultPolicy().Teams) || p.OnCall != "Security" {
		t.Errorf("teams %+v on call %q, want the playbook's and Security", p.Teams, p.OnCall)
	}
}

func TestEscalationContactsByRole(t *testing.T) {
	p := policyOf(t, `
escalation:
  contacts:
    team lead: {name: Dana, contact: "+1 555 0199"}
    Engineering Manager + CTO: {name: "Eve (EM), Fay (CTO)", contact: "#exec-oncall"}
`)
	want := incident.DefaultPolicy()
	want.Ladder[2].Contact = incident.Contact{Name: "Dana", Contact: "+1 555 0199"}
	want.Ladder[3].Contact = incident.Contact{Name: "Eve (EM), Fay (CTO)", Contact: "#exec-oncall"}
	if !reflect.DeepEqual(p, want) {
		t.Errorf("policy\n%+v\nwant\n%+v", p, want)
	}
	if c, _ := p.Contact(2); c.Name != "Dana" {
		t.Errorf("the Team Lead pages %+v, want Dana", c)
	}
}

func TestEscalationResponseOverridesOneSeverity(t *testing.T) {
	p := policyOf(t, "escalation:\n  response: {P1: 45m}\n")
	for sev, want := range map[incident.Severity]time.Duration{
		incident.P0: 15 * time.Minute, incident.P1: 45 * time.Minute, incident.P2: 2 * time.Hour, incident.P3: 24 * time.Hour,
	} {
		if got := p.ResponseTime(sev); got != want {
			t.Errorf("%s: response time %s, want %s", sev, got, want)
		}
	}
	if p.Response != [4]time.Duration{incident.P1: 45 * time.Minute} {
		t.Errorf("Response %v: only P1 should be set", p.Response)
	}
}

// Each mistake is a ConfigError at load (Validate) naming the escalation
// key, so warroom exits 2 before the TUI.
func TestEscalationConfigMistakes(t *testing.T) {
	for _, c := range []struct{ name, yaml, want string }{
		{"bad p0", "escalation:\n  ladder:\n    - {role: A, window: 5m, p0: sometimes}\n    - {role: B}\n", `escalation.ladder[0].p0: "sometimes" is not normal, at_once or on_schedule`},
		{"negative window", "escalation:\n  ladder:\n    - {role: A, window: -5m}\n    - {role: B}\n", "escalation.ladder[0].window: -5m0s is negative"},
		{"no window", "escalation:\n  ladder:\n    - {role: A}\n    - {role: B}\n", "escalation.ladder[0].window: a rung before the last needs a window"},
		{"window on the last", "escalation:\n  ladder:\n    - {role: A, window: 5m}\n    - {role: B, window: 5m}\n", "escalation.ladder[1].window: the last rung has no window"},
		{"bad window", "escalation:\n  ladder:\n    - {role: A, window: soon}\n", "line 3: bad value for escalation.ladder[0].window"},
		{"unknown rotation", "escalation:\n  ladder:\n    - {role: A, window: 5m, rotation: tertiary}\n    - {role: B}\n", `escalation.ladder[0].rotation: "tertiary" is not primary, secondary or empty`},
		{"rotation and contact", "escalation:\n  ladder:\n    - {role: A, rotation: primary, contact: {name: X}}\n", "escalation.ladder[0].contact: the rung pages the on-call team's primary"},
		{"no role", "escalation:\n  ladder:\n    - {window: 5m}\n    - {role: B}\n", "escalation.ladder[0].role: a rung needs a role"},
		{"role twice", "escalation:\n  ladder:\n    - {role: A, window: 5m}\n    - {role: a}\n", `escalation.ladder[1].role: "a" is escalation.ladder[0]'s role too`},
		{"empty ladder", "escalation:\n  ladder: []\n", "escalation.ladder: the ladder has no rung"},
		{"ladder not a list", "escalation:\n  ladder: {role: A}\n", "line 2: escalation.ladder must be a list"},
		{"unknown key in a rung", "escalation:\n  ladder:\n    - role: A\n      window: 5m\n    - role: B\n      windw: 5m\n", `line 6: unknown key "escalation.ladder[1].windw" (known keys under escalation.ladder[1]: contact, p0, role, rotation, window)`},
		{"unknown key in a team", "escalation:\n  teams:\n    - name: A\n      primray: {name: X}\n", `unknown key "escalation.teams[0].primray"`},
		{"unknown key in a contact", "escalation:\n  contacts:\n    Team Lead: {name: X, phone: \"1\"}\n", `unknown key "escalation.contacts.Team Lead.phone"`},
		{"unknown key in the section", "escalation:\n  teem: Platform\n", `unknown key "escalation.teem"`},
		{"unknown severity", "escalation:\n  response: {P4: 1h}\n", `unknown key "escalation.response.P4"`},
		{"negative response", "escalation:\n  response: {P2: -1h}\n", "escalation.response.P2: -1h0m0s is negative"},
		{"team not in teams", "escalation:\n  team: Payments\n  teams: [{name: Platform}, {name: Data}]\n", `escalation.team: "Payments" is not one of escalation.teams (Platform, Data)`},
		{"team not in the playbook's", "escalation:\n  team: Payments\n", `escalation.team: "Payments" is not one of the playbook's teams (Platform, Infrastructure, Security)`},
		{"team without a name", "escalation:\n  teams: [{primary: {name: X}}]\n", "escalation.teams[0].name: a team needs a name"},
		{"team twice", "escalation:\n  teams: [{name: Data}, {name: data}]\n", `escalation.teams[1].name: "data" is escalation.teams[0]'s name too`},
		{"no team for a rotation", "escalation:\n  teams: []\n", "escalation.teams: no team, but the playbook's rung 1 (Primary On-Call) pages a team's primary"},
		{"contact without a name", "escalation:\n  teams: [{name: A, secondary: {contact: \"@x\"}}]\n", "escalation.teams[0].secondary.name: a contact needs a name"},
		{"contact for no role", "escalation:\n  contacts:\n    CEO: {name: X}\n", `escalation.contacts: "CEO" is not a role of the ladder (Primary On-Call, Secondary On-Call, Team Lead, Engineering Manager + CTO)`},
		{"contact for a rotation", "escalation:\n  contacts:\n    primary on-call: {name: X}\n", "escalation.contacts.primary on-call: the Primary On-Call rung pages the on-call team's primary"},
		{"contact twice", "escalation:\n  ladder:\n    - {role: A, window: 5m, contact: {name: X}}\n    - {role: B}\n  contacts:\n    a: {name: Y}\n", "escalation.contacts.a: escalation.ladder[0] (A) has a contact already"},
		{"same role twice in contacts", "escalation:\n  contacts:\n    Team Lead: {name: X}\n    team lead: {name: Y}\n", `"Team Lead" and "team lead" are the same role`},
		{"command and url", "escalation:\n  hook:\n    command: [/bin/true]\n    url: https://hooks.example.com/x\n", "escalation.hook: set command or url, not both"},
		{"headers for a command", "escalation:\n  hook:\n    command: [/bin/true]\n    headers: {X-A: b}\n", "escalation.hook: headers apply to a webhook URL, not a command"},
		{"timeout alone", "escalation:\n  hook:\n    timeout: 5s\n", "escalation.hook: no command or url"},
		{"negative timeout", "escalation:\n  hook:\n    command: [/bin/true]\n    timeout: -1s\n", "escalation.hook: timeout -1s is negative"},
		{"empty program", "escalation:\n  hook:\n    command: [\"\", x]\n", "escalation.hook: the command's program is empty"},
		{"not http", "escalation:\n  hook:\n    url: ftp://hooks.example.com/x\n", "escalation.hook: URL ftp://hooks.example.com/x is not http or https"},
		{"unknown hook key", "escalation:\n  hook:\n    cmd: [x]\n", `unknown key "escalation.hook.cmd" (known keys under escalation.hook: command, headers, timeout, url)`},
		// Strict at every depth: the lists of structs that were there before.
		{"unknown key in a health check", "health:\n  - {name: api, urll: http://x/health}\n", `unknown key "health[0].urll"`},
	} {
		t.Run(c.name, func(t *testing.T) {
			_, err := loadEscalation(t, c.yaml)
			if err == nil {
				t.Fatalf("%q: accepted, want %q", c.yaml, c.want)
			}
			var ce *ConfigError
			if !errors.As(err, &ce) {
				t.Errorf("%T is not a ConfigError (exit 2)", err)
			}
			if !strings.Contains(err.Error(), c.want) {
				t.Errorf("error %q lacks %q", err, c.want)
			}
			if strings.Contains(err.Error(), "\n") {
				t.Errorf("error is not one line: %q", err)
			}
		})
	}
}

// No error about the hook shows the webhook URL's secrets or a header's
// value, on whichever path it fails.
func TestEscalationHookErrorsHideSecrets(t *testing.T) {
	const tok, hdr = "s3cr3tT0kenQ", "Bearer hdrS3cret"
	for _, c := range []struct{ name, yaml, want string }{
		{"not http", "escalation:\n  hook:\n    url: ftp://user:pw" + tok + "@hooks.example.com/services/T000/" + tok + "?token=" + tok + "#" + tok + "\n", "escalation.hook: URL ftp://xxxxx@hooks.example.com/services/xxxxx?token=xxxxx"},
		{"does not parse", "escalation:\n  hook:\n    url: \"https://hooks.example.com/%zz/" + tok + "\"\n", "escalation.hook: URL https://hooks.example.com/xxxxx does not parse"},
		{"no host", "escalation:\n  hook:\n    url: https:///services/" + tok + "\n", "has no host"},
		{"command and url", "escalation:\n  hook:\n    command: [/bin/true]\n    url: https://hooks.example.com/services/" + tok + "\n    headers: {Authorization: " + hdr + "}\n", "escalation.hook: set command or url, not both"},
		{"header value with a newline", "escalation:\n  hook:\n    url: https://hooks.example.com/services/" + tok + "\n    headers: {Authorization: \"" + hdr + "\\nX: y\"}\n", "escalation.hook: header Authorization has a line break"},
		{"bad header name", "escalation:\n  hook:\n    url: https://hooks.example.com/services/" + tok + "\n    headers: {\"Auth orization\": " + hdr + "}\n", "escalation.hook: header name"},
		{"headers not a mapping", "escalation:\n  hook:\n    url: https://hooks.example.com/x\n    headers: \"" + hdr + "\"\n", "bad value for escalation.hook.headers: cannot unmarshal !!str into map[string]string"},
		{"url in the timeout", "escalation:\n  hook:\n    timeout: " + tok + "\n", "bad value for escalation.hook.timeout"},
		{"a backtick in the value", "escalation:\n  hook:\n    timeout: \"s3`cr3tT0kenQ\"\n", "bad value for escalation.hook.timeout"},
		{"a pasted token as the url", "escalation:\n  hook:\n    url: " + tok + "\n", "escalation.hook: URL xxxxx is not http or https"},
		{"url not a string", "escalation:\n  hook:\n    url: {" + tok + ": 1}\n", "bad value for escalation.hook.url"},
	} {
		t.Run(c.name, func(t *testing.T) {
			_, err := loadEscalation(t, c.yaml)
			if err == nil {
				t.Fatalf("accepted, want %q", c.want)
			}
			msg := err.Error()
			if !strings.Contains(msg, c.want) {
				t.Errorf("error %q lacks %q", msg, c.want)
			}
			for _, secret := range []string{tok, "hdrS3c", "s3cr3t", "T0kenQ", "pw"} {
				if strings.Contains(msg, secret) {
					t.Errorf("error shows %q: %q", secret, msg)
				}
			}
			// And so on stderr, with exit 2 before the TUI.
			var out, errb bytes.Buffer
			code := run([]string{"--config", writeConfig(t, c.yaml), "--journal", filepath.Join(t.TempDir(), "j.jsonl")}, &out, &errb)
			if code != 2 || out.Len() != 0 {
				t.Fatalf("exit %d, stdout %q; want 2 and nothing", code, out.String())
			}
			if !strings.Contains(errb.String(), c.want) || strings.Contains(errb.String(), tok) || strings.Contains(errb.String(), "hdrS3c") {
				t.Errorf("stderr %q: want %q and no secret", errb.String(), c.want)
			}
		})
	}
}

func TestBadEscalationExitsTwoBeforeTheTUI(t *testing.T) {
	var out, errb bytes.Buffer
	body := "escalation:\n  ladder:\n    - role: A\n      window: 5m\n    - role: B\n      windw: 5m\n"
	code := run([]string{"--config", writeConfig(t, body), "--journal", filepath.Join(t.TempDir(), "j.jsonl")}, &out, &errb)
	if code != 2 || out.Len() != 0 {
		t.Fatalf("exit %d, stdout %q; want 2 and nothing", code, out.String())
	}
	for _, w := range []string{"line 6", `unknown key "escalation.ladder[1].windw"`, "window"} {
		if !strings.Contains(errb.String(), w) {
			t.Errorf("stderr %q lacks %q", errb.String(), w)
		}
	}
}
