// Command exporter is the test backends' and the sandbox's "api" service: it
// exposes http_requests_total{handler,method,status} for Prometheus with a
// controllable share of 5xx responses, and generates its own steady synthetic
// traffic so the counters move without a load generator.
//
//	go run ./hack/exporter -listen 127.0.0.1:19101 -error-ratio 0.005
//	curl -X POST '127.0.0.1:19101/control?error_ratio=0.12'   # step the error ratio
//	curl 127.0.0.1:19101/control                              # {"error_ratio":0.12,"rps":200,...}
//
// Errors are spread deterministically (an error "credit" accumulates by the
// ratio on every request), so any window of N requests holds ratio·N ± 1
// errors: rate() ratios are close to the configured ratio from the first
// scrapes on.
package main

import (
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"log"
	"net"
	"net/http"
	"os"
	"os/signal"
	"strconv"
	"sync"
	"syscall"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"
	"github.com/prometheus/client_golang/prometheus/promhttp"
)

// route is one synthetic endpoint and its share of the traffic.
type route struct {
	Handler string
	Method  string
	Weight  int
}

var routes = []route{
	{"/api/v1/agents", "GET", 4},
	{"/api/v1/runs", "POST", 3},
	{"/api/v1/runs/{id}", "GET", 2},
	{"/api/v1/tools", "GET", 1},
}

var errorStatuses = []string{"500", "502", "503", "504"}

// Service holds the knobs and the metrics.
type Service struct {
	mu       sync.Mutex
	ratio    float64
	rps      float64
	credit   float64 // accumulated error share; an error is served when it reaches 1
	pending  float64 // fractional requests carried between ticks
	next     int     // round-robin position in the weighted routes
	nextErr  int
	total    uint64
	errors   uint64
	started  time.Time
	prev     float64   // ratio before the last change
	changed  time.Time // when the ratio last changed
	requests *prometheus.CounterVec
	duration *prometheus.HistogramVec
	ratioG   prometheus.Gauge
	Registry *prometheus.Registry
}

// NewService makes a service with its own registry.
func NewService(ratio, rps float64) (*Service, error) {
	if err := checkRatio(ratio); err != nil {
		return nil, err
	}
	if rps < 0 {
		return nil, fmt.Errorf("rps must be >= 0, got %v", rps)
	}
	now := time.Now()
	s := &Service{ratio: ratio, prev: ratio, rps: rps, started: now, changed: now, Registry: prometheus.NewRegistry()}
	s.requests = prometheus.NewCounterVec(prometheus.CounterOpts{
		Name: "http_requests_total",
		Help: "HTTP requests served, by handler, method and status code.",
	}, []string{"handler", "method", "status"})
	s.duration = prometheus.NewHistogramVec(prometheus.HistogramOpts{
		Name:    "http_request_duration_seconds",
		Help:    "HTTP request latency.",
		Buckets: []float64{0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5},
	}, []string{"handler", "method"})
	s.ratioG = prometheus.NewGauge(prometheus.GaugeOpts{
		Name: "warroom_exporter_error_ratio",
		Help: "The configured share of 5xx responses.",
	})
	s.ratioG.Set(ratio)
	s.Registry.MustRegister(s.requests, s.duration, s.ratioG,
		collectors.NewGoCollector(), collectors.NewProcessCollector(collectors.ProcessCollectorOpts{}))
	// Every series exists from the start, so rate() never misses a counter's birth.
	for _, r := range routes {
		s.requests.WithLabelValues(r.Handler, r.Method, "200")
		for _, st := range errorStatuses {
			s.requests.WithLabelValues(r.Handler, r.Method, st)
		}
	}
	return s, nil
}

func checkRatio(r float64) error {
	if r < 0 || r > 1 || r != r {
		return fmt.Errorf("error ratio must be within [0, 1], got %v", r)
	}
	return nil
}

// Serve records one request to route r and reports whether it failed.
func (s *Service) serve(r route) (status string, failed bool) {
	s.mu.Lock()
	s.credit += s.ratio
	if s.credit >= 1 {
		s.credit--
		failed = true
		status = errorStatuses[s.nextErr%len(errorStatuses)]
		s.nextErr++
		s.errors++
	} else {
		status = "200"
	}
	s.total++
	s.mu.Unlock()
	s.requests.WithLabelValues(r.Handler, r.Method, status).Inc()
	lat := 0.02
	if failed {
		lat = 0.3
	}
	s.duration.WithLabelValues(r.Handler, r.Method).Observe(lat)
	return status, failed
}

func (s *Service) nextRoute() route {
	sum := 0
	for _, r := range routes {
		sum += r.Weight
	}
	s.mu.Lock()
	i := s.next % sum
	s.next++
	s.mu.Unlock()
	for _, r := range routes {
		if i < r.Weight {
			return r
		}
		i -= r.Weight
	}
	return routes[0]
}

// Generate serves the synthetic traffic due for a tick of length dt.
func (s *Service) Generate(dt time.Duration) int {
	s.mu.Lock()
	s.pending += s.rps * dt.Seconds()
	n := int(s.pending)
	s.pending -= float64(n)
	s.mu.Unlock()
	for i := 0; i < n; i++ {
		s.serve(s.nextRoute())
	}
	return n
}

// Run generates traffic every tick until ctx ends.
func (s *Service) Run(ctx context.Context, tick time.Duration) {
	t := time.NewTicker(tick)
	defer t.Stop()
	last := time.Now()
	for {
		select {
		case <-ctx.Done():
			return
		case now := <-t.C:
			s.Generate(now.Sub(last))
			last = now
		}
	}
}

// Control is the knob's JSON view.
// PreviousRatio and ChangedAt let a reader of a windowed rate() know the
// window may still mix the previous ratio with the current one.
type Control struct {
	ErrorRatio    float64   `json:"error_ratio"`
	PreviousRatio float64   `json:"previous_ratio"`
	ChangedAt     time.Time `json:"changed_at"`
	RPS           float64   `json:"rps"`
	Requests      uint64    `json:"requests"`
	Errors        uint64    `json:"errors"`
}

func (s *Service) control() Control {
	s.mu.Lock()
	defer s.mu.Unlock()
	return Control{ErrorRatio: s.ratio, PreviousRatio: s.prev, ChangedAt: s.changed, RPS: s.rps, Requests: s.total, Errors: s.errors}
}

// Handler serves /metrics, /healthz, /control and the API routes themselves.
func (s *Service) Handler() http.Handler {
	mux := http.NewServeMux()
	mux.Handle("GET /metrics", promhttp.HandlerFor(s.Registry, promhttp.HandlerOpts{}))
	mux.HandleFunc("GET /healthz", func(w http.ResponseWriter, _ *http.Request) { fmt.Fprintln(w, "ok") })
	mux.HandleFunc("GET /control", func(w http.ResponseWriter, _ *http.Request) { writeJSON(w, s.control()) })
	mux.HandleFunc("POST /control", func(w http.ResponseWriter, r *http.Request) {
		if err := r.ParseForm(); err != nil {
			http.Error(w, err.Error(), http.StatusBadRequest)
			return
		}
		ratio, rps := -1.0, -1.0
		if v := r.Form.Get("error_ratio"); v != "" {
			f, err := strconv.ParseFloat(v, 64)
			if err == nil {
				err = checkRatio(f)
			}
			if err != nil {
				http.Error(w, "error_ratio: "+err.Error(), http.StatusBadRequest)
				return
			}
			ratio = f
		}
		if v := r.Form.Get("rps"); v != "" {
			f, err := strconv.ParseFloat(v, 64)
			if err != nil || f < 0 {
				http.Error(w, "rps: must be a number >= 0", http.StatusBadRequest)
				return
			}
			rps = f
		}
		s.mu.Lock()
		if ratio >= 0 {
			if ratio != s.ratio {
				log.Printf("error ratio %.4f -> %.4f", s.ratio, ratio)
				s.prev, s.changed = s.ratio, time.Now()
			}
			s.ratio = ratio
			s.ratioG.Set(ratio)
		}
		if rps >= 0 {
			s.rps = rps
		}
		s.mu.Unlock()
		writeJSON(w, s.control())
	})
	for _, rt := range routes {
		rt := rt
		mux.HandleFunc(rt.Method+" "+rt.Handler, func(w http.ResponseWriter, _ *http.Request) {
			status, failed := s.serve(rt)
			if failed {
				code, _ := strconv.Atoi(status)
				http.Error(w, http.StatusText(code), code)
				return
			}
			writeJSON(w, map[string]string{"status": "ok", "handler": rt.Handler})
		})
	}
	return mux
}

func writeJSON(w http.ResponseWriter, v any) {
	w.Header().Set("Content-Type", "application/json")
	_ = json.NewEncoder(w).Encode(v)
}

func main() {
	listen := flag.String("listen", "127.0.0.1:19101", "address to listen on (loopback)")
	ratio := flag.Float64("error-ratio", 0.005, "share of requests answered with a 5xx status, 0..1")
	rps := flag.Float64("rps", 200, "synthetic requests per second")
	flag.Parse()

	s, err := NewService(*ratio, *rps)
	if err != nil {
		log.Fatal(err)
	}
	ln, err := net.Listen("tcp", *listen)
	if err != nil {
		log.Fatal(err)
	}
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	go s.Run(ctx, 100*time.Millisecond)
	srv := &http.Server{Handler: s.Handler(), ReadHeaderTimeout: 5 * time.Second}
	go func() {
		<-ctx.Done()
		sctx, cancel := context.WithTimeout(context.Background(), 3*time.Second)
		defer cancel()
		_ = srv.Shutdown(sctx)
	}()
	log.Printf("exporter on http://%s (error ratio %.4f, %.0f req/s synthetic)", ln.Addr(), *ratio, *rps)
	if err := srv.Serve(ln); err != nil && !errors.Is(err, http.ErrServerClosed) {
		log.Fatal(err)
	}
}
