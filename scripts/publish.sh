#!/usr/bin/env bash
# Entry point of publish.yml and kill-switch.yml: validate, compile, sign and publish one environment.
# Usage: scripts/publish.sh <env>
# env: SWITCHYARD_SIGNING_KEY (PEM, from the protected environment), optional SWITCHYARD_PUBLISH_TARGET
#      (directory, `branch:<name>` or http(s) URL; default: publish.target in switchyard.yaml),
#      optional SWITCHYARD_TRUSTED_KEYS (trusted-keys file: the bundle is verified before it leaves),
#      optional SWITCHYARD_PUBLISH_TOKEN (bearer token for an HTTP target).
set -euo pipefail
cd "$(dirname "$0")/.."
env_name="$1"
work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT
sy() { node bin/switchyard.mjs "$@"; }

sy validate
sy compile --env "$env_name" --out "$work/dist"
sy sign "$work/dist" --env "$env_name"
if [ -n "${SWITCHYARD_TRUSTED_KEYS:-}" ]; then
  sy verify "$work/dist" --env "$env_name" --trusted-keys "$SWITCHYARD_TRUSTED_KEYS"
fi
sy github publish "$work/dist" --env "$env_name" ${SWITCHYARD_PUBLISH_TARGET:+--target "$SWITCHYARD_PUBLISH_TARGET"}
