package main

import (
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"
)

func counters(t *testing.T, s *Service) (total, errs float64) {
	t.Helper()
	mfs, err := s.Registry.Gather()
	if err != nil {
		t.Fatal(err)
	}
	for _, mf := range mfs {
		if mf.GetName() != "http_requests_total" {
			continue
		}
		for _, m := range mf.GetMetric() {
			v := m.GetCounter().GetValue()
			total += v
			for _, l := range m.GetLabel() {
				if l.GetName() == "status" && strings.HasPrefix(l.GetValue(), "5") {
					errs += v
				}
			}
		}
	}
	return total, errs
}

func TestGenerateKeepsRatio(t *testing.T) {
	s, err := NewService(0.05, 1000)
	if err != nil {
		t.Fatal(err)
	}
	if n := s.Generate(2 * time.Second); n != 2000 {
		t.Fatalf("generated %d requests, want 2000", n)
	}
	total, errs := counters(t, s)
	if total != 2000 || errs != 100 {
		t.Fatalf("total=%v errors=%v, want 2000 and 100", total, errs)
	}
}

func TestControlKnob(t *testing.T) {
	s, err := NewService(0.005, 0)
	if err != nil {
		t.Fatal(err)
	}
	srv := httptest.NewServer(s.Handler())
	defer srv.Close()

	resp, err := http.Post(srv.URL+"/control?error_ratio=0.12", "", nil)
	if err != nil {
		t.Fatal(err)
	}
	var c Control
	if err := json.NewDecoder(resp.Body).Decode(&c); err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != 200 || c.ErrorRatio != 0.12 {
		t.Fatalf("POST /control: status %d, ratio %v", resp.StatusCode, c.ErrorRatio)
	}

	for _, bad := range []string{"error_ratio=1.5", "error_ratio=-1", "error_ratio=x", "rps=-3"} {
		resp, err := http.Post(srv.URL+"/control?"+bad, "", nil)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		if resp.StatusCode != http.StatusBadRequest {
			t.Errorf("POST /control?%s: status %d, want 400", bad, resp.StatusCode)
		}
	}

	// The API routes answer with the configured share of 5xx.
	fails := 0
	for i := 0; i < 100; i++ {
		resp, err := http.Get(srv.URL + "/api/v1/agents")
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		if resp.StatusCode >= 500 {
			fails++
		}
	}
	if fails != 12 {
		t.Errorf("%d of 100 requests failed, want 12", fails)
	}

	resp, err = http.Get(srv.URL + "/metrics")
	if err != nil {
		t.Fatal(err)
	}
	body, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if !strings.Contains(string(body), `http_requests_total{handler="/api/v1/agents",method="GET",status="200"} 88`) {
		t.Errorf("metrics lack the expected counter:\n%s", body)
	}
}
