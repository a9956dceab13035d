#!/usr/bin/env bash
# Real backends for integration tests and the sandbox, on 127.0.0.1 only:
# PostgreSQL (Debian package), Prometheus (Debian package), our exporter
# (hack/exporter), etcd and kube-apiserver (built from Go modules in the
# separate tools module hack/k8s and cached outside the checkout), and the
# rest of a cluster without containers: kube-controller-manager and
# kube-scheduler (same module) and kwok with fake nodes and our fault stages
# (hack/kwok/stages).
#
#   hack/backends.sh start    install what is missing, build/cache k8s, start all, wait until ready
#   hack/backends.sh stop     stop everything this script started (by PID), idempotent
#   hack/backends.sh status   show what runs
#   hack/backends.sh env      print the env file (export WARROOM_TEST_...=...)
#   hack/backends.sh running  exit 0 if all backends run
#   hack/backends.sh build    only build (or find cached) the k8s binaries the chosen backends need
#   hack/backends.sh stop-one NAME [SIGNAL]  stop one process by $STATE/pids/NAME.pid (TERM, then KILL after 20 s)
#   hack/backends.sh start-one NAME           start again one that stop-one stopped, on its kept data; wait until ready
#   hack/backends.sh signal-one NAME SIGNAL   send SIGNAL (STOP, CONT) to one process and its children; no waiting
#   (NAME: postgres exporter prometheus etcd kube-apiserver kube-controller-manager kube-scheduler kwok;
#   the fault tests freeze and restart their own set)
#
# Settings (environment):
#   WARROOM_BACKENDS_DIR      state dir (pids, logs, data, kubeconfigs, env); default /tmp/warroom-backends
#   WARROOM_BACKENDS          which backends to start: any of "pg prom kube cluster" (default all four;
#                             "cluster" = controller-manager, scheduler, kwok and its nodes; needs "kube")
#   WARROOM_PG_PORT=55432 WARROOM_PROM_PORT=19090 WARROOM_EXPORTER_PORT=19101
#   WARROOM_ETCD_PORT=12379 WARROOM_ETCD_PEER_PORT (default: client port + 1) WARROOM_APISERVER_PORT=16443
#   WARROOM_KCM_PORT=16257 WARROOM_SCHEDULER_PORT=16259 WARROOM_KWOK_PORT=16247  (health endpoints)
#   WARROOM_KWOK_NODES=3      how many fake nodes kwok runs (kwok-node-0.., label type=kwok)
#   WARROOM_SCHEDULER_NAME=warroom-scheduler  the only spec.schedulerName the scheduler serves
#   WARROOM_EXPORTER_ERROR_RATIO=0.05  the exporter's starting error ratio
#   WARROOM_PG_MAX_CONNECTIONS=50  PostgreSQL's max_connections (BenchmarkActivity500 in probes/pg wants >= 520)
#   WARROOM_NO_INSTALL=1      never run apt-get (fail instead when something is missing)
#   WARROOM_BACKENDS_WATCH_PID  stop everything once that process is gone (a test that started a
#                             private set and was killed cannot leave it running)
#   start writes the effective ports and backends to $STATE/settings; the other commands read it,
#   so only WARROOM_BACKENDS_DIR is needed to reach a set started with other ports.
#   XDG_CACHE_HOME            k8s binaries are cached in ${XDG_CACHE_HOME:-$HOME/.cache}/warroom/k8s/
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
STATE="${WARROOM_BACKENDS_DIR:-/tmp/warroom-backends}"
# A running set's own settings win over the environment (see cmd_start).
if [[ "${1:-}" != start && -s "$STATE/settings" ]]; then
	# shellcheck source=/dev/null
	. "$STATE/settings"
fi
BACKENDS="${WARROOM_BACKENDS:-pg prom kube cluster}"

PG_PORT="${WARROOM_PG_PORT:-55432}"
PROM_PORT="${WARROOM_PROM_PORT:-19090}"
EXPORTER_PORT="${WARROOM_EXPORTER_PORT:-19101}"
ETCD_PORT="${WARROOM_ETCD_PORT:-12379}"
ETCD_PEER_PORT="${WARROOM_ETCD_PEER_PORT:-$((ETCD_PORT + 1))}"
APISERVER_PORT="${WARROOM_APISERVER_PORT:-16443}"
KCM_PORT="${WARROOM_KCM_PORT:-16257}"
SCHEDULER_PORT="${WARROOM_SCHEDULER_PORT:-16259}"
KWOK_PORT="${WARROOM_KWOK_PORT:-16247}"
KWOK_NODES="${WARROOM_KWOK_NODES:-3}"
SCHEDULER_NAME="${WARROOM_SCHEDULER_NAME:-warroom-scheduler}"
EXPORTER_RATIO="${WARROOM_EXPORTER_ERROR_RATIO:-0.05}"

# Versions: k8s.io/kubernetes from hack/k8s/go.mod, etcd as resolved there.
K8S_VERSION="$(awk '($1 == "require" && $2 == "k8s.io/kubernetes") {print $3; exit} $1 == "k8s.io/kubernetes" {print $2; exit}' "$ROOT/hack/k8s/go.mod")"
ETCD_VERSION="$(awk '$1 == "go.etcd.io/etcd/server/v3" {print $2; exit}' "$ROOT/hack/k8s/go.mod")"
[[ -n "$K8S_VERSION" && -n "$ETCD_VERSION" ]] || { echo "cannot read versions from hack/k8s/go.mod" >&2; exit 1; }
K8S_CACHE="${XDG_CACHE_HOME:-$HOME/.cache}/warroom/k8s/${K8S_VERSION}-etcd${ETCD_VERSION#v}"
# kwok (the kubelet stand-in) has its own module and k8s.io versions: pinned
# here, cached in the same folder under a versioned name.
KWOK_VERSION="v0.8.0"
KWOK_BIN_NAME="kwok-${KWOK_VERSION}"

PG_SUPERPASS="warroom-test-pw"   # loopback-only throwaway server

log() { printf '[backends %s] %s\n' "$(date +%H:%M:%S)" "$*" >&2; }
die() { log "ERROR: $*"; exit 1; }
want() { [[ " $BACKENDS " == *" $1 "* ]]; }
now_ms() { date +%s%3N; }

# ---------------------------------------------------------------- processes

pidfile() { echo "$STATE/pids/$1.pid"; }

# pid_running PID: the process exists and is not a zombie (PID 1 on some
# machines reaps orphans only every second or two).
pid_running() {
	kill -0 "$1" 2>/dev/null || return 1
	local st
	st="$(awk '{print $3}' "/proc/$1/stat" 2>/dev/null)" || return 1
	[[ -n "$st" && "$st" != Z && "$st" != X ]]
}

alive() { # alive NAME: the recorded PID runs
	local f pid
	f="$(pidfile "$1")"
	[[ -s "$f" ]] || return 1
	pid="$(head -n1 "$f")"
	[[ "$pid" =~ ^[0-9]+$ ]] && pid_running "$pid"
}

# stop_one NAME [SIGNAL]: signal the recorded PID, wait up to 20 s, then KILL.
stop_one() {
	local name="$1" sig="${2:-TERM}" f pid i p
	f="$(pidfile "$name")"
	[[ -s "$f" ]] || return 0
	pid="$(head -n1 "$f")"
	if [[ "$pid" =~ ^[0-9]+$ ]] && pid_running "$pid"; then
		log "stopping $name (pid $pid)"
		# A frozen (SIGSTOP) process would not act on the signal: thaw it
		# and its children first (harmless for a running one).
		for p in "$pid" $(descendants "$pid"); do kill -CONT "$p" 2>/dev/null || true; done
		kill -s "$sig" "$pid" 2>/dev/null || true
		for ((i = 0; i < 400; i++)); do
			pid_running "$pid" || break
			sleep 0.05
		done
		if pid_running "$pid"; then
			log "$name (pid $pid) did not exit in 20 s: SIGKILL"
			kill -KILL "$pid" 2>/dev/null || true
			for ((i = 0; i < 100; i++)); do
				pid_running "$pid" || break
				sleep 0.05
			done
		fi
	fi
	rm -f "$f"
}

# wait_for NAME TIMEOUT_S CMD...: poll CMD every 0.2 s until it succeeds.
wait_for() {
	local name="$1" timeout="$2" start
	shift 2
	start="$(now_ms)"
	while ! "$@" >/dev/null 2>&1; do
		if (($(now_ms) - start > timeout * 1000)); then
			log "$name not ready after ${timeout}s; last log lines:"
			tail -n 30 "$STATE/logs/$name.log" >&2 2>/dev/null || true
			return 1
		fi
		if [[ -n "${WAIT_PID_NAME:-}" ]] && ! alive "$WAIT_PID_NAME"; then
			log "$name exited during start-up; last log lines:"
			tail -n 30 "$STATE/logs/$name.log" >&2 2>/dev/null || true
			return 1
		fi
		sleep 0.2
	done
	log "$name ready ($(($(now_ms) - start)) ms)"
}

port_free() { ! (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null; }

need_port() {
	port_free "$1" || die "port 127.0.0.1:$1 ($2) is already in use; stop what holds it or set WARROOM_*_PORT"
}

# ---------------------------------------------------------------- installs

APT_UPDATED=""
apt_install() {
	[[ -z "${WARROOM_NO_INSTALL:-}" ]] || die "missing: $* (WARROOM_NO_INSTALL is set)"
	[[ "$(id -u)" == 0 ]] || die "missing: $*; install them (apt-get install $*) or run as root"
	export DEBIAN_FRONTEND=noninteractive
	# Keep packaged services from starting (we run our own instances).
	local policy_added=""
	if [[ ! -e /usr/sbin/policy-rc.d ]]; then
		printf '#!/bin/sh\nexit 101\n' >/usr/sbin/policy-rc.d
		chmod +x /usr/sbin/policy-rc.d
		policy_added=1
	fi
	if [[ -z "$APT_UPDATED" ]]; then
		log "apt-get update"
		apt-get update -qq >&2 || true
		APT_UPDATED=1
	fi
	log "apt-get install $*"
	local rc=0
	apt-get install -y -qq --no-install-recommends "$@" >&2 || rc=$?
	[[ -z "$policy_added" ]] || rm -f /usr/sbin/policy-rc.d
	((rc == 0)) || die "apt-get install $* failed"
	# Belt and braces: if a packaged service started anyway, stop it.
	stop_packaged_services
}

stop_packaged_services() {
	local svc
	for svc in prometheus prometheus-node-exporter postgresql; do
		if [[ -x "/etc/init.d/$svc" ]] && "/etc/init.d/$svc" status >/dev/null 2>&1; then
			log "stopping packaged service $svc"
			"/etc/init.d/$svc" stop >&2 || true
		fi
	done
}

pg_bindir() {
	local pkg
	pkg="$(dpkg-query -W -f='${db:Status-Abbrev} ${Package}\n' 'postgresql-[0-9]*' 2>/dev/null |
		awk '$1 == "ii" && $2 ~ /^postgresql-[0-9]+$/ {print $2}' | sort -V | tail -n1)"
	[[ -n "$pkg" ]] || return 1
	dirname "$(dpkg -L "$pkg" | grep 'bin/initdb$' | head -n1)"
}

ensure_tools() {
	local missing=()
	command -v curl >/dev/null || missing+=(curl ca-certificates)
	command -v openssl >/dev/null || missing+=(openssl)
	if want pg && ! pg_bindir >/dev/null; then missing+=(postgresql); fi
	if want prom && ! command -v prometheus >/dev/null; then missing+=(prometheus); fi
	if ((${#missing[@]})); then apt_install "${missing[@]}"; fi
	if want pg; then PG_BIN="$(pg_bindir)" || die "PostgreSQL server binaries not found after install"; fi
	command -v go >/dev/null || die "go is not on PATH"
}

# ---------------------------------------------------------------- k8s build cache

# k8s_binaries: the cached binaries the chosen backends run.
k8s_binaries() {
	local b=()
	if want kube; then b+=(etcd kube-apiserver); fi
	if want cluster; then b+=(kube-controller-manager kube-scheduler "$KWOK_BIN_NAME"); fi
	echo "${b[@]}"
}

k8s_built() {
	local b
	for b in $(k8s_binaries); do
		[[ -x "$K8S_CACHE/$b" ]] || return 1
	done
}

# build_k8s: build what is missing from the cache. Each binary is written to a
# temporary name and moved into place, so an interrupted build never leaves a
# half-written binary that a later run would take for a cached one.
build_k8s() {
	k8s_built && return 0
	mkdir -p "$K8S_CACHE"
	local start ld cmd
	start="$(now_ms)"
	ld="-s -w"
	ld+=" -X k8s.io/component-base/version.gitVersion=${K8S_VERSION}"
	ld+=" -X k8s.io/component-base/version.gitMajor=$(echo "${K8S_VERSION#v}" | cut -d. -f1)"
	ld+=" -X k8s.io/component-base/version.gitMinor=$(echo "${K8S_VERSION#v}" | cut -d. -f2)"
	ld+=" -X k8s.io/component-base/version.gitTreeState=clean"
	ld+=" -X k8s.io/component-base/version.buildDate=1970-01-01T00:00:00Z"
	if want kube && [[ ! -x "$K8S_CACHE/etcd" ]]; then
		log "building etcd ${ETCD_VERSION} into $K8S_CACHE (~20 s)"
		(cd "$ROOT/hack/k8s" && go build -trimpath -ldflags "-s -w" -o "$K8S_CACHE/.etcd.tmp.$$" go.etcd.io/etcd/server/v3)
		mv -f "$K8S_CACHE/.etcd.tmp.$$" "$K8S_CACHE/etcd"
	fi
	if want kube && [[ ! -x "$K8S_CACHE/kube-apiserver" ]]; then
		log "building kube-apiserver ${K8S_VERSION} into $K8S_CACHE (first run only: ~10 min on 2 cores, ~3 GB RAM)"
		(cd "$ROOT/hack/k8s" && go build -trimpath -ldflags "$ld" -o "$K8S_CACHE/.kube-apiserver.tmp.$$" k8s.io/kubernetes/cmd/kube-apiserver)
		mv -f "$K8S_CACHE/.kube-apiserver.tmp.$$" "$K8S_CACHE/kube-apiserver"
	fi
	for cmd in kube-controller-manager kube-scheduler; do
		want cluster && [[ ! -x "$K8S_CACHE/$cmd" ]] || continue
		log "building $cmd ${K8S_VERSION} into $K8S_CACHE (first run only; shares most packages with kube-apiserver)"
		(cd "$ROOT/hack/k8s" && go build -trimpath -ldflags "$ld" -o "$K8S_CACHE/.$cmd.tmp.$$" "k8s.io/kubernetes/cmd/$cmd")
		mv -f "$K8S_CACHE/.$cmd.tmp.$$" "$K8S_CACHE/$cmd"
	done
	if want cluster && [[ ! -x "$K8S_CACHE/$KWOK_BIN_NAME" ]]; then
		# kwok pins its own k8s.io versions: `go install pkg@version` resolves
		# them from kwok's go.mod, outside the tools module (GOWORK/GOFLAGS
		# cleared so nothing of this checkout leaks into that build).
		log "building kwok ${KWOK_VERSION} into $K8S_CACHE (first run only: ~1.5-3 min)"
		rm -rf "$K8S_CACHE/.kwok.tmp.$$"
		(cd / && GOWORK=off GOFLAGS=-buildvcs=false GOBIN="$K8S_CACHE/.kwok.tmp.$$" \
			go install -trimpath -ldflags "-s -w" "sigs.k8s.io/kwok/cmd/kwok@${KWOK_VERSION}")
		mv -f "$K8S_CACHE/.kwok.tmp.$$/kwok" "$K8S_CACHE/$KWOK_BIN_NAME"
		rm -rf "$K8S_CACHE/.kwok.tmp.$$"
	fi
	log "k8s binaries built in $((($(now_ms) - start) / 1000)) s"
}

# ---------------------------------------------------------------- PostgreSQL

as_postgres() {
	if [[ "$(id -u)" == 0 ]]; then
		setpriv --reuid=postgres --regid=postgres --init-groups -- "$@"
	else
		"$@"
	fi
}

start_pg() {
	need_port "$PG_PORT" postgres
	[[ "${WARROOM_PG_MAX_CONNECTIONS:-50}" =~ ^[1-9][0-9]*$ ]] || die "WARROOM_PG_MAX_CONNECTIONS=${WARROOM_PG_MAX_CONNECTIONS}: not a positive number"
	local d="$STATE/pg"
	rm -rf "$d"
	mkdir -p "$d/data" "$d/sock"
	printf '%s\n' "$PG_SUPERPASS" >"$d/pwfile"
	if [[ "$(id -u)" == 0 ]]; then
		id postgres >/dev/null 2>&1 || die "no postgres user (the postgresql package creates it)"
		chown -R postgres: "$d"
		# initdb refuses root; the postgres user must reach the data dir.
		as_postgres test -x "$d" || die "user postgres cannot reach $d; use a WARROOM_BACKENDS_DIR outside private home dirs"
	fi
	chmod 700 "$d/data"
	as_postgres "$PG_BIN/initdb" -D "$d/data" -U postgres --pwfile="$d/pwfile" \
		--auth-local=trust --auth-host=scram-sha-256 -E UTF8 --locale=C.UTF-8 --no-sync \
		>"$STATE/logs/postgres-initdb.log" 2>&1 || {
		tail -n 20 "$STATE/logs/postgres-initdb.log" >&2
		die "initdb failed"
	}
	rm -f "$d/pwfile"
	cat >>"$d/data/postgresql.conf" <<EOF
# warroom test backend (hack/backends.sh)
listen_addresses = '127.0.0.1'
port = $PG_PORT
unix_socket_directories = '$d/sock'
max_connections = ${WARROOM_PG_MAX_CONNECTIONS:-50}
fsync = off
synchronous_commit = off
full_page_writes = off
shared_buffers = 32MB
logging_collector = off
EOF
	touch "$STATE/logs/postgres.log"
	[[ "$(id -u)" != 0 ]] || chown postgres: "$STATE/logs/postgres.log"
	launch_postgres
}

# launch_postgres: start the server on its existing data dir (start, start-one).
launch_postgres() {
	local d="$STATE/pg"
	need_port "$PG_PORT" postgres
	as_postgres "$PG_BIN/pg_ctl" -D "$d/data" -l "$STATE/logs/postgres.log" -w -t 30 start >/dev/null ||
		{ tail -n 20 "$STATE/logs/postgres.log" >&2; die "postgres did not start"; }
	head -n1 "$d/data/postmaster.pid" >"$(pidfile postgres)"
	WAIT_PID_NAME=postgres wait_for postgres 30 "$PG_BIN/pg_isready" -q -h 127.0.0.1 -p "$PG_PORT"
}

# ---------------------------------------------------------------- exporter + Prometheus

start_exporter() {
	mkdir -p "$STATE/bin"
	(cd "$ROOT" && go build -o "$STATE/bin/exporter" ./hack/exporter)
	launch_exporter
}

launch_exporter() {
	need_port "$EXPORTER_PORT" exporter
	nohup "$STATE/bin/exporter" -listen "127.0.0.1:$EXPORTER_PORT" -error-ratio "$EXPORTER_RATIO" \
		>"$STATE/logs/exporter.log" 2>&1 </dev/null &
	echo $! >"$(pidfile exporter)"
	WAIT_PID_NAME=exporter wait_for exporter 15 curl -fsS "http://127.0.0.1:$EXPORTER_PORT/healthz"
}

# start_prom: a fresh TSDB, our config and the alerting rules of
# hack/prom/rules.yml (copied into the set, so start-one and a checkout
# edited meanwhile keep the rules the set started with).
start_prom() {
	local d="$STATE/prom"
	rm -rf "$d"
	mkdir -p "$d/data"
	cp "$ROOT/hack/prom/rules.yml" "$d/rules.yml"
	cat >"$d/prometheus.yml" <<EOF
global:
  scrape_interval: 1s
  scrape_timeout: 1s
  evaluation_interval: 1s
rule_files:
  - '$d/rules.yml'
scrape_configs:
  - job_name: api
    static_configs:
      - targets: ['127.0.0.1:$EXPORTER_PORT']
        labels:
          service: api
          namespace: agent-platform
EOF
	launch_prometheus
}

# launch_prometheus: start it on its existing config and data (start, start-one).
launch_prometheus() {
	local d="$STATE/prom"
	need_port "$PROM_PORT" prometheus
	nohup prometheus --config.file="$d/prometheus.yml" --storage.tsdb.path="$d/data" \
		--web.listen-address="127.0.0.1:$PROM_PORT" --storage.tsdb.retention.time=1d \
		>"$STATE/logs/prometheus.log" 2>&1 </dev/null &
	echo $! >"$(pidfile prometheus)"
	WAIT_PID_NAME=prometheus wait_for prometheus 30 curl -fsS "http://127.0.0.1:$PROM_PORT/-/ready"
}

# ---------------------------------------------------------------- etcd + kube-apiserver

gen_k8s_secrets() {
	local k="$1"
	mkdir -p "$k/pki"
	(
		cd "$k/pki"
		openssl req -x509 -newkey rsa:2048 -nodes -keyout ca.key -out ca.crt -days 30 \
			-subj "/CN=warroom-test-ca" 2>/dev/null
		openssl req -newkey rsa:2048 -nodes -keyout apiserver.key -out apiserver.csr \
			-subj "/CN=kube-apiserver" 2>/dev/null
		printf 'subjectAltName=IP:127.0.0.1,DNS:localhost,DNS:kubernetes,DNS:kubernetes.default\nextendedKeyUsage=serverAuth\n' >san.ext
		openssl x509 -req -in apiserver.csr -CA ca.crt -CAkey ca.key -CAcreateserial \
			-out apiserver.crt -days 30 -extfile san.ext 2>/dev/null
		openssl genrsa -out sa.key 2048 2>/dev/null
		openssl rsa -in sa.key -pubout -out sa.pub 2>/dev/null
	)
	ADMIN_TOKEN="$(openssl rand -hex 24)"
	NARROW_TOKEN="$(openssl rand -hex 24)"
	# token,user,uid,"group1,group2"
	cat >"$k/tokens.csv" <<EOF
$ADMIN_TOKEN,warroom-admin,uid-warroom-admin,"system:masters"
$NARROW_TOKEN,warroom-narrow,uid-warroom-narrow,"warroom:narrow"
EOF
	chmod 600 "$k/tokens.csv"
}

write_kubeconfig() { # write_kubeconfig FILE CURRENT_CONTEXT (users: admin, narrow)
	local file="$1" current="$2" ca
	ca="$(base64 -w0 <"$STATE/k8s/pki/ca.crt")"
	{
		cat <<EOF
apiVersion: v1
kind: Config
clusters:
- name: warroom-local
  cluster:
    server: https://127.0.0.1:$APISERVER_PORT
    certificate-authority-data: $ca
users:
EOF
		if [[ "$current" == warroom-admin ]]; then
			printf -- '- name: warroom-admin\n  user:\n    token: %s\n' "$ADMIN_TOKEN"
		fi
		printf -- '- name: warroom-narrow\n  user:\n    token: %s\n' "$NARROW_TOKEN"
		echo "contexts:"
		if [[ "$current" == warroom-admin ]]; then
			printf -- '- name: warroom-admin\n  context:\n    cluster: warroom-local\n    user: warroom-admin\n    namespace: default\n'
		fi
		printf -- '- name: warroom-narrow\n  context:\n    cluster: warroom-local\n    user: warroom-narrow\n    namespace: default\n'
		echo "current-context: $current"
	} >"$file"
	chmod 600 "$file"
}

kapi() { # kapi METHOD PATH [JSON [merge]]: call the apiserver as admin (merge: a JSON merge patch)
	local args=(-fsS --cacert "$STATE/k8s/pki/ca.crt" -H "Authorization: Bearer $ADMIN_TOKEN" -X "$1") ctype=application/json
	if [[ "${4:-}" == merge ]]; then ctype=application/merge-patch+json; fi
	if [[ $# -ge 3 ]]; then args+=(-H "Content-Type: $ctype" --data-binary "$3"); fi
	curl "${args[@]}" "https://127.0.0.1:$APISERVER_PORT$2"
}

apply_rbac() {
	# The narrow user may read pods, events and workloads in "default" only:
	# listing pods anywhere else (agent-platform, kube-system, all namespaces)
	# is Forbidden.
	kapi POST /apis/rbac.authorization.k8s.io/v1/clusterroles '{
	  "apiVersion": "rbac.authorization.k8s.io/v1", "kind": "ClusterRole",
	  "metadata": {"name": "warroom-narrow-reader"},
	  "rules": [
	    {"apiGroups": [""], "resources": ["pods", "pods/log", "events", "services"], "verbs": ["get", "list", "watch"]},
	    {"apiGroups": ["apps"], "resources": ["deployments", "replicasets"], "verbs": ["get", "list", "watch"]}
	  ]}' >/dev/null
	kapi POST /apis/rbac.authorization.k8s.io/v1/namespaces/default/rolebindings '{
	  "apiVersion": "rbac.authorization.k8s.io/v1", "kind": "RoleBinding",
	  "metadata": {"name": "warroom-narrow-reader", "namespace": "default"},
	  "roleRef": {"apiGroup": "rbac.authorization.k8s.io", "kind": "ClusterRole", "name": "warroom-narrow-reader"},
	  "subjects": [{"apiGroup": "rbac.authorization.k8s.io", "kind": "User", "name": "warroom-narrow"}]}' >/dev/null
	# In warroom-narrow-pods the narrow user may read pods (and their logs)
	# but not events, deployments or replicasets: a real combination the
	# pods pane must show in place ("forbidden: list events in …").
	kapi POST /api/v1/namespaces '{"apiVersion": "v1", "kind": "Namespace", "metadata": {"name": "warroom-narrow-pods"}}' >/dev/null
	kapi POST /apis/rbac.authorization.k8s.io/v1/clusterroles '{
	  "apiVersion": "rbac.authorization.k8s.io/v1", "kind": "ClusterRole",
	  "metadata": {"name": "warroom-pods-only"},
	  "rules": [{"apiGroups": [""], "resources": ["pods", "pods/log"], "verbs": ["get", "list", "watch"]}]}' >/dev/null
	kapi POST /apis/rbac.authorization.k8s.io/v1/namespaces/warroom-narrow-pods/rolebindings '{
	  "apiVersion": "rbac.authorization.k8s.io/v1", "kind": "RoleBinding",
	  "metadata": {"name": "warroom-pods-only", "namespace": "warroom-narrow-pods"},
	  "roleRef": {"apiGroup": "rbac.authorization.k8s.io", "kind": "ClusterRole", "name": "warroom-pods-only"},
	  "subjects": [{"apiGroup": "rbac.authorization.k8s.io", "kind": "User", "name": "warroom-narrow"}]}' >/dev/null
	# No controller-manager: the default ServiceAccount must exist for pods.
	for ns in default warroom-narrow-pods; do
		kapi POST "/api/v1/namespaces/$ns/serviceaccounts" \
			'{"apiVersion": "v1", "kind": "ServiceAccount", "metadata": {"name": "default", "namespace": "'"$ns"'"}}' \
			>/dev/null 2>&1 || true
	done
}

start_kube() {
	local k="$STATE/k8s"
	rm -rf "$k"
	mkdir -p "$k"
	gen_k8s_secrets "$k"
	launch_etcd
	launch_kube_apiserver
	write_kubeconfig "$k/kubeconfig" warroom-admin
	write_kubeconfig "$k/kubeconfig-narrow" warroom-narrow
	apply_rbac
}

# launch_etcd, launch_kube_apiserver: start them on the existing data dir,
# certificates and tokens (start, start-one).
launch_etcd() {
	local k="$STATE/k8s"
	need_port "$ETCD_PORT" etcd
	need_port "$ETCD_PEER_PORT" etcd-peer
	nohup "$K8S_CACHE/etcd" --name warroom --data-dir "$k/etcd" \
		--listen-client-urls "http://127.0.0.1:$ETCD_PORT" --advertise-client-urls "http://127.0.0.1:$ETCD_PORT" \
		--listen-peer-urls "http://127.0.0.1:$ETCD_PEER_PORT" --initial-advertise-peer-urls "http://127.0.0.1:$ETCD_PEER_PORT" \
		--initial-cluster "warroom=http://127.0.0.1:$ETCD_PEER_PORT" --unsafe-no-fsync \
		--log-level warn >"$STATE/logs/etcd.log" 2>&1 </dev/null &
	echo $! >"$(pidfile etcd)"
	WAIT_PID_NAME=etcd wait_for etcd 30 curl -fsS "http://127.0.0.1:$ETCD_PORT/health"
}

launch_kube_apiserver() {
	local k="$STATE/k8s"
	need_port "$APISERVER_PORT" kube-apiserver
	# start-one runs in a new shell: the admin token is read back.
	[[ -n "${ADMIN_TOKEN:-}" ]] || ADMIN_TOKEN="$(awk -F, '$2 == "warroom-admin" {print $1}' "$k/tokens.csv")"
	nohup "$K8S_CACHE/kube-apiserver" \
		--bind-address=127.0.0.1 --advertise-address=127.0.0.1 --secure-port="$APISERVER_PORT" \
		--cert-dir="$k/certs" --tls-cert-file="$k/pki/apiserver.crt" --tls-private-key-file="$k/pki/apiserver.key" \
		--etcd-servers="http://127.0.0.1:$ETCD_PORT" \
		--service-cluster-ip-range=10.96.0.0/24 \
		--service-account-issuer=https://kubernetes.default.svc.cluster.local \
		--service-account-key-file="$k/pki/sa.pub" --service-account-signing-key-file="$k/pki/sa.key" \
		--token-auth-file="$k/tokens.csv" --authorization-mode=Node,RBAC \
		--endpoint-reconciler-type=none --profiling=false --v=0 \
		--kubelet-preferred-address-types=InternalIP \
		>"$STATE/logs/kube-apiserver.log" 2>&1 </dev/null &
	echo $! >"$(pidfile kube-apiserver)"
	WAIT_PID_NAME=kube-apiserver wait_for kube-apiserver 90 kapi GET /readyz
}

# ---------------------------------------------------------------- controllers, scheduler, kwok

# The controllers that make Deployments, ReplicaSets and namespaces behave.
# Left out on purpose: serviceaccount (tests and the sandbox create the
# "default" ServiceAccount themselves and would race it), podgc (it deletes
# pods bound to nodes that do not exist, which the probes' tests make by the
# hundred), nodelifecycle and taint-eviction (hand-made nodes with no
# heartbeat would be tainted and their pods evicted), and everything that
# needs a cloud, token signing or CSR keys.
KCM_CONTROLLERS="deployment,replicaset,garbagecollector,namespace"

start_cluster() {
	apply_kwok_crds
	launch_kube_controller_manager
	launch_kube_scheduler
	launch_kwok
	make_kwok_nodes
}

# apply_kwok_crds: kwok's Logs and ClusterLogs kinds (hack/kwok/crds, from
# kwok v0.8.0), so that tests and the sandbox say per pod which file
# `pods/log` reads; kwok watches them (--enable-crds).
apply_kwok_crds() {
	local f
	for f in "$ROOT"/hack/kwok/crds/*.yaml; do
		sed '/^---$/d' "$f" | curl -fsS --cacert "$STATE/k8s/pki/ca.crt" -H "Authorization: Bearer $ADMIN_TOKEN" \
			-H 'Content-Type: application/yaml' --data-binary @- \
			"https://127.0.0.1:$APISERVER_PORT/apis/apiextensions.k8s.io/v1/customresourcedefinitions" >/dev/null
	done
	wait_for kwok-crds 30 kapi GET /apis/kwok.x-k8s.io/v1alpha1/clusterlogs
}

# launch_kube_controller_manager, launch_kube_scheduler, launch_kwok: start
# them on the set's kubeconfig (start, start-one). They run as the admin
# user: loopback, throwaway cluster. Each serves only a health endpoint.
launch_kube_controller_manager() {
	local k="$STATE/k8s"
	need_port "$KCM_PORT" kube-controller-manager
	nohup "$K8S_CACHE/kube-controller-manager" \
		--kubeconfig="$k/kubeconfig" --leader-elect=false \
		--bind-address=127.0.0.1 --secure-port="$KCM_PORT" --cert-dir="$k/kcm-certs" \
		--controllers="$KCM_CONTROLLERS" --v=1 \
		>"$STATE/logs/kube-controller-manager.log" 2>&1 </dev/null &
	echo $! >"$(pidfile kube-controller-manager)"
	WAIT_PID_NAME=kube-controller-manager wait_for kube-controller-manager 60 \
		curl -fsSk "https://127.0.0.1:$KCM_PORT/healthz"
}

# The scheduler places only pods that ask for it by spec.schedulerName
# (WARROOM_SCHEDULER_NAME, default warroom-scheduler), never those with the
# default name: tests make unbound pods by hand that must stay Pending (a
# "default-scheduler" profile would bind them to a kwok node, which would
# then run them).
launch_kube_scheduler() {
	local k="$STATE/k8s"
	need_port "$SCHEDULER_PORT" kube-scheduler
	cat >"$k/scheduler.yaml" <<EOF
apiVersion: kubescheduler.config.k8s.io/v1
kind: KubeSchedulerConfiguration
clientConnection:
  kubeconfig: $k/kubeconfig
leaderElection:
  leaderElect: false
profiles:
- schedulerName: $SCHEDULER_NAME
EOF
	nohup "$K8S_CACHE/kube-scheduler" --config="$k/scheduler.yaml" \
		--bind-address=127.0.0.1 --secure-port="$SCHEDULER_PORT" --cert-dir="$k/scheduler-certs" --v=1 \
		>"$STATE/logs/kube-scheduler.log" 2>&1 </dev/null &
	echo $! >"$(pidfile kube-scheduler)"
	WAIT_PID_NAME=kube-scheduler wait_for kube-scheduler 60 \
		curl -fsSk "https://127.0.0.1:$SCHEDULER_PORT/healthz"
}

# kwok stands in for kubelet on the nodes labelled type=kwok only (hand-made
# nodes of tests and the sandbox are left alone). It has no default stages
# of its own (kwokctl adds them): every stage is in hack/kwok/stages. Its
# nodes' address is 127.0.0.1 and their kubelet port is kwok's own server
# (HTTP and HTTPS on one port), so the apiserver's pods/log reaches kwok.
launch_kwok() {
	local k="$STATE/k8s" f args=()
	need_port "$KWOK_PORT" kwok
	for f in "$ROOT"/hack/kwok/stages/*.yaml; do args+=(--config "$f"); done
	nohup "$K8S_CACHE/$KWOK_BIN_NAME" \
		--kubeconfig="$k/kubeconfig" --manage-all-nodes=false --manage-nodes-with-label-selector=type=kwok \
		--server-address="127.0.0.1:$KWOK_PORT" --node-ip=127.0.0.1 --node-port="$KWOK_PORT" \
		--enable-crds=Logs,ClusterLogs --node-lease-duration-seconds=40 "${args[@]}" \
		>"$STATE/logs/kwok.log" 2>&1 </dev/null &
	echo $! >"$(pidfile kwok)"
	WAIT_PID_NAME=kwok wait_for kwok 30 curl -fsS "http://127.0.0.1:$KWOK_PORT/healthz"
}

# kwok_nodes_ready: every fake node has condition Ready=True (kwok's
# node-initialize stage sets it).
kwok_nodes_ready() {
	local n
	# (the apiserver pretty-prints JSON for curl: squeeze it first)
	n="$(kapi GET "/api/v1/nodes?labelSelector=type%3Dkwok" | tr -d ' \n\t' | grep -o '"type":"Ready","status":"True"' | wc -l)"
	((n >= KWOK_NODES))
}

make_kwok_nodes() {
	local i name
	for ((i = 0; i < KWOK_NODES; i++)); do
		name="kwok-node-$i"
		kapi POST /api/v1/nodes '{
		  "apiVersion": "v1", "kind": "Node",
		  "metadata": {"name": "'"$name"'",
		    "labels": {"type": "kwok", "kubernetes.io/hostname": "'"$name"'", "kubernetes.io/os": "linux", "kubernetes.io/arch": "amd64"},
		    "annotations": {"kwok.x-k8s.io/node": "fake", "node.alpha.kubernetes.io/ttl": "0"}},
		  "status": {
		    "allocatable": {"cpu": "32", "memory": "256Gi", "pods": "110"},
		    "capacity": {"cpu": "32", "memory": "256Gi", "pods": "110"}}}' >/dev/null
		# The apiserver's TaintNodesByCondition admission gives every new
		# node node.kubernetes.io/not-ready:NoSchedule; the node lifecycle
		# controller, which would lift it, is not run (see KCM_CONTROLLERS).
		kapi PATCH "/api/v1/nodes/$name" '{"spec": {"taints": null}}' merge >/dev/null
	done
	WAIT_PID_NAME=kwok wait_for kwok-nodes 30 kwok_nodes_ready
}

# ---------------------------------------------------------------- env file

write_env() {
	local f="$STATE/env"
	{
		echo "# written by hack/backends.sh start; source it: . $f"
		echo "export WARROOM_TEST_BACKENDS_DIR='$STATE'"
		if want pg; then
			echo "export WARROOM_TEST_PG_DSN='postgres://postgres:$PG_SUPERPASS@127.0.0.1:$PG_PORT/postgres?sslmode=disable'"
		fi
		if want prom; then
			echo "export WARROOM_TEST_PROM_URL='http://127.0.0.1:$PROM_PORT'"
			echo "export WARROOM_TEST_EXPORTER_URL='http://127.0.0.1:$EXPORTER_PORT'"
		fi
		if want kube; then
			echo "export WARROOM_TEST_KUBECONFIG='$STATE/k8s/kubeconfig'"
			echo "export WARROOM_TEST_KUBE_CONTEXT='warroom-admin'"
			echo "export WARROOM_TEST_KUBECONFIG_NARROW='$STATE/k8s/kubeconfig-narrow'"
		fi
		if want cluster; then
			# Controllers, scheduler and kwok run: pods that set this
			# schedulerName land on kwok's nodes and live through its stages.
			echo "export WARROOM_TEST_KUBE_SCHEDULER='$SCHEDULER_NAME'"
		fi
	} >"$f.tmp"
	mv -f "$f.tmp" "$f"
}

# ---------------------------------------------------------------- commands

# Stop order: the clients of the apiserver before it.
ALL_PROCS=(sandbox kwok kube-scheduler kube-controller-manager exporter prometheus kube-apiserver etcd postgres watch)

expected_procs() {
	local p=()
	if want pg; then p+=(postgres); fi
	if want prom; then p+=(exporter prometheus); fi
	if want kube; then p+=(etcd kube-apiserver); fi
	if want cluster; then p+=(kube-controller-manager kube-scheduler kwok); fi
	echo "${p[@]}"
}

all_running() {
	[[ -s "$STATE/env" ]] || return 1
	local p
	for p in $(expected_procs); do alive "$p" || return 1; done
}

cmd_start() {
	mkdir -p "$STATE"
	if all_running; then
		log "already running (state: $STATE)"
		return 0
	fi
	cmd_stop # clear any half-started leftovers
	local t0
	t0="$(now_ms)"
	mkdir -p "$STATE/pids" "$STATE/logs"
	chmod 755 "$STATE"
	if want cluster && ! want kube; then die "WARROOM_BACKENDS: \"cluster\" needs \"kube\""; fi
	ensure_tools
	stop_packaged_services
	if want kube; then build_k8s; fi
	local t1
	t1="$(now_ms)"
	# If anything below fails, leave nothing running.
	START_OK=""
	trap 'if [[ -z "$START_OK" ]]; then log "start failed: stopping what was started"; cmd_stop; fi' EXIT
	if want prom; then
		start_exporter
		start_prom # early: its first scrape comes ~6 s after start
	fi
	if want pg; then start_pg; fi
	if want kube; then start_kube; fi
	if want cluster; then start_cluster; fi
	write_env
	write_settings
	start_watch
	START_OK=1
	log "all backends ready in $((($(now_ms) - t1) / 1000)).$((($(now_ms) - t1) % 1000 / 100)) s (total with install/build: $((($(now_ms) - t0) / 1000)) s); env: $STATE/env"
}

cmd_stop() {
	local p
	for p in "${ALL_PROCS[@]}"; do
		case "$p" in
		watch)
			# The watcher execs this very stop when its process is gone:
			# it must not kill itself half-way.
			if [[ "$(head -n1 "$(pidfile watch)" 2>/dev/null)" == "$$" ]]; then
				rm -f "$(pidfile watch)"
			else
				stop_one watch TERM
			fi
			;;
		postgres)
			stop_one postgres INT # fast shutdown
			# A postmaster this script did not record (restarted by hand)
			# still owns the data dir: pg_ctl finds it by postmaster.pid.
			if [[ -s "$STATE/pg/data/postmaster.pid" ]] && pgb="$(pg_bindir 2>/dev/null)"; then
				as_postgres "$pgb/pg_ctl" -D "$STATE/pg/data" -m fast -w -t 20 stop >/dev/null 2>&1 || true
			fi
			;;
		*) stop_one "$p" TERM ;;
		esac
	done
	rm -f "$STATE/env" "$STATE/settings"
}

# write_settings: what start-one, signal-one, running and stop need to find
# this set again without the caller repeating its environment.
write_settings() {
	{
		echo "# written by hack/backends.sh start"
		printf 'WARROOM_BACKENDS=%q\n' "$BACKENDS"
		printf 'WARROOM_PG_PORT=%q\nWARROOM_PROM_PORT=%q\nWARROOM_EXPORTER_PORT=%q\n' "$PG_PORT" "$PROM_PORT" "$EXPORTER_PORT"
		printf 'WARROOM_ETCD_PORT=%q\nWARROOM_ETCD_PEER_PORT=%q\nWARROOM_APISERVER_PORT=%q\n' "$ETCD_PORT" "$ETCD_PEER_PORT" "$APISERVER_PORT"
		printf 'WARROOM_KCM_PORT=%q\nWARROOM_SCHEDULER_PORT=%q\nWARROOM_KWOK_PORT=%q\nWARROOM_KWOK_NODES=%q\n' "$KCM_PORT" "$SCHEDULER_PORT" "$KWOK_PORT" "$KWOK_NODES"
		printf 'WARROOM_SCHEDULER_NAME=%q\n' "$SCHEDULER_NAME"
	} >"$STATE/settings.tmp"
	mv -f "$STATE/settings.tmp" "$STATE/settings"
}

# start_watch: with WARROOM_BACKENDS_WATCH_PID, a background loop stops the
# whole set once that process has gone (a killed or timed-out test).
start_watch() {
	local watched="${WARROOM_BACKENDS_WATCH_PID:-}"
	[[ -n "$watched" ]] || return 0
	[[ "$watched" =~ ^[0-9]+$ ]] || die "WARROOM_BACKENDS_WATCH_PID=$watched is not a pid"
	WARROOM_BACKENDS_DIR="$STATE" nohup bash -c '
		while kill -0 "$1" 2>/dev/null; do sleep 1; done
		exec "$2" stop' watch "$watched" "$ROOT/hack/backends.sh" \
		>>"$STATE/logs/watch.log" 2>&1 </dev/null &
	echo $! >"$(pidfile watch)"
	log "watching pid $watched: the set stops when it exits"
}

# start_one NAME: start again one process that stop-one stopped, on the
# data, config and certificates the set already has.
start_one() {
	[[ -d "$STATE/pids" ]] || die "no backends set in $STATE (run start first)"
	if alive "$1"; then
		log "$1 already running"
		return 0
	fi
	case "$1" in
	postgres)
		PG_BIN="$(pg_bindir)" || die "PostgreSQL server binaries not found"
		launch_postgres
		;;
	exporter) launch_exporter ;;
	prometheus) launch_prometheus ;;
	etcd) launch_etcd ;;
	kube-apiserver) launch_kube_apiserver ;;
	kube-controller-manager) launch_kube_controller_manager ;;
	kube-scheduler) launch_kube_scheduler ;;
	kwok) launch_kwok ;;
	*) die "start-one: unknown backend $1 (postgres exporter prometheus etcd kube-apiserver kube-controller-manager kube-scheduler kwok)" ;;
	esac
}

# descendants PID: every process below PID (postgres serves each connection
# from a child of the postmaster: freezing the server means freezing them).
descendants() {
	local c
	for c in $(pgrep -P "$1" 2>/dev/null); do
		echo "$c"
		descendants "$c"
	done
}

# signal_one NAME SIGNAL: send SIGNAL to the recorded process, then to its
# descendants, and return at once (STOP freezes, CONT thaws; unlike stop-one
# nothing waits for an exit).
signal_one() {
	local name="$1" sig="$2" f pid p
	f="$(pidfile "$name")"
	[[ -s "$f" ]] || die "signal-one: $name is not running (no $f)"
	pid="$(head -n1 "$f")"
	[[ "$pid" =~ ^[0-9]+$ ]] && pid_running "$pid" || die "signal-one: $name (pid $pid) is not running"
	kill -s "$sig" "$pid"
	for p in $(descendants "$pid"); do
		kill -s "$sig" "$p" 2>/dev/null || true # a child may just have exited
	done
	log "SIG$sig sent to $name (pid $pid) and its children"
}

cmd_status() {
	local p rc=0
	for p in "${ALL_PROCS[@]}"; do
		if alive "$p"; then
			printf '%-24s running (pid %s)\n' "$p" "$(head -n1 "$(pidfile "$p")")"
		elif [[ -e "$(pidfile "$p")" ]]; then
			printf '%-24s dead (stale pid file)\n' "$p"
			rc=1
		else
			printf '%-24s stopped\n' "$p"
		fi
	done
	echo "state: $STATE"
	echo "k8s cache: $K8S_CACHE $(k8s_built && echo '(built)' || echo '(not built)')"
	return $rc
}

cmd_env() {
	[[ -s "$STATE/env" ]] || die "no env file: run hack/backends.sh start first"
	cat "$STATE/env"
}

case "${1:-}" in
start) cmd_start ;;
stop) cmd_stop ;;
status) cmd_status ;;
running) all_running ;;
env) cmd_env ;;
build) want kube || BACKENDS+=" kube"; ensure_tools && build_k8s && echo "$K8S_CACHE" ;;
stop-one) stop_one "${2:?usage: $0 stop-one NAME [SIGNAL]}" "${3:-TERM}" ;; # $STATE/pids/NAME.pid
start-one) start_one "${2:?usage: $0 start-one NAME}" ;;
signal-one) signal_one "${2:?usage: $0 signal-one NAME SIGNAL}" "${3:?usage: $0 signal-one NAME SIGNAL}" ;;
*)
	echo "usage: $0 start|stop|status|env|running|build|stop-one NAME [SIGNAL]|start-one NAME|signal-one NAME SIGNAL" >&2
	exit 2
	;;
esac
