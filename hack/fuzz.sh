#!/usr/bin/env bash
# Short run of every Go fuzz target in the module (each FuzzXxx in a
# *_test.go), one after another, FUZZTIME each (default 8s). The seed corpora
# (f.Add and testdata/fuzz/) already run in every plain `go test`; this adds
# new random inputs. A failure leaves the crasher in the package's
# testdata/fuzz/FuzzXxx/ — commit it with the fix.
#
#   hack/fuzz.sh                 every target, 8 s each
#   FUZZTIME=5m hack/fuzz.sh FuzzSanitize   one target, longer
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
GO="${GO:-go}"
FUZZTIME="${FUZZTIME:-8s}"
only="${1:-}"

log="$(mktemp)"
trap 'rm -f "$log"' EXIT
fail=0
n=0
start=$(date +%s)
# "dir Name" for each fuzz target, sorted for a stable order.
while read -r dir name; do
	[[ -n "$only" && "$name" != "$only" ]] && continue
	n=$((n + 1))
	echo "[fuzz] $name in ./$dir ($FUZZTIME)"
	if ! "$GO" test -run '^$' -fuzz "^${name}\$" -fuzztime "$FUZZTIME" "./$dir" >"$log" 2>&1; then
		cat "$log"
		echo "[fuzz] FAIL: $name in ./$dir" >&2
		fail=1
	else
		# the last progress line says how many inputs were tried
		grep -E '^fuzz: elapsed' "$log" | tail -n 1 || true
	fi
done < <(grep -rl --include='*_test.go' -E '^func Fuzz[A-Z]' . | grep -v '^./hack/k8s/' | while read -r f; do
	d=$(dirname "${f#./}")
	grep -hoE '^func (Fuzz[A-Za-z0-9_]+)\(' "$f" | sed -E 's/^func (Fuzz[A-Za-z0-9_]+)\(/\1/' | sed "s|^|$d |"
done | sort)
if [[ $n -eq 0 ]]; then
	echo "[fuzz] no fuzz targets found${only:+ named $only}" >&2
	exit 1
fi
echo "[fuzz] $n targets in $(( $(date +%s) - start ))s"
exit $fail
