#!/usr/bin/env bash
# Entry point of publish.yml and kill-switch.yml: validate, compile, sign and publish one environment.
# Usage: scripts/publish.sh <env>
# env: SWITCHYARD_SIGNING_KEY (PEM, from the protected environment; handed to `sign` only),
#      optional SWITCHYARD_PUBLISH_TARGET
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

# The signing key reaches the sign step only: validate, compile, verify and publish (and anything
# they load) run without it in their environment. A non-exported shell variable is not inherited.
signing_key="${SWITCHYARD_SIGNING_KEY:-}"
unset SWITCHYARD_SIGNING_KEY

trusted="${SWITCHYARD_TRUSTED_KEYS:-}"
if [ -z "$trusted" ] && [ -f trusted-keys.json ]; then trusted="trusted-keys.json"; fi

# Merge-time enforcement: nothing is signed unless its gate passes. The gate is re-evaluated here (the
# same `switchyard pipeline` a pull request runs, with the content cache under .switchyard/) against the
# commit main held before this one (its first parent; SWITCHYARD_GATE_BASE overrides), so a direct push,
# a merge without the required `pr` check, or a PR evaluated against an older base never reaches a
# runtime. A kill lowers exposure and always passes; everything else moves one stage at a time.
gate_base="${SWITCHYARD_GATE_BASE:-}"
if [ -z "$gate_base" ] && git rev-parse -q --verify 'HEAD^1' >/dev/null; then gate_base="$(git rev-parse 'HEAD^1')"; fi
if ! sy pipeline ${gate_base:+--base "$gate_base"} >"$work/gate.log" 2>&1; then
  cat "$work/gate.log"
  echo "✖ E_PUBLISH_GATE refusing to sign $(git rev-parse HEAD): its gate does not pass against ${gate_base:-no base} (report: .switchyard/report/report.md)" >&2
  exit 1
fi
echo "gate: $(git rev-parse --short HEAD) passes against ${gate_base:-no base} (re-evaluated)"
sy validate
sy compile --env "$env_name" --out "$work/dist"
SWITCHYARD_SIGNING_KEY="$signing_key" sy sign "$work/dist" --env "$env_name" --public-keys-out "$work/signing-public-keys.json"
unset signing_key
if [ -n "$trusted" ]; then
  echo "verifying the signed bundle against $trusted"
else
  echo "verifying the signed bundle against the signing key's own public half (no SWITCHYARD_TRUSTED_KEYS, no trusted-keys.json committed): this checks the bundle, not that runtimes trust the key"
  trusted="$work/signing-public-keys.json"
fi
sy verify "$work/dist" --env "$env_name" --trusted-keys "$trusted"
sy github publish "$work/dist" --env "$env_name" ${SWITCHYARD_PUBLISH_TARGET:+--target "$SWITCHYARD_PUBLISH_TARGET"}
