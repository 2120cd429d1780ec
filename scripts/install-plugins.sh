#!/usr/bin/env bash
# npm run install-plugins -- [DIR]: copies the executable and one file per plugin name into DIR
# (default /opt/cni/bin). Links are followed (real files), so DIR works on any filesystem layout.
set -euo pipefail
cd "$(dirname "$0")/.."
dest="${1:-/opt/cni/bin}"
[ -x dist/bin/tscni ] || node scripts/build.mjs
mkdir -p "$dest"
install -m 0755 dist/bin/tscni "$dest/tscni"
for f in dist/bin/*; do
  name=$(basename "$f")
  [ "$name" = tscni ] && continue
  # A hard link saves 125 MB per plugin where the filesystem allows it; a copy otherwise.
  rm -f "$dest/$name"
  ln "$dest/tscni" "$dest/$name" 2>/dev/null || cp -L "$f" "$dest/$name"
  echo "installed $dest/$name"
done
