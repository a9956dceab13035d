package drill

import (
	"time"

	"github.com/warroom-dev/warroom/incident"
)

// Story is the drill's incident as data: what the in-process drill
// simulates and what hack/sandbox stages on real backends, so the two
// cannot tell different stories. Times are relative to the declaration
// (the drill's Start); negative ones happened before it.
type Story struct {
	Namespace  string
	Title      string
	Severity   incident.Severity
	InstanceID string // the RDS instance
	Service    string // the deployment whose health drives the error ratio

	Deployments []Deployment
	Traffic     Traffic
	Postgres    Postgres
	Alerts      []Alert
}

// Deployment is one deployment and its revisions, oldest first; the last
// is the current one (the one the deployment's template matches).
type Deployment struct {
	Name      string
	Replicas  int32
	Revisions []Revision
}

// Current is the deployment's current revision.
func (d Deployment) Current() Revision { return d.Revisions[len(d.Revisions)-1] }

// Revision is one ReplicaSet of a deployment.
type Revision struct {
	Number      int64  // deployment.kubernetes.io/revision
	Hash        string // pod-template-hash: the ReplicaSet is <deployment>-<hash>
	Image       string
	Memory      string // request and limit
	ChangeCause string // kubernetes.io/change-cause
	// Fate is what a pod of this revision does once it starts (pods a
	// controller creates for it after a rollback, too).
	Fate Fate
	Pods []PodFate // the pods it has at the start
}

// Healthy reports whether pods of this revision run.
func (r Revision) Healthy() bool { return r.Fate == Running }

// Fate is what happens to a pod: its kubectl status.
type Fate string

// Pod fates.
const (
	Running          Fate = "Running"
	CrashLoopBackOff Fate = "CrashLoopBackOff"
	OOMKilled        Fate = "OOMKilled"
	ImagePullBackOff Fate = "ImagePullBackOff"
	Pending          Fate = "Pending" // unschedulable: nothing fits its memory request
)

// PodFate is one pod at the start of the story.
type PodFate struct {
	Suffix string // the pod is <deployment>-<hash>-<suffix>
	Node   string // "" for an unscheduled pod
	Age    time.Duration
	Fate   Fate
	// From is when the fate strikes; before it the pod runs (OOMKilled at +20s).
	From time.Duration
}

// Traffic is the service's HTTP traffic, from which the 5xx ratio comes.
type Traffic struct {
	RPS           float64       // requests per second
	Baseline      float64       // 5xx ratio when healthy
	Peak          float64       // 5xx ratio during the incident
	RampFrom      time.Duration // the ratio climbs from Baseline at RampFrom…
	RampTo        time.Duration // …to Peak at RampTo
	Recovery      time.Duration // after a rollback to a healthy revision, back to Baseline within this
	ClientErrors  float64       // share of 4xx
	Handlers      []Handler     // where the 5xx come from, biggest share first
	AgentSuccess  float64       // agent run success rate when healthy
	AgentFailures float64       // agent runs failing per 5xx (success = AgentSuccess - AgentFailures·ratio)
}

// Handler is one route's share of the 5xx responses.
type Handler struct {
	Path  string
	Share float64
}

// Postgres is the database side of the story.
type Postgres struct {
	Database       string
	MaxConnections int
	Connections    int           // before the surge
	SurgeAt        time.Duration // the pool grows…
	Surge          int           // …to this many connections…
	SurgeClimb     time.Duration // …and one more every SurgeClimb…
	SurgeCeiling   int           // …up to this
	AfterClear     int           // connections once the lock chain is cleared
	Sessions       []PGSession
}

// Session roles in the story.
const (
	RoleBlocker = "blocker" // idle in transaction, holding the row lock
	RoleLong    = "long"    // a long-running query
	RoleBlocked = "blocked" // a writer queued behind the blocker
	RoleIdle    = "idle"    // an idle pool connection
)

// PGSession is one backend. The drill shows it with PID; the sandbox runs
// SQL (for the blocker: inside an open transaction) as User.
type PGSession struct {
	PID       int
	Role      string
	User      string
	App       string
	Query     string
	Start     time.Duration // when the query (and, for the blocker, the transaction) started
	WaitEvent string        // for active sessions
	// Behind is the pid a blocked session waits on directly (0: the
	// story's blocker). 4257 queues behind 4242 for the row's tuple lock,
	// as PostgreSQL does: a three-level chain.
	Behind int
	Lock   string // the ungranted lock a blocked session waits for
	Client string // client_addr
}

// Alert is one alert the story fires (or resolves).
type Alert struct {
	Key     string // stable key within the story: part of the event ID
	At      time.Duration
	Name    string
	Summary string
	Detail  string
	Labels  map[string]string
}

// NewStory returns the drill's story. It is a function, not a variable, so
// nobody can change it under the other driver.
func NewStory() Story {
	return Story{
		Namespace:  "agent-platform",
		Title:      "DRILL: API 5xx spike after api rollout",
		Severity:   incident.P1,
		InstanceID: "agent-platform-prod",
		Service:    "api",
		Deployments: []Deployment{
			{Name: "api", Replicas: 3, Revisions: []Revision{
				{Number: 1, Hash: "5d8b94c6f", Image: "api:2.13.2", Memory: "512Mi", ChangeCause: "deploy api 2.13.2", Fate: Running,
					Pods: []PodFate{{Suffix: "mb2rt", Node: "node-a", Age: 26 * time.Hour, Fate: Running}}},
				{Number: 2, Hash: "6f9c7d5b8", Image: "api:2.14.0", Memory: "512Mi", ChangeCause: "deploy api 2.14.0", Fate: CrashLoopBackOff,
					Pods: []PodFate{
						{Suffix: "2xkqp", Node: "node-a", Age: 3 * time.Minute, Fate: CrashLoopBackOff},
						{Suffix: "7hvzm", Node: "node-b", Age: 3 * time.Minute, Fate: CrashLoopBackOff},
						{Suffix: "qq4ld", Node: "node-a", Age: 2 * time.Minute, Fate: CrashLoopBackOff},
					}},
			}},
			{Name: "agent-runtime", Replicas: 2, Revisions: []Revision{
				{Number: 1, Hash: "6f8d9c7b5", Image: "agent-runtime:2.8.3", Memory: "2Gi", ChangeCause: "deploy agent-runtime 2.8.3", Fate: Running},
				{Number: 2, Hash: "7b44d9c9d", Image: "agent-runtime:2.9.0", Memory: "768Mi", ChangeCause: "deploy agent-runtime 2.9.0", Fate: Running,
					Pods: []PodFate{
						{Suffix: "5pjwn", Node: "node-b", Age: 5 * time.Hour, Fate: OOMKilled, From: 20 * time.Second},
						{Suffix: "k8s2x", Node: "node-a", Age: 5 * time.Hour, Fate: Running},
					}},
			}},
			{Name: "worker", Replicas: 2, Revisions: []Revision{
				{Number: 1, Hash: "84c5f6d7b", Image: "worker:1.9.0", Memory: "1Gi", ChangeCause: "deploy worker 1.9.0", Fate: Running,
					Pods: []PodFate{
						{Suffix: "9wq6z", Node: "node-a", Age: 50 * time.Hour, Fate: Running},
						{Suffix: "tl7cd", Node: "node-b", Age: 50 * time.Hour, Fate: Running},
					}},
				{Number: 2, Hash: "59d7c8b6c", Image: "worker:1.9.1-rc", Memory: "16Gi", ChangeCause: "deploy worker 1.9.1-rc", Fate: ImagePullBackOff,
					Pods: []PodFate{
						{Suffix: "xj5fh", Node: "node-b", Age: 10 * time.Minute, Fate: ImagePullBackOff},
						{Suffix: "pn3vb", Age: 40 * time.Second, Fate: Pending},
					}},
			}},
		},
		Traffic: Traffic{
			RPS: 420, Baseline: 0.005, Peak: 0.12, RampFrom: -2 * time.Minute, RampTo: -1 * time.Minute,
			Recovery: time.Minute, ClientErrors: 0.02,
			Handlers: []Handler{
				{"/v1/agents/run", 0.64}, {"/v1/runs/{id}", 0.18}, {"/v1/tools/call", 0.12}, {"/v1/agents", 0.06},
			},
			AgentSuccess: 0.985, AgentFailures: 1.5,
		},
		Postgres: Postgres{
			Database: "agent_platform", MaxConnections: 100, Connections: 71,
			SurgeAt: 20 * time.Second, Surge: 92, SurgeClimb: 30 * time.Second, SurgeCeiling: 98, AfterClear: 78,
			Sessions: []PGSession{
				{PID: 4100, Role: RoleBlocker, User: "api", App: "api",
					Query: "UPDATE agent_runs SET status = 'running' WHERE id = 88412", Start: -4 * time.Minute},
				{PID: 4188, Role: RoleLong, User: "api", App: "api", WaitEvent: "Timeout:PgSleep",
					Query: "SELECT a.id, a.status, pg_sleep(1800) FROM agent_runs a WHERE a.id = 88411 /* tool-call audit scan */", Start: -3 * time.Minute},
				{PID: 4213, Role: RoleLong, User: "worker", App: "worker", WaitEvent: "Timeout:PgSleep",
					Query: "SELECT count(*), pg_sleep(3600) FROM request_logs WHERE created_at > now() - interval '1 hour' /* usage rollup */", Start: -95 * time.Second},
				{PID: 4242, Role: RoleBlocked, User: "api", App: "api", WaitEvent: "Lock:transactionid", Lock: "transactionid ShareLock",
					Query: "UPDATE agent_runs SET status = 'failed' WHERE id = 88412", Start: 45 * time.Second},
				{PID: 4257, Role: RoleBlocked, User: "worker", App: "worker", WaitEvent: "Lock:tuple", Lock: "tuple ExclusiveLock on public.agent_runs", Behind: 4242,
					Query: "DELETE FROM agent_runs WHERE id = 88412", Start: 50 * time.Second},
				{PID: 5000, Role: RoleIdle, User: "api", App: "api", Query: "COMMIT"},
				{PID: 5001, Role: RoleIdle, User: "api", App: "api", Query: "COMMIT", Start: -1 * time.Second},
				{PID: 5002, Role: RoleIdle, User: "api", App: "api", Query: "COMMIT", Start: -2 * time.Second},
				{PID: 5003, Role: RoleIdle, User: "api", App: "api", Query: "COMMIT", Start: -3 * time.Second},
			},
		},
		Alerts: []Alert{
			{Key: "high-error-rate", At: 5 * time.Second, Name: "HighErrorRate",
				Summary: "HighErrorRate firing: 5xx ratio 12% > 5% for 2m (api)",
				Labels:  map[string]string{"alertname": "HighErrorRate", "severity": "page", "service": "api"}},
			{Key: "kube-pod-crash-looping", At: 20 * time.Second, Name: "KubePodCrashLooping",
				Summary: "KubePodCrashLooping: api-6f9c7d5b8-* restarting (agent-platform)",
				Detail:  "3 pods of ReplicaSet api-6f9c7d5b8 (revision 2, image api:2.14.0)",
				Labels:  map[string]string{"alertname": "KubePodCrashLooping", "severity": "warning", "namespace": "agent-platform", "deployment": "api"}},
			{Key: "postgres-connections-high", At: 25 * time.Second, Name: "PostgresConnectionsHigh",
				Summary: "PostgresConnectionsHigh: 92/100 connections on agent-platform-prod",
				Labels:  map[string]string{"alertname": "PostgresConnectionsHigh", "severity": "warning", "instance": "agent-platform-prod"}},
			{Key: "postgres-lock-wait", At: 50 * time.Second, Name: "PostgresLockWait",
				Summary: "PostgresLockWait: 2 sessions blocked behind pid 4100 (idle in transaction)",
				Labels:  map[string]string{"alertname": "PostgresLockWait", "severity": "warning", "instance": "agent-platform-prod"}},
		},
	}
}

// Deployment returns the story's deployment name.
func (s Story) Deployment(name string) (Deployment, bool) {
	for _, d := range s.Deployments {
		if d.Name == name {
			return d, true
		}
	}
	return Deployment{}, false
}
