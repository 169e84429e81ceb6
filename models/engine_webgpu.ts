/**
 * WebGPU in Node for the `webgpu` engine: Dawn (the `webgpu` npm package, which ships its
 * native `dawn.node` for linux-x64 inside the package) provides `navigator.gpu`, and
 * `@tensorflow/tfjs-backend-webgpu` registers its backend at import time only when
 * `navigator.gpu` exists. Both are optional dependencies.
 *
 * Dawn drives the GPU through Vulkan on Linux. Where there is no GPU, or only a software
 * Vulkan such as Mesa llvmpipe (Dawn refuses it: "shaderUniform*ArrayDynamicIndexing
 * required"), `requestAdapter` answers null; Dawn also prints its own warnings about that to
 * stderr from native code, which cannot be silenced from here.
 */
import { existsSync, readdirSync } from 'node:fs';
import type { EngineSkip } from './engine_check.js';

/** The part of Dawn's `GPU` object used here (the package's own types need @webgpu/types). */
interface DawnGpu {
  requestAdapter(options?: { powerPreference?: 'low-power' | 'high-performance' }): Promise<DawnAdapter | null>;
}
interface DawnAdapter {
  readonly info?: { vendor?: string; architecture?: string; device?: string; description?: string };
}
interface DawnModule {
  create(flags: string[]): DawnGpu;
  globals: Record<string, unknown>;
}

/** Imported by name so TypeScript does not resolve them (they may not be installed). */
const DAWN_PACKAGE = 'webgpu';
const TFJS_WEBGPU_PACKAGE = '@tensorflow/tfjs-backend-webgpu';

/**
 * GPU device nodes a Vulkan driver opens: NVIDIA's (/dev/nvidia0 …) and DRM render nodes
 * (/dev/dri/renderD128 …). Without one there is no hardware adapter for Dawn to find.
 */
export function gpuDeviceNodes(devDir = '/dev'): string[] {
  const list = (dir: string, pattern: RegExp): string[] =>
    existsSync(dir) ? readdirSync(dir).filter((n) => pattern.test(n)).map((n) => `${dir}/${n}`) : [];
  return [...list(devDir, /^nvidia\d+$/), ...list(`${devDir}/dri`, /^renderD\d+$/)];
}

/** Human-readable adapter name, for the selection log. */
export function describeAdapter(adapter: DawnAdapter): string {
  const info = adapter.info ?? {};
  const parts = [info.vendor, info.architecture, info.device, info.description].filter((p) => p !== undefined && p !== '');
  return parts.length > 0 ? parts.join(' ') : 'unknown adapter';
}

/** Makes Dawn's `GPU` the global `navigator.gpu` (Node 20 has no `navigator`; Node ≥ 21 has one without `gpu`). */
function installNavigatorGpu(gpu: DawnGpu): void {
  const scope = globalThis as { navigator?: object };
  if (scope.navigator === undefined) {
    Object.defineProperty(globalThis, 'navigator', { value: { gpu }, configurable: true, writable: true });
  } else {
    Object.defineProperty(scope.navigator, 'gpu', { value: gpu, configurable: true, writable: true });
  }
}

/** Loads Dawn and asks it for a high-performance adapter (the preference the tfjs backend asks for). */
async function requestAdapter(): Promise<{ dawn: DawnModule; gpu: DawnGpu; adapter: DawnAdapter } | EngineSkip> {
  let dawn: DawnModule;
  try {
    dawn = (await import(DAWN_PACKAGE)) as DawnModule;
  } catch (err) {
    return { reason: 'not_installed', detail: `${DAWN_PACKAGE}: ${err instanceof Error ? err.message : String(err)}` };
  }
  const gpu = dawn.create([]);
  const adapter = await gpu.requestAdapter({ powerPreference: 'high-performance' });
  if (adapter === null) {
    return {
      reason: 'no_adapter',
      detail: 'Dawn found no GPU adapter (it needs a Vulkan driver for a GPU; software Vulkan such as llvmpipe is refused)',
    };
  }
  return { dawn, gpu, adapter };
}

/**
 * Whether this machine has a WebGPU adapter, without touching tfjs: its name, or why not.
 * For tests and checks that must know before forcing the engine.
 */
export async function findWebGpuAdapter(): Promise<{ adapter: string } | EngineSkip> {
  const found = await requestAdapter();
  return 'reason' in found ? found : { adapter: describeAdapter(found.adapter) };
}

/**
 * `probeWithoutDevice` (a forced engine) asks Dawn even without a device node, so the
 * failure names Dawn's own reason. Installs `navigator.gpu` and the WebGPU globals (GPUBufferUsage, GPUMapMode, …) the tfjs
 * backend reads, then imports the backend so it registers 'webgpu'. Asking for the adapter
 * first lets a missing one be named as such instead of surfacing as a TypeError inside the
 * backend's factory. Resolves to the adapter's name, or to why the engine cannot start.
 */
export async function prepareWebGpu(options: { probeWithoutDevice?: boolean } = {}): Promise<{ adapter: string } | EngineSkip> {
  // In auto selection a machine without a GPU device node never loads Dawn: loading it costs
  // ~0.3 s per worker and prints native warnings to stderr that break JSON-only logs.
  if (options.probeWithoutDevice !== true && gpuDeviceNodes().length === 0) {
    return { reason: 'no_adapter', detail: 'no GPU device node (/dev/nvidia*, /dev/dri/renderD*), so Dawn was not loaded' };
  }
  const found = await requestAdapter();
  if ('reason' in found) return found;
  Object.assign(globalThis, found.dawn.globals);
  installNavigatorGpu(found.gpu);
  try {
    await import(TFJS_WEBGPU_PACKAGE);
  } catch (err) {
    return { reason: 'not_installed', detail: `${TFJS_WEBGPU_PACKAGE}: ${err instanceof Error ? err.message : String(err)}` };
  }
  return { adapter: describeAdapter(found.adapter) };
}
