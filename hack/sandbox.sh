#!/usr/bin/env bash
# A local incident to point the console at:
#
#   hack/sandbox.sh start   backends (hack/backends.sh start) + scenario driver (hack/sandbox) in the background
#   hack/sandbox.sh stop    stop the driver, then every backend
#   hack/sandbox.sh status
#
# The incident is staged through real Deployments: it needs the backends'
# "cluster" part (controller-manager, scheduler, kwok), which the default
# WARROOM_BACKENDS includes. The driver's log is
# $WARROOM_BACKENDS_DIR/logs/sandbox.log; the pods' log files (served through
# pods/log by kwok) are in $WARROOM_BACKENDS_DIR/sandbox-logs.
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
export WARROOM_BACKENDS_DIR="${WARROOM_BACKENDS_DIR:-/tmp/warroom-backends}"
# The "api" service starts at the sandbox baseline (the driver steps it up later).
export WARROOM_EXPORTER_ERROR_RATIO="${WARROOM_EXPORTER_ERROR_RATIO:-0.005}"
STATE="$WARROOM_BACKENDS_DIR"
NS=agent-platform

log() { printf '[sandbox %s] %s\n' "$(date +%H:%M:%S)" "$*" >&2; }

pid_running() { # not a zombie waiting for PID 1 to reap it
	kill -0 "$1" 2>/dev/null && [[ "$(awk '{print $3}' "/proc/$1/stat" 2>/dev/null)" != Z ]]
}

driver_alive() {
	[[ -s "$STATE/pids/sandbox.pid" ]] && pid_running "$(head -n1 "$STATE/pids/sandbox.pid")"
}

stop_driver() {
	"$ROOT/hack/backends.sh" stop-one sandbox TERM
}

cmd_start() {
	"$ROOT/hack/backends.sh" start
	# shellcheck source=/dev/null
	. "$STATE/env"
	if [[ -z "${WARROOM_TEST_KUBE_SCHEDULER:-}" ]]; then
		log "the backends run without their \"cluster\" part (WARROOM_BACKENDS=${WARROOM_BACKENDS:-}): the sandbox needs it"
		exit 1
	fi
	stop_driver
	mkdir -p "$STATE/bin" "$ROOT/.sandbox"
	(cd "$ROOT" && go build -o "$STATE/bin/sandbox" ./hack/sandbox)
	rm -f "$STATE/sandbox.ready"
	nohup "$STATE/bin/sandbox" \
		-kubeconfig "$WARROOM_TEST_KUBECONFIG" -context warroom-admin -namespace "$NS" \
		-scheduler "$WARROOM_TEST_KUBE_SCHEDULER" -log-dir "$STATE/sandbox-logs" \
		-pg-dsn "$WARROOM_TEST_PG_DSN" -exporter-url "$WARROOM_TEST_EXPORTER_URL" \
		-ready-file "$STATE/sandbox.ready" >"$STATE/logs/sandbox.log" 2>&1 </dev/null &
	echo $! >"$STATE/pids/sandbox.pid"
	local i
	# Staging waits for each rollout: seconds, up to minutes on a loaded machine.
	for ((i = 0; i < 1800; i++)); do
		[[ -s "$STATE/sandbox.ready" ]] && break
		if ! driver_alive; then
			tail -n 30 "$STATE/logs/sandbox.log" >&2
			log "the scenario driver failed"
			exit 1
		fi
		sleep 0.1
	done
	(cd "$ROOT" && go build -o bin/warroom ./cmd/warroom) || { log "building bin/warroom failed"; exit 1; }
	[[ -s "$STATE/sandbox.ready" ]] || { tail -n 30 "$STATE/logs/sandbox.log" >&2; log "scenario not staged after 180 s"; exit 1; }

	cat <<MSG

Sandbox incident staged (driver pid $(cat "$STATE/pids/sandbox.pid"), log $STATE/logs/sandbox.log):
$(sed 's/^/  /' "$STATE/sandbox.ready")
Prometheus: $WARROOM_TEST_PROM_URL   exporter knob: curl -X POST '$WARROOM_TEST_EXPORTER_URL/control?error_ratio=0.3'

Connect the console:

  $ROOT/bin/warroom --kubeconfig $WARROOM_TEST_KUBECONFIG --context warroom-admin --namespace $NS --prometheus $WARROOM_TEST_PROM_URL --postgres '$WARROOM_TEST_PG_DSN' --title 'agent-platform API 5xx' --severity P1 --journal $ROOT/.sandbox/journal

Same, as a user who may not list pods in $NS (RBAC Forbidden):

  $ROOT/bin/warroom --kubeconfig $WARROOM_TEST_KUBECONFIG_NARROW --context warroom-narrow --namespace $NS --prometheus $WARROOM_TEST_PROM_URL --postgres '$WARROOM_TEST_PG_DSN' --title 'forbidden drill' --severity P3 --journal $ROOT/.sandbox/journal-narrow

Stop it all: make sandbox-stop   (hack/sandbox.sh stop)
MSG
}

cmd_stop() {
	stop_driver
	"$ROOT/hack/backends.sh" stop
	rm -rf "$STATE/sandbox.ready" "$STATE/sandbox-logs"
}

case "${1:-}" in
start) cmd_start ;;
stop) cmd_stop ;;
status)
	if driver_alive; then echo "scenario driver running (pid $(head -n1 "$STATE/pids/sandbox.pid"))"; else echo "scenario driver stopped"; fi
	"$ROOT/hack/backends.sh" status
	;;
*)
	echo "usage: $0 start|stop|status" >&2
	exit 2
	;;
esac
