package kube

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"reflect"
	"strings"
	"sync"
	"testing"
	"time"

	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	"k8s.io/apimachinery/pkg/api/resource"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	fakediscovery "k8s.io/client-go/discovery/fake"
	"k8s.io/client-go/rest"
	metricsv1beta1 "k8s.io/metrics/pkg/apis/metrics/v1beta1"
	fakemetrics "k8s.io/metrics/pkg/client/clientset/versioned/fake"

	"github.com/warroom-dev/warroom/internal/testenv"
)

// Replies as the real servers write them. The 404 and the 403 were read
// from kube-apiserver v1.37.2 (hack/backends.sh) with `kubectl get --raw
// -v=8`; the 503 is what kube-aggregator's proxy handler writes
// (http.Error "service unavailable") when the APIService's server is
// down; the discovery document and the list are metrics-server's shape
// (quantities in n and Ki, as it reports them).
const (
	mxNotFoundBody = "404 page not found\n"

	mxForbiddenKubeSystem = `{"kind":"Status","apiVersion":"v1","metadata":{},"status":"Failure","message":"pods.metrics.k8s.io is forbidden: User \"warroom-narrow\" cannot list resource \"pods\" in API group \"metrics.k8s.io\" in the namespace \"kube-system\"","reason":"Forbidden","details":{"group":"metrics.k8s.io","kind":"pods"},"code":403}`

	mxDiscovery = `{"kind":"APIResourceList","apiVersion":"v1","groupVersion":"metrics.k8s.io/v1beta1","resources":[{"name":"nodes","singularName":"","namespaced":false,"kind":"NodeMetrics","verbs":["get","list"]},{"name":"pods","singularName":"","namespaced":true,"kind":"PodMetrics","verbs":["get","list"]}]}`

	mxAPI    = `{"metadata":{"name":"api-6f9c7d5b8-2xkqp","namespace":"agent-platform","creationTimestamp":"2026-11-27T08:41:12Z","labels":{"app":"api"}},"timestamp":"2026-11-27T08:41:05Z","window":"15.012s","containers":[{"name":"api","usage":{"cpu":"248123456n","memory":"131072Ki"}},{"name":"envoy","usage":{"cpu":"1876544n","memory":"2048Ki"}}]}`
	mxWorker = `{"metadata":{"name":"worker-7c4d9b6f5c-pn3vb","namespace":"agent-platform","creationTimestamp":"2026-11-27T08:41:12Z"},"timestamp":"2026-11-27T08:41:01Z","window":"10.5s","containers":[{"name":"worker","usage":{"cpu":"400000n","memory":"1048575"}},{"name":"sidecar","usage":{"cpu":"400000n","memory":"1"}}]}`
	mxIdle   = `{"metadata":{"name":"idle","namespace":"agent-platform","creationTimestamp":"2026-11-27T08:41:12Z"},"timestamp":"2026-11-27T08:41:01Z","window":"10s","containers":[]}`
	mxDNS    = `{"metadata":{"name":"coredns-5d78c9869d-8xk2l","namespace":"kube-system","creationTimestamp":"2026-11-27T08:41:12Z"},"timestamp":"2026-11-27T08:41:03Z","window":"20.1s","containers":[{"name":"coredns","usage":{"cpu":"3141592n","memory":"17500Ki"}}]}`
)

// mxList is a PodMetricsList as metrics-server writes it.
func mxList(items ...string) string {
	return `{"kind":"PodMetricsList","apiVersion":"metrics.k8s.io/v1beta1","metadata":{},"items":[` + strings.Join(items, ",") + `]}`
}

var (
	mxAgentPlatform = mxList(mxAPI, mxWorker, mxIdle)
	mxKubeSystem    = mxList(mxDNS)
	mxEverywhere    = mxList(mxAPI, mxWorker, mxIdle, mxDNS)
)

// api: 248.123456m + 1.876544m = 250m exactly; 131072Ki + 2048Ki = 130Mi.
// worker: 0.4m + 0.4m = 0.8m, printed 1m (sum, then round up: rounding
// each container first would say 2m); 1048575 + 1 bytes = 1Mi.
// idle: no containers measured yet.
var mxWant = map[string]Usage{
	"agent-platform/api-6f9c7d5b8-2xkqp":     {CPUMilli: 250, MemBytes: 130 << 20},
	"agent-platform/worker-7c4d9b6f5c-pn3vb": {CPUMilli: 1, MemBytes: 1 << 20},
	"agent-platform/idle":                    {},
}

// mxReply is one canned answer: status, content type and body.
type mxReply struct {
	code int
	ct   string
	body string
}

var (
	mxJSON      = func(body string) mxReply { return mxReply{200, "application/json", body} }
	mxNotFound  = mxReply{404, "text/plain; charset=utf-8", mxNotFoundBody}
	mxForbidden = func(body string) mxReply { return mxReply{403, "application/json", body} }
	mxDown      = mxReply{503, "text/plain; charset=utf-8", "service unavailable\n"}
)

// mxServer is an apiserver stand-in on a real HTTP socket: it answers the
// paths in replies (changeable between calls) and records every request.
type mxServer struct {
	*httptest.Server
	t       *testing.T
	mu      sync.Mutex
	replies map[string]mxReply
	got     []string
}

func newMxServer(t *testing.T, replies map[string]mxReply) *mxServer {
	s := &mxServer{t: t, replies: replies}
	s.Server = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		s.mu.Lock()
		s.got = append(s.got, r.Method+" "+r.URL.Path)
		rep, ok := s.replies[r.URL.Path]
		s.mu.Unlock()
		if !ok {
			t.Errorf("unexpected request %s %s", r.Method, r.URL)
			rep = mxNotFound
		}
		if r.Method != http.MethodGet {
			t.Errorf("%s %s: only GET is expected", r.Method, r.URL)
		}
		// client-go asks for protobuf first (RestConfig) and must accept
		// the JSON metrics-server may answer with.
		if !strings.Contains(r.Header.Get("Accept"), "application/json") {
			t.Errorf("%s: Accept %q does not take JSON", r.URL.Path, r.Header.Get("Accept"))
		}
		w.Header().Set("Content-Type", rep.ct)
		w.WriteHeader(rep.code)
		_, _ = io.WriteString(w, rep.body)
	}))
	t.Cleanup(s.Close)
	return s
}

func (s *mxServer) set(path string, rep mxReply) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.replies[path] = rep
}

// requests returns and forgets the requests seen so far.
func (s *mxServer) requests() []string {
	s.mu.Lock()
	defer s.mu.Unlock()
	got := s.got
	s.got = nil
	return got
}

// metrics builds Metrics as production does (NewMetrics on a protobuf
// RestConfig-like config), with a clock the test moves.
func (s *mxServer) metrics(clock *time.Time) *Metrics {
	s.t.Helper()
	cfg := &rest.Config{Host: s.URL}
	cfg.ContentType = "application/vnd.kubernetes.protobuf"
	cfg.AcceptContentTypes = "application/vnd.kubernetes.protobuf,application/json"
	m, err := NewMetrics(cfg)
	if err != nil {
		s.t.Fatal(err)
	}
	m.now = func() time.Time { return *clock }
	return m
}

const (
	mxDiscoveryPath = "/apis/metrics.k8s.io/v1beta1"
	mxAllPath       = "/apis/metrics.k8s.io/v1beta1/pods"
)

func mxNsPath(ns string) string { return "/apis/metrics.k8s.io/v1beta1/namespaces/" + ns + "/pods" }

func TestMetricsServedSumsContainersPerPod(t *testing.T) {
	srv := newMxServer(t, map[string]mxReply{
		mxDiscoveryPath:            mxJSON(mxDiscovery),
		mxNsPath("agent-platform"): mxJSON(mxAgentPlatform),
		mxAllPath:                  mxJSON(mxEverywhere),
	})
	clock := time.Date(2026, 11, 27, 8, 41, 0, 0, time.UTC)
	m := srv.metrics(&clock)
	ctx := context.Background()

	got, err := m.Pods(ctx, []string{"agent-platform"})
	if err != nil {
		t.Fatal(err)
	}
	if !reflect.DeepEqual(got, mxWant) {
		t.Errorf("Pods(agent-platform) = %v, want %v", got, mxWant)
	}
	if want := []string{"GET " + mxDiscoveryPath, "GET " + mxNsPath("agent-platform")}; !reflect.DeepEqual(srv.requests(), want) {
		t.Errorf("first call: requests %v, want %v", srv.requests(), want)
	}

	// Served is remembered: later calls only list. nil and [""] list all.
	wantAll := map[string]Usage{"kube-system/coredns-5d78c9869d-8xk2l": {CPUMilli: 4, MemBytes: 17500 << 10}}
	for k, v := range mxWant {
		wantAll[k] = v
	}
	clock = clock.Add(time.Hour)
	for _, nss := range [][]string{nil, {""}, {"agent-platform", ""}} {
		got, err := m.Pods(ctx, nss)
		if err != nil {
			t.Fatal(err)
		}
		if !reflect.DeepEqual(got, wantAll) {
			t.Errorf("Pods(%q) = %v, want %v", nss, got, wantAll)
		}
		if want := []string{"GET " + mxAllPath}; !reflect.DeepEqual(srv.requests(), want) {
			t.Errorf("Pods(%q): requests %v, want %v", nss, srv.requests(), want)
		}
	}

	// Columns as kubectl top pod prints these pods.
	for key, want := range map[string][2]string{
		"agent-platform/api-6f9c7d5b8-2xkqp":     {"250m", "130Mi"},
		"agent-platform/worker-7c4d9b6f5c-pn3vb": {"1m", "1Mi"},
		"agent-platform/idle":                    {"0m", "0Mi"},
		"kube-system/coredns-5d78c9869d-8xk2l":   {"4m", "17Mi"},
	} {
		u := wantAll[key]
		if cpu, mem := FormatCPU(u.CPUMilli), FormatMem(u.MemBytes); cpu != want[0] || mem != want[1] {
			t.Errorf("%s: %s %s, want %s %s", key, cpu, mem, want[0], want[1])
		}
	}
}

func TestMetricsNotServedAsksDiscoveryOncePerRecheck(t *testing.T) {
	srv := newMxServer(t, map[string]mxReply{mxDiscoveryPath: mxNotFound})
	clock := time.Date(2026, 11, 27, 8, 41, 0, 0, time.UTC)
	m := srv.metrics(&clock)
	const wantText = "metrics unavailable: metrics.k8s.io is not served by this cluster (no metrics-server)"

	call := func(when string) {
		t.Helper()
		got, err := m.Pods(context.Background(), []string{"agent-platform", "kube-system"})
		if !errors.Is(err, ErrMetricsUnavailable) || err.Error() != wantText {
			t.Errorf("%s: err %v, want %q wrapping ErrMetricsUnavailable", when, err, wantText)
		}
		if got != nil {
			t.Errorf("%s: usages %v, want none", when, got)
		}
	}
	call("first call")
	clock = clock.Add(MetricsRecheck - time.Second)
	call("second call")
	if got, want := srv.requests(), []string{"GET " + mxDiscoveryPath}; !reflect.DeepEqual(got, want) {
		t.Errorf("two calls within %v: requests %v, want %v", MetricsRecheck, got, want)
	}
	clock = clock.Add(time.Second)
	call("after the recheck period")
	if got, want := srv.requests(), []string{"GET " + mxDiscoveryPath}; !reflect.DeepEqual(got, want) {
		t.Errorf("after %v: requests %v, want %v", MetricsRecheck, got, want)
	}

	// metrics-server installed: seen at the next recheck.
	srv.set(mxDiscoveryPath, mxJSON(mxDiscovery))
	srv.set(mxNsPath("agent-platform"), mxJSON(mxAgentPlatform))
	srv.set(mxNsPath("kube-system"), mxJSON(mxKubeSystem))
	call("installed, before the recheck")
	clock = clock.Add(MetricsRecheck)
	got, err := m.Pods(context.Background(), []string{"agent-platform", "kube-system"})
	if err != nil || len(got) != 4 {
		t.Errorf("installed, after the recheck: %d usages, err %v; want 4, nil", len(got), err)
	}
	if got, want := srv.requests(), []string{"GET " + mxDiscoveryPath, "GET " + mxNsPath("agent-platform"), "GET " + mxNsPath("kube-system")}; !reflect.DeepEqual(got, want) {
		t.Errorf("installed: requests %v, want %v", got, want)
	}
}

func TestMetricsConcurrentCallersShareOneDiscovery(t *testing.T) {
	srv := newMxServer(t, map[string]mxReply{mxDiscoveryPath: mxNotFound})
	clock := time.Date(2026, 11, 27, 8, 41, 0, 0, time.UTC)
	m := srv.metrics(&clock)
	var wg sync.WaitGroup
	errs := make([]error, 8)
	for i := range errs {
		wg.Go(func() { _, errs[i] = m.Pods(context.Background(), nil) })
	}
	wg.Wait()
	for i, err := range errs {
		if !errors.Is(err, ErrMetricsUnavailable) {
			t.Errorf("caller %d: err %v, want ErrMetricsUnavailable", i, err)
		}
	}
	if got, want := srv.requests(), []string{"GET " + mxDiscoveryPath}; !reflect.DeepEqual(got, want) {
		t.Errorf("%d concurrent callers: requests %v, want %v", len(errs), got, want)
	}
}

func TestMetricsGroupGoneAfterServed(t *testing.T) {
	srv := newMxServer(t, map[string]mxReply{
		mxDiscoveryPath:            mxJSON(mxDiscovery),
		mxNsPath("agent-platform"): mxJSON(mxAgentPlatform),
	})
	clock := time.Date(2026, 11, 27, 8, 41, 0, 0, time.UTC)
	m := srv.metrics(&clock)
	if _, err := m.Pods(context.Background(), []string{"agent-platform"}); err != nil {
		t.Fatal(err)
	}
	srv.requests()

	// The APIService is deleted: the list answers 404, and the next calls
	// within the recheck period send nothing.
	srv.set(mxDiscoveryPath, mxNotFound)
	srv.set(mxNsPath("agent-platform"), mxNotFound)
	for i := range 2 {
		if _, err := m.Pods(context.Background(), []string{"agent-platform"}); !errors.Is(err, ErrMetricsUnavailable) {
			t.Errorf("call %d: err %v, want ErrMetricsUnavailable", i, err)
		}
	}
	if got, want := srv.requests(), []string{"GET " + mxNsPath("agent-platform")}; !reflect.DeepEqual(got, want) {
		t.Errorf("requests %v, want %v", got, want)
	}
}

func TestMetricsServerDownIsUnavailableAndRetried(t *testing.T) {
	// The APIService exists, its server does not answer: discovery and
	// lists get the aggregator's 503. Nothing is cached: the next poll asks
	// again, at the cost of one request either way.
	srv := newMxServer(t, map[string]mxReply{mxDiscoveryPath: mxDown})
	clock := time.Date(2026, 11, 27, 8, 41, 0, 0, time.UTC)
	m := srv.metrics(&clock)
	for i := range 2 {
		_, err := m.Pods(context.Background(), []string{"agent-platform"})
		if !errors.Is(err, ErrMetricsUnavailable) || !strings.HasPrefix(err.Error(), "metrics unavailable: metrics-server is not answering") {
			t.Errorf("discovery 503, call %d: err %v", i, err)
		}
	}
	if got, want := srv.requests(), []string{"GET " + mxDiscoveryPath, "GET " + mxDiscoveryPath}; !reflect.DeepEqual(got, want) {
		t.Errorf("requests %v, want %v", got, want)
	}

	srv.set(mxDiscoveryPath, mxJSON(mxDiscovery))
	srv.set(mxNsPath("agent-platform"), mxDown)
	for i := range 2 {
		_, err := m.Pods(context.Background(), []string{"agent-platform"})
		if !errors.Is(err, ErrMetricsUnavailable) || !strings.HasPrefix(err.Error(), "metrics unavailable: metrics-server is not answering") {
			t.Errorf("list 503, call %d: err %v", i, err)
		}
	}
	if got, want := srv.requests(), []string{"GET " + mxDiscoveryPath, "GET " + mxNsPath("agent-platform"), "GET " + mxNsPath("agent-platform")}; !reflect.DeepEqual(got, want) {
		t.Errorf("requests %v, want %v", got, want)
	}
	srv.set(mxNsPath("agent-platform"), mxJSON(mxAgentPlatform))
	if got, err := m.Pods(context.Background(), []string{"agent-platform"}); err != nil || !reflect.DeepEqual(got, mxWant) {
		t.Errorf("back up: %v, %v; want %v", got, err, mxWant)
	}
}

func TestMetricsForbiddenInPlace(t *testing.T) {
	srv := newMxServer(t, map[string]mxReply{
		mxDiscoveryPath:            mxJSON(mxDiscovery),
		mxNsPath("agent-platform"): mxJSON(mxAgentPlatform),
		mxNsPath("kube-system"):    mxForbidden(mxForbiddenKubeSystem),
		mxNsPath("payments"):       mxForbidden(strings.ReplaceAll(mxForbiddenKubeSystem, "kube-system", "payments")),
		mxAllPath:                  mxForbidden(strings.ReplaceAll(mxForbiddenKubeSystem, ` in the namespace \"kube-system\"`, " at the cluster scope")),
	})
	clock := time.Date(2026, 11, 27, 8, 41, 0, 0, time.UTC)
	m := srv.metrics(&clock)
	for _, tc := range []struct {
		namespaces []string
		want       map[string]Usage
		text       string
	}{
		{[]string{"agent-platform", "kube-system"}, mxWant, "forbidden: list pods.metrics.k8s.io in kube-system"},
		{[]string{"kube-system", "agent-platform", "payments"}, mxWant, "forbidden: list pods.metrics.k8s.io in kube-system; forbidden: list pods.metrics.k8s.io in payments"},
		{nil, map[string]Usage{}, "forbidden: list pods.metrics.k8s.io in all namespaces"},
	} {
		got, err := m.Pods(context.Background(), tc.namespaces)
		if err == nil || err.Error() != tc.text {
			t.Errorf("Pods(%q): err %v, want %q", tc.namespaces, err, tc.text)
		}
		if !apierrors.IsForbidden(err) {
			t.Errorf("Pods(%q): apierrors.IsForbidden(%v) is false", tc.namespaces, err)
		}
		if errors.Is(err, ErrMetricsUnavailable) {
			t.Errorf("Pods(%q): a Forbidden answer reads as %v", tc.namespaces, ErrMetricsUnavailable)
		}
		if !reflect.DeepEqual(got, tc.want) {
			t.Errorf("Pods(%q): usages %v, want %v (the namespaces allowed)", tc.namespaces, got, tc.want)
		}
	}
}

func TestMetricsForbiddenDiscovery(t *testing.T) {
	// Discovery is open to every authenticated user by default
	// (system:discovery); a cluster that closes it answers with the
	// apiserver's non-resource 403.
	srv := newMxServer(t, map[string]mxReply{mxDiscoveryPath: mxForbidden(`{"kind":"Status","apiVersion":"v1","metadata":{},"status":"Failure","message":"forbidden: User \"warroom-narrow\" cannot get path \"/apis/metrics.k8s.io/v1beta1\"","reason":"Forbidden","details":{},"code":403}`)})
	clock := time.Date(2026, 11, 27, 8, 41, 0, 0, time.UTC)
	m := srv.metrics(&clock)
	_, err := m.Pods(context.Background(), nil)
	const want = "forbidden: get /apis/metrics.k8s.io/v1beta1"
	if err == nil || err.Error() != want || !apierrors.IsForbidden(err) {
		t.Errorf("err %v, want %q recognised by apierrors.IsForbidden", err, want)
	}
}

func TestMetricsDrillSeam(t *testing.T) {
	// The drill's clients: k8s.io/metrics' fake clientset and client-go's
	// fake discovery, which must list pods under metrics.k8s.io/v1beta1.
	pm := &metricsv1beta1.PodMetrics{
		ObjectMeta: metav1.ObjectMeta{Name: "api-1", Namespace: "agent-platform"},
		Containers: []metricsv1beta1.ContainerMetrics{{Name: "api", Usage: corev1.ResourceList{
			corev1.ResourceCPU: resource.MustParse("250m"), corev1.ResourceMemory: resource.MustParse("128Mi"),
		}}},
	}
	// NewSimpleClientset(pm) would file it under the guessed resource
	// "podmetricses", where List (resource "pods") never looks
	// (kubernetes/kubernetes#95421, kubernetes/metrics#37): create it
	// under "pods".
	mc := fakemetrics.NewSimpleClientset()
	if err := mc.Tracker().Create(metricsv1beta1.SchemeGroupVersion.WithResource("pods"), pm, pm.Namespace); err != nil {
		t.Fatal(err)
	}
	disc := &fakediscovery.FakeDiscovery{Fake: &mc.Fake}
	m := NewMetricsFor(mc.MetricsV1beta1(), disc)
	if _, err := m.Pods(context.Background(), nil); !errors.Is(err, ErrMetricsUnavailable) {
		t.Errorf("fake discovery without metrics.k8s.io: err %v, want ErrMetricsUnavailable", err)
	}

	disc.Resources = []*metav1.APIResourceList{{
		GroupVersion: "metrics.k8s.io/v1beta1",
		APIResources: []metav1.APIResource{{Name: "pods", Namespaced: true, Kind: "PodMetrics", Verbs: []string{"get", "list"}}},
	}}
	m = NewMetricsFor(mc.MetricsV1beta1(), disc)
	for _, nss := range [][]string{nil, {"agent-platform"}} {
		got, err := m.Pods(context.Background(), nss)
		want := map[string]Usage{"agent-platform/api-1": {CPUMilli: 250, MemBytes: 128 << 20}}
		if err != nil || !reflect.DeepEqual(got, want) {
			t.Errorf("Pods(%q) = %v, %v; want %v", nss, got, err, want)
		}
	}
}

// TestFormatAsKubectlTop sums containers and prints the columns as
// `kubectl top pod` does (k8s.io/kubectl v0.37.2, pkg/metricsutil
// metrics_printer.go: getPodMetrics, printSingleResourceUsage).
func TestFormatAsKubectlTop(t *testing.T) {
	type c = [2]string // a container's cpu and memory, as the API writes them
	for _, tc := range []struct {
		from       string
		containers []c
		cpu, mem   string
	}{
		// Copied from kubectl's own tests (v0.37.2):
		// pkg/metricsutil/metrics_printer_test.go TestPrintPodMetrics.
		{"TestPrintPodMetrics: Single Pod with Multiple Containers", []c{{"0.2", "1Gi"}, {"0.2", "1Gi"}}, "400m", "2048Mi"},
		{"TestPrintPodMetrics: Print Containers (one container)", []c{{"0.2", "1Gi"}}, "200m", "1024Mi"},
		{"TestPrintPodMetrics: Sort by Memory Usage, test-1", []c{{"0.2", "3Gi"}, {"0.2", "2Gi"}}, "400m", "5120Mi"},
		{"TestPrintPodMetrics: Calculate Total Resource Usage (sum row)", []c{{"0.2", "1Gi"}, {"0.2", "1Gi"}, {"0.2", "3Gi"}, {"0.2", "2Gi"}}, "800m", "7168Mi"},
		// Same file, TestPrintNodeMetrics (same printSingleResourceUsage).
		{"TestPrintNodeMetrics: node1", []c{{"1", "1Gi"}}, "1000m", "1024Mi"},
		{"TestPrintNodeMetrics: node2", []c{{"2", "5Gi"}}, "2000m", "5120Mi"},
		// pkg/cmd/top/top_pod_test.go testPodMetricsData: pod1, pod2, pod3.
		{"top_pod_test: pod1", []c{{"1m", "2Mi"}, {"4m", "5Mi"}}, "5m", "7Mi"},
		{"top_pod_test: pod2", []c{{"7m", "8Mi"}, {"10m", "11Mi"}, {"13m", "14Mi"}}, "30m", "33Mi"},
		{"top_pod_test: pod3", []c{{"7m", "8Mi"}}, "7m", "8Mi"},
		// Ours, in metrics-server's units; the expected columns are what the
		// kubectl binary (v1.32.4, same printer code) printed for them with
		// `kubectl top pod` against a stand-in metrics API.
		{"rounding: sum then round up", []c{{"400000n", "1048575"}, {"400000n", "1"}}, "1m", "1Mi"},
		{"rounding: exact sum", []c{{"999999n", "2097151"}, {"1n", "1"}}, "1m", "2Mi"},
		{"rounding: cpu up, memory down", []c{{"1n", "1048575"}}, "1m", "0Mi"},
		{"metrics-server units", []c{{"248123456n", "131072Ki"}, {"1876544n", "2048Ki"}}, "250m", "130Mi"},
		{"no containers", nil, "0m", "0Mi"},
		{"zero", []c{{"0", "0"}}, "0m", "0Mi"},
		{"large", []c{{"64", "512Gi"}}, "64000m", "524288Mi"},
		{"fractions", []c{{"1.5", "1.5Gi"}}, "1500m", "1536Mi"},
		{"micro and decimal mega", []c{{"100u", "100M"}}, "1m", "95Mi"},
	} {
		pm := &metricsv1beta1.PodMetrics{}
		for i, q := range tc.containers {
			pm.Containers = append(pm.Containers, metricsv1beta1.ContainerMetrics{Name: fmt.Sprint("c", i), Usage: corev1.ResourceList{
				corev1.ResourceCPU: resource.MustParse(q[0]), corev1.ResourceMemory: resource.MustParse(q[1]),
			}})
		}
		u := podUsage(pm)
		if cpu, mem := FormatCPU(u.CPUMilli), FormatMem(u.MemBytes); cpu != tc.cpu || mem != tc.mem {
			t.Errorf("%s: %v prints %s %s, kubectl %s %s", tc.from, tc.containers, cpu, mem, tc.cpu, tc.mem)
		}
	}
}

// TestMetricsUnavailableOnRealAPIServer: the backends' kube-apiserver runs
// no metrics-server, so metrics.k8s.io is not served there; Metrics must
// say so after one discovery request, for two calls, and never list.
func TestMetricsUnavailableOnRealAPIServer(t *testing.T) {
	kubeconfig := testenv.Kubeconfig(t)
	users := []struct{ name, kubeconfig, context string }{{"admin", kubeconfig, testenv.KubeContext(t)}}
	if narrow := os.Getenv(testenv.EnvKubeconfigNarrow); narrow != "" {
		users = append(users, struct{ name, kubeconfig, context string }{"narrow", narrow, ""})
	}
	for _, u := range users {
		t.Run(u.name, func(t *testing.T) {
			cfg, err := RestConfig(u.kubeconfig, u.context)
			if err != nil {
				t.Fatal(err)
			}
			var mu sync.Mutex
			var got []string
			cfg.Wrap(func(rt http.RoundTripper) http.RoundTripper {
				return mxRoundTripFunc(func(r *http.Request) (*http.Response, error) {
					resp, err := rt.RoundTrip(r)
					mu.Lock()
					defer mu.Unlock()
					if err != nil {
						got = append(got, r.Method+" "+r.URL.Path+" -> "+err.Error())
					} else {
						got = append(got, fmt.Sprintf("%s %s -> %d", r.Method, r.URL.Path, resp.StatusCode))
					}
					return resp, err
				})
			})
			m, err := NewMetrics(cfg)
			if err != nil {
				t.Fatal(err)
			}
			const wantText = "metrics unavailable: metrics.k8s.io is not served by this cluster (no metrics-server)"
			for i := range 2 {
				ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
				usages, err := m.Pods(ctx, []string{"default", "kube-system"})
				cancel()
				if !errors.Is(err, ErrMetricsUnavailable) || err.Error() != wantText || usages != nil {
					t.Errorf("call %d: %v, %v; want %q", i, usages, err, wantText)
				}
			}
			mu.Lock()
			defer mu.Unlock()
			if want := []string{"GET /apis/metrics.k8s.io/v1beta1 -> 404"}; !reflect.DeepEqual(got, want) {
				t.Errorf("requests %q, want %q", got, want)
			}
		})
	}
}

type mxRoundTripFunc func(*http.Request) (*http.Response, error)

func (f mxRoundTripFunc) RoundTrip(r *http.Request) (*http.Response, error) { return f(r) }
