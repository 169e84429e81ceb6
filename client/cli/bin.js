#!/usr/bin/env node
// `ser` entry: registers tsx so the TypeScript CLI runs straight from the repository.
import { register } from 'tsx/esm/api';

register();
const { main } = await import('./main.ts');
process.exitCode = await main(process.argv.slice(2));
