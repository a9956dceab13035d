package kube

import (
	"strconv"
	"time"

	"k8s.io/apimachinery/pkg/util/duration"
)

// RestartsText is the RESTARTS column as kubectl prints it: the count, and
// when the last restart is known, how long ago it was ("3 (2m ago)").
func (p Pod) RestartsText(now time.Time) string {
	s := strconv.Itoa(int(p.Restarts))
	if p.Restarts != 0 && !p.LastRestart.IsZero() {
		s += " (" + duration.HumanDuration(now.Sub(p.LastRestart)) + " ago)"
	}
	return s
}
