// Package prom is the Prometheus probe: PromQL range queries through
// client_golang's API client.
package prom

import (
	"context"
	"fmt"
	"net/http"
	"sort"
	"time"

	"github.com/prometheus/client_golang/api"
	v1 "github.com/prometheus/client_golang/api/prometheus/v1"
	"github.com/prometheus/common/model"
)

// Point is one sample.
type Point struct {
	T time.Time
	V float64
}

// Series is one labelled line of a range query.
type Series struct {
	Labels map[string]string
	Points []Point
}

// Sample is one labelled value of an instant query.
type Sample struct {
	Labels map[string]string
	V      float64
	T      time.Time
}

// Alert is one alert as Prometheus' /api/v1/alerts reports it.
type Alert struct {
	Name        string // the alertname label
	State       string // "firing" or "pending"
	ActiveAt    time.Time
	Value       string
	Labels      map[string]string
	Annotations map[string]string
}

// Probe is what panes depend on.
type Probe interface {
	// QueryRange evaluates a PromQL expression over [start, end] at step.
	QueryRange(ctx context.Context, query string, start, end time.Time, step time.Duration) ([]Series, error)
	// Query evaluates a PromQL expression at one instant (tables).
	Query(ctx context.Context, query string, at time.Time) ([]Sample, error)
	// Alerts lists the firing and pending alerts.
	Alerts(ctx context.Context) ([]Alert, error)
}

// ErrorRatioQuery is the default "share of 5xx responses" expression.
const ErrorRatioQuery = `sum(rate(http_requests_total{status=~"5.."}[1m])) / sum(rate(http_requests_total[1m]))`

type probe struct{ api v1.API }

// New connects to the Prometheus HTTP API at address (no I/O until a query).
func New(address string, rt http.RoundTripper) (Probe, error) {
	c, err := api.NewClient(api.Config{Address: address, RoundTripper: rt})
	if err != nil {
		return nil, err // the caller names the setting: no "prometheus: " here
	}
	return probe{api: v1.NewAPI(c)}, nil
}

func (p probe) QueryRange(ctx context.Context, query string, start, end time.Time, step time.Duration) ([]Series, error) {
	val, _, _, err := p.api.QueryRange(ctx, query, v1.Range{Start: start, End: end, Step: step})
	if err != nil {
		return nil, err
	}
	matrix, ok := val.(model.Matrix)
	if !ok {
		return nil, fmt.Errorf("expected a matrix, got %s", val.Type())
	}
	out := make([]Series, 0, len(matrix))
	for _, ss := range matrix {
		s := Series{Labels: make(map[string]string, len(ss.Metric))}
		for k, v := range ss.Metric {
			s.Labels[string(k)] = string(v)
		}
		s.Points = make([]Point, len(ss.Values))
		for i, v := range ss.Values {
			s.Points[i] = Point{T: v.Timestamp.Time(), V: float64(v.Value)}
		}
		out = append(out, s)
	}
	sort.Slice(out, func(i, j int) bool { return fmt.Sprint(out[i].Labels) < fmt.Sprint(out[j].Labels) })
	return out, nil
}

func (p probe) Query(ctx context.Context, query string, at time.Time) ([]Sample, error) {
	val, _, _, err := p.api.Query(ctx, query, at)
	if err != nil {
		return nil, err
	}
	var out []Sample
	switch v := val.(type) {
	case model.Vector:
		for _, smp := range v {
			s := Sample{Labels: make(map[string]string, len(smp.Metric)), V: float64(smp.Value), T: smp.Timestamp.Time()}
			for k, lv := range smp.Metric {
				s.Labels[string(k)] = string(lv)
			}
			out = append(out, s)
		}
	case *model.Scalar:
		out = append(out, Sample{Labels: map[string]string{}, V: float64(v.Value), T: v.Timestamp.Time()})
	default:
		return nil, fmt.Errorf("expected a vector or a scalar, got %s", val.Type())
	}
	return out, nil
}

func (p probe) Alerts(ctx context.Context) ([]Alert, error) {
	res, err := p.api.Alerts(ctx)
	if err != nil {
		return nil, err
	}
	out := make([]Alert, 0, len(res.Alerts))
	for _, a := range res.Alerts {
		al := Alert{Name: string(a.Labels[model.AlertNameLabel]), State: string(a.State), ActiveAt: a.ActiveAt, Value: a.Value,
			Labels: make(map[string]string, len(a.Labels)), Annotations: make(map[string]string, len(a.Annotations))}
		for k, v := range a.Labels {
			al.Labels[string(k)] = string(v)
		}
		for k, v := range a.Annotations {
			al.Annotations[string(k)] = string(v)
		}
		out = append(out, al)
	}
	sort.Slice(out, func(i, j int) bool {
		if out[i].State != out[j].State {
			return out[i].State == "firing"
		}
		return out[i].ActiveAt.Before(out[j].ActiveAt)
	})
	return out, nil
}
