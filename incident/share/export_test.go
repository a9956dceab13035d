package share

import (
	"testing"
	"time"
)

// SetPresenceTiming shortens the heartbeat period and the peer timeout for
// the Shares opened until the test ends.
func SetPresenceTiming(t testing.TB, every, timeout time.Duration) {
	t.Helper()
	oldEvery, oldTimeout := heartbeatEvery, peerTimeout
	heartbeatEvery, peerTimeout = every, timeout
	t.Cleanup(func() { heartbeatEvery, peerTimeout = oldEvery, oldTimeout })
}

// Reads counts the event reads (catch-ups and reads on notifications) so far.
func (s *Share) Reads() int64 { return s.reads.Load() }
