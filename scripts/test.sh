#!/usr/bin/env bash
# `npm test`: installs what is missing (Debian packages, npm packages), builds, generates the
# API client types, type-checks the tests, and runs every test. Extra arguments go to mocha.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/ensure-system.sh
bash scripts/ensure-node.sh
# Types for the typed API client, from the served OpenAPI document: a test that drifts from the
# document fails to compile on the next line.
npm run --silent api:types
npx tsc -p tsconfig.test.json --noEmit
if [ "$#" -eq 0 ]; then set -- "test/**/*.test.ts"; fi
npx mocha "$@"
