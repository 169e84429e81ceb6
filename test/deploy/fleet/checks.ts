/**
 * What "no stream lost a result" means for one server session of a call, judged with the
 * load generator's own missing-result rule (loadtest/coverage.ts): results numbered 0, 1, 2 …
 * whose hops tile the audio the server took, a final result, then the summary.
 *
 * - A session the caller ended owes results for all the audio it was sent.
 * - A session a drain finished owes results for the audio the server took before the
 *   drain (the summary's durationMs); audio that crossed the drain on the wire was refused
 *   (counted in ser_audio_discarded_bytes_total), and the caller's next session carries on.
 */
import { CoverageTracker } from '../../../loadtest/coverage.js';
import { BYTES_PER_MS, HOP_MS, type CallRecord, type Segment } from './caller.js';

export function segmentProblems(segment: Segment): string[] {
  const sentMs = segment.sentBytes / BYTES_PER_MS;
  const where = `session ${segment.sessionId} on ${segment.replica}`;
  if (segment.ended === 'open' || segment.ended === 'lost') return [`${where} ended ${segment.ended}`];
  const summary = segment.summary;
  if (summary === null) return [`${where}: no summary`];
  const problems: string[] = [];
  const owedMs = segment.ended === 'end' ? sentMs : summary.durationMs;
  // The summary may overshoot by less than a hop: a hop cut early (server/pipeline/hop.ts)
  // reports its boundary as its end even when the stream stops before it.
  if (segment.ended === 'end' && (summary.durationMs < sentMs - 1 || summary.durationMs >= sentMs + HOP_MS)) {
    problems.push(`${where}: summary covers ${summary.durationMs} ms of the ${sentMs} ms sent`);
  }
  if (segment.ended === 'drained' && summary.durationMs >= sentMs + HOP_MS) {
    problems.push(`${where}: summary covers ${summary.durationMs} ms, more than the ${sentMs} ms sent`);
  }
  const coverage = new CoverageTracker({ hopMs: HOP_MS });
  for (const r of segment.results) coverage.onResult(r.seq, r.startMs, r.endMs, r.final === true);
  coverage.onSummary();
  const report = coverage.report(owedMs, true);
  if (report.missingResults > 0) problems.push(`${where}: ${report.missingResults} missing results (covered ${report.coveredMs} of ${owedMs} ms)`);
  if (!report.finalSeen) problems.push(`${where}: no final result`);
  if (report.outOfOrder > 0) problems.push(`${where}: ${report.outOfOrder} results out of order`);
  return problems;
}

/** Problems of every session of the call except those `excuse` allows (a killed replica's). */
export function callProblems(call: CallRecord, excuse: (segment: Segment) => boolean = () => false): string[] {
  const problems: string[] = [];
  if (call.outcome !== 'completed') problems.push(`call ${call.id}: ${call.outcome} (${call.error ?? ''})`);
  if (call.segments.length === 0) problems.push(`call ${call.id}: no session`);
  for (const segment of call.segments) {
    if (excuse(segment)) continue;
    problems.push(...segmentProblems(segment).map((p) => `call ${call.id}: ${p}`));
  }
  return problems;
}
