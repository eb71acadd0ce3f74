#!/usr/bin/env bash
# Runs test tiers N times in a row, to catch flaky tests: every run goes to the end, then a summary
# (pass/fail, wall time, load average before each run) and exit 1 if any run failed.
# Usage: scripts/test-loop.sh [N=5] [tier…=system e2e]   (npm run test:loop -- 5 system e2e)
# Logs: .switchyard/test-loop/run-<i>.log
set -uo pipefail
cd "$(dirname "$0")/.."
runs="${1:-5}"
shift || true
tiers=("$@")
if [ ${#tiers[@]} -eq 0 ]; then tiers=(system e2e); fi
projects=()
for t in "${tiers[@]}"; do projects+=(--project "$t"); done
logs=.switchyard/test-loop
mkdir -p "$logs"
failed=0
summary=()
for i in $(seq 1 "$runs"); do
  load="$(cut -d' ' -f1-3 /proc/loadavg 2>/dev/null || uptime)"
  start=$(date +%s)
  if npx vitest run "${projects[@]}" >"$logs/run-$i.log" 2>&1; then result=pass; else result=FAIL; failed=$((failed + 1)); fi
  line="run $i/$runs (${tiers[*]}): $result in $(($(date +%s) - start)) s (load before: $load)"
  if [ "$result" = FAIL ]; then line="$line — $(grep -E '^ *(FAIL|×)' "$logs/run-$i.log" | sed 's/\x1b\[[0-9;]*m//g' | sort -u | head -5 | tr '\n' ' ')"; fi
  echo "$line"
  summary+=("$line")
done
echo "---"
printf '%s\n' "${summary[@]}"
echo "$((runs - failed))/$runs runs green; logs in $logs/"
[ "$failed" -eq 0 ]
