package drill

import (
	"context"
	"fmt"
	"hash/fnv"
	"math"
	"regexp"
	"sort"
	"strconv"
	"strings"
	"time"

	"github.com/warroom-dev/warroom/probes/prom"
)

// Prom is the drill's prom.Probe: it answers the queries of the story (see
// Queries) from the scenario's traffic, and any other query with an error,
// as Prometheus answers a query it has no series for.
func (s *Scenario) Prom() prom.Probe { return promProbe{s: s} }

type promProbe struct{ s *Scenario }

// ErrorRatio is the story's 5xx ratio at time t: it climbs to the peak
// before the declaration and, after a rollback of the service to a healthy
// revision, falls back to the baseline over Traffic.Recovery (smoothly,
// deterministically; a small per-second jitter makes it look measured).
func (s *Scenario) ErrorRatio(t time.Time) float64 {
	return math.Max(0, s.level(t)*(1+0.15*noise(t)))
}

// level is the ratio at t without jitter.
func (s *Scenario) level(t time.Time) float64 {
	tr := s.story.Traffic
	story := func(t time.Time) float64 {
		rel := t.Sub(s.Start)
		switch {
		case rel < tr.RampFrom:
			return tr.Baseline
		case rel < tr.RampTo:
			return tr.Baseline + (tr.Peak-tr.Baseline)*float64(rel-tr.RampFrom)/float64(tr.RampTo-tr.RampFrom)
		}
		return tr.Peak
	}
	s.mu.Lock()
	changes := append([]healthChange(nil), s.health...)
	s.mu.Unlock()
	cur := story
	for _, c := range changes {
		if c.at.After(t) {
			break
		}
		from, at, to := cur(c.at), c.at, tr.Peak
		if c.healthy {
			to = tr.Baseline
		}
		cur = func(t time.Time) float64 {
			x := min(float64(t.Sub(at))/float64(tr.Recovery), 1)
			return from + (to-from)*x*x*(3-2*x) // smoothstep
		}
	}
	return cur(t)
}

// noise is a deterministic value in [-1, 1] for a timestamp.
func noise(t time.Time) float64 {
	h := fnv.New32a()
	fmt.Fprint(h, t.Unix())
	return float64(h.Sum32()%2001)/1000 - 1
}

// A query the drill answers: a pattern over the query with all whitespace
// removed, and the series it evaluates to at each step.
type matcher struct {
	name   string
	re     *regexp.Regexp
	series func(s *Scenario, m []string) []seriesFn
}

type seriesFn struct {
	labels map[string]string
	at     func(t time.Time) float64
}

const (
	rng  = `\[\d+[smh]\]`
	err5 = `\{status=~"5\.\."\}`
)

var matchers = []matcher{
	{"5xx ratio",
		regexp.MustCompile(`^\(?sum\(rate\(http_requests_total` + err5 + rng + `\)\)\)?/\(?sum\(rate\(http_requests_total` + rng + `\)\)\)?$`),
		func(s *Scenario, _ []string) []seriesFn {
			return []seriesFn{{map[string]string{}, s.ErrorRatio}}
		}},
	{"requests per second",
		regexp.MustCompile(`^sum\(rate\(http_requests_total` + rng + `\)\)$`),
		func(s *Scenario, _ []string) []seriesFn {
			return []seriesFn{{map[string]string{}, func(time.Time) float64 { return s.story.Traffic.RPS }}}
		}},
	{"requests per second by status",
		regexp.MustCompile(`^sum(?:by\((status|code)\))?\(rate\(http_requests_total` + rng + `\)\)(?:by\((status|code)\))?$`),
		func(s *Scenario, m []string) []seriesFn {
			label := m[1] + m[2]
			tr := s.story.Traffic
			code := func(c string, share func(t time.Time) float64) seriesFn {
				return seriesFn{map[string]string{label: c}, func(t time.Time) float64 { return tr.RPS * share(t) }}
			}
			return []seriesFn{
				code("200", func(t time.Time) float64 { return 1 - tr.ClientErrors - s.ErrorRatio(t) }),
				code("429", func(time.Time) float64 { return tr.ClientErrors }),
				code("500", func(t time.Time) float64 { return 0.7 * s.ErrorRatio(t) }),
				code("503", func(t time.Time) float64 { return 0.3 * s.ErrorRatio(t) }),
			}
		}},
	{"requests per second by status class",
		regexp.MustCompile(`^sumby\(class\)\(label_replace\(rate\(http_requests_total` + rng + `\),"class","\$\{1\}xx","status","\(\[0-9\]\)\.\."\)\)$`),
		func(s *Scenario, _ []string) []seriesFn {
			tr := s.story.Traffic
			class := func(c string, share func(t time.Time) float64) seriesFn {
				return seriesFn{map[string]string{"class": c}, func(t time.Time) float64 { return tr.RPS * share(t) }}
			}
			return []seriesFn{
				class("2xx", func(t time.Time) float64 { return 1 - tr.ClientErrors - s.ErrorRatio(t) }),
				class("4xx", func(time.Time) float64 { return tr.ClientErrors }),
				class("5xx", s.ErrorRatio),
			}
		}},
	{"top handlers by 5xx",
		regexp.MustCompile(`^topk\((\d+),sum(?:by\(handler\))?\(rate\(http_requests_total` + err5 + rng + `\)\)(?:by\(handler\))?\)$`),
		func(s *Scenario, m []string) []seriesFn {
			k, _ := strconv.Atoi(m[1])
			tr := s.story.Traffic
			var out []seriesFn
			for i, h := range tr.Handlers {
				if i >= k {
					break
				}
				share := h.Share
				out = append(out, seriesFn{map[string]string{"handler": h.Path}, func(t time.Time) float64 { return tr.RPS * s.ErrorRatio(t) * share }})
			}
			return out
		}},
	{"agent success rate",
		regexp.MustCompile(`^\(?sum\(rate\(agent_runs_total\{(?:outcome|status)="success"\}` + rng + `\)\)\)?/\(?sum\(rate\(agent_runs_total` + rng + `\)\)\)?$`),
		func(s *Scenario, _ []string) []seriesFn {
			tr := s.story.Traffic
			return []seriesFn{{map[string]string{}, func(t time.Time) float64 {
				return math.Max(0, tr.AgentSuccess-tr.AgentFailures*s.ErrorRatio(t))
			}}}
		}},
}

func normalizeQuery(q string) string {
	return strings.Join(strings.Fields(q), "")
}

func (p promProbe) QueryRange(ctx context.Context, query string, start, end time.Time, step time.Duration) ([]prom.Series, error) {
	if step <= 0 {
		return nil, fmt.Errorf("drill: step must be positive")
	}
	q := normalizeQuery(query)
	for _, m := range matchers {
		sub := m.re.FindStringSubmatch(q)
		if sub == nil {
			continue
		}
		var out []prom.Series
		for _, f := range m.series(p.s, sub) {
			var pts []prom.Point
			for t := start.Truncate(step); !t.After(end); t = t.Add(step) {
				if t.Before(start) {
					continue
				}
				pts = append(pts, prom.Point{T: t, V: f.at(t)})
			}
			out = append(out, prom.Series{Labels: f.labels, Points: pts})
		}
		sort.SliceStable(out, func(i, j int) bool { return fmt.Sprint(out[i].Labels) < fmt.Sprint(out[j].Labels) })
		return out, ctx.Err()
	}
	return nil, fmt.Errorf("drill: no series for this query: %s", strings.TrimSpace(query))
}

// Query answers an instant query of the story, as QueryRange does, at at.
func (p promProbe) Query(ctx context.Context, query string, at time.Time) ([]prom.Sample, error) {
	q := normalizeQuery(query)
	for _, m := range matchers {
		sub := m.re.FindStringSubmatch(q)
		if sub == nil {
			continue
		}
		var out []prom.Sample
		for _, f := range m.series(p.s, sub) {
			out = append(out, prom.Sample{Labels: f.labels, V: f.at(at), T: at})
		}
		sort.SliceStable(out, func(i, j int) bool { return out[i].V > out[j].V })
		return out, ctx.Err()
	}
	return nil, fmt.Errorf("drill: no series for this query: %s", strings.TrimSpace(query))
}

// Alerts are the story's alerts that have fired by now; HighErrorRate is
// gone once the service has been rolled back and the ratio has recovered
// (when the script records it resolved).
func (p promProbe) Alerts(ctx context.Context) ([]prom.Alert, error) {
	s := p.s
	now := s.Now()
	s.mu.Lock()
	changes := append([]healthChange(nil), s.health...)
	s.mu.Unlock()
	var resolvedAt time.Time
	if n := len(changes); n > 0 && changes[n-1].healthy {
		resolvedAt = changes[n-1].at.Add(s.story.Traffic.Recovery)
	}
	var out []prom.Alert
	for _, a := range s.story.Alerts {
		at := s.Start.Add(a.At)
		if now.Before(at) {
			continue
		}
		if a.Name == "HighErrorRate" && !resolvedAt.IsZero() && !now.Before(resolvedAt) {
			continue
		}
		labels := map[string]string{"alertname": a.Name}
		for k, v := range a.Labels {
			labels[k] = v
		}
		out = append(out, prom.Alert{Name: a.Name, State: "firing", ActiveAt: at, Labels: labels,
			Annotations: map[string]string{"summary": a.Summary, "description": a.Detail}})
	}
	return out, ctx.Err()
}
