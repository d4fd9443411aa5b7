#!/usr/bin/env bash
# Measures the Task 4 failover (Task4Architecture/README.md, sections 10 and 11).
#
# Builds task4-broker and failover-probe in release mode, then runs failover-probe: for each
# trial it starts a fresh primary and backup on free loopback ports (never 5000), streams
# 10,000 messages from a publisher to a subscriber, and at the 5,000th acknowledgement fails
# the primary: 20 trials with kill -9, then 20 with kill -STOP (woken with kill -CONT after
# the trial, when it must step down). It prints every trial (detection time, time to the
# first +ACK and the first delivery from the new primary, lost, duplicate and out-of-order
# messages, whether the old primary rejoined as backup) and then the median, 95th percentile
# and maximum of each time. The exit status is 0 only if every trial was clean.
#
# usage: scripts/measure-failover.sh [failover-probe options, e.g. --trials 5 --mode kill]
# Set SCRATCH_PATH to build somewhere other than .build.
set -euo pipefail
cd "$(dirname "$0")/.."

scratch="${SCRATCH_PATH:-.build}"
echo "==> building task4-broker and failover-probe (release, scratch path $scratch)" >&2
swift build -c release --scratch-path "$scratch" --product task4-broker >&2
swift build -c release --scratch-path "$scratch" --product failover-probe >&2
bin="$(swift build -c release --scratch-path "$scratch" --show-bin-path)"

echo "==> $(date -u '+%Y-%m-%d %H:%M UTC'); $(nproc) cores; $(uname -sr);" \
  "$(swift --version 2>/dev/null | head -n 1)" >&2
exec "$bin/failover-probe" "$@"
