/** `ser stream <file.wav>`: stream one file and show each result live (or as JSON lines). */
import { readFile } from 'node:fs/promises';
import { createNodeClient, fromWav, streamAudio, type StreamEvent } from '../sdk/node.js';
import { reportError } from './report_error.js';
import { resultBlock, resultLine, summaryLines, styleFor } from './render.js';
import {
  COMMON_HELP,
  COMMON_OPTIONS,
  EXIT_FAILURE,
  EXIT_OK,
  UsageError,
  numberFlag,
  parse,
  resolveToken,
  resolveUrl,
  streamSettings,
} from './options.js';

export const STREAM_HELP = `Usage: ser stream <file.wav> [options]

Streams a WAV file (PCM 8/16/24/32-bit, float, µ-law or A-law; any rate; mono or stereo)
to the server over protocol v1 and prints every result as it arrives: a live table on a
terminal, one line per result otherwise, or JSON lines with --json (ready, emotion…,
summary; errors as {"type":"error",…}). Exits 1 on any error.

Options:
  --realtime         send at real-time pace (default: as fast as the server keeps up)
  --speed <x>        with --realtime, a multiple of real time, 0.1–100 (default 1)
  --chunk-ms <ms>    audio per message, 10–1000 (default 100)
  --channel-mode <m> mix (default: stereo averaged to one voice) or separate (each
                     channel analysed on its own; results carry their channel)
  --channels <n>     the channel count the file must have, 1 or 2 (a check)
  --channel-labels <a,b>  with separate: a label per channel, e.g. agent,caller
${COMMON_HELP}

Examples:
  npx ser stream test/fixtures/speech/03-01-05-02-01-01-01.wav --realtime
  npx ser stream clip.wav --url ws://gpu-box:8080/v1/stream --json | jq .top
  npx ser stream call.wav --channels 2 --channel-mode separate --channel-labels agent,caller
`;

const OPTIONS = {
  ...COMMON_OPTIONS,
  realtime: { type: 'boolean', default: false },
  speed: { type: 'string' },
  'chunk-ms': { type: 'string' },
  'channel-mode': { type: 'string' },
  channels: { type: 'string' },
  'channel-labels': { type: 'string' },
} as const;

export async function runStream(argv: string[]): Promise<number> {
  const { values, positionals } = parse(argv, OPTIONS);
  if (values.help) {
    process.stdout.write(STREAM_HELP);
    return EXIT_OK;
  }
  if (positionals.length !== 1) throw new UsageError(`expected one WAV file, got ${positionals.length} arguments`);
  const file = positionals[0] as string;
  const url = resolveUrl(values.url);
  const settings = streamSettings(values);
  const speed = numberFlag('speed', values.speed, 0.1, 100);
  const chunkMs = numberFlag('chunk-ms', values['chunk-ms'], 10, 1000);
  const json = values.json;
  const channelMode = values['channel-mode'];
  if (channelMode !== undefined && channelMode !== 'mix' && channelMode !== 'separate') {
    throw new UsageError(`--channel-mode: expected mix or separate, got ${JSON.stringify(channelMode)}`);
  }
  const channels = numberFlag('channels', values.channels, 1, 2);
  const channelLabels = values['channel-labels']?.split(',');
  if (channelLabels !== undefined && channelMode !== 'separate') throw new UsageError('--channel-labels: expected --channel-mode separate too');
  const style = styleFor(process.stdout);
  const live = !json && Boolean(process.stdout.isTTY);

  const client = createNodeClient({ url, token: resolveToken(values.token) });
  let labels: string[] = [];
  let drawnLines = 0;
  const show = (ev: StreamEvent): void => {
    if (json) {
      process.stdout.write(JSON.stringify(ev) + '\n');
      return;
    }
    if (ev.type === 'ready') {
      labels = ev.model.labels;
      const split = ev.channelMode === 'separate' ? ` · ${ev.channels} channels${ev.channelLabels ? ` (${ev.channelLabels.join(', ')})` : ''}` : '';
      process.stdout.write(`session ${ev.sessionId} · model ${ev.model.id} · hop ${ev.hopMs} ms${split}\n`);
    } else if (ev.type === 'alert') {
      const where = ev.channel !== undefined ? ` on ${ev.channelLabel ?? `ch${ev.channel}`}` : '';
      process.stdout.write(`ALERT ${ev.rule} ${ev.state}: ${ev.label} ${ev.value.toFixed(2)}${where} at ${(ev.atMs / 1000).toFixed(2)} s\n`);
      drawnLines = 0;
    } else if (ev.type === 'emotion' && ev.channel !== undefined) {
      // Two channels cannot share one redrawn block: one line per result, channel first.
      process.stdout.write(`[${ev.channelLabel ?? `ch${ev.channel}`}] ${resultLine(ev)}\n`);
    } else if (ev.type === 'emotion' && live) {
      const lines = resultBlock(ev, labels, style);
      // Redraw the block in place: cursor up over the previous one, clear to the end.
      process.stdout.write((drawnLines > 0 ? `\x1b[${drawnLines}A\x1b[0J` : '') + lines.join('\n') + '\n');
      drawnLines = lines.length;
    } else if (ev.type === 'emotion') {
      process.stdout.write(resultLine(ev) + '\n');
    } else if (ev.type === 'summary' && ev.channels !== undefined) {
      for (const c of ev.channels) {
        process.stdout.write(`channel ${c.channel}${c.channelLabel ? ` (${c.channelLabel})` : ''}: ` + summaryLines({ type: 'summary', ...c }, labels, style).join('\n') + '\n');
      }
    } else if (ev.type === 'summary') {
      process.stdout.write(summaryLines(ev, labels, style).join('\n') + '\n');
    }
  };
  const subscription = client.events$.subscribe({ next: show, error: () => undefined });
  try {
    const source = fromWav(new Uint8Array(await readFile(file)), { keepStereo: channelMode === 'separate' });
    if (channels !== undefined && source.channels !== channels) {
      throw new UsageError(`--channels: expected the file to have ${channels} channel(s), got ${source.channels}`);
    }
    await streamAudio(client, source, {
      pace: values.realtime ? 'realtime' : 'fast',
      ...(speed !== undefined ? { speed } : {}),
      ...(chunkMs !== undefined ? { chunkMs } : {}),
      ...settings,
      ...(channelMode !== undefined ? { channelMode } : {}),
      ...(channelLabels !== undefined ? { channelLabels } : {}),
    });
    return EXIT_OK;
  } catch (err) {
    reportError(err, { json, file });
    return EXIT_FAILURE;
  } finally {
    subscription.unsubscribe();
    client.close();
  }
}
