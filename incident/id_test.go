package incident

import (
	"strings"
	"testing"
	"time"

	"github.com/google/uuid"
)

// idTime decodes the 48-bit millisecond prefix of an ID.
func idTime(t *testing.T, id string) time.Time {
	t.Helper()
	u, err := uuid.Parse(id)
	if err != nil {
		t.Fatalf("uuid.Parse(%q): %v", id, err)
	}
	var ms int64
	for _, b := range u[:6] {
		ms = ms<<8 | int64(b)
	}
	return time.UnixMilli(ms)
}

func TestNewIDFormat(t *testing.T) {
	at := time.Date(2025, 3, 1, 2, 3, 4, 567_890_123, time.UTC)
	id := NewID(at)
	u, err := uuid.Parse(id)
	if err != nil {
		t.Fatal(err)
	}
	if u.Version() != 7 || u.Variant() != uuid.RFC4122 {
		t.Errorf("%s: version %d variant %v", id, u.Version(), u.Variant())
	}
	if id != strings.ToLower(id) || id != u.String() || len(id) != 36 {
		t.Errorf("not canonical lowercase: %q", id)
	}
	if got := idTime(t, id); !got.Equal(at.Truncate(time.Millisecond)) {
		t.Errorf("timestamp %v, want %v (t's, not the wall clock's)", got, at)
	}
	if got := idTime(t, NewID(time.Time{})); got.UnixMilli() != 0 {
		t.Errorf("zero time gave timestamp %v", got)
	}
}

func TestNewIDUniqueInOneMillisecond(t *testing.T) {
	at := time.Date(2025, 3, 1, 0, 0, 0, 0, time.UTC)
	seen := map[string]bool{}
	for range 100_000 {
		id := NewID(at)
		if seen[id] {
			t.Fatalf("duplicate ID %s", id)
		}
		seen[id] = true
	}
}

func TestNewIDOrderedAcrossMilliseconds(t *testing.T) {
	at := time.Date(2025, 3, 1, 0, 0, 0, 0, time.UTC)
	prev := ""
	for i := range 5000 {
		// Steps from 1ms to years, so every byte of the prefix changes.
		step := time.Duration(i*i+1) * time.Millisecond
		id := NewID(at.Add(step))
		if prev != "" && id <= prev {
			t.Fatalf("step %v: %s sorts before %s", step, id, prev)
		}
		prev = id
	}
}

func TestDerivedID(t *testing.T) {
	at := time.Date(2025, 3, 1, 2, 3, 4, 5_000_000, time.UTC)
	id := DerivedID(at, "escalation", "inc-1", "2")
	u, err := uuid.Parse(id)
	if err != nil {
		t.Fatal(err)
	}
	if u.Version() != 8 || u.Variant() != uuid.RFC4122 || id != u.String() {
		t.Errorf("%s: version %d variant %v", id, u.Version(), u.Variant())
	}
	if got := idTime(t, id); !got.Equal(at) {
		t.Errorf("timestamp %v, want %v", got, at)
	}
	// Deterministic, to the millisecond.
	if again := DerivedID(at.Add(999*time.Microsecond), "escalation", "inc-1", "2"); again != id {
		t.Errorf("not deterministic: %s vs %s", again, id)
	}
	// Sensitive to the time, to each part, to the number of parts and to
	// part boundaries.
	others := map[string]string{
		"time":       DerivedID(at.Add(time.Millisecond), "escalation", "inc-1", "2"),
		"part 0":     DerivedID(at, "escalatioN", "inc-1", "2"),
		"part 1":     DerivedID(at, "escalation", "inc-2", "2"),
		"part 2":     DerivedID(at, "escalation", "inc-1", "3"),
		"extra part": DerivedID(at, "escalation", "inc-1", "2", ""),
		"fewer":      DerivedID(at, "escalation", "inc-1"),
	}
	for name, o := range others {
		if o == id {
			t.Errorf("%s: same ID %s", name, o)
		}
	}
	if a, b := DerivedID(at, "ab", "c"), DerivedID(at, "a", "bc"); a == b {
		t.Errorf(`("ab","c") and ("a","bc") both give %s`, a)
	}
	if a, b := DerivedID(at, "a", ""), DerivedID(at, "", "a"); a == b {
		t.Errorf(`("a","") and ("","a") both give %s`, a)
	}
	if DerivedID(at) == DerivedID(at, "") {
		t.Error(`() and ("") give the same ID`)
	}
	// Time prefix orders derived IDs with random ones.
	if later := NewID(at.Add(time.Millisecond)); later <= id {
		t.Errorf("NewID a millisecond later %s sorts before DerivedID %s", later, id)
	}
}

// IDs made one after another for the same millisecond sort in that order.
func TestNewIDOrderedWithinAMillisecond(t *testing.T) {
	at := time.Date(2026, 11, 27, 3, 12, 0, 0, time.UTC)
	prev := NewID(at)
	for i := 0; i < 1000; i++ {
		id := NewID(at)
		if id <= prev {
			t.Fatalf("ID %d %s does not sort after %s", i, id, prev)
		}
		prev = id
	}
}
