#!/usr/bin/env bash
# Installs npm packages (npm ci) when node_modules is missing or older than the lock file,
# then builds dist/ when any source is newer than it. Idempotent and quick when nothing changed.
set -euo pipefail
cd "$(dirname "$0")/.."
stamp=node_modules/.hsmca-lock
if [ ! -f "$stamp" ] || ! cmp -s package-lock.json "$stamp"; then
  echo "npm ci…" >&2
  npm ci --no-audit --no-fund >&2
  cp package-lock.json "$stamp"
fi
if [ ! -f dist/cli.js ] || [ -n "$(find src tsconfig.json package-lock.json -newer dist/cli.js -print -quit)" ]; then
  echo "building…" >&2
  npm run --silent build >&2
fi
