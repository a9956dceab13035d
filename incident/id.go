package incident

import (
	"crypto/rand"
	"crypto/sha256"
	"encoding/binary"
	"sync"
	"time"

	"github.com/google/uuid"
)

// NewID returns a new event ID: a UUIDv7 (RFC 9562) whose 48-bit
// millisecond timestamp is t's (not the wall clock's) and whose other bits
// are random (crypto/rand), in canonical lowercase form. IDs are unique
// across machines, and for different milliseconds string order is time
// order. Within one process, IDs made for the same millisecond one after
// another also sort in the order they were made (RFC 9562's method 3: the
// 12 bits after the timestamp count up), so an action's start sorts before
// its outcome even when both fall in one millisecond. Times before 1970 map
// to 0.
func NewID(t time.Time) string {
	var u uuid.UUID
	rand.Read(u[6:]) // never returns an error (crypto/rand, Go 1.24+)
	n := ids.next(t.UnixMilli(), uint16(u[6])<<8|uint16(u[7]))
	u[6], u[7] = byte(n>>8), byte(n)
	return finish(u, t, 7)
}

// ids is the per-process counter behind NewID's order within a
// millisecond: the only state the package keeps, guarded by its mutex.
var ids idCounter

type idCounter struct {
	mu sync.Mutex
	ms int64
	n  uint16
}

// next is the 12-bit counter for ms: random (in the lower half, so it has
// room to count) for a new millisecond, one more for the same one.
func (c *idCounter) next(ms int64, random uint16) uint16 {
	c.mu.Lock()
	defer c.mu.Unlock()
	if ms == c.ms && c.n < 0xfff {
		c.n++
	} else {
		c.ms, c.n = ms, random&0x7ff
	}
	return c.n
}

// DerivedID returns a deterministic event ID for events that must exist
// once per incident however many consoles or restarts record them
// (escalation steps, scripted drill events, upgraded version 1 lines): a
// UUIDv8 with the same 48-bit millisecond prefix as NewID and the remaining
// bits taken from SHA-256 of the parts. The same t (to the millisecond) and
// parts always give the same ID; parts are length-prefixed, so ("ab", "c")
// and ("a", "bc") differ.
func DerivedID(t time.Time, parts ...string) string {
	h := sha256.New()
	var n [8]byte
	for _, p := range parts {
		binary.BigEndian.PutUint64(n[:], uint64(len(p)))
		h.Write(n[:])
		h.Write([]byte(p))
	}
	var u uuid.UUID
	copy(u[6:], h.Sum(nil))
	return finish(u, t, 8)
}

// IsDerivedID reports whether id was made by DerivedID (a UUIDv8): an
// event that exists once per incident, whoever records it.
func IsDerivedID(id string) bool {
	u, err := uuid.Parse(id)
	return err == nil && u.Version() == 8
}

// finish writes t's millisecond timestamp into u's first 48 bits and sets
// the version and the RFC 9562 variant.
func finish(u uuid.UUID, t time.Time, version byte) string {
	ms := t.UnixMilli()
	if ms < 0 {
		ms = 0
	}
	ms &= 1<<48 - 1
	var b [8]byte
	binary.BigEndian.PutUint64(b[:], uint64(ms))
	copy(u[:6], b[2:])
	u[6] = u[6]&0x0f | version<<4
	u[8] = u[8]&0x3f | 0x80
	return u.String()
}

// timeOfID is the time an ID was made for (its first 48 bits, in ms), for
// IDs of this package; false for others.
func timeOfID(id string) (time.Time, bool) {
	u, err := uuid.Parse(id)
	if err != nil {
		return time.Time{}, false
	}
	var b [8]byte
	copy(b[2:], u[:6])
	return time.UnixMilli(int64(binary.BigEndian.Uint64(b[:]))).UTC(), true
}
