package main

import (
	"context"
	"errors"
	"log/slog"
	"net"
	"net/url"
	"os"
	"os/user"
	"regexp"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/jackc/pgx/v5/pgconn"

	"github.com/warroom-dev/warroom/incident"
	"github.com/warroom-dev/warroom/incident/share"
	"github.com/warroom-dev/warroom/internal/drill"
	"github.com/warroom-dev/warroom/probes"
	"github.com/warroom-dev/warroom/probes/pg"
	"github.com/warroom-dev/warroom/probes/rds"
	"github.com/warroom-dev/warroom/tui"
)

// Limits of the shared timeline's calls made from the console.
const (
	// shareOpenTimeout bounds the start: an unreachable database starts
	// the console offline rather than holding it.
	shareOpenTimeout = 5 * time.Second
	// claimTimeout bounds asking the database who records a derived
	// event first; past it the console records it itself.
	claimTimeout = 3 * time.Second
	// shareCatchUp bounds the catch-up before a resumed console starts.
	shareCatchUp = 5 * time.Second
	// claimPause is how long claims record locally without asking after
	// one could not be decided (the share's own state lags a silent
	// outage by up to 20 s).
	claimPause = 30 * time.Second
	// coalesceMax bounds how many other consoles' events one journal
	// write takes.
	coalesceMax = 5000
)

// sharing is the console's side of the shared timeline: the journal every
// record goes through (it publishes what it stores, and claims derived
// events), and the shell's view of the share (tui.Share).
type sharing struct {
	j     *incident.Journal
	sh    *share.Share
	actor string
	host  string // this console's OS user@host
	where string // the database, without credentials
	log   *slog.Logger
	// held are other consoles' events the journal refused: written
	// first on the next call of Next (only Next touches it, and the
	// shell calls Next one at a time).
	held []incident.Event

	mu              sync.Mutex
	claimsDownUntil time.Time
}

// openSharing opens the shared timeline of the incident incidentID for
// the journal j holding events. An unreachable database is not an error:
// the console starts offline and uploads once it answers. A database that
// answers with an error (a wrong password, a schema this role cannot
// create) is.
func openSharing(cfg Config, incidentID string, j *incident.Journal, events []incident.Event, log *slog.Logger) (*sharing, error) {
	dsn, _ := cfg.ShareDSN()
	o := share.Options{DSN: dsn, Incident: incidentID, Log: log}
	o.Seed = make([]string, len(events))
	for i, ev := range events {
		o.Seed[i] = ev.ID
	}
	u, h := osUserHost()
	host := u + "@" + h
	o.Self = share.Peer{Actor: cfg.Actor, User: u, Host: h}
	ctx, cancel := context.WithTimeout(context.Background(), shareOpenTimeout)
	defer cancel()
	if cfg.Share.IAMAuth {
		aws, err := rds.LoadConfig(ctx, cfg.RDS.Region, cfg.RDS.Profile)
		if err != nil {
			return nil, configErrorf("share.iam_auth: %s", err)
		}
		o.IAM = &pg.IAMAuth{Region: aws.Region, Credentials: aws.Credentials}
	}
	sh, err := share.Open(ctx, o)
	if err != nil {
		return nil, configErrorf("%s (--share, share.postgres)", prefixed("share", err))
	}
	return &sharing{j: j, sh: sh, actor: cfg.Actor, host: host, where: dsnWhere(dsn), log: log}, nil
}

// publishAll queues the events the database lacks (all of them while
// it does not answer: what it has is ignored by ID on insert).
func (s *sharing) publishAll(events []incident.Event) {
	var known map[string]bool
	if s.sh.State().Status != share.StatusFailing {
		ctx, cancel := context.WithTimeout(context.Background(), claimTimeout)
		known, _ = s.sh.Known(ctx)
		cancel()
	}
	for _, ev := range events {
		if !known[ev.ID] {
			s.sh.Publish(ev)
		}
	}
}

// catchUp writes the other consoles' events into the journal until the
// share has caught up, fails, or timeout passes, and returns them as
// stored (the console's start: nothing is on screen yet).
func (s *sharing) catchUp(timeout time.Duration) []incident.Event {
	var got []incident.Event
	take := func(b []incident.Event) {
		stored, err := s.j.AppendAll(b)
		if err != nil {
			s.held = append(s.held, b...) // Next tries again, with the journal's failure shown
			return
		}
		got = append(got, stored...)
	}
	deadline := time.After(timeout)
	for {
		select {
		case b, ok := <-s.sh.Events():
			if !ok {
				return got
			}
			take(b)
			continue
		case <-deadline:
			s.log.Warn("share: start without the whole catch-up; the rest arrives on screen", "after", timeout)
			return got
		case <-time.After(20 * time.Millisecond):
		}
		switch s.sh.State().Status {
		case share.StatusFailing:
			return got
		case share.StatusOK:
			for { // what was handed out before it said so
				select {
				case b, ok := <-s.sh.Events():
					if !ok {
						return got
					}
					take(b)
				default:
					return got
				}
			}
		}
	}
}

// Close closes the share: one last upload attempt, bounded.
func (s *sharing) Close() { s.sh.Close() }

// stamp marks the events a person records here with where they did.
func (s *sharing) stamp(ev incident.Event) incident.Event {
	if ev.Host == "" && ev.Actor == s.actor {
		ev.Host = s.host
	}
	return ev
}

// Append records ev in the journal (fsync'd) and queues it for the other
// consoles: it never waits for the database. An event whose ID is
// derived from the incident (an alert, evidence, a drill's scripted
// event: any console may record it) is claimed instead, so every journal
// holds the one version the database kept.
func (s *sharing) Append(ev incident.Event) (incident.Event, error) {
	if incident.IsDerivedID(ev.ID) {
		stored, _, err := s.Claim(ev, false)
		return stored, err
	}
	return s.appendLocal(s.stamp(ev))
}

// appendLocal writes ev to the journal, then queues it for upload.
func (s *sharing) appendLocal(ev incident.Event) (incident.Event, error) {
	stored, err := s.j.Append(ev)
	if err == nil {
		s.sh.Publish(stored)
	}
	return stored, err
}

// Claim asks the database which console records ev first (see
// common.Claimer). While the share is failing it is not asked: ev is
// recorded here, under a new ID if fallbackNewID (a person's ack must not
// shadow another console's under the same ID once the database is back).
// If it was asked and did not answer, the insert may have happened: ev
// keeps its ID, so no console ends up with two.
func (s *sharing) Claim(ev incident.Event, fallbackNewID bool) (incident.Event, bool, error) {
	ev = incident.Prepare(s.stamp(ev))
	if s.sh.State().Status == share.StatusFailing || s.claimsDown() {
		if fallbackNewID {
			ev.ID = incident.NewID(ev.Time)
		}
		stored, err := s.appendLocal(ev)
		return stored, true, err
	}
	ctx, cancel := context.WithTimeout(context.Background(), claimTimeout)
	won, stored, err := s.sh.Claim(ctx, ev)
	cancel()
	if err != nil {
		// Undecided: ev is recorded here under its ID, and its insert is
		// queued (a no-op if it happened, or if another console's is
		// there: then the journals differ in that one event, and the
		// hook may run on both consoles). Claims skip the database for
		// claimPause, so a silent outage costs one wait, not one each.
		s.log.Warn("share: a claim could not be decided; recorded here (another console may record it too)", "id", ev.ID, "kind", ev.Kind, "err", incident.Clean(err.Error()))
		s.mu.Lock()
		s.claimsDownUntil = time.Now().Add(claimPause)
		s.mu.Unlock()
		st, err := s.appendLocal(ev)
		return st, true, err
	}
	if won {
		stored = ev
	}
	st, err := s.j.Append(stored)
	return st, won, err
}

// claimsDown: a claim timed out lately; claims do not ask for now.
func (s *sharing) claimsDown() bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	return time.Now().Before(s.claimsDownUntil)
}

// Next hands the shell the other consoles' events once they are in the
// journal (tui.Share).
func (s *sharing) Next() ([]incident.Event, error, bool) {
	if len(s.held) == 0 {
		batch, ok := <-s.sh.Events()
		if !ok {
			return nil, nil, false
		}
		s.held = batch
	more:
		for len(s.held) < coalesceMax {
			select {
			case b, ok := <-s.sh.Events():
				if !ok {
					break more
				}
				s.held = append(s.held, b...)
			default:
				break more
			}
		}
	}
	stored, err := s.j.AppendAll(s.held)
	if err != nil {
		return nil, err, true
	}
	s.held = nil
	return stored, nil, true
}

// Status is the share's state for the status bar (tui.Share).
func (s *sharing) Status() tui.ShareStatus {
	st := s.sh.State()
	out := tui.ShareStatus{Pending: st.Pending, Where: s.where, Self: tui.Peer{Actor: s.actor, Host: s.host}}
	switch st.Status {
	case share.StatusOK:
		out.State = probes.State{Status: probes.OK, Watching: true, LastOK: st.Since}
	case share.StatusCatchingUp:
		out.State = probes.State{Status: probes.Connecting}
	default:
		out.State = probes.State{Status: probes.Failing, LastErr: errors.New(strings.TrimPrefix(st.Err, "share: ")), ErrSince: st.Since}
	}
	for _, p := range s.sh.Peers() {
		where := p.Host
		if p.User != "" {
			where = p.User + "@" + p.Host
		}
		out.Peers = append(out.Peers, tui.Peer{Actor: p.Actor, Host: where, Seen: p.Seen})
	}
	return out
}

// userAtHost is this console's OS user and host, "alice@laptop".
func userAtHost() string {
	u, h := osUserHost()
	return u + "@" + h
}

// osUserHost is this console's OS user and host name ("?" if unknown).
func osUserHost() (string, string) {
	name := os.Getenv("USER")
	if u, err := user.Current(); err == nil && u.Username != "" {
		name = u.Username
	}
	if name == "" {
		name = "?"
	}
	host, err := os.Hostname()
	if err != nil || host == "" {
		host = "?"
	}
	return name, host
}

// dsnWithoutPassword is dsn with any password left out (a URL's
// userinfo, a key=value password): for a command line shown on screen.
func dsnWithoutPassword(dsn string) string {
	if u, err := url.Parse(dsn); err == nil && (u.Scheme == "postgres" || u.Scheme == "postgresql") {
		if u.User != nil {
			u.User = url.User(u.User.Username())
		}
		q := u.Query()
		if q.Has("password") || q.Has("sslpassword") {
			q.Del("password")
			q.Del("sslpassword")
			u.RawQuery = q.Encode()
		}
		return u.String()
	}
	return kvPassword.ReplaceAllString(dsn, "")
}

// kvPassword is a key=value DSN's password setting, quoted or not.
var kvPassword = regexp.MustCompile(`\b(?:ssl)?password\s*=\s*('(?:[^'\\]|\\.)*'|\S*)\s*`)

// dsnWhere is where the DSN points, without credentials: "host:port/db".
func dsnWhere(dsn string) string {
	c, err := pgconn.ParseConfig(dsn)
	if err != nil {
		return "(DSN does not parse)"
	}
	return net.JoinHostPort(c.Host, strconv.Itoa(int(c.Port))) + "/" + c.Database
}

// isDrill reports whether the incident s is the embedded drill's.
func isDrill(s incident.Session) bool { return s.Title == drill.Title }
