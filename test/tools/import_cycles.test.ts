/** The import-cycle check that `npm run lint` runs (tools/import_cycles.ts). */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { findCycles, importGraph, mutualFolders } from '../../tools/import_cycles.js';

describe('import cycle check', () => {
  it('finds each cycle once, type-only and re-export imports included', () => {
    const sources: Record<string, string> = {
      '/r/a/messages.ts': "import type { Packed } from './pack.js';\nexport interface Hop {}",
      '/r/a/pack.ts': "import type { Hop } from './messages.js';\nexport interface Packed {}",
      '/r/a/self.ts': "export * from './self.js';",
      '/r/b/index.ts': "import { x } from '../a/pack.js';\nimport 'rxjs';\nconst later = () => import('./lazy.js');",
      '/r/b/lazy.ts': "export { y } from './index.js';",
    };
    const graph = importGraph(Object.keys(sources), (path) => sources[path] ?? '');
    assert.deepEqual(graph.get('/r/b/index.ts'), ['/r/a/pack.ts', '/r/b/lazy.ts'], 'package imports are not project files');
    assert.deepEqual(findCycles(graph).sort(), [
      ['/r/a/messages.ts', '/r/a/pack.ts', '/r/a/messages.ts'],
      ['/r/a/self.ts', '/r/a/self.ts'],
      ['/r/b/index.ts', '/r/b/lazy.ts', '/r/b/index.ts'],
    ]);
  });

  it('reports sibling folders that import each other, not a parent and its child', () => {
    const graph = new Map([
      ['/r/server/pipeline/infer.ts', ['/r/server/workers/batcher.ts']],
      ['/r/server/workers/shard.ts', ['/r/server/pipeline/index.ts']],
      ['/r/server/workers/messages.ts', ['/r/server/config.ts']],
      ['/r/server/app.ts', ['/r/server/workers/batcher.ts']],
    ]);
    assert.deepEqual(mutualFolders(graph, '/r'), ['server/pipeline <-> server/workers']);
  });
});
