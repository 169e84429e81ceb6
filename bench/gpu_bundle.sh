#!/usr/bin/env bash
# Builds .cache/gpu_node_modules/: the runtime dependencies (no devDependencies) pruned to what
# Node loads on linux-x64, small enough to carry to a GPU machine that cannot reach npm
# (the device tool carries at most 64 MiB). Run it here, after `npm ci`; then carry
# `.cache/gpu_node_modules` and run bench/gpu_check.sh there, which links it as node_modules.
#
# Pruned: source maps, the browser/ESM bundles of @tensorflow/* (Node loads each package's
# `main`, a self-contained dist/*.node.js, plus the wasm backend's .wasm files), Dawn for other
# platforms, core-js (required only by the browser bundles), @types, and tfjs-node-gpu
# (its native part is never installed here).
set -euo pipefail
cd "$(dirname "$0")/.."
OUT=.cache/gpu_node_modules
test -d node_modules/webgpu || { echo "node_modules/webgpu missing: run npm ci first" >&2; exit 1; }
rm -rf "$OUT" && mkdir -p "$OUT"
# The packages a production install holds: npm's own list, minus the dev-only ones.
npm ls --omit=dev --all --parseable 2>/dev/null | sed -n 's#^'"$PWD"'/node_modules/##p' | sort -u | while read -r pkg; do
  case "$pkg" in core-js|@types/*|@tensorflow/tfjs-node-gpu|*/node_modules/*) continue ;; esac
  mkdir -p "$OUT/$(dirname "$pkg")" && cp -r "node_modules/$pkg" "$OUT/$pkg"
done
# Nested copies (version conflicts) come with their parent directory above.
find "$OUT" -name '*.map' -delete
rm -rf "$OUT"/webgpu/dist/{darwin-universal,win32-x64,win32-arm64,linux-arm64}
for pkg in "$OUT"/@tensorflow/*; do
  main=$(node -p "require('./$pkg/package.json').main")
  find "$pkg/dist" -type f ! -name "$(basename "$main")" ! -name '*.wasm' ! -name '*worker*.js' -delete
  find "$pkg" -type d -empty -delete
done
# tsx runs esbuild through its JS API, which spawns @esbuild/linux-x64/bin/esbuild; the copy
# esbuild's install script leaves in esbuild/bin (for its CLI) is not needed.
rm -f "$OUT/esbuild/bin/esbuild"
# The esbuild binary for this platform only.
find "$OUT/@esbuild" -mindepth 1 -maxdepth 1 ! -name linux-x64 -exec rm -rf {} + 2>/dev/null || true
echo "$OUT: $(du -sh "$OUT" | cut -f1) ($(tar czf - "$OUT" | wc -c | awk '{printf "%.1f MiB gzipped", $1/1048576}'))"
