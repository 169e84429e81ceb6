#!/usr/bin/env bash
# CPU seconds per server thread (main, inference workers, V8 helpers) over one load test:
# starts the server by hand, reads /proc/<pid>/task/*/stat before and after
# `npm run loadtest -- --url …`, prints user and system seconds per busy thread and the total.
# Linux only. Usage: loadtest/thread_cpu.sh [streams=300] [seconds=20] [extra server flags…]
set -euo pipefail
cd "$(dirname "$0")/.."
STREAMS=${1:-300}
SECONDS_PER_STREAM=${2:-20}
shift $(( $# > 2 ? 2 : $# ))
PORT=${PORT:-18080}
node --import tsx server/main.ts --port "$PORT" --host 127.0.0.1 --max-sessions 5000 --log-level warn "$@" > /tmp/thread_cpu_server.log 2>&1 &
SERVER=$!
trap 'kill $SERVER 2>/dev/null || true' EXIT
for _ in $(seq 1 120); do curl -sf "http://127.0.0.1:$PORT/readyz" > /dev/null && break; sleep 0.5; done
snapshot() { for t in /proc/$SERVER/task/*; do echo "$(basename "$t") $(cat "$t/comm") $(awk '{print $14, $15}' "$t/stat")"; done; }
snapshot > /tmp/thread_cpu_before
npm run --silent loadtest -- --url "http://127.0.0.1:$PORT" --streams "$STREAMS" --duration "$SECONDS_PER_STREAM" --out /tmp/thread_cpu_report 2>&1 \
  | grep -E 'latency ms|throughput|server  ' || true
snapshot > /tmp/thread_cpu_after
TICKS=$(getconf CLK_TCK)
# Thread ids in order of creation: the first is the main thread.
awk -v hz="$TICKS" '
  NR == FNR { u0[$1] = $3; s0[$1] = $4; next }
  { u = ($3 - u0[$1]) / hz; s = ($4 - s0[$1]) / hz; total += u + s
    if (u + s >= 0.05) printf "thread %s (%s): user %.2f s, system %.2f s\n", $1, $2, u, s }
  END { printf "total %.2f CPU s\n", total }' /tmp/thread_cpu_before /tmp/thread_cpu_after
