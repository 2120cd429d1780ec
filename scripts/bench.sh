#!/usr/bin/env bash
# npm run bench [-- --quick]: ours vs the reference plugins, same run (root; uses throwaway netns).
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/deps.sh
[ -x dist/bin/tscni ] || node scripts/build.mjs
node scripts/bench/run.mjs "$@"
