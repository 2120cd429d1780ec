#!/usr/bin/env bash
# npm run demo: installs what is missing, builds if needed, runs the walkthrough (root).
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/deps.sh
[ -x dist/bin/tscni ] || node scripts/build.mjs
node scripts/demo.mjs
