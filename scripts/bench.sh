#!/usr/bin/env bash
# Benchmarks task3-server, task2-server and nats-server with pubsub-bench (issue 6).
#
#   scripts/bench.sh                  # all scenarios, 3 interleaved repetitions
#   REPS=5 SCENARIOS=A,C scripts/bench.sh
#
# Builds the release products, starts each broker on a free loopback port (installing
# nats-server with apt-get if it is missing and we may), runs scenarios A-F plus the
# 1,000-idle-client memory reading, prints the tables, and writes:
#   Task3Topics/benchmarks.svg   the chart
#   Task3Topics/benchmarks.md    the tables, for the README
# Everything it starts it stops again, by PID, however it exits.
#
# Environment:
#   REPS=3                 repetitions per target (medians are reported)
#   SCENARIOS=A,B,C,D,E,F  which scenarios
#   IDLE_CLIENTS=1000      idle clients for the memory reading (0 to skip it)
#   OUT_DIR=Task3Topics    where the chart and the Markdown go
#   BUILD_PATH=            a `swift build --scratch-path` to build in (default: .build)
#   BENCH_ARGS=            more pubsub-bench options, e.g. "-M 20000" for a quick check
set -euo pipefail
cd "$(dirname "$0")/.."

REPS=${REPS:-3}
SCENARIOS=${SCENARIOS:-A,B,C,D,E,F}
IDLE_CLIENTS=${IDLE_CLIENTS:-1000}
OUT_DIR=${OUT_DIR:-Task3Topics}
build_flags=(-c release)
if [[ -n "${BUILD_PATH:-}" ]]; then build_flags+=(--scratch-path "$BUILD_PATH"); fi

say() { printf '==> %s\n' "$*" >&2; }

# --- cleanup: stop exactly the processes this script started -------------------------------
workdir=$(mktemp -d)
started_pids=()
cleanup() {
  local pid
  for pid in "${started_pids[@]}"; do
    kill "$pid" 2>/dev/null || continue
    # Give it 5 s to exit cleanly, then insist.
    for _ in $(seq 50); do kill -0 "$pid" 2>/dev/null || break; sleep 0.1; done
    kill -9 "$pid" 2>/dev/null || true
    wait "$pid" 2>/dev/null || true
  done
  rm -rf "$workdir"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

# Each subscriber and idle client is a descriptor in the broker and in the benchmark; the
# brokers inherit this limit from the script.
wanted_files=$((IDLE_CLIENTS + 1100))
if (($(ulimit -n) < wanted_files)); then
  ulimit -n "$wanted_files" 2>/dev/null || ulimit -n "$(ulimit -Hn)"
fi
if (($(ulimit -n) < wanted_files)); then
  say "warning: open-file limit is $(ulimit -n); scenario F and the memory reading need $wanted_files"
fi

# --- build --------------------------------------------------------------------------------
# Only what is measured: the benchmark and the two brokers (release: optimised, no asserts).
for product in pubsub-bench task3-server task2-server; do
  say "swift build ${build_flags[*]} --product $product"
  swift build "${build_flags[@]}" --product "$product"
done
bin=$(swift build "${build_flags[@]}" --show-bin-path)

# --- start the brokers --------------------------------------------------------------------
# start NAME LOG PATTERN COMMAND...: starts COMMAND in the background with its output in LOG
# and waits (at most 10 s) for text matching PATTERN, which ends with the port number.
start() {
  local name=$1 log=$2 pattern=$3
  shift 3
  "$@" >"$log" 2>&1 &
  local pid=$!
  started_pids+=("$pid")
  local port=""
  for _ in $(seq 100); do
    port=$(grep -m1 -oE "$pattern" "$log" | grep -oE '[0-9]+$' || true)
    [[ -n "$port" ]] && break
    kill -0 "$pid" 2>/dev/null || break
    sleep 0.1
  done
  if [[ -z "$port" ]]; then
    say "$name did not start; its output:"
    cat "$log" >&2
    return 1
  fi
  say "$name: pid $pid, port $port"
  targets+=(--target "$name=$name@127.0.0.1:$port")
  pids+=(--pid "$name=$pid")
}

# Supports --quiet? Then it does not print every message, which would cost it time per message.
quiet_flag() { "$1" --help 2>&1 | grep -q -- '--quiet' && echo --quiet || true; }

targets=()
pids=()

# nats-server first: ratios are against the first target, and the goal is >= 1.0x nats.
if ! command -v nats-server >/dev/null && command -v apt-get >/dev/null && ((EUID == 0)); then
  say "installing nats-server (apt-get)"
  apt-get install -y nats-server >/dev/null 2>&1 \
    || { apt-get update >/dev/null 2>&1 && apt-get install -y nats-server >/dev/null 2>&1; } \
    || true
fi
if command -v nats-server >/dev/null; then
  # -p -1: any free port; the log line names it.
  start nats "$workdir/nats.log" 'client connections on [^ ]*:[0-9]+' \
    nats-server -a 127.0.0.1 -p -1 || say "skipping nats-server"
else
  say "nats-server is not installed and could not be installed: skipping it"
fi

for server in task3 task2; do
  program="$bin/$server-server"
  if [[ ! -x "$program" ]]; then
    say "$program was not built: skipping $server"
    continue
  fi
  # shellcheck disable=SC2046  # quiet_flag prints one word or nothing
  start "$server" "$workdir/$server.log" 'listening on port [0-9]+' \
    "$program" 0 $(quiet_flag "$program") || say "skipping $server"
done
if ((${#targets[@]} == 0)); then
  say "no broker started"
  exit 1
fi

# --- run ----------------------------------------------------------------------------------
idle=()
if ((IDLE_CLIENTS > 0)); then idle=(--idle-clients "$IDLE_CLIENTS"); fi
mkdir -p "$OUT_DIR"
status=0
# shellcheck disable=SC2086  # BENCH_ARGS is split into options on purpose
"$bin/pubsub-bench" "${targets[@]}" "${pids[@]}" --scenario "$SCENARIOS" "${idle[@]}" \
  --reps "$REPS" --svg "$OUT_DIR/benchmarks.svg" --markdown "$OUT_DIR/benchmarks.md" \
  ${BENCH_ARGS:-} || status=$?
say "wrote $OUT_DIR/benchmarks.svg and $OUT_DIR/benchmarks.md"
if ((status != 0)); then say "some runs FAILED (see above)"; fi
exit "$status"
