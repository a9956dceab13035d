// Package prom is the Prometheus probe: PromQL range and instant queries
// and the alert list through client_golang's API client, with
// prometheus/common's HTTP client for credentials and TLS (options.go).
// Every query has a timeout; every error is an *Error without credentials
// (errors.go).
package prom

import (
	"context"
	"fmt"
	"sort"
	"time"

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

type probe struct {
	api v1.API
	sc  scrubber // makes errors safe; holds the query timeout
}

// bound is ctx with the query timeout.
func (p probe) bound(ctx context.Context) (context.Context, context.CancelFunc) {
	return context.WithTimeout(ctx, p.sc.timeout)
}

func (p probe) QueryRange(ctx context.Context, query string, start, end time.Time, step time.Duration) ([]Series, error) {
	qctx, cancel := p.bound(ctx)
	defer cancel()
	val, _, _, err := p.api.QueryRange(qctx, query, v1.Range{Start: start, End: end, Step: step})
	if err != nil {
		return nil, p.sc.wrap(ctx, err)
	}
	matrix, ok := val.(model.Matrix)
	if !ok {
		return nil, &Error{Type: ErrBadResponse, Msg: "expected a matrix, got " + typeOf(val)}
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
	qctx, cancel := p.bound(ctx)
	defer cancel()
	val, _, _, err := p.api.Query(qctx, query, at)
	if err != nil {
		return nil, p.sc.wrap(ctx, err)
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
		return nil, &Error{Type: ErrBadResponse, Msg: "expected a vector or a scalar, got " + typeOf(val)}
	}
	return out, nil
}

func (p probe) Alerts(ctx context.Context) ([]Alert, error) {
	qctx, cancel := p.bound(ctx)
	defer cancel()
	res, err := p.api.Alerts(qctx)
	if err != nil {
		return nil, p.sc.wrap(ctx, err)
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

// typeOf names a query result's type ("matrix", "string"), or "nothing".
func typeOf(v model.Value) string {
	if v == nil {
		return "nothing"
	}
	return v.Type().String()
}
