package testenv

import (
	"bufio"
	"bytes"
	"fmt"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"
)

// Processes of a backends set, as hack/backends.sh names them.
const (
	Postgres      = "postgres"
	Prometheus    = "prometheus"
	Exporter      = "exporter"
	Etcd          = "etcd"
	KubeAPIServer = "kube-apiserver"
)

// Backends is a private set of real backends — PostgreSQL, Prometheus with
// its exporter, etcd and kube-apiserver — started by hack/backends.sh in a
// temp dir on free ports, for tests that stop, freeze and restart them.
// The shared set (PostgresDSN & co.) is used by other packages' tests at
// the same time: freezing it would break them.
type Backends struct {
	Dir           string // the set's state dir (pids, logs, data)
	PostgresDSN   string
	PrometheusURL string
	ExporterURL   string
	Kubeconfig    string
	KubeContext   string

	script string
}

// StartBackends starts a private set and stops it (and removes its dir)
// when t ends; a watcher in backends.sh also stops it if the test process
// dies first. It needs what `make test` installs and builds (PostgreSQL,
// Prometheus, the cached k8s binaries), so it runs only where the shared
// backends are up, and skips with a message otherwise. It never installs
// anything. Start-up takes about 10 s on 2 cores.
func StartBackends(t testing.TB) *Backends {
	t.Helper()
	for _, env := range []string{EnvPostgresDSN, EnvPrometheusURL, EnvKubeconfig} {
		if os.Getenv(env) == "" {
			t.Skipf("no private backends: they need what `make test` installs (%s is not set); %s", env, hint)
		}
	}
	script, err := backendsScript()
	if err != nil {
		t.Fatalf("testenv: %v", err)
	}
	// Not t.TempDir: the postgres user must reach the data dir when the
	// tests run as root, and t.TempDir's parent is private (0700).
	dir, err := os.MkdirTemp("", "warroom-backends-private-")
	if err != nil {
		t.Fatalf("testenv: %v", err)
	}
	if err := os.Chmod(dir, 0o755); err != nil {
		t.Fatalf("testenv: %v", err)
	}
	b := &Backends{Dir: dir, script: script}
	ports, err := freePorts(6)
	if err != nil {
		t.Fatalf("testenv: free ports: %v", err)
	}
	env := []string{
		"WARROOM_BACKENDS_DIR=" + dir,
		"WARROOM_NO_INSTALL=1",
		"WARROOM_BACKENDS=pg prom kube",
		"WARROOM_BACKENDS_WATCH_PID=" + strconv.Itoa(os.Getpid()),
		"WARROOM_PG_PORT=" + strconv.Itoa(ports[0]),
		"WARROOM_PROM_PORT=" + strconv.Itoa(ports[1]),
		"WARROOM_EXPORTER_PORT=" + strconv.Itoa(ports[2]),
		"WARROOM_ETCD_PORT=" + strconv.Itoa(ports[3]),
		"WARROOM_ETCD_PEER_PORT=" + strconv.Itoa(ports[4]),
		"WARROOM_APISERVER_PORT=" + strconv.Itoa(ports[5]),
	}
	t.Cleanup(func() {
		if out, err := b.run(nil, "stop"); err != nil {
			t.Errorf("testenv: stopping the private backends: %v\n%s", err, out)
		}
		_ = os.RemoveAll(dir)
	})
	start := time.Now()
	if out, err := b.run(env, "start"); err != nil {
		t.Fatalf("testenv: starting private backends in %s: %v\n%s", dir, err, out)
	}
	t.Logf("private backends up in %v (%s)", time.Since(start).Round(100*time.Millisecond), dir)
	vars, err := readEnvFile(filepath.Join(dir, "env"))
	if err != nil {
		t.Fatalf("testenv: %v", err)
	}
	b.PostgresDSN = vars[EnvPostgresDSN]
	b.PrometheusURL = vars[EnvPrometheusURL]
	b.ExporterURL = vars[EnvExporterURL]
	b.Kubeconfig = vars[EnvKubeconfig]
	b.KubeContext = vars[EnvKubeContext]
	return b
}

// Stop stops one process (PostgreSQL with a fast shutdown) and waits for
// it to exit.
func (b *Backends) Stop(t testing.TB, name string) {
	t.Helper()
	sig := "TERM"
	if name == Postgres {
		sig = "INT"
	}
	b.must(t, "stop-one", name, sig)
}

// Start starts again one process that Stop stopped, on its kept data, and
// waits until it is ready.
func (b *Backends) Start(t testing.TB, name string) {
	t.Helper()
	b.must(t, "start-one", name)
}

// Freeze stops one process and its children with SIGSTOP: it keeps its
// sockets and accepts connections (the kernel does) but never answers.
func (b *Backends) Freeze(t testing.TB, name string) {
	t.Helper()
	b.must(t, "signal-one", name, "STOP")
}

// Thaw resumes a frozen process (SIGCONT).
func (b *Backends) Thaw(t testing.TB, name string) {
	t.Helper()
	b.must(t, "signal-one", name, "CONT")
}

// Log is the tail of one process's log, for failure messages.
func (b *Backends) Log(name string) string {
	data, err := os.ReadFile(filepath.Join(b.Dir, "logs", name+".log"))
	if err != nil {
		return err.Error()
	}
	if len(data) > 3000 {
		data = data[len(data)-3000:]
	}
	return string(data)
}

func (b *Backends) must(t testing.TB, args ...string) {
	t.Helper()
	if out, err := b.run(nil, args...); err != nil {
		t.Fatalf("testenv: hack/backends.sh %s: %v\n%s", strings.Join(args, " "), err, out)
	}
}

// run runs backends.sh on this set; extra is added to the environment
// (start needs the ports; the other commands read them from the set).
func (b *Backends) run(extra []string, args ...string) ([]byte, error) {
	cmd := exec.Command(b.script, args...)
	cmd.Env = append(append(os.Environ(), "WARROOM_BACKENDS_DIR="+b.Dir), extra...)
	var out bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &out
	// The servers it starts are detached from its output, but should one
	// keep it open, do not wait for it forever.
	cmd.WaitDelay = 5 * time.Second
	err := cmd.Run()
	return out.Bytes(), err
}

// backendsScript is hack/backends.sh of the module the test runs in.
func backendsScript() (string, error) {
	out, err := exec.Command("go", "env", "GOMOD").Output()
	if err != nil {
		return "", fmt.Errorf("go env GOMOD: %w", err)
	}
	mod := strings.TrimSpace(string(out))
	if mod == "" || mod == os.DevNull {
		return "", fmt.Errorf("not inside the warroom module")
	}
	script := filepath.Join(filepath.Dir(mod), "hack", "backends.sh")
	if _, err := os.Stat(script); err != nil {
		return "", err
	}
	return script, nil
}

// freePorts finds n distinct free loopback ports. They are free when
// asked; a port taken in between makes backends.sh fail loudly, not
// share a server.
func freePorts(n int) ([]int, error) {
	var ports []int
	for range n {
		l, err := net.Listen("tcp", "127.0.0.1:0")
		if err != nil {
			return nil, err
		}
		defer l.Close() // all held until every port is chosen: distinct
		ports = append(ports, l.Addr().(*net.TCPAddr).Port)
	}
	return ports, nil
}

// readEnvFile reads the `export NAME='value'` lines backends.sh writes.
func readEnvFile(path string) (map[string]string, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	vars := map[string]string{}
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		line, ok := strings.CutPrefix(strings.TrimSpace(sc.Text()), "export ")
		if !ok {
			continue
		}
		name, value, ok := strings.Cut(line, "=")
		if !ok {
			continue
		}
		vars[name] = strings.Trim(value, "'")
	}
	return vars, sc.Err()
}
