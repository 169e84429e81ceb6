/** `ser` command dispatcher. bin.js registers tsx and calls `main`. */
import { ANALYZE_HELP, runAnalyze } from './analyze_command.js';
import { EXIT_OK, EXIT_USAGE, UsageError } from './options.js';
import { STREAM_HELP, runStream } from './stream_command.js';
import { SESSIONS_HELP, WATCH_HELP, runSessions, runWatch } from './watch_command.js';

export const MAIN_HELP = `Usage: ser <command> [options]

Client of the speech emotion recognition server (protocol v1).

Commands:
  stream <file.wav>         stream one file, show each result live (or --json lines)
  analyze <file-or-dir>…    final distribution and summary per file
  sessions                  the server's live sessions, each channel's current emotion
  watch <session-id>        follow one live session from elsewhere
  help [command]            this help, or a command's

Run 'ser <command> --help' for a command's options. The server URL comes from --url,
else $SER_URL, else ws://127.0.0.1:8080/v1/stream.
`;

const COMMANDS: Record<string, { run: (argv: string[]) => Promise<number>; help: string }> = {
  stream: { run: runStream, help: STREAM_HELP },
  analyze: { run: runAnalyze, help: ANALYZE_HELP },
  sessions: { run: runSessions, help: SESSIONS_HELP },
  watch: { run: runWatch, help: WATCH_HELP },
};

/** Runs the CLI and returns its exit code (0 ok, 1 failure, 2 usage). */
export async function main(argv: string[]): Promise<number> {
  const [name, ...rest] = argv;
  if (name === undefined || name === '--help' || name === '-h') {
    process.stdout.write(MAIN_HELP);
    return name === undefined ? EXIT_USAGE : EXIT_OK;
  }
  if (name === 'help') {
    process.stdout.write(COMMANDS[rest[0] ?? '']?.help ?? MAIN_HELP);
    return EXIT_OK;
  }
  const command = COMMANDS[name];
  if (!command) {
    process.stderr.write(`ser: unknown command ${JSON.stringify(name)}\n\n${MAIN_HELP}`);
    return EXIT_USAGE;
  }
  try {
    return await command.run(rest);
  } catch (err) {
    if (!(err instanceof UsageError)) throw err;
    process.stderr.write(`ser ${name}: ${err.message}\n\n${command.help}`);
    return EXIT_USAGE;
  }
}
