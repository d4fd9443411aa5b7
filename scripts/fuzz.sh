#!/usr/bin/env bash
# Builds the libFuzzer targets in Tests/Fuzz and runs each for a bounded time (issue 7).
#
#   scripts/fuzz.sh              # every target, 30 s each (what CI runs)
#   scripts/fuzz.sh 600          # every target, 10 minutes each: a longer local run
#   scripts/fuzz.sh 3600 line-framer
#
# Each target starts from its committed seed corpus, Tests/Fuzz/corpus/TARGET/, which it only
# reads; inputs it discovers go to a working corpus under FUZZ_WORK. A crash or a broken
# property (a target traps with "property violated: ...") fails the run: the input is saved
# as fuzz-artifacts/TARGET-crash-*, the log's end is printed, and the script exits 1 after
# running the other targets. Replay an input with `FUZZ_WORK/bin/TARGET FILE`.
#
# The targets are not SwiftPM targets (`swift build` cannot link a libFuzzer main); this script
# compiles the library modules each needs with `swiftc -sanitize=fuzzer,address` (coverage
# feedback for libFuzzer, AddressSanitizer for memory errors) and links them with the target.
#
# Environment:
#   FUZZ_WORK=.build/fuzz          where modules, binaries and working corpora go
#   FUZZ_ARTIFACTS=fuzz-artifacts  where crashing inputs go
#   FUZZ_FLAGS=                    more libFuzzer flags, e.g. "-jobs=2 -workers=2"
set -euo pipefail
cd "$(dirname "$0")/.."

seconds=${1:-30}
shift || true
if ! [[ "$seconds" =~ ^[0-9]+$ ]] || ((seconds < 1)); then
  echo "usage: scripts/fuzz.sh [SECONDS] [TARGET...]" >&2
  exit 2
fi
work=${FUZZ_WORK:-.build/fuzz}
artifacts=${FUZZ_ARTIFACTS:-fuzz-artifacts}

# The targets: name, harness file, the library modules it needs (in dependency order) and
# the longest input worth trying. Task 4: add a line for its peer protocol parser here, with
# Task4Architecture after Task3Topics in its modules, and a seed corpus directory.
targets=(
  "line-framer     LineFramerFuzz.swift       Task1Echo                        9000"
  "task2-hello     HelloFuzz.swift            Task1Echo,Task2Roles             256"
  "task3-protocol  BrokerProtocolFuzz.swift   Task1Echo,Task2Roles,Task3Topics 600"
)
declare -A module_sources=(
  [Task1Echo]=Task1Echo/Sources/Task1Echo
  [Task2Roles]=Task2Roles/Sources/Task2Roles
  [Task3Topics]=Task3Topics/Sources/Task3Topics
)

selected=("$@")
is_selected() {
  ((${#selected[@]} == 0)) && return 0
  local name
  for name in "${selected[@]}"; do [[ "$name" == "$1" ]] && return 0; done
  return 1
}

swift_flags=(-sanitize=fuzzer,address -parse-as-library -O -g -swift-version 6
  -warnings-as-errors -use-ld=lld -I "$work/modules")
mkdir -p "$work/modules" "$work/bin" "$artifacts"

# Each library module once, as one object file and a .swiftmodule, instrumented.
declare -A built=()
build_module() {
  local module=$1
  [[ -n "${built[$module]:-}" ]] && return 0
  echo "==> compiling $module for fuzzing"
  swiftc "${swift_flags[@]}" -wmo -module-name "$module" -emit-module \
    -emit-module-path "$work/modules/$module.swiftmodule" \
    -c "${module_sources[$module]}"/*.swift -o "$work/modules/$module.o"
  built[$module]=1
}

failed=()
for entry in "${targets[@]}"; do
  read -r name harness modules max_length <<<"$entry"
  is_selected "$name" || continue
  objects=()
  IFS=, read -r -a module_list <<<"$modules"
  for module in "${module_list[@]}"; do
    build_module "$module"
    objects+=("$work/modules/$module.o")
  done
  echo "==> linking fuzz target $name"
  swiftc "${swift_flags[@]}" "Tests/Fuzz/$harness" Tests/Fuzz/Support/*.swift "${objects[@]}" \
    -o "$work/bin/$name"

  echo "==> fuzzing $name for ${seconds}s"
  mkdir -p "$work/corpus/$name"
  log="$work/$name.log"
  # -timeout: one input taking 10 s is a hang; -rss_limit_mb: a runaway allocation is a bug.
  # SWIFT_BACKTRACE: libFuzzer reports the crash itself; skip the Swift runtime's backtracer.
  # shellcheck disable=SC2086
  if SWIFT_BACKTRACE=enable=no "$work/bin/$name" -max_total_time="$seconds" -timeout=10 -rss_limit_mb=2048 \
    -max_len="$max_length" -print_final_stats=1 -artifact_prefix="$artifacts/$name-" \
    ${FUZZ_FLAGS:-} "$work/corpus/$name" "Tests/Fuzz/corpus/$name" >"$log" 2>&1; then
    grep -E '^stat::number_of_executed_units|^#[0-9]+.*DONE' "$log" | tail -2 || true
  else
    echo "!!! $name failed (full log: $log):" >&2
    grep -E 'Fatal error|ERROR: (AddressSanitizer|LeakSanitizer|libFuzzer)|^SUMMARY|Test unit written|^Base64' \
      "$log" >&2 || tail -n 40 "$log" >&2
    failed+=("$name")
  fi
done

if ((${#failed[@]} > 0)); then
  echo "fuzzing found problems in: ${failed[*]} (inputs in $artifacts/)" >&2
  exit 1
fi
echo "fuzzing: no crashes"
