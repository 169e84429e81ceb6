#!/usr/bin/env bash
# The GPU session's one prepared check of the webgpu engine (issue 14), ~3–5 min, every step
# under its own timeout so the whole run ends within 8 minutes. Prints:
#   1. the machine: nvidia-smi, vulkaninfo --summary (when present), the Vulkan ICDs;
#   2. Dawn's adapters (high-performance, low-power, fallback) with the limits tfjs asks for;
#   3. the engine forced to webgpu (selected, or why not), then the engine tests
#      (test/models/engine.test.ts: webgpu vs wasm parity at batch 1/8/64, tensor count flat;
#      they skip, saying so, where Dawn finds no adapter);
#   4. bench/gpu/kernels.ts: the runner's _FusedMatMul at its shapes on webgpu (async read
#      back) and on wasm, batch 1–1024, and whether dataSync works after a GPU kernel;
#   5. bench/model_infer.ts (the model part of `npm run bench`) at batch 1–1024 with
#      SER_ENGINE=webgpu, then the same on wasm as the baseline.
# A failing step is reported and the next one runs. Output also goes to $OUT/gpu_check.log
# when $OUT is set (the device tool brings $OUT back).
#
# Dependencies: the GPU machine cannot reach npm. Here, run `npm ci && bench/gpu_bundle.sh`,
# then start this script there carrying `.cache/gpu_node_modules` (it is linked as node_modules
# when node_modules is absent): run(command="bash bench/gpu_check.sh",
# carry=[".cache/gpu_node_modules"], timeout_s=540).
set -uo pipefail
cd "$(dirname "$0")/.."
if [ -n "${OUT:-}" ]; then exec > >(tee "$OUT/gpu_check.log") 2>&1; fi
BATCHES=1,2,4,8,16,32,64,128,256,512,1024
section() { printf '\n=== %s (%s)\n' "$1" "$(date -u +%H:%M:%S)"; }
step() { # step <seconds> <command…>: runs it, reporting a timeout or failure without stopping
  local limit=$1; shift
  timeout --kill-after=5 "$limit" "$@"; local rc=$?
  if [ $rc -eq 124 ] || [ $rc -eq 137 ]; then echo "!! timed out after ${limit}s: $*"; elif [ $rc -ne 0 ]; then echo "!! exit $rc: $*"; fi
}

section "machine"
uname -srm; echo "node $(node --version 2>/dev/null || echo absent), $(nproc) cores"
if command -v nvidia-smi >/dev/null; then step 30 nvidia-smi; else echo "nvidia-smi: absent"; fi

section "vulkan"
if command -v vulkaninfo >/dev/null; then step 30 vulkaninfo --summary; else echo "vulkaninfo: absent"; fi
for d in /usr/share/vulkan/icd.d /etc/vulkan/icd.d; do [ -d "$d" ] && echo "$d: $(ls "$d" | tr '\n' ' ')"; done
ldconfig -p 2>/dev/null | grep -E 'libvulkan|libnvidia-glvkspirv|libGLX_nvidia' || echo "no libvulkan / NVIDIA Vulkan libraries in ldconfig"

section "dependencies"
if [ ! -e node_modules ] && [ -d .cache/gpu_node_modules ]; then ln -s .cache/gpu_node_modules node_modules && echo "linked .cache/gpu_node_modules as node_modules"; fi
if [ ! -d node_modules/webgpu ]; then
  echo "node_modules/webgpu missing; trying npm ci (needs the npm registry)"; step 180 npm ci --no-audit --no-fund
fi
ls node_modules/webgpu/dist/linux-x64/dawn.node node_modules/@tensorflow/tfjs-backend-webgpu/package.json 2>&1

section "Dawn adapters"
step 60 node --input-type=module -e "
const { create } = await import('webgpu');
const gpu = create([]);
for (const options of [{ powerPreference: 'high-performance' }, { powerPreference: 'low-power' }, { forceFallbackAdapter: true }]) {
  const a = await gpu.requestAdapter(options);
  if (a === null) { console.log(JSON.stringify(options), '→ no adapter'); continue; }
  const { vendor, architecture, device, description } = a.info ?? {};
  const l = a.limits;
  console.log(JSON.stringify(options), '→', JSON.stringify({ vendor, architecture, device, description, fallback: a.info?.isFallbackAdapter,
    maxBufferSize: l.maxBufferSize, maxStorageBufferBindingSize: l.maxStorageBufferBindingSize,
    maxComputeWorkgroupSizeX: l.maxComputeWorkgroupSizeX, maxComputeInvocationsPerWorkgroup: l.maxComputeInvocationsPerWorkgroup,
    features: [...a.features].join(',') }));
}"

section "engine forced to webgpu"
SER_ENGINE=webgpu step 90 node --import tsx --input-type=module -e "
const { selectEngine } = await import('./models/engine.ts');
try { console.log('selected:', await selectEngine()); } catch (e) { console.log('FAILED:', e.message); }"

section "engine tests"
step 240 node --import tsx --test --test-concurrency=1 test/models/engine.test.ts test/server/engine_fallback.test.ts

section "kernel probe: webgpu"
step 120 node --import tsx bench/gpu/kernels.ts --backend webgpu --seconds 0.5 --batches "$BATCHES"
section "kernel probe: wasm (baseline)"
step 90 node --import tsx bench/gpu/kernels.ts --backend wasm --seconds 0.5 --batches "$BATCHES"

section "model benchmark: webgpu"
SER_ENGINE=webgpu step 120 node --import tsx bench/model_infer.ts --seconds 1 --batches "$BATCHES"
section "model benchmark: wasm (baseline)"
SER_ENGINE=wasm step 90 node --import tsx bench/model_infer.ts --seconds 1 --batches "$BATCHES"

section "done"
