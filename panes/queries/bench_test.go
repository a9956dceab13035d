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

// snapshotQueue is 500 writers queued for one row as PostgreSQL reports
// them: each blocked by the holder and every writer ahead (125,000 edges).
func snapshotQueue() pg.Snapshot {
	s := pg.Snapshot{At: t0, Connections: 520, MaxConnections: 600}
	s.Sessions = append(s.Sessions, sess(30000, "idle in transaction", time.Hour, "UPDATE accounts SET balance = 0 WHERE id = 1"))
	for i := 1; i < 500; i++ {
		by := make([]int, 0, i)
		for j := 0; j < i; j++ {
			by = append(by, 30000+j)
		}
		w := sess(30000+i, "active", time.Duration(1000-i)*time.Second, "UPDATE accounts SET balance = balance + 1 WHERE id = 1", by...)
		w.WaitEvent = "Lock:tuple"
		s.Sessions = append(s.Sessions, w)
	}
	return s
}

// BenchmarkSnapshotQueue500 is taking a snapshot of a 500-writer row
// queue (tree, counts), then a frame of its tree and the holder's detail.
func BenchmarkSnapshotQueue500(b *testing.B) {
	m := New(testCommon(), &fakePG{}, nil, Config{Refresh: time.Second})
	m.SetSize(160, 48)
	s := snapshotQueue()
	b.Run("snapshot", func(b *testing.B) {
		for b.Loop() {
			s.At = s.At.Add(time.Second)
			feed(m, s)
		}
	})
	press(m, "b")
	b.Run("tree-frame", func(b *testing.B) {
		for b.Loop() {
			_ = m.View()
		}
	})
	press(m, "enter")
	if f := m.detailFrees; f != 499 {
		b.Fatalf("the holder frees %d, want 499", f)
	}
	b.Run("detail-frame", func(b *testing.B) {
		for b.Loop() {
			_ = m.View()
		}
	})
}
