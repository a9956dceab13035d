package drill

import (
	"context"
	"testing"
	"time"

	"github.com/warroom-dev/warroom/runbooks"
)

// Every PromQL step of the shipped runbooks is answered by the drill's
// Prometheus: a drill never shows "no series" for its own runbooks.
func TestDrillAnswersTheShippedPromQLSteps(t *testing.T) {
	books, err := runbooks.Shipped()
	if err != nil {
		t.Fatal(err)
	}
	s := New(t0, func() time.Time { return t0.Add(2 * time.Minute) })
	n := 0
	for _, b := range books {
		for _, st := range b.Steps {
			if st.Lang != runbooks.PromQL {
				continue
			}
			n++
			got, err := s.Prom().Query(context.Background(), st.Code, t0.Add(2*time.Minute))
			if err != nil || len(got) == 0 {
				t.Errorf("%s › %s: %q: %d series, %v", b.Title, st.Name, st.Code, len(got), err)
			}
		}
	}
	if n == 0 {
		t.Fatal("no PromQL step in the shipped runbooks")
	}
}
