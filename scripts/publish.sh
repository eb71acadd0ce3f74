#!/usr/bin/env bash
# Entry point of publish.yml and kill-switch.yml: validate, compile, sign and publish one environment.
# Usage: scripts/publish.sh <env>
# env: SWITCHYARD_SIGNING_KEY (PEM, from the protected environment), optional SWITCHYARD_PUBLISH_TARGET
#      (directory, `branch:<name>` or http(s) URL; default: publish.target in switchyard.yaml).
set -euo pipefail
cd "$(dirname "$0")/.."
env_name="$1"
work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT
sy() { node bin/switchyard.mjs "$@"; }

sy validate
sy compile --env "$env_name" --out "$work/bundle"
sy sign "$work/bundle" --env "$env_name"
sy github publish "$work/bundle" --env "$env_name" ${SWITCHYARD_PUBLISH_TARGET:+--target "$SWITCHYARD_PUBLISH_TARGET"}
