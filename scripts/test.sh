#!/usr/bin/env bash
# `npm test`: installs what is missing, builds the executable, typechecks, then runs the unit
# tests and the e2e tests (real namespaces, real traffic; needs root).
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/deps.sh
node scripts/build.mjs
npx tsc --noEmit -p .
npx vitest run "$@"
