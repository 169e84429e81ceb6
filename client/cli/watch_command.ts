/** `ser sessions` (live sessions) and `ser watch <session-id>` (one session's results, live). */
import type { SessionInfo, WatchMessage } from '../../shared/watch.js';
import { listSessions, watchIterable, type WatchOptions } from '../sdk/node.js';
import { resultLine } from './render.js';
import { reportError } from './report_error.js';
import { COMMON_OPTIONS, EXIT_FAILURE, EXIT_OK, UsageError, parse, resolveToken, resolveUrl } from './options.js';

const CONNECTION_HELP = `  --url <url>        the server (default $SER_URL or ws://127.0.0.1:8080); any of its
                     ws/http URLs will do, only the host matters
  --token <key>      API key when the server requires one (default $SER_TOKEN)
  --json             JSON lines on stdout instead of the human view
  -h, --help         this help`;

export const SESSIONS_HELP = `Usage: ser sessions [--filter key=value]… [options]

Lists the server's live sessions: id, source, external ids, start, and each channel's
current top emotion, arousal and valence. --filter keeps sessions whose external ids
hold that pair (e.g. --filter callSid=CA123).

Options:
  --filter <k=v>     keep sessions with externalIds[k] = v (repeatable)
${CONNECTION_HELP}
`;

export const WATCH_HELP = `Usage: ser watch <session-id> [options]

Follows one live session from elsewhere: its recent history, then every result, alert
and the summary as they happen, until the session ends. Exits 0 when it ends, 1 on an
error (unknown session, refused key, too slow a reader).

Options:
${CONNECTION_HELP}
`;

const OPTIONS = { url: COMMON_OPTIONS.url, token: COMMON_OPTIONS.token, json: COMMON_OPTIONS.json, help: COMMON_OPTIONS.help } as const;

function connection(values: { url?: string; token?: string }): WatchOptions {
  const token = resolveToken(values.token);
  return { url: resolveUrl(values.url), ...(token !== undefined ? { token } : {}) };
}

function channelText(info: SessionInfo): string {
  return info.channels
    .map((c) => {
      const name = c.channelLabel ?? `ch${c.channel}`;
      if (c.top === null) return `${name}: –`;
      return `${name}: ${c.top} ${(c.confidence ?? 0).toFixed(2)} a ${(c.arousal ?? 0).toFixed(2)} v ${(c.valence ?? 0).toFixed(2)}`;
    })
    .join(' | ');
}

export async function runSessions(argv: string[]): Promise<number> {
  const { values, positionals } = parse(argv, { ...OPTIONS, filter: { type: 'string', multiple: true } });
  if (values.help) {
    process.stdout.write(SESSIONS_HELP);
    return EXIT_OK;
  }
  if (positionals.length > 0) throw new UsageError(`expected no arguments, got ${positionals.length}`);
  const filter: Record<string, string> = {};
  for (const pair of values.filter ?? []) {
    const eq = pair.indexOf('=');
    if (eq <= 0) throw new UsageError(`--filter: expected key=value, got ${JSON.stringify(pair)}`);
    filter[pair.slice(0, eq)] = pair.slice(eq + 1);
  }
  try {
    const sessions = await listSessions(connection(values), filter);
    if (values.json) {
      process.stdout.write(JSON.stringify({ sessions }) + '\n');
      return EXIT_OK;
    }
    if (sessions.length === 0) process.stdout.write('no live sessions\n');
    for (const s of sessions) {
      const ids = Object.entries(s.externalIds).map(([k, v]) => `${k}=${v}`).join(' ');
      process.stdout.write(`${s.id}  ${s.source}  since ${s.startedAt}${ids ? `  ${ids}` : ''}\n  ${channelText(s)}\n`);
    }
    return EXIT_OK;
  } catch (err) {
    reportError(err, { json: values.json });
    return EXIT_FAILURE;
  }
}

function watchLine(message: WatchMessage): string {
  switch (message.type) {
    case 'watching':
      return `watching ${message.session.id} (${message.session.source}, ${message.session.channels.length} channel(s)); ${message.replayed} recent message(s) replayed`;
    case 'emotion':
      return `${message.channel !== undefined ? `[${message.channelLabel ?? `ch${message.channel}`}] ` : ''}${resultLine(message)}`;
    case 'alert':
      return `ALERT ${message.rule} ${message.state}: ${message.label} ${message.value.toFixed(2)}${message.channel !== undefined ? ` on ${message.channelLabel ?? `ch${message.channel}`}` : ''} at ${(message.atMs / 1000).toFixed(2)} s`;
    case 'summary':
      return `summary: dominant ${message.dominant}, voiced ${(message.voicedMs / 1000).toFixed(2)} s of ${(message.durationMs / 1000).toFixed(2)} s`;
    case 'notice':
      return `notice ${message.code}${message.channel !== undefined ? ` on ${message.channelLabel ?? `ch${message.channel}`}` : ''}: ${message.message}`;
    case 'ended':
      return `session ended (${message.outcome})`;
    case 'error':
      return `error ${message.code}: ${message.message}`;
  }
}

export async function runWatch(argv: string[]): Promise<number> {
  const { values, positionals } = parse(argv, OPTIONS);
  if (values.help) {
    process.stdout.write(WATCH_HELP);
    return EXIT_OK;
  }
  if (positionals.length !== 1) throw new UsageError(`expected one session id, got ${positionals.length} arguments`);
  try {
    for await (const message of watchIterable(positionals[0] as string, connection(values))) {
      process.stdout.write((values.json ? JSON.stringify(message) : watchLine(message)) + '\n');
    }
    return EXIT_OK;
  } catch (err) {
    reportError(err, { json: values.json });
    return EXIT_FAILURE;
  }
}
