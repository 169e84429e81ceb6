/**
 * What a session or an analysis does when the worker of one of its streams crashed: counts
 * it (`ser_worker_crash_streams_total` by outcome, `ser_audio_lost_seconds_total`) and,
 * when the stream went on, says so with a `worker_restarted` notice. A stream that ends
 * instead says so with its final result, summary and error (session.ts).
 */
import type { NoticeMessage } from '../../shared/protocol.js';
import type { ServerMetrics } from '../metrics.js';
import { round } from '../pipeline/result.js';
import type { StreamRecovery } from './mono_stream.js';

export function streamRecovery(
  metrics: ServerMetrics,
  channelLabels: readonly string[] | undefined,
  notify: (notice: NoticeMessage) => void,
): (channel: number | undefined) => StreamRecovery {
  return (channel) => ({
    onResumed: ({ resumedAtMs, lostMs }) => {
      metrics.workerCrashStreams.inc({ outcome: 'resumed' });
      metrics.audioLostSeconds.inc(lostMs / 1000);
      const notice: NoticeMessage = {
        type: 'notice',
        code: 'worker_restarted',
        message: `the inference worker of this stream crashed; it goes on on another worker from ${(resumedAtMs / 1000).toFixed(3)} s with fresh state, and ${(lostMs / 1000).toFixed(3)} s of audio before that were not analysed`,
        resumedAtMs: round(resumedAtMs),
        lostMs: round(lostMs),
      };
      if (channel !== undefined) {
        notice.channel = channel;
        const label = channelLabels?.[channel];
        if (label !== undefined) notice.channelLabel = label;
      }
      notify(notice);
    },
    onEnded: ({ lostMs }) => {
      metrics.workerCrashStreams.inc({ outcome: 'ended' });
      metrics.audioLostSeconds.inc(lostMs / 1000);
    },
  });
}
