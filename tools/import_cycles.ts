/**
 * Import-cycle check over the project's TypeScript sources (run by `npm run lint`). Every
 * static import, re-export and dynamic `import()` with a relative specifier counts, type-only
 * ones included: a type cycle still ties two files' designs together (messages.ts ↔ pack.ts
 * was one), and madge counts them too. Why not madge itself: TypeScript's own
 * `preProcessFile` reads the imports, so this needs no dependency beyond the compiler.
 *
 * Two checks, exit code 1 and one line per finding when either fails:
 * - files: no strongly connected component of the import graph has more than one file (or a
 *   file that imports itself);
 * - folders: no two sibling folders (neither inside the other) import each other, e.g.
 *   server/pipeline and server/workers, whose shared types live in server/pipeline/contract.ts.
 *   A parent folder's files may use a child folder that reads them back (server/app.ts and
 *   server/config.ts beside server/workers/): the parent is the composition root.
 */
import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { dirname, join, relative, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import ts from 'typescript';

/** Folders scanned, relative to the repository root. */
export const SOURCE_ROOTS = ['server', 'shared', 'client', 'models', 'loadtest', 'bench', 'test', 'tools'];
const SKIPPED_DIRS = new Set(['node_modules', 'dist', '.cache']);
/**
 * Sibling folders known to import each other; a pair not listed here fails the check. Empty
 * since issue 10 untied the last two (models/architectures ↔ ops, models/eval ↔ train).
 */
export const KNOWN_FOLDER_PAIRS: readonly string[] = [];

/** Every `.ts` file under `dir`, recursively. */
export function listSources(dir: string): string[] {
  if (!existsSync(dir)) return [];
  const out: string[] = [];
  for (const name of readdirSync(dir)) {
    const path = join(dir, name);
    if (statSync(path).isDirectory()) {
      if (!SKIPPED_DIRS.has(name)) out.push(...listSources(path));
    } else if (name.endsWith('.ts') && !name.endsWith('.d.ts')) {
      out.push(path);
    }
  }
  return out;
}

/** The project file a relative specifier names (`./x.js` is written for `./x.ts`), or null. */
function resolveSpecifier(fromFile: string, specifier: string, exists: (path: string) => boolean): string | null {
  if (!specifier.startsWith('.')) return null;
  const base = resolve(dirname(fromFile), specifier);
  const candidates = [base.replace(/\.js$/, '.ts'), base, `${base}.ts`, join(base, 'index.ts')];
  return candidates.find((c) => c.endsWith('.ts') && exists(c)) ?? null;
}

/** File → the project files it imports. */
export function importGraph(
  files: readonly string[],
  read: (path: string) => string = (p) => readFileSync(p, 'utf8'),
): Map<string, string[]> {
  const known = new Set(files);
  const graph = new Map<string, string[]>();
  for (const file of files) {
    const { importedFiles } = ts.preProcessFile(read(file), true, true);
    const targets = importedFiles
      .map((f) => resolveSpecifier(file, f.fileName, (p) => known.has(p)))
      .filter((t): t is string => t !== null);
    graph.set(file, [...new Set(targets)]);
  }
  return graph;
}

/**
 * Strongly connected components with a cycle (Tarjan), each given as one cycle through it,
 * first file repeated at the end.
 */
export function findCycles(graph: ReadonlyMap<string, readonly string[]>): string[][] {
  let counter = 0;
  const index = new Map<string, number>();
  const low = new Map<string, number>();
  const stack: string[] = [];
  const onStack = new Set<string>();
  const components: string[][] = [];
  const visit = (v: string): void => {
    index.set(v, counter);
    low.set(v, counter);
    counter += 1;
    stack.push(v);
    onStack.add(v);
    for (const w of graph.get(v) ?? []) {
      if (!index.has(w)) {
        visit(w);
        low.set(v, Math.min(low.get(v) ?? 0, low.get(w) ?? 0));
      } else if (onStack.has(w)) {
        low.set(v, Math.min(low.get(v) ?? 0, index.get(w) ?? 0));
      }
    }
    if (low.get(v) !== index.get(v)) return;
    const component: string[] = [];
    let w: string | undefined;
    do {
      w = stack.pop();
      if (w === undefined) break;
      onStack.delete(w);
      component.push(w);
    } while (w !== v);
    if (component.length > 1 || (graph.get(v) ?? []).includes(v)) components.push(component);
  };
  for (const v of [...graph.keys()].sort()) if (!index.has(v)) visit(v);
  return components.map((c) => cycleThrough(graph, new Set(c)));
}

/** One cycle inside a component: breadth-first from its first file (sorted) back to it. */
function cycleThrough(graph: ReadonlyMap<string, readonly string[]>, component: ReadonlySet<string>): string[] {
  const start = [...component].sort()[0] as string;
  const previous = new Map<string, string>();
  const queue = [start];
  while (queue.length > 0) {
    const v = queue.shift() as string;
    for (const w of graph.get(v) ?? []) {
      if (!component.has(w)) continue;
      if (w === start) {
        const path = [start];
        for (let u: string | undefined = v; u !== undefined && u !== start; u = previous.get(u)) path.splice(1, 0, u);
        return [...path, start];
      }
      if (!previous.has(w)) {
        previous.set(w, v);
        queue.push(w);
      }
    }
  }
  return [start, start];
}

/** Sibling folders (relative to `root`) that import each other, as `a <-> b` with a < b. */
export function mutualFolders(graph: ReadonlyMap<string, readonly string[]>, root: string): string[] {
  const edges = new Set<string>();
  for (const [file, targets] of graph) {
    const from = relative(root, dirname(file));
    for (const target of targets) {
      const to = relative(root, dirname(target));
      const nested = from === to || to.startsWith(`${from}/`) || from.startsWith(`${to}/`) || from === '' || to === '';
      if (!nested) edges.add(`${from}|${to}`);
    }
  }
  const pairs: string[] = [];
  for (const edge of edges) {
    const [a = '', b = ''] = edge.split('|');
    if (a < b && edges.has(`${b}|${a}`)) pairs.push(`${a} <-> ${b}`);
  }
  return pairs.sort();
}

function main(): void {
  const root = resolve(dirname(fileURLToPath(import.meta.url)), '..');
  const files = SOURCE_ROOTS.flatMap((dir) => listSources(join(root, dir)));
  const graph = importGraph(files);
  const cycles = findCycles(graph);
  for (const cycle of cycles) console.error(`import cycle: ${cycle.map((f) => relative(root, f)).join(' → ')}`);
  const pairs = mutualFolders(graph, root).filter((p) => !KNOWN_FOLDER_PAIRS.includes(p));
  for (const pair of pairs) console.error(`folders import each other: ${pair}`);
  if (cycles.length > 0 || pairs.length > 0) process.exit(1);
  console.log(`import cycles: none in ${files.length} files; sibling folders importing each other: ${KNOWN_FOLDER_PAIRS.length === 0 ? 'none' : `only the ${KNOWN_FOLDER_PAIRS.length} known`}`);
}

if (process.argv[1] !== undefined && resolve(process.argv[1]) === fileURLToPath(import.meta.url)) main();
