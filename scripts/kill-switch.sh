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
git -c user.name="switchyard-kill-switch" -c user.email="kill-switch@switchyard.invalid" \
  commit --quiet -m "kill: $flag" -m "$reason" -m "Requested by ${ACTOR:-$(git var GIT_AUTHOR_IDENT | sed "s/ <.*//")} via the kill switch."
if [ "${SWITCHYARD_NO_PUSH:-0}" != "1" ]; then
  # The token is passed as a header for this one command, never stored in .git/config.
  auth="AUTHORIZATION: basic $(printf 'x-access-token:%s' "$GITHUB_TOKEN" | base64 -w0)"
  if ! git -c "http.https://github.com/.extraheader=$auth" push origin HEAD:main; then
    # main moved while we worked: replay the one-line kill on top of it, re-validate, push again.
    git -c "http.https://github.com/.extraheader=$auth" pull --rebase --quiet origin main
    sy validate
    git -c "http.https://github.com/.extraheader=$auth" push origin HEAD:main
  fi
fi
sha="$(git rev-parse HEAD)"
echo "killed $flag in $sha"
if [ -n "${GITHUB_OUTPUT:-}" ]; then echo "sha=$sha" >>"$GITHUB_OUTPUT"; fi
