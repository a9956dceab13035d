#!/usr/bin/env bash
# make bench-k8s: warroom's pods pane against a real kube-apiserver holding
# 10,000 pods in one namespace, 25 of them crash-looping (issue 9,
# "Performance"). Every binary given is measured in the same run, beside a
# raw protobuf LIST of the namespace (the floor) and client-go's paged list:
# start to the first frame showing a crash-looping pod (5 runs each), idle
# CPU, peak RSS, the API server's extra CPU and pod LISTs with the console
# open against none, and 100 pod status changes per second for a minute
# (delay until each is drawn, states never drawn, key answer time, memory).
# Takes about 6 minutes for two binaries on 2 cores.
#
#   hack/bench-k8s.sh [NAME=BINARY ...]
#
# The binaries, in table order: the arguments (NAME=BINARY, or a path, named
# after its file); with none, $WARROOM_BENCH_BASELINE if set, then the
# current checkout built now (or $WARROOM_BENCH_BIN instead of building):
#
#   WARROOM_BENCH_BASELINE=/tmp/warroom-poll make bench-k8s
#
# Settings (environment):
#   WARROOM_FIGURES              the markdown report (default /tmp/bench-k8s.md; also printed)
#   WARROOM_BENCH_BASELINE       an extra binary measured first, e.g. a build of the last release
#   WARROOM_BENCH_BASELINE_NAME  its name in the table (default "warroom today (re-lists every 2 s)")
#   WARROOM_BENCH_BIN            measure this binary instead of building the checkout
#   WARROOM_BENCH_NAME           the checkout's name in the table (default "warroom (watch)")
#   WARROOM_BENCH_SCREENS        where the screens read at each step are saved, to check what was
#                                measured (default: beside the figures, <figures>-screens/)
#   WARROOM_BENCH_FLAGS          more flags for the bench program (hack/k8s/bench), e.g.
#                                "--runs 3 --idle 20s --churn 30s --rate 50 --pods 2000"
#   WARROOM_BENCH_DIR            state dir (default a new /tmp/warroom-bench-k8s.XXXXXX, removed after)
#   WARROOM_BENCH_ETCD_PORT=28379 WARROOM_BENCH_APISERVER_PORT=28443
#                                a private etcd + kube-apiserver (hack/backends.sh, kube part only),
#                                never the default set's ports; stopped at the end
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
FIGURES="${WARROOM_FIGURES:-/tmp/bench-k8s.md}"
SCREENS="${WARROOM_BENCH_SCREENS:-${FIGURES%.md}-screens}"
ETCD_PORT="${WARROOM_BENCH_ETCD_PORT:-28379}"
APISERVER_PORT="${WARROOM_BENCH_APISERVER_PORT:-28443}"

log() { printf '[bench-k8s %s] %s\n' "$(date +%H:%M:%S)" "$*" >&2; }
die() { log "ERROR: $*"; exit 1; }

if [[ -n "${WARROOM_BENCH_DIR:-}" ]]; then
	STATE="$WARROOM_BENCH_DIR"
	mkdir -p "$STATE"
	OWN_STATE=""
else
	STATE="$(mktemp -d /tmp/warroom-bench-k8s.XXXXXX)"
	OWN_STATE=1
fi
BACKENDS_DIR="$STATE/backends"
BENCH_PID=""

cleanup() {
	local rc=$?
	if [[ -n "$BENCH_PID" ]] && kill -0 "$BENCH_PID" 2>/dev/null; then
		kill -TERM "$BENCH_PID" 2>/dev/null || true # it stops the consoles it started
		wait "$BENCH_PID" 2>/dev/null || true
	fi
	if [[ -d "$BACKENDS_DIR" ]]; then
		WARROOM_BACKENDS_DIR="$BACKENDS_DIR" "$ROOT/hack/backends.sh" stop || true
	fi
	if [[ -n "$OWN_STATE" ]]; then rm -rf "$STATE"; fi
	exit "$rc"
}
trap cleanup EXIT
trap 'exit 130' INT
trap 'exit 143' TERM

T0="$(date +%s)"

# The binaries to measure.
BINS=()
if (($# > 0)); then
	BINS=("$@")
else
	if [[ -n "${WARROOM_BENCH_BASELINE:-}" ]]; then
		BINS+=("${WARROOM_BENCH_BASELINE_NAME:-warroom today (re-lists every 2 s)}=$WARROOM_BENCH_BASELINE")
	fi
	bin="${WARROOM_BENCH_BIN:-}"
	if [[ -z "$bin" ]]; then
		bin="$STATE/warroom"
		log "building the checkout ($ROOT/cmd/warroom)"
		(cd "$ROOT" && go build -o "$bin" ./cmd/warroom) ||
			die "the checkout does not build; set WARROOM_BENCH_BIN to a binary to measure instead"
	fi
	BINS+=("${WARROOM_BENCH_NAME:-warroom (watch)}=$bin")
fi
BIN_FLAGS=()
for b in "${BINS[@]}"; do
	path="${b#*=}"
	[[ -x "$path" && -f "$path" ]] || die "not an executable file: $path (from \"$b\")"
	BIN_FLAGS+=(--bin "$b")
done

log "building the bench program (hack/k8s/bench)"
(cd "$ROOT/hack/k8s" && go build -o "$STATE/bench" ./bench)

log "starting a private etcd and kube-apiserver (ports $ETCD_PORT, $APISERVER_PORT) in $BACKENDS_DIR"
WARROOM_BACKENDS=kube WARROOM_BACKENDS_DIR="$BACKENDS_DIR" \
	WARROOM_ETCD_PORT="$ETCD_PORT" WARROOM_ETCD_PEER_PORT="$((ETCD_PORT + 1))" \
	WARROOM_APISERVER_PORT="$APISERVER_PORT" WARROOM_BACKENDS_WATCH_PID=$$ \
	"$ROOT/hack/backends.sh" start
APISERVER_PID="$(head -n1 "$BACKENDS_DIR/pids/kube-apiserver.pid")"
ETCD_PID="$(head -n1 "$BACKENDS_DIR/pids/etcd.pid")"

rm -rf "$SCREENS"
# shellcheck disable=SC2086 # WARROOM_BENCH_FLAGS is split into flags on purpose
"$STATE/bench" run \
	--kubeconfig "$BACKENDS_DIR/k8s/kubeconfig" \
	--apiserver-pid "$APISERVER_PID" --etcd-pid "$ETCD_PID" \
	--out "$FIGURES" --screens "$SCREENS" \
	"${BIN_FLAGS[@]}" ${WARROOM_BENCH_FLAGS:-} &
BENCH_PID=$!
wait "$BENCH_PID"
BENCH_PID=""

log "done in $(($(date +%s) - T0)) s: figures in $FIGURES, screens read in $SCREENS/"
