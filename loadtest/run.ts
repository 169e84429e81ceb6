/**
 * `npm run loadtest -- --streams N --duration S [--url URL] …` — see USAGE in options.ts and
 * BENCHMARKS.md. Writes report.json and report.html into --out and prints a summary.
 */
import { mkdir } from 'node:fs/promises';
import { runCommand } from './cli.js';
import { parseOptions, USAGE } from './options.js';
import { runLoadtest } from './orchestrate.js';
import { writeReports } from './report.js';
import { formatReport } from './summary.js';

runCommand(USAGE, (argv) => parseOptions(argv), async (options, argv) => {
  await mkdir(options.outDir, { recursive: true });
  const report = await runLoadtest(options, argv);
  const paths = await writeReports(options.outDir, report);
  console.log(formatReport(report));
  console.log(`report: ${paths.html}\n        ${paths.json}`);
  const searched = options.findCapacity || options.compareNaive;
  return !searched && report.trials.some((t) => !t.pass) ? 1 : 0;
});
