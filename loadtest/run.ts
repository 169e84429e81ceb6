/**
 * `npm run loadtest -- --streams N --duration S [--url URL] …` — see USAGE in options.ts and
 * BENCHMARKS.md. Writes report.json and report.html into --out and prints a summary.
 */
import { mkdir } from 'node:fs/promises';
import { parseOptions, USAGE, type LoadtestOptions } from './options.js';
import { runLoadtest } from './orchestrate.js';
import { writeReports } from './report.js';
import { formatReport } from './summary.js';

async function main(argv: string[]): Promise<number> {
  if (argv.includes('--help') || argv.includes('-h')) {
    console.log(USAGE);
    return 0;
  }
  let options: LoadtestOptions;
  try {
    options = parseOptions(argv);
  } catch (err) {
    console.error(`${(err as Error).message}\n\n${USAGE}`);
    return 2;
  }
  await mkdir(options.outDir, { recursive: true });
  const report = await runLoadtest(options, argv);
  const paths = await writeReports(options.outDir, report);
  console.log(formatReport(report));
  console.log(`report: ${paths.html}\n        ${paths.json}`);
  const searched = options.findCapacity || options.compareNaive;
  return !searched && report.trials.some((t) => !t.pass) ? 1 : 0;
}

main(process.argv.slice(2)).then(
  (code) => {
    process.exitCode = code;
  },
  (err: unknown) => {
    console.error(err instanceof Error ? (err.stack ?? err.message) : String(err));
    process.exitCode = 1;
  },
);
