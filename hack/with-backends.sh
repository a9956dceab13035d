#!/usr/bin/env bash
# Run a command with the real test backends up, and always stop them after:
#
#   hack/with-backends.sh go test -count=1 ./...
#
# Starts hack/backends.sh (installing/building what is missing), sources its
# env file (WARROOM_TEST_* variables), runs the command, stops every backend
# by PID, and exits with the command's status.
set -euo pipefail

HERE="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
STATE="${WARROOM_BACKENDS_DIR:-/tmp/warroom-backends}"

if [[ $# -eq 0 ]]; then
	echo "usage: $0 CMD [ARGS...]" >&2
	exit 2
fi

# Backends that were already up (say, the sandbox) are used and left up.
# shellcheck disable=SC2317 # stop is called from the EXIT trap
if "$HERE/backends.sh" running; then
	echo "[with-backends] using the backends already running in $STATE (left running)" >&2
	stop() { :; }
else
	stop() { "$HERE/backends.sh" stop || true; }
fi
trap stop EXIT
trap 'exit 130' INT
trap 'exit 143' TERM

"$HERE/backends.sh" start
# shellcheck source=/dev/null
. "$STATE/env"

rc=0
"$@" || rc=$?
exit "$rc"
