#!/usr/bin/env bash
# Entry point of publish.yml and kill-switch.yml: validate, compile, sign and publish one environment.
# Usage: scripts/publish.sh <env>
# env: SWITCHYARD_SIGNING_KEY (PEM, from the protected environment), optional SWITCHYARD_PUBLISH_TARGET
#      (directory, `branch:<name>` or http(s) URL; default: publish.target in switchyard.yaml),
#      optional SWITCHYARD_TRUSTED_KEYS (trusted-keys file), optional SWITCHYARD_PUBLISH_TOKEN (bearer
#      token for an HTTP target).
# The signed bundle is ALWAYS verified, exactly as a runtime would, before it leaves: against
# SWITCHYARD_TRUSTED_KEYS, else the committed trusted-keys.json, else (said so in the log) only against
# the public half of the signing key — which proves the bundle is well-formed, not that runtimes trust it.
set -euo pipefail
cd "$(dirname "$0")/.."
env_name="$1"
work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT
sy() { node bin/switchyard.mjs "$@"; }

trusted="${SWITCHYARD_TRUSTED_KEYS:-}"
if [ -z "$trusted" ] && [ -f trusted-keys.json ]; then trusted="trusted-keys.json"; fi

sy validate
sy compile --env "$env_name" --out "$work/dist"
sy sign "$work/dist" --env "$env_name" --public-keys-out "$work/signing-public-keys.json"
if [ -n "$trusted" ]; then
  echo "verifying the signed bundle against $trusted"
else
  echo "verifying the signed bundle against the signing key's own public half (no SWITCHYARD_TRUSTED_KEYS, no trusted-keys.json committed): this checks the bundle, not that runtimes trust the key"
  trusted="$work/signing-public-keys.json"
fi
sy verify "$work/dist" --env "$env_name" --trusted-keys "$trusted"
sy github publish "$work/dist" --env "$env_name" ${SWITCHYARD_PUBLISH_TARGET:+--target "$SWITCHYARD_PUBLISH_TARGET"}
