// Command bench measures warroom's pods pane against a real kube-apiserver
// holding many pods (issue 9, "Performance"): the time from exec to the
// first frame showing the crash-looping pods, beside a raw protobuf LIST
// of the same namespace (the floor) and client-go's paged list; idle CPU,
// peak RSS and the API server's extra CPU and LIST requests with the
// console open; and, under a stream of pod status changes, how soon each
// change is drawn, how many are never drawn, and how fast keys answer.
// Each binary given is measured in the same run, one after the other.
//
// hack/bench-k8s.sh starts the API server and runs this; by hand:
//
//	bench run --kubeconfig K --apiserver-pid P [--etcd-pid P] \
//	    --bin 'warroom today=/tmp/warroom-poll' --bin 'warroom (watch)=bin/warroom' [--out FILE]
//
// It lives in the tools module (hack/k8s) beside the API server it is run
// against; it drives the consoles in a pty through internal/screentest.
package main

import (
	"context"
	"encoding/json"
	"flag"
	"fmt"
	"os"
	"os/exec"
	"os/signal"
	"path/filepath"
	"runtime"
	"slices"
	"strings"
	"syscall"
	"time"

	"k8s.io/client-go/kubernetes"
	"k8s.io/client-go/rest"
	"k8s.io/client-go/tools/clientcmd"

	"github.com/warroom-dev/warroom/internal/screentest"
)

func logf(format string, args ...any) {
	fmt.Fprintf(os.Stderr, "[bench %s] %s\n", time.Now().Format("15:04:05.000"), fmt.Sprintf(format, args...))
}

// binFlag is a repeatable --bin NAME=PATH.
type binFlag []namedBin

type namedBin struct{ Name, Path string }

func (b *binFlag) String() string { return fmt.Sprint(*b) }
func (b *binFlag) Set(v string) error {
	name, path, ok := strings.Cut(v, "=")
	if !ok {
		name, path = filepath.Base(v), v
	}
	if name == "" || path == "" {
		return fmt.Errorf("--bin %q: want NAME=PATH", v)
	}
	abs, err := filepath.Abs(path)
	if err != nil {
		return err
	}
	if fi, err := os.Stat(abs); err != nil || fi.IsDir() || fi.Mode()&0o111 == 0 {
		return fmt.Errorf("--bin %q: not an executable file", v)
	}
	*b = append(*b, namedBin{name, abs})
	return nil
}

type options struct {
	kubeconfig, ns, out, jsonOut string
	pods, crashing, workers      int
	runs, cols, rows, rate       int
	settle, idle, churn          time.Duration
	apiPID, etcdPID              int
	screens                      string
	bins                         binFlag
	name, bin                    string // console: the one binary
}

func (o *options) register(fs *flag.FlagSet) {
	fs.StringVar(&o.kubeconfig, "kubeconfig", "", "kubeconfig of the API server (admin)")
	fs.StringVar(&o.ns, "namespace", "bench", "namespace to fill")
	fs.IntVar(&o.pods, "pods", 10000, "pods in the namespace")
	fs.IntVar(&o.crashing, "crashing", 25, "of which in CrashLoopBackOff")
	fs.IntVar(&o.workers, "workers", 16, "parallel writers while seeding")
	fs.IntVar(&o.runs, "runs", 5, "times each start-up is measured")
	fs.IntVar(&o.cols, "cols", 160, "terminal width")
	fs.IntVar(&o.rows, "rows", 48, "terminal height")
	fs.DurationVar(&o.settle, "settle", 5*time.Second, "wait after the first frame before the idle window")
	fs.DurationVar(&o.idle, "idle", 30*time.Second, "idle window (and the closed one before it)")
	fs.DurationVar(&o.churn, "churn", 60*time.Second, "how long pod statuses churn")
	fs.IntVar(&o.rate, "rate", 100, "status changes per second during the churn")
	fs.IntVar(&o.apiPID, "apiserver-pid", 0, "pid of kube-apiserver (for its CPU)")
	fs.IntVar(&o.etcdPID, "etcd-pid", 0, "pid of etcd (for its CPU; optional)")
	fs.StringVar(&o.out, "out", "", "also write the markdown report here")
	fs.StringVar(&o.screens, "screens", "", "write the screens read at each step here (NAME-STEP.txt), to check what was measured")
}

func main() {
	if len(os.Args) < 2 {
		fmt.Fprintln(os.Stderr, "usage: bench run|console [flags] (see -h)")
		os.Exit(2)
	}
	var o options
	fs := flag.NewFlagSet("bench "+os.Args[1], flag.ExitOnError)
	o.register(fs)
	switch os.Args[1] {
	case "run":
		fs.Var(&o.bins, "bin", "NAME=PATH of a warroom binary to measure; repeatable, in table order")
	case "console":
		fs.StringVar(&o.name, "name", "", "the binary's name in the table")
		fs.StringVar(&o.bin, "bin", "", "the warroom binary")
		fs.StringVar(&o.jsonOut, "json", "", "write the result here (JSON)")
	default:
		fmt.Fprintf(os.Stderr, "bench: unknown command %q (run, console)\n", os.Args[1])
		os.Exit(2)
	}
	_ = fs.Parse(os.Args[2:])
	if o.kubeconfig == "" || o.apiPID == 0 {
		fmt.Fprintln(os.Stderr, "bench: --kubeconfig and --apiserver-pid are required")
		os.Exit(2)
	}
	// On a signal, stop the consoles started so far, then exit.
	sig := make(chan os.Signal, 1)
	signal.Notify(sig, os.Interrupt, syscall.SIGTERM)
	go func() { fatal("%v", <-sig) }()
	ctx := context.Background()
	cfg, err := clientcmd.BuildConfigFromFlags("", o.kubeconfig)
	if err != nil {
		fatal("kubeconfig: %v", err)
	}
	switch os.Args[1] {
	case "run":
		if len(o.bins) == 0 {
			fatal("no --bin to measure")
		}
		run(ctx, cfg, o)
	case "console":
		console(ctx, cfg, o)
	}
}

// report is the whole run, for the markdown.
type report struct {
	When         time.Time
	CPUs         int
	LoadBefore   string
	LoadAfter    string
	Pods         int
	Crashing     int
	Seed         seedResult
	Raw, RawGzip listResult
	ClientGo     listResult
	Consoles     []consoleResult
	Opts         struct {
		Runs, Cols, Rows, Rate    int
		Idle, Churn, Settle       time.Duration
		Namespace, APIServerPorts string
	}
}

func run(ctx context.Context, cfg *rest.Config, o options) {
	var r report
	r.When, r.CPUs, r.Pods, r.Crashing = time.Now(), runtime.NumCPU(), o.pods, o.crashing
	r.LoadBefore = loadavg()
	r.Opts.Runs, r.Opts.Cols, r.Opts.Rows, r.Opts.Rate = o.runs, o.cols, o.rows, o.rate
	r.Opts.Idle, r.Opts.Churn, r.Opts.Settle, r.Opts.Namespace = o.idle, o.churn, o.settle, o.ns

	logf("seeding %d pods (%d crash-looping) in namespace %s with %d workers", o.pods, o.crashing, o.ns, o.workers)
	seeded, err := seed(ctx, cfg, o.ns, o.pods, o.crashing, o.workers)
	if err != nil {
		fatal("seed: %v", err)
	}
	r.Seed = seeded
	if seeded.Reused {
		logf("the namespace already holds the pods: seeding skipped")
	} else {
		logf("seeded in %.1f s", seeded.Seconds)
	}
	time.Sleep(2 * time.Second)

	// The lists, interleaved so drift hits each alike.
	for i := 0; i < o.runs; i++ {
		d, n, err := rawList(ctx, cfg, o.ns, false)
		if err != nil {
			fatal("raw LIST: %v", err)
		}
		r.Raw.Seconds, r.Raw.Bytes = append(r.Raw.Seconds, d), n
		d, n, err = rawList(ctx, cfg, o.ns, true)
		if err != nil {
			fatal("raw LIST (gzip): %v", err)
		}
		r.RawGzip.Seconds, r.RawGzip.Bytes = append(r.RawGzip.Seconds, d), n
		d, items, err := clientGoList(ctx, cfg, o.ns)
		if err != nil {
			fatal("client-go list: %v", err)
		}
		if items != o.pods {
			fatal("client-go list: %d pods, want %d", items, o.pods)
		}
		r.ClientGo.Seconds, r.ClientGo.Items = append(r.ClientGo.Seconds, d), items
		logf("lists %d/%d: raw %.3f s (%.1f MB), gzip %.3f s (%.1f MB), client-go %.3f s",
			i+1, o.runs, r.Raw.Seconds[i], float64(r.Raw.Bytes)/1e6, r.RawGzip.Seconds[i], float64(r.RawGzip.Bytes)/1e6, d)
		time.Sleep(500 * time.Millisecond)
	}

	// Each console in a process of its own (screentest runs one binary per
	// process).
	self, err := os.Executable()
	if err != nil {
		fatal("%v", err)
	}
	dir, err := os.MkdirTemp("", "warroom-bench-json-")
	if err != nil {
		fatal("%v", err)
	}
	defer os.RemoveAll(dir)
	onFatal(func() { _ = os.RemoveAll(dir) })
	for i, b := range o.bins {
		out := filepath.Join(dir, fmt.Sprintf("%d.json", i))
		args := []string{"console", "--name", b.Name, "--bin", b.Path, "--json", out}
		args = append(args, passFlags(o)...)
		logf("measuring %s (%s)", b.Name, b.Path)
		if err := runChild(self, args); err != nil {
			fatal("measuring %s: %v", b.Name, err)
		}
		var cr consoleResult
		data, err := os.ReadFile(out)
		if err == nil {
			err = json.Unmarshal(data, &cr)
		}
		if err != nil {
			fatal("result of %s: %v", b.Name, err)
		}
		r.Consoles = append(r.Consoles, cr)
	}
	r.LoadAfter = loadavg()

	md := renderReport(r)
	fmt.Print(md)
	if o.out != "" {
		if err := os.WriteFile(o.out, []byte(md), 0o644); err != nil {
			fatal("%v", err)
		}
		logf("figures written to %s", o.out)
	}
}

// runChild runs the bench in a child process (its output on stderr); if
// this process is stopped meanwhile, the child is asked to stop (it stops
// its console) and waited for.
func runChild(self string, args []string) error {
	cmd := exec.Command(self, args...)
	cmd.Stdout, cmd.Stderr = os.Stderr, os.Stderr
	if err := cmd.Start(); err != nil {
		return err
	}
	done := make(chan struct{})
	var err error
	go func() { err = cmd.Wait(); close(done) }()
	onFatal(func() {
		_ = cmd.Process.Signal(syscall.SIGTERM)
		select {
		case <-done:
		case <-time.After(15 * time.Second):
			_ = cmd.Process.Kill()
			<-done
		}
	})
	<-done
	return err
}

// passFlags are the run's settings for a console process.
func passFlags(o options) []string {
	return []string{
		"--kubeconfig", o.kubeconfig, "--namespace", o.ns,
		"--pods", fmt.Sprint(o.pods), "--crashing", fmt.Sprint(o.crashing),
		"--runs", fmt.Sprint(o.runs), "--cols", fmt.Sprint(o.cols), "--rows", fmt.Sprint(o.rows),
		"--settle", o.settle.String(), "--idle", o.idle.String(), "--churn", o.churn.String(),
		"--rate", fmt.Sprint(o.rate),
		"--apiserver-pid", fmt.Sprint(o.apiPID), "--etcd-pid", fmt.Sprint(o.etcdPID),
		"--screens", o.screens,
	}
}

func console(ctx context.Context, cfg *rest.Config, o options) {
	if o.bin == "" || o.jsonOut == "" {
		fatal("console: --bin and --json are required")
	}
	bin, err := filepath.Abs(o.bin)
	if err != nil {
		fatal("%v", err)
	}
	// screentest runs this binary instead of building one.
	if err := os.Setenv(screentest.EnvBinary, bin); err != nil {
		fatal("%v", err)
	}
	cfg = rest.CopyConfig(cfg)
	cfg.ContentType = protobuf
	cfg.QPS, cfg.Burst = 1000, 1000
	cs, err := kubernetes.NewForConfig(cfg)
	if err != nil {
		fatal("%v", err)
	}
	name := o.name
	if name == "" {
		name = filepath.Base(bin)
	}
	res := measureConsole(ctx, consoleOpts{
		name: name, bin: bin, kubeconfig: o.kubeconfig, ns: o.ns,
		cols: o.cols, rows: o.rows, runs: o.runs, pods: o.pods, crashing: o.crashing,
		settle: o.settle, idle: o.idle, churn: o.churn, rate: o.rate,
		apiPID: o.apiPID, etcdPID: o.etcdPID, cs: cs, screens: o.screens,
	})
	data, err := json.MarshalIndent(res, "", "  ")
	if err != nil {
		fatal("%v", err)
	}
	if err := os.WriteFile(o.jsonOut, data, 0o644); err != nil {
		fatal("%v", err)
	}
}

func loadavg() string {
	b, err := os.ReadFile("/proc/loadavg")
	if err != nil {
		return "?"
	}
	f := strings.Fields(string(b))
	if len(f) < 3 {
		return "?"
	}
	return strings.Join(f[:3], " ")
}

// percentile of xs (q in 0..1), nearest rank; xs is not modified.
func percentile(xs []float64, q float64) float64 {
	if len(xs) == 0 {
		return 0
	}
	s := slices.Clone(xs)
	slices.Sort(s)
	if q <= 0 {
		return s[0]
	}
	i := int(q*float64(len(s))+0.999999) - 1
	return s[min(max(i, 0), len(s)-1)]
}
