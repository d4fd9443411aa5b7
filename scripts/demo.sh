#!/usr/bin/env bash
# demo.sh: plays a short scripted session of one stage of the workbook in tmux, with the server
# and its clients side by side and the typing visible, for the course's screencasts.
#
#   scripts/demo.sh N [PORT] [--interactive]
#
# It builds the stage's programs once (`swift build`), runs the built binaries directly so
# that typing is never held up by compilation, and stops everything it started when done.
# Run `scripts/demo.sh --help` for the details.
set -euo pipefail

usage() {
  cat <<'EOF'
usage: scripts/demo.sh N [PORT] [--interactive]
  Opens a tmux session with the server and clients of task N (1, 2, 3 or 4) side by side,
  on PORT (default 5000; task 4's backup broker uses PORT+1), plays a short scenario with
  visible typing, then stops everything it started.
    1  the echo server, and a second client that waits for the first
    2  two publishers and three subscribers
    3  publishers on two topics; subscribers on one, both and a wildcard; /topics, /who, /dm
    4  a primary/backup pair of brokers; the primary is killed and the clients fail over
  --interactive  leave the session to you after the scenario; leaving it (Ctrl-b d, or
                 closing every pane) stops everything. Headless, the session is left running.
environment:
  DEMO_HEADLESS=1          run without attaching a terminal (automatic when there is none);
                           prints what each pane showed at the end
  DEMO_TYPING_DELAY=SECS   pause between typed characters (default 0.05)
  DEMO_PAUSE=SECS          pause between steps (default 1)
  DEMO_SCRATCH_PATH=DIR    build with `swift build --scratch-path DIR`
EOF
}

fail() {
  echo "demo.sh: $*" >&2
  exit 1
}

usage_error() {
  echo "demo.sh: $*" >&2
  usage >&2
  exit 2
}

# MARK: - Arguments

task=""
port=5000
port_given=""
interactive=""
for argument in "$@"; do
  case "$argument" in
    -h | --help) usage; exit 0 ;;
    --interactive) interactive=1 ;;
    -*) usage_error "unknown option '$argument'" ;;
    *)
      if [[ -z "$task" ]]; then
        task="$argument"
      elif [[ -z "$port_given" ]]; then
        port="$argument"
        port_given=1
      else
        usage_error "too many arguments"
      fi
      ;;
  esac
done
[[ -n "$task" ]] || usage_error "missing N, the task to demonstrate"
[[ "$task" =~ ^[1-4]$ ]] || usage_error "N must be 1, 2, 3 or 4, not '$task'"
[[ "$port" =~ ^[0-9]+$ ]] && ((port >= 1 && port <= 65534)) ||
  usage_error "PORT must be a number from 1 to 65534, not '$port'"

cd "$(dirname "$0")/.."

if [[ "$task" == 4 ]] && ! grep -q '"task4-broker"' Package.swift; then
  echo "demo.sh: Task 4 prototype not available yet (Package.swift has no task4-broker)" >&2
  exit 2
fi
command -v tmux > /dev/null ||
  fail "tmux is not installed; install it with 'sudo apt-get install tmux' (Debian, Ubuntu)"

headless=""
if [[ "${DEMO_HEADLESS:-}" == 1 ]] || ! [[ -t 0 && -t 1 ]]; then headless=1; fi
typing_delay="${DEMO_TYPING_DELAY:-0.05}"
step_pause="${DEMO_PAUSE:-1}"

case "$task" in
  1) products=(task1-server task1-client) ports=("$port") ;;
  2) products=(task2-server task2-client) ports=("$port") ;;
  3) products=(task3-server task3-client) ports=("$port") ;;
  4) products=(task4-broker task4-client) ports=("$port" "$((port + 1))") ;;
esac

# MARK: - Build once, then run the binaries directly

build=(swift build)
if [[ -n "${DEMO_SCRATCH_PATH:-}" ]]; then build+=(--scratch-path "$DEMO_SCRATCH_PATH"); fi
echo "demo.sh: building ${products[*]} (${build[*]})"
build_log="$(mktemp)"
for product in "${products[@]}"; do
  if ! "${build[@]}" --product "$product" > "$build_log" 2>&1; then
    tail -n 30 "$build_log" >&2
    rm -f "$build_log"
    fail "'${build[*]} --product $product' failed (above)"
  fi
done
rm -f "$build_log"
bin="$("${build[@]}" --show-bin-path)"

for used in "${ports[@]}"; do
  if (exec 3<> "/dev/tcp/127.0.0.1/$used") 2> /dev/null; then
    fail "port $used is in use (is a server running?); give another: scripts/demo.sh $task PORT"
  fi
done

# MARK: - tmux

# A tmux server of our own, without the user's configuration: the demo looks the same for
# everyone, and tearing it down cannot touch the user's own sessions.
socket="pubsub-demo-$$"
session="task$task"
tm() { tmux -L "$socket" -f /dev/null "$@"; }

# Every pane runs a plain bash with the built programs on its PATH and a `$ ` prompt, so the
# commands typed read as a student would type them.
pane_shell="env PATH=$(printf %q "$bin:$PATH") PS1='\$ ' HISTFILE=/dev/null"
pane_shell+=" bash --norc --noprofile -i"

declare -A panes=()    # pane name -> tmux pane id
pane_names=()          # in the order created

# Opens the panes named in "$@": the first becomes the session, the others split from it.
open_panes() {
  local name id
  for name in "$@"; do
    if ((${#pane_names[@]} == 0)); then
      id="$(tm new-session -d -s "$session" -x 220 -y 60 -P -F '#{pane_id}' "$pane_shell")"
      tm set-option -t "$session" pane-border-status top > /dev/null
      tm set-option -t "$session" pane-border-format ' #{pane_title} ' > /dev/null
      tm set-option -t "$session" status-left " demo: task $task " > /dev/null
      tm set-option -t "$session" status-right '' > /dev/null
    else
      id="$(tm split-window -t "$session" -P -F '#{pane_id}' "$pane_shell")"
      tm select-layout -t "$session" tiled > /dev/null
    fi
    tm select-pane -t "$id" -T "$name"
    panes[$name]="$id"
    pane_names+=("$name")
  done
  tm select-layout -t "$session" tiled > /dev/null
}

# Everything pane $1 shows, wrapped lines joined, history included.
screen() { tm capture-pane -p -J -S - -t "${panes[$1]}"; }

# Types $2 into pane $1 a character at a time, then presses Enter.
type_line() {
  local pane="${panes[$1]}" text="$2" i character
  for ((i = 0; i < ${#text}; i++)); do
    character="${text:i:1}"
    if [[ "$character" == ";" ]]; then
      tm send-keys -t "$pane" -H 3b # a lone ';' would end the tmux command
    else
      tm send-keys -t "$pane" -l -- "$character"
    fi
    sleep "$typing_delay"
  done
  tm send-keys -t "$pane" Enter
}

# Waits until pane $1 shows text $2 at least $3 times (default once), for 20 s at most.
wait_for() {
  local name="$1" text="$2" count="${3:-1}" seen deadline=$((SECONDS + 20))
  while true; do
    seen="$(screen "$name" | grep -cF -- "$text" || true)"
    ((seen >= count)) && return 0
    if ((SECONDS >= deadline)); then
      echo "demo.sh: timed out waiting for '$text' (x$count) in pane $name, which shows:" >&2
      screen "$name" | sed -e '/^$/d' -e 's/^/  | /' >&2
      exit 1
    fi
    sleep 0.1
  done
}

pause() { sleep "$step_pause"; }

# Presses Ctrl-C in pane $1.
interrupt() { tm send-keys -t "${panes[$1]}" C-c; }

# The processes running in the panes (the shells and whatever they started), deepest last.
descendants() {
  local child
  for child in $(pgrep -P "$1" || true); do
    echo "$child"
    descendants "$child"
  done
}
session_processes() {
  local shell
  for shell in $(tm list-panes -s -t "$session" -F '#{pane_pid}' 2> /dev/null || true); do
    echo "$shell"
    descendants "$shell"
  done
}

# Whether process $1 still runs (a zombie has finished; it only waits to be reaped).
is_running() {
  local state
  state="$(ps -o stat= -p "$1" 2> /dev/null || true)"
  [[ -n "$state" && "$state" != Z* ]]
}

# MARK: - The scenarios

# The panes of each task's scenario, laid out in this order.
case "$task" in
  1) scenario_panes=(server first-client second-client) ;;
  2) scenario_panes=(server subscriber-1 subscriber-2 subscriber-3 publisher-4 publisher-5) ;;
  3) scenario_panes=(server alice bob carol newsdesk stadium) ;;
  4) scenario_panes=("broker a (primary)" "broker b (backup)" subscriber publisher) ;;
esac

scenario_1() {
  type_line server "task1-server $port"
  wait_for server "listening on port $port"
  type_line first-client "task1-client localhost $port"
  wait_for first-client "connected to"
  wait_for server " connected"
  pause
  type_line first-client "hello, server"
  wait_for first-client "echo: hello, server"
  pause
  type_line second-client "task1-client localhost $port"
  wait_for second-client "connected to"
  type_line second-client "I am the second client"
  pause
  # The server is busy with the first client: the second client's line waits, unread.
  type_line first-client "still only me"
  wait_for first-client "echo: still only me"
  pause
  type_line first-client "terminate"
  wait_for server "sent terminate; disconnected"
  wait_for second-client "echo: I am the second client"
  pause
  type_line second-client "terminate"
  wait_for server "sent terminate; disconnected" 2
  pause
  interrupt server
  wait_for server "shutting down"
}

scenario_2() {
  type_line server "task2-server $port"
  wait_for server "listening on port $port"
  local name
  for name in subscriber-1 subscriber-2 subscriber-3; do
    type_line "$name" "task2-client localhost $port SUBSCRIBER"
    wait_for "$name" "joined as $name"
  done
  for name in publisher-4 publisher-5; do
    type_line "$name" "task2-client localhost $port PUBLISHER"
    wait_for "$name" "joined as $name"
  done
  pause
  type_line publisher-4 "hello, subscribers"
  for name in server subscriber-1 subscriber-2 subscriber-3; do
    wait_for "$name" "publisher-4: hello, subscribers"
  done
  pause
  type_line publisher-5 "a second publisher here"
  for name in server subscriber-1 subscriber-2 subscriber-3; do
    wait_for "$name" "publisher-5: a second publisher here"
  done
  pause
  type_line subscriber-2 "can anyone hear me?"
  wait_for server "(subscriber, not delivered): can anyone hear me?"
  pause
  type_line subscriber-3 "terminate"
  wait_for server "subscriber-3 sent terminate; left"
  type_line publisher-4 "subscriber-3 has left, the others carry on"
  for name in subscriber-1 subscriber-2; do
    wait_for "$name" "publisher-4: subscriber-3 has left"
  done
  pause
  for name in publisher-4 publisher-5 subscriber-1 subscriber-2; do
    type_line "$name" "terminate"
    wait_for server "$name sent terminate; left"
  done
  pause
  interrupt server
  wait_for server "shutting down"
}

scenario_3() {
  type_line server "task3-server $port"
  wait_for server "listening on port $port"
  type_line alice "task3-client localhost $port SUBSCRIBER news --name alice"
  wait_for alice "subscribed to news"
  type_line bob "task3-client localhost $port SUBSCRIBER news,sports.football --name bob"
  wait_for bob "subscribed to sports.football"
  type_line carol "task3-client localhost $port SUBSCRIBER 'sports.>' --name carol"
  wait_for carol "subscribed to sports.>"
  type_line newsdesk "task3-client localhost $port PUBLISHER news --name newsdesk"
  wait_for newsdesk "joined as newsdesk"
  type_line stadium "task3-client localhost $port PUBLISHER sports.football --name stadium"
  wait_for stadium "joined as stadium"
  pause
  local name
  type_line newsdesk "rain expected tomorrow"
  for name in alice bob; do wait_for "$name" "[news] newsdesk: rain expected tomorrow"; done
  pause
  type_line stadium "goal! 1-0"
  for name in bob carol; do wait_for "$name" "[sports.football] stadium: goal! 1-0"; done
  pause
  type_line stadium "/pub sports.tennis match point"
  wait_for carol "[sports.tennis] stadium: match point"
  pause
  type_line bob "/topics"
  wait_for bob "topics: news (2 subscribers)"
  pause
  type_line carol "/who"
  wait_for carol "connected: alice"
  pause
  type_line carol "/dm newsdesk any tennis news?"
  wait_for newsdesk "(direct) carol: any tennis news?"
  pause
  type_line alice "is anyone covering tennis?"
  wait_for server "alice says: is anyone covering tennis?"
  pause
  for name in newsdesk stadium alice bob carol; do
    type_line "$name" "terminate"
    wait_for server "$name sent terminate; left"
  done
  pause
  interrupt server
  wait_for server "shutting down"
}

scenario_4() {
  local backup_port=$((port + 1))
  local brokers="127.0.0.1:$port,127.0.0.1:$backup_port"
  type_line "broker a (primary)" \
    "task4-broker $port --name a --peer 127.0.0.1:$backup_port --start-as primary"
  wait_for "broker a (primary)" "PRIMARY in epoch"
  type_line "broker b (backup)" \
    "task4-broker $backup_port --name b --peer 127.0.0.1:$port --start-as backup"
  wait_for "broker b (backup)" "BACKUP of a"
  type_line subscriber "task4-client $brokers SUBSCRIBER news"
  wait_for subscriber "joined 127.0.0.1:$port"
  type_line publisher "task4-client $brokers PUBLISHER news"
  wait_for publisher "joined 127.0.0.1:$port"
  pause
  type_line publisher "before the crash"
  wait_for subscriber "before the crash"
  pause
  # A crash, not a shutdown: SIGKILL gives the primary no chance to say goodbye.
  local primary_shell primary
  primary_shell="$(tm display-message -p -t "${panes["broker a (primary)"]}" '#{pane_pid}')"
  primary="$(pgrep -P "$primary_shell" task4-broker)"
  tm select-pane -t "${panes["broker a (primary)"]}" -T "broker a: killed with kill -9"
  kill -KILL "$primary"
  wait_for "broker b (backup)" "PRIMARY in epoch 2"
  wait_for subscriber "joined 127.0.0.1:$backup_port"
  wait_for publisher "joined 127.0.0.1:$backup_port"
  pause
  type_line publisher "after the crash"
  wait_for subscriber "after the crash"
  pause
  type_line publisher "terminate"
  wait_for "broker b (backup)" "sent terminate; left"
  type_line subscriber "terminate"
  wait_for "broker b (backup)" "sent terminate; left" 2
  pause
  interrupt "broker b (backup)"
  wait_for "broker b (backup)" "shutting down"
}

# MARK: - Teardown

torn_down=""
# Ends the session and checks that every process it ran has gone.
teardown() {
  [[ -n "$torn_down" ]] && return 0
  torn_down=1
  tm has-session -t "$session" 2> /dev/null || return 0
  local processes=() pid left=() deadline=$((SECONDS + 5))
  mapfile -t processes < <(session_processes)
  local socket_path
  socket_path="$(tm display-message -p -t "$session" '#{socket_path}' 2> /dev/null || true)"
  tm kill-server 2> /dev/null || true
  # The server leaves its socket file behind.
  if [[ -S "$socket_path" ]]; then rm -f "$socket_path"; fi
  while true; do
    left=()
    for pid in "${processes[@]}"; do is_running "$pid" && left+=("$pid"); done
    ((${#left[@]} == 0 || SECONDS >= deadline)) && break
    sleep 0.1
  done
  if ((${#left[@]} > 0)); then
    echo "demo.sh: processes still running after the session ended: ${left[*]}; killing them" >&2
    kill -KILL "${left[@]}" 2> /dev/null || true
    return 1
  fi
  echo "demo.sh: stopped the session; none of its ${#processes[@]} processes is left"
}

on_exit() {
  local status=$?
  teardown || status=1
  exit "$status"
}

# Prints what every pane showed, for a headless run.
show_panes() {
  local name
  for name in "${pane_names[@]}"; do
    echo "---- $name ----"
    screen "$name" | sed -e :a -e '/^\n*$/{$d;N;ba' -e '}'
  done
}

# MARK: - Main

# The scenario runs in the foreground when headless, and in a background subshell while the
# terminal is attached to the session.
play() {
  "scenario_$task"
  if [[ -n "$headless" ]]; then show_panes; fi
}

# Ctrl-C, a hang-up or a kill ends the script through its EXIT trap, which tears down.
trap 'exit 130' INT
trap 'exit 143' TERM HUP
trap on_exit EXIT
open_panes "${scenario_panes[@]}"
if [[ -n "$headless" ]]; then
  echo "demo.sh: playing task $task headless on port $port (tmux -L $socket)"
  play
  if [[ -n "$interactive" ]]; then
    trap - EXIT
    echo "demo.sh: the session is left running for you:"
    echo "  attach:  tmux -L $socket attach -t $session"
    echo "  end it:  tmux -L $socket kill-server"
  fi
  exit 0
fi

log="$(mktemp)"
(
  set +e
  (
    set -e
    play
  ) 2> "$log"
  status=$?
  touch "$log.finished" # before detaching, so that the main shell knows it was not cut short
  if ((status == 0)) && [[ -n "$interactive" ]]; then
    tm set-option -t "$session" status-right \
      ' scenario done: over to you; Ctrl-b d ends the demo ' > /dev/null
  else
    ((status == 0)) && sleep 2 # let the viewer see the end
    tm detach-client -s "$session" 2> /dev/null
  fi
  exit "$status"
) &
player=$!
# Attaching from inside another tmux needs TMUX unset; our server is a separate one anyway.
TMUX="" tm attach-session -t "$session" || true
if ! [[ -e "$log.finished" ]]; then
  # Detached before the scenario had finished: stop it, then everything it started.
  kill "$player" 2> /dev/null || true
  wait "$player" 2> /dev/null || true
  rm -f "$log"
  fail "interrupted before the scenario finished"
fi
status=0
wait "$player" || status=$?
if [[ -s "$log" ]]; then cat "$log" >&2; fi
rm -f "$log" "$log.finished"
if ((status != 0)); then
  echo "demo.sh: the scenario did not finish (status $status)" >&2
  exit "$status"
fi
