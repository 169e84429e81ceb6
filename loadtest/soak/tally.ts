/** Counts how the soak's sessions ended, by kind (normal, slow reader, idle). Pure. */
import type { StreamOutcome } from '../types.js';
import type { OutcomeTally } from './types.js';

const bump = (counts: Record<string, number>, key: string): void => {
  counts[key] = (counts[key] ?? 0) + 1;
};

export function tallyOutcomes(outcomes: readonly StreamOutcome[]): OutcomeTally {
  const tally: OutcomeTally = {
    normal: { planned: 0, started: 0, completed: 0, errorsByCode: {}, missingFinals: 0, missingSummaries: 0, missingResults: 0 },
    slowReaders: { planned: 0, started: 0, dropped: 0, closeCodes: {}, errorsByCode: {} },
    idleClients: { planned: 0, started: 0, idleTimeouts: 0, closeCodes: {}, errorsByCode: {} },
  };
  for (const s of outcomes) {
    if (s.behavior === undefined) {
      const n = tally.normal;
      n.planned++;
      if (s.errorCode !== null) bump(n.errorsByCode, s.errorCode);
      if (!s.started) continue;
      n.started++;
      if (s.finalSeen && s.summarySeen && s.errorCode === null) n.completed++;
      if (!s.finalSeen) n.missingFinals++;
      if (!s.summarySeen) n.missingSummaries++;
      n.missingResults += s.missingResults;
      continue;
    }
    const k = s.behavior === 'slow_reader' ? tally.slowReaders : tally.idleClients;
    k.planned++;
    if (s.started) k.started++;
    if (s.errorCode !== null) bump(k.errorsByCode, s.errorCode);
    bump(k.closeCodes, s.closeCode === undefined ? 'none' : String(s.closeCode));
    if (s.behavior === 'slow_reader' && s.dropped === true) tally.slowReaders.dropped++;
    if (s.behavior === 'idle' && s.dropped === true && s.errorCode === 'idle_timeout') tally.idleClients.idleTimeouts++;
  }
  return tally;
}
