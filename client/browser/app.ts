/**
 * The dashboard's controller: microphone sessions, file analysis, the recording download.
 * Each stream is one EmotionStreamClient (global WebSocket) feeding the Dashboard; what is
 * sent is also kept by the SentAudioRecorder. Page query parameters: ?url=ws://… (server),
 * ?token=… (API key).
 */
import { STREAM_PATH } from '../../shared/protocol.js';
import { EmotionStreamClient, fromFloat32, streamAudio, type Pace } from '../sdk/index.js';
import { Dashboard } from './dashboard.js';
import { noticeFor } from './error_text.js';
import { decodeAudioFile } from './file_audio.js';
import { openMicrophone } from './mic.js';
import { floatToPcm16 } from './pcm.js';
import { SentAudioRecorder } from './recorder.js';

/** Served next to app.js by build.ts. */
const WORKLET_URL = new URL('capture-worklet.js', import.meta.url).href;

const $ = <T extends HTMLElement>(id: string): T => document.getElementById(id) as T;
const micStart = $<HTMLButtonElement>('mic-start');
const micStop = $<HTMLButtonElement>('mic-stop');
const fileInput = $<HTMLInputElement>('file-input');
const drop = $<HTMLLabelElement>('drop');
const paceSelect = $<HTMLSelectElement>('pace');
const progress = $<HTMLProgressElement>('file-progress');
const download = $<HTMLButtonElement>('download');
const recInfo = $('rec-info');
const urlInput = $<HTMLInputElement>('server-url');
const tokenInput = $<HTMLInputElement>('token');

const dashboard = new Dashboard();
const recorder = new SentAudioRecorder();
/** The running stream, if any: how to stop it. */
let active: { stop(): Promise<void> } | null = null;

const params = new URLSearchParams(location.search);
urlInput.value = params.get('url') ?? `${location.protocol === 'https:' ? 'wss' : 'ws'}://${location.host}${STREAM_PATH}`;
tokenInput.value = params.get('token') ?? '';
dashboard.setState('idle');

function setBusy(busy: boolean): void {
  micStart.disabled = busy;
  micStop.disabled = !busy;
  fileInput.disabled = busy;
  drop.classList.toggle('disabled', busy);
}

function updateRecording(): void {
  const seconds = recorder.durationSeconds;
  dashboard.setSentSeconds(seconds);
  download.disabled = seconds === 0;
  recInfo.textContent =
    seconds === 0 ? 'What is sent to the server is recorded here.' : `${seconds.toFixed(1)} s recorded${recorder.truncated ? ' (limit reached)' : ''}.`;
}

/** What the page sends: shown under Stream. */
interface InputFormat {
  sampleRateHz: number;
  encoding: string;
}

/** A client whose events drive the dashboard; `onFailure` runs if the stream dies. */
function newClient(reconnect: boolean, input: InputFormat, onFailure: () => void): EmotionStreamClient {
  const client = new EmotionStreamClient({ url: urlInput.value.trim(), token: tokenInput.value.trim() || undefined, reconnect });
  client.state$.subscribe((state) => dashboard.setState(state));
  client.events$.subscribe({
    next: (ev) => {
      switch (ev.type) {
        case 'ready':
          dashboard.reset(ev.model.labels);
          dashboard.showSession(ev, input);
          break;
        case 'emotion':
          dashboard.showResult(ev);
          break;
        case 'summary':
          dashboard.showSummary(ev);
          break;
        case 'reconnecting':
          dashboard.notice({ ...noticeFor(ev.error, urlInput.value), level: 'warning', title: `Reconnecting (attempt ${ev.attempt})…` });
          break;
        case 'reconnected':
          dashboard.continueAfterReconnect(ev.ready);
          dashboard.notice({
            level: 'warning',
            title: 'Reconnected: a new session',
            detail: `Session ${ev.sessionId.slice(0, 8)} replaced ${ev.previousSessionId.slice(0, 8)}; smoothing restarted and audio sent while disconnected (${ev.droppedBytes} bytes) was not analysed.`,
          });
          break;
      }
    },
    error: (err: unknown) => {
      dashboard.notice(noticeFor(err, urlInput.value));
      onFailure();
    },
  });
  return client;
}

async function startMicrophone(): Promise<void> {
  if (active) return;
  dashboard.notice(null);
  setBusy(true);
  let mic;
  try {
    mic = await openMicrophone(WORKLET_URL);
  } catch (err) {
    dashboard.notice(noticeFor(err, urlInput.value));
    setBusy(false);
    return;
  }
  const stopAll = async (sendEnd: boolean): Promise<void> => {
    if (active !== session) return;
    active = null;
    await mic.stop();
    if (sendEnd && client.state === 'streaming') await client.end().catch(() => undefined); // errors reach events$
    client.close();
    setBusy(false);
  };
  const session = { stop: () => stopAll(true) };
  active = session;
  const client = newClient(true, { sampleRateHz: mic.sampleRateHz, encoding: 'pcm_s16le' }, () => void stopAll(false));
  try {
    await client.connect();
    await client.start({ sampleRate: mic.sampleRateHz, encoding: 'pcm_s16le', channels: 1 });
  } catch {
    await stopAll(false); // the notice came through events$
    return;
  }
  recorder.reset(mic.sampleRateHz);
  mic.begin((samples) => {
    if (client.state !== 'streaming' && client.state !== 'reconnecting') return;
    if (client.send(floatToPcm16(samples))) {
      recorder.push(samples);
      updateRecording();
    }
  });
}

async function analyseFile(file: File): Promise<void> {
  if (active) await active.stop();
  dashboard.notice({ level: 'info', title: `Decoding ${file.name}…`, detail: 'The browser decodes the file before streaming it.' });
  setBusy(true);
  let decoded;
  try {
    decoded = await decodeAudioFile(file);
  } catch (err) {
    dashboard.notice(noticeFor(err, urlInput.value));
    setBusy(false);
    return;
  }
  dashboard.notice(null);
  const abort = new AbortController();
  const session = { stop: async () => abort.abort(new DOMException('stopped', 'AbortError')) };
  active = session;
  const { samples, sampleRateHz } = decoded;
  const client = newClient(false, { sampleRateHz, encoding: 'pcm_f32le' }, () => abort.abort());
  recorder.reset(sampleRateHz);
  let recordedFrames = 0;
  progress.hidden = false;
  progress.value = 0;
  try {
    await streamAudio(client, fromFloat32(samples, sampleRateHz), {
      pace: paceSelect.value as Pace,
      signal: abort.signal,
      onProgress: (sentMs, totalMs) => {
        const frames = Math.min(samples.length, Math.round((sentMs / 1000) * sampleRateHz));
        recorder.push(samples.subarray(recordedFrames, frames));
        recordedFrames = frames;
        progress.value = sentMs / totalMs;
        updateRecording();
      },
    });
  } catch (err) {
    if (abort.signal.aborted && client.state !== 'failed') dashboard.notice({ level: 'info', title: 'Stopped', detail: `${file.name} was not analysed to the end.` });
    else if (!(client.state === 'failed')) dashboard.notice(noticeFor(err, urlInput.value));
  } finally {
    client.close();
    progress.hidden = true;
    if (active === session) active = null;
    setBusy(false);
  }
}

function downloadRecording(): void {
  const blob = recorder.toWavBlob();
  if (!blob) return;
  const a = document.createElement('a');
  a.href = URL.createObjectURL(blob);
  a.download = `ser-recording-${new Date().toISOString().replace(/[:.]/g, '-')}.wav`;
  document.body.append(a);
  a.click();
  a.remove();
  setTimeout(() => URL.revokeObjectURL(a.href), 10_000);
}

$('settings-form').addEventListener('submit', (ev) => ev.preventDefault());
micStart.addEventListener('click', () => void startMicrophone());
micStop.addEventListener('click', () => void active?.stop());
download.addEventListener('click', downloadRecording);
fileInput.addEventListener('change', () => {
  const file = fileInput.files?.[0];
  fileInput.value = '';
  if (file) void analyseFile(file);
});
for (const type of ['dragenter', 'dragover'] as const) {
  drop.addEventListener(type, (ev) => {
    ev.preventDefault();
    drop.classList.add('over');
  });
}
drop.addEventListener('dragleave', () => drop.classList.remove('over'));
drop.addEventListener('drop', (ev) => {
  ev.preventDefault();
  drop.classList.remove('over');
  const file = ev.dataTransfer?.files[0];
  if (file && !fileInput.disabled) void analyseFile(file);
});
