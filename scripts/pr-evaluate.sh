#!/usr/bin/env bash
# Entry point of .github/workflows/pr.yml (and of the end-to-end test): evaluates the checked-out pull
# request against its base and leaves the report in <out-dir> for the comment job.
# Usage: scripts/pr-evaluate.sh <base-ref> <out-dir>      env: PR_NUMBER, HEAD_SHA (from the event), EVAL_SHARDED
# The steps live in the CLI; this file only sequences them, and keeps going after a failing stage so
# the report is always complete. Exit status: the report's (1 = blocked), else the first failure.
set -uo pipefail
cd "$(dirname "$0")/.."
base="$1"
out="$2"
mkdir -p "$out"
sy() { node bin/switchyard.mjs "$@"; }

sy validate --base "$base" --format json >"$out/validation.json"
validate_status=$?
sy github annotate "$out/validation.json" || exit $?
sy github policy
policy_status=$?
# EVAL_SHARDED=1: the eval ran in shard jobs and their results are in .switchyard/results already.
if [ -z "${EVAL_SHARDED:-}" ]; then sy eval --base "$base"; fi
sy shadow --base "$base"
sy report --base "$base" --out-dir "$out"
report_status=$?
sy github stamp "$out" --pr "${PR_NUMBER:-0}" --head-sha "${HEAD_SHA:-$(git rev-parse HEAD)}" || exit $?
sy github summary "$out" || exit $?
if [ "$report_status" -ne 0 ]; then exit "$report_status"; fi
if [ "$validate_status" -ne 0 ]; then exit "$validate_status"; fi
exit "$policy_status"
