#!/usr/bin/env bash
# npm run bench [-- --quick] [--only …] (see scripts/bench/run.mjs): ours vs the reference plugins,
# same run (root; uses throwaway netns). Builds first when dist/bin is missing.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/deps.sh
[ -x dist/bin/tscni ] || node scripts/build.mjs
node scripts/bench/run.mjs "$@"
