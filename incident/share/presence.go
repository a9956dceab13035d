package share

import (
	"cmp"
	"encoding/json"
	"slices"
	"time"

	"github.com/warroom-dev/warroom/incident"
)

// PresenceChannel is the NOTIFY channel of presence heartbeats: no table,
// so a role with only SELECT and INSERT still takes part (pg_notify needs
// no grant). The payload is JSON: incident, origin, actor, user, host,
// leaving.
const PresenceChannel = "warroom_presence"

// Peer is a console in the incident: its origin (random per process), its
// actor (a label the user chose, not an identity), and the OS user and
// host it runs as. In Peers every string is cleaned for display (it comes
// from another machine); Seen is when its last heartbeat arrived here.
type Peer struct {
	Origin, Actor, User, Host string
	Seen                      time.Time
}

// presence is a heartbeat's payload.
type presence struct {
	Incident string `json:"incident"`
	Origin   string `json:"origin"`
	Actor    string `json:"actor"`
	User     string `json:"user"`
	Host     string `json:"host"`
	Leaving  bool   `json:"leaving"`
}

// fieldMax caps every payload field (in runes): six fields of at most 200
// runes, control characters cleaned out, stay well under NOTIFY's 8000
// bytes.
const fieldMax = 200

// maxPeers bounds the peers map against a flood of made-up origins.
const maxPeers = 1000

func capField(s string) string {
	n := 0
	for i := range s {
		if n == fieldMax {
			return s[:i]
		}
		n++
	}
	return s
}

// cleanField is a field from another machine, ready for display.
func cleanField(s string) string { return capField(incident.Clean(s)) }

// presencePayload is this console's heartbeat (leaving: its goodbye).
// The incident and origin are only capped (they are compared); the
// labels are cleaned before they leave too.
func presencePayload(inc string, self Peer, leaving bool) []byte {
	b, err := json.Marshal(presence{
		Incident: capField(inc), Origin: capField(self.Origin),
		Actor: cleanField(self.Actor), User: cleanField(self.User), Host: cleanField(self.Host),
		Leaving: leaving,
	})
	if err != nil { // strings and a bool: cannot happen
		panic("share: presence payload: " + err.Error())
	}
	return b
}

// hear takes a presence payload received at now: a heartbeat of another
// console of our incident updates the peers map, a leaving one removes
// it. It reports a console not in the map (or gone stale) that just
// arrived. Anything else (ours, another incident's, garbage) is ignored.
func (s *Share) hear(payload string, now time.Time) bool {
	var p presence
	if err := json.Unmarshal([]byte(payload), &p); err != nil {
		return false
	}
	if p.Incident != s.presenceID || p.Origin == "" || p.Origin == capField(s.origin) {
		return false
	}
	key := capField(p.Origin)
	s.mu.Lock()
	defer s.mu.Unlock()
	if p.Leaving {
		delete(s.peers, key)
		return false
	}
	old, known := s.peers[key]
	if !known && len(s.peers) >= maxPeers {
		s.prunePeersLocked(now)
		if len(s.peers) >= maxPeers {
			return false
		}
	}
	s.peers[key] = Peer{
		Origin: cleanField(p.Origin), Actor: cleanField(p.Actor),
		User: cleanField(p.User), Host: cleanField(p.Host), Seen: now,
	}
	return !known || now.Sub(old.Seen) > s.peerTimeout
}

func (s *Share) prunePeers(now time.Time) {
	s.mu.Lock()
	s.prunePeersLocked(now)
	s.mu.Unlock()
}

func (s *Share) prunePeersLocked(now time.Time) {
	for k, p := range s.peers {
		if now.Sub(p.Seen) > s.peerTimeout {
			delete(s.peers, k)
		}
	}
}

// Peers are the other consoles currently in the incident (heard within
// the peer timeout, 35 s; a leaving one is gone at once), sorted by actor,
// host, then origin; never this one. Every string is cleaned for display.
// Safe from any goroutine.
func (s *Share) Peers() []Peer {
	now := time.Now()
	s.mu.Lock()
	out := make([]Peer, 0, len(s.peers))
	for _, p := range s.peers {
		if now.Sub(p.Seen) <= s.peerTimeout {
			out = append(out, p)
		}
	}
	s.mu.Unlock()
	slices.SortFunc(out, func(a, b Peer) int {
		return cmp.Or(cmp.Compare(a.Actor, b.Actor), cmp.Compare(a.Host, b.Host), cmp.Compare(a.Origin, b.Origin))
	})
	return out
}
