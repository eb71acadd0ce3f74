#!/usr/bin/env bash
# Installs only what `switchyard github comment` needs (tsx to run the TypeScript, ajv to check the
# report against its schema, yaml, @actions/core and @actions/github to post) instead of `npm ci`'s
# full tree (promptfoo alone is hundreds of packages and ~1.4 GB). Versions are the ones pinned in
# package.json; install scripts never run. The packages go to <dir> and ./node_modules links there.
# src/ imports the workspace packages by name (`@switchyard/runtime`, docs/ARCHITECTURE.md), so they
# are linked into <dir>/node_modules/@switchyard/ the way npm's workspaces link them.
# test/github/comment-install.test.ts runs this script (npm replaced by an offline stand-in) and the
# comment command with only what it installs: a new import the list misses fails that test.
# Usage: scripts/install-comment-deps.sh <dir>
set -euo pipefail
cd "$(dirname "$0")/.."
dir="$1"
specs=$(node -e '
  const deps = require("./package.json").dependencies;
  const need = ["tsx", "ajv", "ajv-formats", "yaml", "@actions/core", "@actions/github"];
  for (const name of need) {
    if (!deps[name]) { console.error(`package.json has no dependency ${name}`); process.exit(1); }
    console.log(`${name}@${deps[name]}`);
  }')
mkdir -p "$dir"
echo '{ "private": true }' >"$dir/package.json"
# shellcheck disable=SC2086 # one spec per word, on purpose
npm install --prefix "$dir" --no-audit --no-fund --ignore-scripts --no-package-lock $specs
if [ -e node_modules ] && [ ! -L node_modules ]; then echo "node_modules exists; refusing to replace it" >&2; exit 1; fi
mkdir -p "$dir/node_modules/@switchyard"
for pkg in packages/*/; do
  name=$(node -p "require('./${pkg}package.json').name")
  ln -sfn "$PWD/${pkg%/}" "$dir/node_modules/$name"
done
ln -sfn "$dir/node_modules" node_modules
