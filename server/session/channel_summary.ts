/**
 * The summary of a session in either channel mode. 'mix': one accumulator, the v1 summary.
 * 'separate': one accumulator per channel (`channels` of the summary) plus a pooled one for
 * the top-level fields — durationMs the longest channel, voicedMs the sum, mean over every
 * voiced hop of every channel, dominant its arg-max — whose segments are every channel's
 * segments tagged with their channel, ordered by start. The pooled totals are the channels'
 * totals added in channel order at the end, not hop by hop as they arrive: the channels'
 * hops interleave differently from run to run (how the audio was chunked, which worker
 * round stepped which channel), and floating-point sums taken in another order can differ
 * in the last digit the summary reports.
 */
import type { ChannelSummary, EmotionMessage, SummaryMessage } from '../../shared/protocol.js';
import { SummaryAccumulator } from './summary.js';

export class ChannelSummaries {
  private readonly pooled: SummaryAccumulator;
  private readonly perChannel: SummaryAccumulator[];

  /**
   * @param channels channels summarised on their own: 0 for 'mix'
   * @param channelLabels their labels, when the client gave them
   */
  constructor(
    private readonly labels: readonly string[],
    channels: number,
    private readonly channelLabels?: readonly string[],
  ) {
    // With separate channels only the pooled totals are used (its segments would interleave channels).
    this.pooled = new SummaryAccumulator(labels, channels === 0);
    this.perChannel = Array.from({ length: channels }, () => new SummaryAccumulator(labels));
  }

  push(message: EmotionMessage, hopEndMs: number): void {
    const own = message.channel === undefined ? undefined : this.perChannel[message.channel];
    if (own === undefined) {
      this.pooled.push(message, hopEndMs);
      return;
    }
    own.push(message, hopEndMs);
  }

  build(): SummaryMessage {
    if (this.perChannel.length === 0) return this.pooled.build();
    const totals = new SummaryAccumulator(this.labels, false);
    totals.absorb(this.pooled);
    for (const acc of this.perChannel) totals.absorb(acc);
    const pooled = totals.build();
    const channels: ChannelSummary[] = this.perChannel.map((acc, channel) => {
      const { type: _type, channels: _none, ...rest } = acc.build();
      const label = this.channelLabels?.[channel];
      return label === undefined ? { channel, ...rest } : { channel, channelLabel: label, ...rest };
    });
    const segments = channels
      .flatMap((c) => c.segments.map((s) => ({ ...s, channel: c.channel })))
      .sort((a, b) => a.startMs - b.startMs || a.channel - b.channel);
    return { ...pooled, segments, channels };
  }
}
