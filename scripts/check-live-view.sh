#!/usr/bin/env bash
# Checks the live view (task3-server --http) in a real browser: headless Chromium.
#
#   scripts/check-live-view.sh
#   SECONDS_SHOWN=40 scripts/check-live-view.sh   # a fuller chart in the screenshot
#
# Builds task3-server and task3-client, starts a server with the view on free loopback
# ports, connects the README's three subscribers and two publishers (who keep publishing),
# watches for a few seconds, then lets Chromium run the page and checks that the page's own
# JavaScript drew every client, every topic and the chart. Installs Debian's `chromium` with apt-get if it is missing and we may.
# Everything it starts it stops again, by PID, however it exits.
#
# Leaves, under .build/live-view/ (not committed):
#   live-view.png   a screenshot of the page
#   page.html       the page's DOM after its script ran
#   server.log      what the server printed
#
# Environment:
#   SECONDS_SHOWN=6   how long to watch before loading the page: its chart shows that long
#   BUILD_PATH=       a `swift build --scratch-path` to build in (default: .build)
set -euo pipefail
cd "$(dirname "$0")/.."

SECONDS_SHOWN=${SECONDS_SHOWN:-6}
ARTEFACTS=.build/live-view
build_flags=()
if [[ -n "${BUILD_PATH:-}" ]]; then build_flags+=(--scratch-path "$BUILD_PATH"); fi

say() { printf '==> %s\n' "$*" >&2; }
fail() {
  printf 'live view check FAILED: %s\n' "$*" >&2
  exit 1
}

# --- cleanup: stop exactly the processes this script started -------------------------------
workdir=$(mktemp -d)
started_pids=()
cleanup() {
  local pid
  for pid in "${started_pids[@]}"; do
    kill "$pid" 2>/dev/null || continue
    for _ in $(seq 50); do kill -0 "$pid" 2>/dev/null || break; sleep 0.1; done
    kill -9 "$pid" 2>/dev/null || true
    wait "$pid" 2>/dev/null || true
  done
  rm -rf "$workdir"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

# --- the browser ----------------------------------------------------------------------------
if ! command -v chromium >/dev/null; then
  install=(apt-get install -y --no-install-recommends chromium fonts-dejavu-core)
  if [[ $(id -u) == 0 ]]; then
    say "installing chromium (apt-get)"
    apt-get update -qq && DEBIAN_FRONTEND=noninteractive "${install[@]}" >/dev/null
  elif command -v sudo >/dev/null; then
    say "installing chromium (sudo apt-get)"
    sudo apt-get update -qq && sudo DEBIAN_FRONTEND=noninteractive "${install[@]}" >/dev/null
  else
    fail "chromium is not installed; install it with: apt-get install chromium"
  fi
fi
browser=(chromium --headless --disable-gpu --hide-scrollbars --no-first-run
  --user-data-dir="$workdir/profile")
# Chromium's sandbox refuses to run as root; a container's root has nothing to protect anyway.
if [[ $(id -u) == 0 ]]; then browser+=(--no-sandbox); fi

# --- build and start ------------------------------------------------------------------------
say "building task3-server and task3-client"
swift build "${build_flags[@]}" --product task3-server >&2
swift build "${build_flags[@]}" --product task3-client >&2
bin=$(swift build "${build_flags[@]}" --show-bin-path)
mkdir -p "$ARTEFACTS"

"$bin/task3-server" 0 --http 0 >"$ARTEFACTS/server.log" 2>&1 &
started_pids+=($!)
announced() { grep -o "$1" "$ARTEFACTS/server.log" | head -1; }
for _ in $(seq 100); do
  [[ -n $(announced 'live view on http://[^ ]*') ]] && break
  kill -0 "${started_pids[0]}" 2>/dev/null || fail "the server exited: $(cat "$ARTEFACTS/server.log")"
  sleep 0.1
done
url=$(announced 'http://[0-9.]*:[0-9]*/')
broker_port=$(announced 'listening on port [0-9]*' | grep -o '[0-9]*$')
[[ -n $url && -n $broker_port ]] || fail "no live view announced: $(cat "$ARTEFACTS/server.log")"
view_port=${url##*:}
view_port=${view_port%/}
say "server on port $broker_port, live view at $url"

# Each client reads its typed lines from a FIFO that this script holds open (its descriptor
# is in `input`), so the client stays connected until the script ends.
declare -A input
start_client() { # NAME ROLE TOPICS
  local fifo="$workdir/$1" descriptor
  mkfifo "$fifo"
  "$bin/task3-client" 127.0.0.1 "$broker_port" "$2" "$3" --name "$1" <"$fifo" \
    >"$workdir/$1.log" 2>&1 &
  started_pids+=($!)
  exec {descriptor}>"$fifo"
  input[$1]=$descriptor
}
start_client alice SUBSCRIBER news
start_client bob SUBSCRIBER news,sports.football
start_client carol SUBSCRIBER 'sports.>'
start_client newsdesk PUBLISHER news
start_client stadium PUBLISHER sports.football,sports.tennis

# GET PATH over a raw TCP connection: HTTP is lines of text, like the broker's protocol.
http_get() {
  timeout 5 bash -c '
    exec 3<>"/dev/tcp/127.0.0.1/$1"
    printf "GET %s HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n\r\n" "$2" >&3
    cat <&3' _ "$view_port" "$1"
}
for _ in $(seq 100); do
  http_get /api/state | grep -q '"totals":{"clients":5,' && break
  sleep 0.1
done
http_get /api/state | grep -q '"totals":{"clients":5,' || fail "the server never showed 5 clients"

# Keep the publishers publishing (about 50 lines a second) so the chart has something.
(
  number=0
  while true; do
    number=$((number + 1))
    printf 'headline %d\n' "$number" >&"${input[newsdesk]}"
    # The stadium reports in bursts: every third turn for five seconds, then a pause.
    if (((number / 250) % 2 == 0 && number % 3 == 0)); then
      printf 'score %d\n' "$number" >&"${input[stadium]}"
    fi
    sleep 0.02
  done
) &
started_pids+=($!)

# Watch for a while, as a browser would: the server samples the rates for its chart while
# someone looks (and only then), about once a second.
say "watching for ${SECONDS_SHOWN}s so that the chart has a history"
for _ in $(seq "$SECONDS_SHOWN"); do
  http_get /api/state >/dev/null
  sleep 1
done

# --- the browser runs the page --------------------------------------------------------------
# The page arrives with the state inside it and draws it before the browser's load event,
# when Chromium takes the DOM (or the screenshot). Then the page keeps an event stream
# open, which is why --virtual-time-budget (which waits for the network to be idle) is not
# used: it would wait forever. --timeout only bounds the wait for the load event.
say "loading the page in headless Chromium"
"${browser[@]}" --timeout=10000 --dump-dom "$url" >"$ARTEFACTS/page.html" 2>"$workdir/chromium.log" \
  || fail "chromium failed: $(tail -5 "$workdir/chromium.log")"
problems=()
for name in alice bob carol newsdesk stadium; do
  grep -q "data-client=\"$name\"" "$ARTEFACTS/page.html" || problems+=("client $name missing")
done
for topic in news sports.football 'sports.>'; do
  # Chromium writes '>' in an attribute as '&gt;'.
  grep -qF -e "data-topic=\"$topic\"" -e "data-topic=\"${topic//>/\&gt;}\"" "$ARTEFACTS/page.html" \
    || problems+=("topic $topic missing")
done
grep -q 'id="total-clients">5<' "$ARTEFACTS/page.html" || problems+=("client count is not 5")
# The chart: one polyline per series, with a point per second watched.
points=$(grep -o '<polyline[^>]*points="[^"]*"' "$ARTEFACTS/page.html" | head -1 \
  | sed 's/.*points="//; s/"$//' | wc -w)
((points >= SECONDS_SHOWN - 1)) || problems+=("chart has $points points")
((${#problems[@]} == 0)) || fail "$(printf '%s; ' "${problems[@]}")(DOM in $ARTEFACTS/page.html)"

say "taking a screenshot"
"${browser[@]}" --timeout=10000 --window-size=1280,760 \
  --screenshot="$PWD/$ARTEFACTS/live-view.png" "$url" >/dev/null 2>>"$workdir/chromium.log" \
  || fail "chromium could not take the screenshot: $(tail -5 "$workdir/chromium.log")"
[[ -s $ARTEFACTS/live-view.png ]] || fail "no screenshot written"

echo "live view check passed: the page's script drew 5 clients, 3 topics and $points seconds of rates"
echo "screenshot: $ARTEFACTS/live-view.png  DOM: $ARTEFACTS/page.html"
