#!/usr/bin/env bash
# profile.sh: CPU profiles of phttp's benchserver under the two plaintext
# loads of run.sh, each DUR seconds (5 by default): wrk at 64 connections,
# then the pipelining client (256 connections, 16 requests per write).
# Prints `go tool pprof -top` of each; the profiles and the binary stay in
# the directory it names at the end, for `go tool pprof -http` and the like.
#
# Usage: tests/bench/profile.sh [server]   (default phttp; any run.sh peer works)
# Environment: DUR=5, NICE (as in run.sh: e.g. -10 on a machine other work
# keeps busy, so that the profile gets enough samples).
set -uo pipefail

cd "$(dirname "$0")"
# A module of its own, outside the repository's go.work.
export GOWORK=off
SERVER=${1:-phttp}
DUR=${DUR:-5}
NICE=${NICE:-0}
OUT=$(mktemp -d "${TMPDIR:-/tmp}/phttp-profile.XXXXXX")
PID=""
stop() {
	[ -n "$PID" ] || return 0
	kill -TERM "$PID" 2>/dev/null
	for _ in $(seq 100); do
		kill -0 "$PID" 2>/dev/null || break
		sleep 0.1
	done
	kill -KILL "$PID" 2>/dev/null
	wait "$PID" 2>/dev/null
	PID=""
}
trap stop EXIT

go build -o "$OUT/benchserver" ./cmd/benchserver || exit 1
go build -o "$OUT/loadgen" ./cmd/loadgen || exit 1

PORT=18900
for load in plaintext pipelined; do
	PORT=$((PORT + 1))
	ADDR=127.0.0.1:$PORT
	GOMAXPROCS=1 nice -n "$NICE" taskset -c 0 "$OUT/benchserver" -server "$SERVER" -addr "$ADDR" \
		-cpuprofile "$OUT/$load.prof" >"$OUT/$load.log" 2>&1 &
	PID=$!
	"$OUT/loadgen" wait -addr "$ADDR" || exit 1
	case $load in
	plaintext) args=(wrk -c 64) ;;
	pipelined) args=(pipeline -c 256 -depth 16) ;;
	esac
	GOMAXPROCS=1 timeout $((DUR + 30)) nice -n "$NICE" taskset -c 1 "$OUT/loadgen" "${args[@]}" \
		-addr "$ADDR" -pid "$PID" -d "${DUR}s" -runs 1 >/dev/null
	stop # SIGTERM: the server writes its profile and exits
	echo "## $SERVER, $load load (${args[*]}, ${DUR} s)"
	echo
	go tool pprof -top -nodecount=35 "$OUT/benchserver" "$OUT/$load.prof" 2>/dev/null
	echo
done
echo "profiles and binary in $OUT" >&2
