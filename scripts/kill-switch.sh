#!/usr/bin/env bash
# Entry point of kill-switch.yml: set `killed: true` on one flag, validate, commit and push to main.
# Usage: scripts/kill-switch.sh <flag> <reason>     env: GITHUB_TOKEN (push), ACTOR, GITHUB_OUTPUT (optional)
# Pushing is skipped when SWITCHYARD_NO_PUSH=1 (local use and tests).
set -euo pipefail
cd "$(dirname "$0")/.."
flag="$1"
reason="$2"
sy() { node bin/switchyard.mjs "$@"; }

sy kill "$flag"
sy validate
git add "rollouts/$flag.yaml"
if git diff --cached --quiet; then
  # Already killed on main (a repeated run, or a kill merged by hand): nothing to commit, but the
  # publish jobs still run, so a kill that never reached the runtimes gets there now.
  echo "$flag is already killed on main; publishing what is there"
else
  git -c user.name="switchyard-kill-switch" -c user.email="kill-switch@switchyard.invalid" \
    commit --quiet -m "kill: $flag" -m "$reason" -m "Requested by ${ACTOR:-$(git var GIT_AUTHOR_IDENT | sed "s/ <.*//")} via the kill switch."
fi
if [ "${SWITCHYARD_NO_PUSH:-0}" != "1" ]; then
  # The token travels as an HTTP header in git's environment config for these commands only: never in
  # argv (visible to `ps`, echoed by failing tools) nor in .git/config. Actions masks the raw token in
  # logs, not its base64, so that is masked explicitly.
  auth_b64="$(printf 'x-access-token:%s' "${GITHUB_TOKEN:-}" | base64 -w0)"
  if [ "${GITHUB_ACTIONS:-}" = "true" ]; then echo "::add-mask::$auth_b64"; fi
  git_auth() {
    GIT_CONFIG_COUNT=1 GIT_CONFIG_KEY_0="http.https://github.com/.extraheader" \
      GIT_CONFIG_VALUE_0="AUTHORIZATION: basic $auth_b64" git "$@"
  }
  if ! git_auth push origin HEAD:main; then
    # main moved while we worked: replay the one-line kill on top of it, re-validate, push again.
    git_auth pull --rebase --quiet origin main
    sy validate
    git_auth push origin HEAD:main
  fi
fi
sha="$(git rev-parse HEAD)"
echo "killed $flag in $sha"
if [ -n "${GITHUB_OUTPUT:-}" ]; then echo "sha=$sha" >>"$GITHUB_OUTPUT"; fi
