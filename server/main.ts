/**
 * `npm start`: environment + flags → validated config → startServer. SIGTERM/SIGINT drain
 * (live sessions finish their audio within the grace period), then the process exits 0.
 */
import { configFromEnvAndArgs } from './config_sources.js';
import { startServer } from './app.js';

async function main(): Promise<void> {
  let partial;
  try {
    partial = configFromEnvAndArgs(process.env, process.argv.slice(2));
  } catch (err) {
    process.stderr.write(`${JSON.stringify({ level: 'error', msg: 'bad configuration', error: (err as Error).message })}\n`);
    process.exit(2);
  }
  const server = await startServer(partial);
  let stopping = false;
  const stop = (signal: string): void => {
    if (stopping) return;
    stopping = true;
    process.stderr.write(`${JSON.stringify({ time: new Date().toISOString(), level: 'info', msg: 'signal received; draining', signal })}\n`);
    void server
      .drain()
      .then(() => server.close())
      .then(() => process.exit(0))
      .catch((err: unknown) => {
        process.stderr.write(`${JSON.stringify({ level: 'error', msg: 'shutdown failed', error: String(err) })}\n`);
        process.exit(1);
      });
  };
  process.on('SIGTERM', () => stop('SIGTERM'));
  process.on('SIGINT', () => stop('SIGINT'));
}

main().catch((err: unknown) => {
  process.stderr.write(`${JSON.stringify({ level: 'error', msg: 'server failed to start', error: err instanceof Error ? err.message : String(err) })}\n`);
  process.exit(1);
});
