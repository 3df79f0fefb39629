#!/usr/bin/env bash
# run.sh: the load benchmark. It builds the peers' servers and the load
# clients, runs each server alone on CPU 0 (GOMAXPROCS=1) with the clients
# on CPU 1, and prints one markdown table (also written to RESULTS.md with
# the machine's details): rows are metrics, columns are servers, and every
# cell carries its ratio to net/http from the same run.
#
# Usage: tests/bench/run.sh [server ...]   (default: nethttp fasthttp nbio phttp;
#                                           the first is the baseline the ratios
#                                           divide by: nethttp, or nethttp-tls;
#                                           the net/http bridges: phttp-onloop,
#                                           phttp-handler, fasthttp-adaptor;
#                                           TLS: nethttp-tls, phttp-tls;
#                                           HTTP/2: nethttp-h2c, phttp-h2c,
#                                           nethttp-h2, phttp-h2 (over TLS),
#                                           or "h2" for those four)
# Environment: DUR=3 (seconds per timed run), RUNS=3 (runs per noisy figure;
#              the median is shown), NICE (e.g. -10: run servers and clients
#              at that niceness, for a machine other work keeps busy; the
#              load average is written next to the table either way),
#              SETS=base,scale (base: HTTP, echo and the 64-byte broadcast;
#              scale: prepared broadcasts with and without compression, and
#              idle compressed WebSockets; one run each, they take long).
#
# A measurement that fails (the server crashes, hangs, answers errors or
# drops messages) shows as "fail" and the run goes on; every client has a
# time limit and the servers are killed on exit, whatever happens.
set -uo pipefail # no -e: one failed measurement must not end the run

cd "$(dirname "$0")"
# A module of its own, outside the repository's go.work.
export GOWORK=off
BENCH_DIR=$(pwd)
DUR=${DUR:-3}
RUNS=${RUNS:-3}
NICE=${NICE:-0}
SETS=${SETS:-base,scale}
OUT=RESULTS.md # a run of some SETS only leaves the full table alone
[ "$SETS" = base,scale ] || OUT=RESULTS.${SETS//,/-}.md
case "${1:-}" in *-tls) OUT=RESULTS.tls.md ;; esac # the TLS servers have a table of their own
case "${1:-}" in h2 | *-h2 | *-h2c) OUT=RESULTS.h2.md ;; esac # and the HTTP/2 ones
SERVERS=("$@")
[ "${1:-}" != h2 ] || SERVERS=(nethttp-h2c phttp-h2c nethttp-h2 phttp-h2)
[ ${#SERVERS[@]} -gt 0 ] || SERVERS=(nethttp fasthttp nbio phttp)
START=$(date +%s)
WORK=$(mktemp -d "${TMPDIR:-/tmp}/phttp-bench.XXXXXX")
RES=$WORK/results.tsv
: >"$RES"
SERVER_PID=""
SERVER_NAME=""
SERVER_LOG=""
SERVER_FLAGS=()
ADDR=""
PORT=18100 # each server start takes the next port, away from old TIME_WAITs

log() { echo "$*" >&2; }

# note NAME TEXT: a line under the table.
note() { printf '%s\tnote\t%s\n' "$1" "$2" >>"$RES"; log "  NOTE $1: $2"; }

stop_server() {
	[ -n "$SERVER_PID" ] || return 0
	if kill -0 "$SERVER_PID" 2>/dev/null; then
		kill -TERM "$SERVER_PID" 2>/dev/null
		for _ in $(seq 50); do
			kill -0 "$SERVER_PID" 2>/dev/null || break
			sleep 0.1
		done
		kill -KILL "$SERVER_PID" 2>/dev/null
	fi
	wait "$SERVER_PID" 2>/dev/null
	SERVER_PID=""
}

cleanup() {
	stop_server
	rm -rf "$WORK"
}
trap cleanup EXIT
trap 'log "interrupted"; exit 130' INT TERM

# client SECONDS ARGS...: a load client on CPU 1, killed after SECONDS.
client() {
	local limit=$1
	shift
	GOMAXPROCS=1 timeout -k 5 "$limit" nice -n "$NICE" taskset -c 1 "$WORK/loadgen" "$@"
}

# server_tail: what the current server's log says, for a note: the panic
# if it panicked (a goroutine dump's tail says little), else its last lines.
server_tail() {
	{ grep -m1 -A3 -E '^(panic|fatal error)' "$SERVER_LOG" || tail -c 300 "$SERVER_LOG"; } |
		tr '\n' ' ' | head -c 400
}

# start_server NAME [FLAGS...]: a fresh server process on a new port, once
# it serves.
start_server() {
	SERVER_NAME=$1
	shift
	SERVER_FLAGS=("$@")
	PORT=$((PORT + 1))
	ADDR=127.0.0.1:$PORT
	SERVER_LOG=$WORK/$SERVER_NAME.$PORT.log
	GOMAXPROCS=1 nice -n "$NICE" taskset -c 0 "$WORK/benchserver" -server "$SERVER_NAME" -addr "$ADDR" "$@" \
		>"$SERVER_LOG" 2>&1 &
	SERVER_PID=$!
	if ! client 15 wait -addr "$ADDR" -timeout 10s; then
		note "$SERVER_NAME" "server did not start on $ADDR: $(server_tail)"
		stop_server
		return 1
	fi
}

# measure SECONDS SUBCOMMAND ARGS...: run one client against the current
# server, file its results under the server's name, and check that the
# server survived it (restarting it for the next measurement if not).
measure() {
	local limit=$1 sub=$2 name=$SERVER_NAME
	shift 2
	[ -n "$SERVER_PID" ] || return 1
	client "$limit" "$sub" -addr "$ADDR" -pid "$SERVER_PID" "$@" |
		awk -v s="$name" '{ print s "\t" $0; fflush() }' >>"$RES"
	local rc=${PIPESTATUS[0]}
	case $rc in
	0) ;;
	124 | 137) note "$name" "$sub $* hit its ${limit}s time limit" ;;
	*) log "  $sub failed (exit $rc)" ;;
	esac
	if ! kill -0 "$SERVER_PID" 2>/dev/null; then
		wait "$SERVER_PID" 2>/dev/null
		note "$name" "server exited (status $?) during $sub $*: $(server_tail)"
		SERVER_PID=""
		start_server "$name" "${SERVER_FLAGS[@]}"
	elif [ "$rc" != 0 ] && ! client 10 wait -addr "$ADDR" -timeout 3s 2>/dev/null; then
		note "$name" "server stopped answering /plaintext after $sub $*; restarted it"
		stop_server
		start_server "$name" "${SERVER_FLAGS[@]}"
	fi
	return "$rc"
}

# bench_server NAME: every measurement for one server. The idle test gets a
# fresh process: heap that earlier loads freed would be reused by the new
# connections and hide what they cost.
bench_server() {
	local name=$1
	log "== $name"
	case $name in
	*-h2 | *-h2c)
		bench_h2 "$name"
		return
		;;
	*-tls)
		# TLS: the clients speak it too (LOADGEN_TLS), and the rows are
		# idle memory, keep-alive req/s and new handshakes per second.
		export LOADGEN_TLS=1
		if start_server "$name"; then
			measure 120 idle -c 10000 -sources 4 -timeout 90s
			stop_server
		fi
		if start_server "$name"; then
			client 30 wrk -addr "$ADDR" -c 64 -d 1s -runs 1 >/dev/null 2>&1
			measure $((RUNS * (DUR + 20))) wrk -c 64 -d "${DUR}s" -runs "$RUNS"
			measure $((RUNS * (DUR + 20))) handshakes -c 16 -d "${DUR}s" -runs "$RUNS"
			stop_server
		fi
		unset LOADGEN_TLS
		return
		;;
	esac
	case ",$SETS," in *,base,*) bench_base "$name" ;; esac
	case ",$SETS," in *,scale,*) bench_scale "$name" ;; esac
}

# bench_h2 NAME: the HTTP/2 rows (h2c, or h2 over TLS for *-h2): idle
# memory per HTTP/2 connection (preface, SETTINGS and one stream each) on a
# fresh server, then h2load's req/s with 100 streams on one connection and
# on 16.
bench_h2() {
	local name=$1
	case $name in *-h2) export LOADGEN_TLS=1 ;; esac
	if start_server "$name"; then
		measure 150 idle -h2 -c 10000 -sources 4 -timeout 120s
		stop_server
	fi
	if start_server "$name"; then
		client 30 h2load -addr "$ADDR" -c 1 -m 100 -d 1s -runs 1 >/dev/null 2>&1 # warm-up
		measure $((RUNS * (DUR + 20))) h2load -c 1 -m 100 -d "${DUR}s" -runs "$RUNS"
		measure $((RUNS * (DUR + 20))) h2load -c 16 -m 100 -d "${DUR}s" -runs "$RUNS"
		stop_server
	fi
	unset LOADGEN_TLS
}

# bench_scale NAME: WebSocket at scale (issue 12), each on a fresh server,
# since peak RSS (VmHWM) is over the process's life: a broadcast of 1,000
# prepared messages to 1,000 connections, the same with 64-byte messages
# only (the cost per message rather than per byte), the first compressed
# (200 messages: the clients inflate every one on a single core), and
# what an idle compressed WebSocket costs.
bench_scale() {
	local name=$1
	case $name in *-onloop | *-handler | *-adaptor) return ;; esac # net/http handlers: no WebSocket rows
	if start_server "$name"; then
		measure 150 mbcast -c 1000 -n 1000 -timeout 120s
		stop_server
	fi
	if start_server "$name"; then
		measure 150 mbcast -small -c 1000 -n 1000 -timeout 120s
		stop_server
	fi
	if start_server "$name" -compress; then
		measure 150 mbcast -z -c 1000 -n 200 -timeout 120s
		stop_server
	fi
	if start_server "$name" -compress; then
		measure 120 wsidle -z -c 2000 -base 200
		stop_server
	fi
}

bench_base() {
	local name=$1
	if start_server "$name"; then
		measure 90 idle -c 10000 -sources 4 -timeout 60s
		stop_server
	fi
	if start_server "$name"; then
		# Warm-up, not recorded: first connections, heap growth, page faults.
		client 30 wrk -addr "$ADDR" -c 64 -d 1s -runs 1 >/dev/null 2>&1
		measure $((RUNS * (DUR + 20))) wrk -c 64 -d "${DUR}s" -runs "$RUNS"
		measure $((RUNS * (DUR + 20))) wrk -c 256 -d "${DUR}s" -runs "$RUNS"
		measure $((RUNS * (DUR + 20))) pipeline -c 256 -depth 16 -d "${DUR}s" -runs "$RUNS"
		stop_server
	fi
	case $name in *-onloop | *-handler | *-adaptor) return ;; esac # net/http handlers: no WebSocket rows
	if start_server "$name"; then
		measure $((RUNS * (DUR + 20))) wsecho -c 64 -size 32 -d "${DUR}s" -runs "$RUNS"
		measure $((RUNS * 35 + 20)) bcast -c 1000 -n 200 -runs "$RUNS" -timeout 30s
		stop_server
	fi
}

# --- setup -------------------------------------------------------------

# 10,000 idle connections need that many descriptors in the server and in
# the client: take the hard limit (root may not raise it further here).
ulimit -n "$(ulimit -Hn)" 2>/dev/null
if [ "$(ulimit -n)" != unlimited ] && [ "$(ulimit -n)" -lt 10100 ]; then
	log "warning: ulimit -n is $(ulimit -n); the 10,000-connection test will fail"
fi

case " ${SERVERS[*]} " in
*-h2\ * | *-h2c\ *)
	if ! command -v h2load >/dev/null; then
		log "installing h2load (nghttp2-client)"
		if [ "$(id -u)" = 0 ]; then
			(apt-get update && DEBIAN_FRONTEND=noninteractive apt-get install -y nghttp2-client) >/dev/null 2>&1
		else
			(sudo apt-get update && sudo DEBIAN_FRONTEND=noninteractive apt-get install -y nghttp2-client) >/dev/null 2>&1
		fi
		command -v h2load >/dev/null || log "warning: h2load is missing; its cells will fail"
	fi
	;;
esac

if ! command -v wrk >/dev/null; then
	log "installing wrk"
	if [ "$(id -u)" = 0 ]; then
		(apt-get update && DEBIAN_FRONTEND=noninteractive apt-get install -y wrk) >/dev/null 2>&1
	else
		(sudo apt-get update && sudo DEBIAN_FRONTEND=noninteractive apt-get install -y wrk) >/dev/null 2>&1
	fi
	command -v wrk >/dev/null || log "warning: wrk is missing; its cells will fail"
fi

log "building into $WORK"
go build -o "$WORK/loadgen" ./cmd/loadgen || exit 1
go build -o "$WORK/benchtable" ./cmd/benchtable || exit 1
if ! go build -o "$WORK/benchserver" ./cmd/benchserver 2>"$WORK/build.log"; then
	# The library is edited while this runs; measure the peers anyway.
	note phttp "benchserver did not build with phttp: $(head -c 300 "$WORK/build.log" | tr '\n' ' ')"
	go build -tags nophttp -o "$WORK/benchserver" ./cmd/benchserver || exit 1
fi

# --- run -----------------------------------------------------------------

LOAD_BEFORE=$(cut -d' ' -f1-3 /proc/loadavg)
for s in "${SERVERS[@]}"; do
	bench_server "$s"
done

# --- report ----------------------------------------------------------------

COLS=$(
	IFS=,
	echo "${SERVERS[*]}"
)
TABLE=$("$WORK/benchtable" -in "$RES" -servers "$COLS" -baseline "${SERVERS[0]}" -section table)
EFF=$("$WORK/benchtable" -in "$RES" -servers "$COLS" -baseline "${SERVERS[0]}" -section eff)
CPU=$("$WORK/benchtable" -in "$RES" -servers "$COLS" -baseline "${SERVERS[0]}" -section cpu)
NOTES=$("$WORK/benchtable" -in "$RES" -servers "$COLS" -baseline "${SERVERS[0]}" -section notes)
TOOK=$(($(date +%s) - START))
LOAD_AFTER=$(cut -d' ' -f1-3 /proc/loadavg)

echo "$TABLE"

CPU_MODEL=$(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2- | sed 's/^ *//')
{
	echo "# Load benchmark results"
	echo
	echo "$(date -u '+%Y-%m-%d %H:%M UTC'); $(nproc) CPUs ($CPU_MODEL); $(go version | cut -d' ' -f3-);"
	echo "wrk $(wrk -v 2>&1 | head -1 | cut -d' ' -f2). Made by \`tests/bench/run.sh\` in ${TOOK} s."
	echo
	echo "Each server runs alone with GOMAXPROCS=1, pinned to CPU 0; the load"
	echo "clients run on CPU 1. Timed runs last ${DUR} s; a figure is the median of"
	echo "${RUNS} runs. RSS per idle connection is one run on a fresh server:"
	echo "(VmRSS holding 10,000 idle keep-alive connections − VmRSS holding"
	echo "1,000) / 9,000, so that start-up memory stays out of it. The ratio in"
	echo "brackets divides by net/http's figure from the same run, so for latency"
	echo "and memory a ratio below 1 is better. \"fail\" means a run failed (see"
	echo "the notes). Load average before: $LOAD_BEFORE, after: $LOAD_AFTER"
	echo "(other work on the machine competes for both cores: figures from a"
	echo "busy machine are lower and noisier${NICE:+; niceness $NICE})."
	echo
	echo "$TABLE"
	if [ "$OUT" = RESULTS.h2.md ]; then
		echo
		echo "HTTP/2 rows: h2load $(h2load --version 2>&1 | head -1 | awk '{print $2}') (one thread) on /plaintext,"
		echo "h2c with prior knowledge for the -h2c servers and h2 by ALPN over TLS"
		echo "for the -h2 ones; each ratio divides by net/http's server of the same"
		echo "kind. RSS per idle HTTP/2 connection is measured as for HTTP/1.1 above,"
		echo "each connection having sent the preface and SETTINGS, acknowledged the"
		echo "server's, and had one stream answered."
	fi
	echo
	echo "How busy the server's one core was during each load (median of the"
	echo "runs). Well below 100% means something else set the pace: the client,"
	echo "or other work on the machine taking the core."
	echo
	echo "$CPU"
	echo
	echo "The same rates divided by the server's CPU share during each run"
	echo "(median of the runs): requests or messages per second of server CPU,"
	echo "the inverse of its CPU cost per request. It moves less than the raw"
	echo "figures when other work takes part of the core, but it is a cost, not"
	echo "a capacity: how much work one wake-up finds waiting (and so how well"
	echo "the server batches) depends on the pace, which the client and the"
	echo "machine's other work set too."
	echo
	echo "$EFF"
	if [ -n "$NOTES" ]; then
		echo
		echo "Notes:"
		echo
		echo "$NOTES"
	fi
} >"$BENCH_DIR/$OUT"
log "wrote $BENCH_DIR/$OUT; took ${TOOK} s"
