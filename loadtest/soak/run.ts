/**
 * `npm run soak -- --minutes 60 [--streams N | --capacity-share 0.8 --capacity N] [--url URL]`
 * — see SOAK_USAGE and docs/soak.md. Writes report.json and report.html into --out, prints
 * the verdict, exits 1 when it fails.
 */
import { mkdir } from 'node:fs/promises';
import { runCommand } from '../cli.js';
import { parseSoakOptions, SOAK_USAGE } from './options.js';
import { runSoak } from './orchestrate.js';
import { writeSoakReports } from './report.js';
import { formatVerdict } from './summary.js';

runCommand(SOAK_USAGE, (argv) => parseSoakOptions(argv), async (options, argv) => {
  await mkdir(options.outDir, { recursive: true });
  const report = await runSoak(options, argv);
  const paths = await writeSoakReports(options.outDir, report);
  console.log(formatVerdict(report));
  console.log(`report: ${paths.html}\n        ${paths.json}`);
  return report.verdict.pass ? 0 : 1;
});
