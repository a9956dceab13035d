// Command sandbox stages the drill's incident on the local backends that
// hack/backends.sh starts, and keeps it moving until it is stopped. Its
// names, images, numbers and SQL come from internal/drill's Story, the one
// the in-process drill (warroom demo) tells, so the two cannot diverge:
//
//   - Kubernetes: namespace agent-platform with deployments api,
//     agent-runtime and worker, created at revision 1 and rolled to
//     revision 2 for real (kube.go): the controllers, the scheduler and
//     kwok's fault stages (hack/kwok/stages) do the rest — api's revision 2
//     crash-loops beside one pod of revision 1, one agent-runtime pod is
//     OOMKilled, worker's revision 2 cannot pull its image and has a pod
//     the scheduler cannot place; pods' logs through kwok Logs objects.
//   - the exporter's ("api" service's) error ratio steps from the story's
//     baseline to its peak and back, in a loop;
//   - PostgreSQL: the story's sessions — long pg_sleep queries, the
//     idle-in-transaction blocker, the writers queued behind it (issued at
//     their story time after staging) and idle connections near
//     max_connections.
//
// It is started by hack/sandbox.sh, which runs it in the background; on
// SIGTERM it ends its sessions, resets the error ratio and exits.
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"log"
	"net/http"
	"net/url"
	"os"
	"os/signal"
	"slices"
	"strings"
	"sync"
	"syscall"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/warroom-dev/warroom/internal/drill"
)

type options struct {
	kubeconfig, kubecontext, namespace string
	scheduler, logDir                  string
	backoff                            int
	pgDSN, exporterURL, readyFile      string
	baseline, peak                     float64
	calm, incident                     time.Duration
}

func main() {
	var o options
	st := drill.NewStory()
	flag.StringVar(&o.kubeconfig, "kubeconfig", "", "admin kubeconfig of the sandbox apiserver")
	flag.StringVar(&o.kubecontext, "context", "", "kubeconfig context (default: current)")
	flag.StringVar(&o.namespace, "namespace", st.Namespace, "namespace to stage")
	flag.StringVar(&o.pgDSN, "pg-dsn", "", "superuser DSN of the sandbox PostgreSQL")
	flag.StringVar(&o.exporterURL, "exporter-url", "", "base URL of hack/exporter")
	flag.StringVar(&o.readyFile, "ready-file", "", "file written with a summary once the incident is staged")
	flag.Float64Var(&o.baseline, "baseline", st.Traffic.Baseline, "normal error ratio")
	flag.Float64Var(&o.peak, "peak", st.Traffic.Peak, "error ratio during the incident")
	flag.DurationVar(&o.calm, "calm", 45*time.Second, "time at the baseline ratio before each step up")
	flag.DurationVar(&o.incident, "incident", 3*time.Minute, "time at the peak ratio before stepping back")
	flag.StringVar(&o.scheduler, "scheduler", "warroom-scheduler", "spec.schedulerName the cluster's kube-scheduler serves (WARROOM_TEST_KUBE_SCHEDULER)")
	flag.StringVar(&o.logDir, "log-dir", "", "folder for the pods' log files that kwok serves through pods/log")
	flag.IntVar(&o.backoff, "backoff-seconds", 0, "crash back-off base in seconds (0: kubelet's 10 s)")
	flag.Parse()
	log.SetFlags(log.Ltime)
	log.SetPrefix("[sandbox] ")
	if o.kubeconfig == "" || o.pgDSN == "" || o.exporterURL == "" || o.logDir == "" {
		log.Fatal("need -kubeconfig, -pg-dsn, -exporter-url and -log-dir (hack/sandbox.sh passes them)")
	}

	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	if err := run(ctx, o); err != nil {
		log.Fatal(err)
	}
}

func run(ctx context.Context, o options) error {
	k, err := newKubeStage(o.kubeconfig, o.kubecontext, o.namespace, o.scheduler, o.logDir, o.backoff)
	if err != nil {
		return err
	}
	defer k.close()
	setupCtx, cancel := context.WithTimeout(ctx, 3*time.Minute)
	defer cancel()
	if err := k.stage(setupCtx); err != nil {
		return fmt.Errorf("kubernetes: %w", err)
	}
	log.Printf("kubernetes: namespace %s staged (%d pods)", o.namespace, k.pods)

	p := &pgStage{adminDSN: o.pgDSN}
	defer p.close()
	if err := p.stage(ctx); err != nil {
		return fmt.Errorf("postgres: %w", err)
	}
	log.Printf("postgres: %d sandbox sessions open", p.count())

	ex := exporter{base: strings.TrimRight(o.exporterURL, "/")}
	if err := ex.setRatio(ctx, o.baseline); err != nil {
		return fmt.Errorf("exporter: %w", err)
	}
	defer func() {
		c, cancel := context.WithTimeout(context.Background(), 3*time.Second)
		defer cancel()
		_ = ex.setRatio(c, o.baseline)
	}()

	up := time.Now().Add(o.calm)
	summary := summarize(drill.NewStory(), o, up, p)
	if o.readyFile != "" {
		if err := os.WriteFile(o.readyFile, []byte(summary), 0o644); err != nil {
			return err
		}
	}
	log.Printf("staged:\n%s", summary)

	var wg sync.WaitGroup
	wg.Add(2)
	go func() { defer wg.Done(); k.follow(ctx, 2*time.Second) }()
	go func() { defer wg.Done(); ex.cycle(ctx, o) }()
	<-ctx.Done()
	wg.Wait()
	log.Print("stopping: ending sandbox sessions, error ratio back to baseline")
	return nil
}

// summarize says what was staged, from the story.
func summarize(st drill.Story, o options, up time.Time, p *pgStage) string {
	var b strings.Builder
	var deps []string
	for _, d := range st.Deployments {
		cur := d.Current()
		deps = append(deps, fmt.Sprintf("%s (revision %d, %s)", d.Name, cur.Number, cur.Image))
	}
	fmt.Fprintf(&b, "namespace %s: deployments %s, rolled out for real (controllers, scheduler, kwok)\n", o.namespace, strings.Join(deps, ", "))
	fmt.Fprintf(&b, "pods as the story has them: %s\n", fatesSummary(st))
	fmt.Fprintf(&b, "error ratio: %.1f%% now, %.0f%% from %s for %s, then back (repeats)\n",
		o.baseline*100, o.peak*100, up.Format("15:04:05"), o.incident)
	var blocker, long, blocked int
	var blockerQ string
	for _, x := range st.Postgres.Sessions {
		switch x.Role {
		case drill.RoleBlocker:
			blocker, blockerQ = x.PID, x.Query
		case drill.RoleLong:
			long++
		case drill.RoleBlocked:
			blocked++
		}
	}
	fmt.Fprintf(&b, "postgres: %d sandbox sessions: %d long pg_sleep queries, the idle-in-transaction blocker (drill pid %d: %s) and %d writers queued behind it, idle pool up to ~%d of max_connections %d\n",
		p.count(), long, blocker, blockerQ, blocked, p.target, p.max)
	return b.String()
}

// ------------------------------------------------------------------ exporter

type exporter struct{ base string }

func (e exporter) setRatio(ctx context.Context, r float64) error {
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, e.base+"/control?error_ratio="+url.QueryEscape(fmt.Sprint(r)), nil)
	if err != nil {
		return err
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		return err
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		return fmt.Errorf("POST /control: %s", resp.Status)
	}
	return nil
}

// cycle steps the ratio: baseline for calm, peak for incident, repeat.
func (e exporter) cycle(ctx context.Context, o options) {
	for {
		for _, step := range []struct {
			wait  time.Duration
			ratio float64
		}{{o.calm, o.peak}, {o.incident, o.baseline}} {
			select {
			case <-ctx.Done():
				return
			case <-time.After(step.wait):
			}
			if err := e.setRatio(ctx, step.ratio); err != nil && ctx.Err() == nil {
				log.Printf("exporter: %v", err)
				continue
			}
			log.Printf("error ratio now %.1f%%", step.ratio*100)
		}
	}
}

// ------------------------------------------------------------------ postgres

// appRole owns the story's database; the story's users (api, worker) are
// members of it, all with appPass.
const (
	appRole = "agent_app"
	appPass = "agent-app-pw"
)

// roles are every role the sandbox's sessions log in as.
func roles(st drill.Story) []string {
	out := []string{appRole}
	for _, x := range st.Postgres.Sessions {
		if !slices.Contains(out, x.User) {
			out = append(out, x.User)
		}
	}
	return out
}

type pgStage struct {
	adminDSN    string
	mu          sync.Mutex
	conns       []*pgx.Conn
	cancel      context.CancelFunc
	wg          sync.WaitGroup
	target, max int
	roles       []string
	// delay maps a story time to the wait before it is staged (nil: as is).
	delay func(time.Duration) time.Duration
}

func (p *pgStage) count() int {
	p.mu.Lock()
	defer p.mu.Unlock()
	return len(p.conns)
}

func (p *pgStage) open(ctx context.Context, dsn, app string) (*pgx.Conn, error) {
	cfg, err := pgx.ParseConfig(dsn)
	if err != nil {
		return nil, err
	}
	cfg.RuntimeParams["application_name"] = app
	c, err := pgx.ConnectConfig(ctx, cfg)
	if err != nil {
		return nil, err
	}
	p.mu.Lock()
	p.conns = append(p.conns, c)
	p.mu.Unlock()
	return c, nil
}

func (p *pgStage) stage(parent context.Context) error {
	st := drill.NewStory()
	db := st.Postgres.Database
	ctx, cancel := context.WithCancel(parent)
	p.cancel = cancel
	p.roles = roles(st)
	admin, err := pgx.Connect(ctx, p.adminDSN)
	if err != nil {
		return err
	}
	defer admin.Close(context.Background())
	// A clean slate: end sessions of an earlier sandbox run.
	if _, err := admin.Exec(ctx, `SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE usename = ANY($1)`, p.roles); err != nil {
		return err
	}
	for _, role := range p.roles {
		var exists bool
		if err := admin.QueryRow(ctx, `SELECT EXISTS (SELECT 1 FROM pg_roles WHERE rolname = $1)`, role).Scan(&exists); err != nil {
			return err
		}
		if !exists {
			if _, err := admin.Exec(ctx, fmt.Sprintf(`CREATE ROLE %s LOGIN PASSWORD '%s'`, pgx.Identifier{role}.Sanitize(), appPass)); err != nil {
				return err
			}
		}
		if role != appRole {
			if _, err := admin.Exec(ctx, fmt.Sprintf(`GRANT %s TO %s`, appRole, pgx.Identifier{role}.Sanitize())); err != nil {
				return err
			}
		}
	}
	var exists bool
	if err := admin.QueryRow(ctx, `SELECT EXISTS (SELECT 1 FROM pg_database WHERE datname = $1)`, db).Scan(&exists); err != nil {
		return err
	}
	if !exists {
		if _, err := admin.Exec(ctx, fmt.Sprintf(`CREATE DATABASE %s OWNER %s`, pgx.Identifier{db}.Sanitize(), appRole)); err != nil {
			return err
		}
	}
	u, err := url.Parse(p.adminDSN)
	if err != nil {
		return fmt.Errorf("-pg-dsn must be a URL: %s", err)
	}
	dsn := func(user string) string {
		v := *u
		v.User = url.UserPassword(user, appPass)
		v.Path = "/" + db
		return v.String()
	}

	setup, err := p.open(ctx, dsn(appRole), "migrations")
	if err != nil {
		return err
	}
	// The tables the story's queries touch; rows 88411 and 88412 are the
	// agent runs its sessions fight over.
	if _, err := setup.Exec(ctx, `
CREATE TABLE IF NOT EXISTS agent_runs (id bigint PRIMARY KEY, agent text, status text, created_at timestamptz DEFAULT now());
CREATE TABLE IF NOT EXISTS tool_calls (id bigserial PRIMARY KEY, run_id bigint, tool text);
CREATE TABLE IF NOT EXISTS request_logs (id bigserial PRIMARY KEY, api_key_id int, created_at timestamptz DEFAULT now());
INSERT INTO agent_runs (id, agent, status) SELECT g, 'agent-' || (g % 17), 'done' FROM generate_series(86400, 88412) g ON CONFLICT (id) DO UPDATE SET status = 'queued';
INSERT INTO request_logs (api_key_id) SELECT g % 40 FROM generate_series(1, 2000) g WHERE NOT EXISTS (SELECT 1 FROM request_logs);`); err != nil {
		return err
	}

	for _, x := range st.Postgres.Sessions {
		switch x.Role {
		case drill.RoleLong: // kept running (re-issued if it ever finishes)
			c, err := p.open(ctx, dsn(x.User), x.App)
			if err != nil {
				return err
			}
			p.loop(ctx, c, x.Query)
		case drill.RoleBlocker: // a request handler that updated a row and never committed
			c, err := p.open(ctx, dsn(x.User), x.App)
			if err != nil {
				return err
			}
			if _, err := c.Exec(ctx, "BEGIN"); err != nil {
				return err
			}
			if _, err := c.Exec(ctx, x.Query); err != nil {
				return err
			}
		case drill.RoleIdle:
			c, err := p.open(ctx, dsn(x.User), x.App)
			if err != nil {
				return err
			}
			if _, err := c.Exec(ctx, x.Query); err != nil {
				return err
			}
		}
	}
	// The writers queue behind the blocker at their story time (counted from
	// now), once: they finish when the blocker is terminated.
	for _, x := range st.Postgres.Sessions {
		if x.Role != drill.RoleBlocked {
			continue
		}
		c, err := p.open(ctx, dsn(x.User), x.App)
		if err != nil {
			return err
		}
		wait := max(x.Start, 0)
		if p.delay != nil {
			wait = p.delay(wait)
		}
		p.once(ctx, c, x.Query, wait)
	}

	// The pool: idle connections up to as far short of max_connections as
	// the story's surge is.
	var n int
	if err := admin.QueryRow(ctx, `SELECT current_setting('max_connections')::int`).Scan(&p.max); err != nil {
		return err
	}
	if err := admin.QueryRow(ctx, `SELECT count(*) FROM pg_stat_activity WHERE backend_type = 'client backend'`).Scan(&n); err != nil {
		return err
	}
	// Leave room for the console's probe (2), this admin session and psql.
	p.target = p.max - max(st.Postgres.MaxConnections-st.Postgres.Surge, 6)
	for i := n; i < p.target; i++ {
		c, err := p.open(ctx, dsn("api"), "api")
		if err != nil {
			log.Printf("postgres: pool connection %d: %v (stopping there)", i, err)
			break
		}
		if _, err := c.Exec(ctx, "SELECT 1"); err != nil {
			return err
		}
	}
	if _, err := setup.Exec(ctx, "SELECT 1"); err != nil { // back to idle
		return err
	}
	return nil
}

// once runs sql on c after wait, in the background, and logs when it is done.
func (p *pgStage) once(ctx context.Context, c *pgx.Conn, sql string, wait time.Duration) {
	p.wg.Add(1)
	go func() {
		defer p.wg.Done()
		select {
		case <-ctx.Done():
			return
		case <-time.After(wait):
		}
		if _, err := c.Exec(ctx, sql); err != nil {
			if ctx.Err() == nil {
				log.Printf("postgres: %q: %v", sql, err)
			}
			return
		}
		log.Printf("postgres: %q done: its lock was released", sql)
	}()
}

// loop keeps sql running on c in the background until ctx ends.
func (p *pgStage) loop(ctx context.Context, c *pgx.Conn, sql string) {
	p.wg.Add(1)
	go func() {
		defer p.wg.Done()
		for ctx.Err() == nil {
			if _, err := c.Exec(ctx, sql); err != nil {
				if ctx.Err() == nil && !errors.Is(err, context.Canceled) {
					log.Printf("postgres: %q: %v", sql, err)
					select {
					case <-ctx.Done():
					case <-time.After(5 * time.Second):
					}
				}
			}
		}
	}()
}

// close cancels running queries and closes every session.
func (p *pgStage) close() {
	if p.cancel != nil {
		p.cancel()
	}
	p.wg.Wait()
	p.mu.Lock()
	defer p.mu.Unlock()
	for _, c := range p.conns {
		ctx, cancel := context.WithTimeout(context.Background(), 2*time.Second)
		_ = c.Close(ctx)
		cancel()
	}
	p.conns = nil
	// Belt and braces: end whatever is left of our sessions server-side.
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	if admin, err := pgx.Connect(ctx, p.adminDSN); err == nil {
		_, _ = admin.Exec(ctx, `SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE usename = ANY($1)`, p.roles)
		_ = admin.Close(ctx)
	}
}
