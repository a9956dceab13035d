package share

import (
	"encoding/json"
	"strings"
	"testing"
	"time"
	"unicode/utf8"
)

func TestPresencePayloadCappedAndClean(t *testing.T) {
	huge := strings.Repeat("𝔘\x1b[2J\"\\", 3000) // 4-byte runes, escapes, JSON-escaped characters
	b := presencePayload(huge, Peer{Origin: huge, Actor: huge, User: huge, Host: huge}, true)
	if len(b) >= 6000 {
		t.Errorf("payload is %d bytes: want well under NOTIFY's 8000", len(b))
	}
	var p presence
	if err := json.Unmarshal(b, &p); err != nil {
		t.Fatal(err)
	}
	for name, f := range map[string]string{"incident": p.Incident, "origin": p.Origin, "actor": p.Actor, "user": p.User, "host": p.Host} {
		if n := utf8.RuneCountInString(f); n == 0 || n > fieldMax {
			t.Errorf("%s: %d runes, want 1..%d", name, n, fieldMax)
		}
	}
	if strings.Contains(p.Actor+p.User+p.Host, "\x1b") {
		t.Errorf("labels not cleaned: %q", p.Actor)
	}
	if !p.Leaving {
		t.Error("leaving lost")
	}
}

func testShare() *Share {
	return &Share{incident: "inc", presenceID: "inc", origin: "me", peerTimeout: time.Minute, peers: map[string]Peer{}}
}

func payload(t *testing.T, p presence) string {
	t.Helper()
	b, err := json.Marshal(p)
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

func TestHearKeepsOnlyOtherConsolesOfTheIncident(t *testing.T) {
	s := testShare()
	now := time.Now()
	if s.hear(payload(t, presence{Incident: "inc", Origin: "me", Actor: "self"}), now) {
		t.Error("own heartbeat counted")
	}
	if s.hear(payload(t, presence{Incident: "other", Origin: "o2", Actor: "x"}), now) {
		t.Error("another incident's heartbeat counted")
	}
	if s.hear("not json", now) || s.hear(payload(t, presence{Incident: "inc"}), now) {
		t.Error("garbage counted")
	}
	if !s.hear(payload(t, presence{Incident: "inc", Origin: "o1", Actor: "bob\x1b]0;x\a", Host: "h\x1b[31m"}), now) {
		t.Error("a new peer not reported new")
	}
	if s.hear(payload(t, presence{Incident: "inc", Origin: "o1", Actor: "bob"}), now.Add(time.Second)) {
		t.Error("a known peer reported new")
	}
	ps := s.Peers()
	if len(ps) != 1 || ps[0].Origin != "o1" || ps[0].Actor != "bob" {
		t.Fatalf("peers %+v: want only o1 (bob)", ps)
	}
	s.hear(payload(t, presence{Incident: "inc", Origin: "o1", Leaving: true}), now)
	if ps := s.Peers(); len(ps) != 0 {
		t.Errorf("peers after leaving: %+v", ps)
	}
}

func TestHearCleansAndSorts(t *testing.T) {
	s := testShare()
	now := time.Now()
	s.hear(payload(t, presence{Incident: "inc", Origin: "o3", Actor: "carol", Host: "b"}), now)
	s.hear(payload(t, presence{Incident: "inc", Origin: "o2", Actor: "alice", Host: "b"}), now)
	s.hear(payload(t, presence{Incident: "inc", Origin: "o1", Actor: "alice", Host: "b"}), now)
	s.hear(payload(t, presence{Incident: "inc", Origin: "o4", Actor: "alice", Host: "a"}), now)
	s.hear(payload(t, presence{Incident: "inc", Origin: "o5\x1b[2J", Actor: "mal\x1b[2Jlory\x07", User: "u\x1b]8;;http://x\x07", Host: "h"}), now)
	var got []string
	for _, p := range s.Peers() {
		got = append(got, p.Origin)
		if strings.ContainsAny(p.Origin+p.Actor+p.User+p.Host, "\x1b\x07") {
			t.Errorf("peer not cleaned: %+v", p)
		}
	}
	want := []string{"o4", "o1", "o2", "o3"} // alice/a, alice/b/o1, alice/b/o2, carol, then mallory
	if len(got) != 5 || strings.Join(got[:4], ",") != strings.Join(want, ",") {
		t.Errorf("order %q, want %q then the cleaned one", got, want)
	}
}

func TestPeersExpireAndAreBounded(t *testing.T) {
	s := testShare()
	s.peerTimeout = time.Second
	old := time.Now().Add(-2 * time.Second)
	s.hear(payload(t, presence{Incident: "inc", Origin: "stale", Actor: "x"}), old)
	if ps := s.Peers(); len(ps) != 0 {
		t.Errorf("a peer not heard for 2s with a 1s timeout listed: %+v", ps)
	}
	if !s.hear(payload(t, presence{Incident: "inc", Origin: "stale", Actor: "x"}), time.Now()) {
		t.Error("a peer back after its timeout not reported new")
	}
	now := time.Now()
	for i := range maxPeers + 50 {
		s.hear(payload(t, presence{Incident: "inc", Origin: strings.Repeat("o", 1+i%7) + string(rune('a'+i%26)) + strings.Repeat("z", i/182), Actor: "x"}), now)
	}
	if n := len(s.Peers()); n != maxPeers {
		t.Errorf("%d peers after %d distinct ones: want the cap, %d", n, maxPeers+51, maxPeers)
	}
}
