package queries

import (
	"fmt"
	"testing"
	"time"

	"github.com/warroom-dev/warroom/probes/pg"
)

// snapshot500 is 500 busy sessions: a 50-deep lock chain, 20 more waiters
// on its root, and long and short queries with long texts.
func snapshot500() pg.Snapshot {
	s := pg.Snapshot{At: t0, Connections: 520, MaxConnections: 600, Counts: pg.Counts{Active: 499, IdleInTxn: 1, Waiting: 69}}
	s.Sessions = append(s.Sessions, sess(10000, "idle in transaction", time.Hour, "UPDATE accounts SET balance = balance - 1 WHERE id = 1"))
	for i := 1; i < 50; i++ {
		s.Sessions = append(s.Sessions, sess(10000+i, "active", time.Duration(3000-i)*time.Second,
			fmt.Sprintf("UPDATE accounts SET balance = balance + %d WHERE id = 1 /* chain %d */", i, i), 10000+i-1))
	}
	for i := 0; i < 20; i++ {
		s.Sessions = append(s.Sessions, sess(11000+i, "active", time.Duration(i)*time.Second, "DELETE FROM accounts WHERE id = 1", 10000))
	}
	for len(s.Sessions) < 500 {
		i := len(s.Sessions)
		s.Sessions = append(s.Sessions, sess(20000+i, "active", time.Duration(i%600)*time.Second,
			fmt.Sprintf("SELECT o.id, o.total, c.email FROM orders o JOIN customers c ON c.id = o.customer_id WHERE o.created_at > now() - interval '%d minutes' ORDER BY o.total DESC LIMIT 100", i)))
	}
	return s
}

// BenchmarkView500 is one frame of the list with 500 sessions: the view
// draws only the visible rows from what the snapshot derived.
func BenchmarkView500(b *testing.B) {
	for _, tree := range []bool{false, true} {
		b.Run(fmt.Sprintf("tree=%v", tree), func(b *testing.B) {
			m := New(testCommon(), &fakePG{}, nil, Config{Refresh: time.Second})
			m.SetSize(160, 48)
			feed(m, snapshot500())
			if tree {
				press(m, "b")
				if len(m.rows) != 70 || m.rows[0].blocks != 69 {
					b.Fatalf("tree: %d rows, root blocks %d", len(m.rows), m.rows[0].blocks)
				}
			}
			b.ResetTimer()
			for b.Loop() {
				_ = m.View()
			}
		})
	}
}

// BenchmarkSnapshot500 is taking a new snapshot of 500 sessions: sort,
// tree, rates (once per poll, on the UI goroutine).
func BenchmarkSnapshot500(b *testing.B) {
	m := New(testCommon(), &fakePG{}, nil, Config{Refresh: time.Second})
	m.SetSize(160, 48)
	s := snapshot500()
	for b.Loop() {
		s.At = s.At.Add(time.Second)
		feed(m, s)
	}
}
