/**
 * Training feedback: a cli-progress bar (batches over all epochs, ETA, last epoch's
 * metrics) on a terminal, one plain line per epoch otherwise (nohup logs stay small), and
 * JSON lines appended to `<out>/train.log` — the machine-readable record of the run.
 */
import { appendFileSync, mkdirSync } from 'node:fs';
import { dirname } from 'node:path';
import cliProgress from 'cli-progress';

export interface EpochRecord {
  epoch: number;
  loss: number;
  trainAccuracy: number;
  valAccuracy: number;
  valUar: number;
  valMacroF1: number;
  learningRate: number;
  seconds: number;
  best: boolean;
  [key: string]: number | boolean | string;
}

/** Appends one JSON object per line; the directory is created on first write. */
export class JsonLinesLog {
  constructor(private readonly path: string) {
    mkdirSync(dirname(path), { recursive: true });
  }

  write(event: string, fields: Record<string, unknown>): void {
    appendFileSync(this.path, `${JSON.stringify({ time: new Date().toISOString(), event, ...fields })}\n`);
  }
}

const pct = (x: number): string => (100 * x).toFixed(1);

export function formatEpoch(r: EpochRecord): string {
  return (
    `epoch ${r.epoch}: loss ${r.loss.toFixed(4)}  train acc ${pct(r.trainAccuracy)} %  ` +
    `val acc ${pct(r.valAccuracy)} %  val UAR ${pct(r.valUar)} %  val macro-F1 ${pct(r.valMacroF1)} %` +
    `  (${r.seconds.toFixed(0)} s${r.best ? ', best' : ''})`
  );
}

export interface TrainProgress {
  /** One batch done; `loss` is the running mean of the epoch. */
  batch(epoch: number, loss: number): void;
  epochDone(record: EpochRecord): void;
  stop(): void;
}

/** `totalBatches` over the whole run; `doneBatches` already done (after a resume). */
export function createProgress(totalBatches: number, doneBatches: number, quiet: boolean): TrainProgress {
  const tty = process.stderr.isTTY === true && !quiet;
  if (!tty) {
    return {
      batch: () => undefined,
      epochDone: (r) => {
        if (!quiet) process.stderr.write(`${formatEpoch(r)}\n`);
      },
      stop: () => undefined,
    };
  }
  const bar = new cliProgress.SingleBar(
    {
      format:
        'epoch {epoch} [{bar}] {percentage}% | ETA {eta_formatted} | loss {loss} | last: train acc {trainAcc} val acc {valAcc} UAR {valUar} F1 {valF1}',
      etaBuffer: 200,
      hideCursor: true,
    },
    cliProgress.Presets.shades_classic,
  );
  const last = { trainAcc: '-', valAcc: '-', valUar: '-', valF1: '-' };
  bar.start(totalBatches, doneBatches, { epoch: '-', loss: '-', ...last });
  return {
    batch: (epoch, loss) => bar.increment(1, { epoch, loss: loss.toFixed(4), ...last }),
    epochDone: (r) => {
      last.trainAcc = pct(r.trainAccuracy);
      last.valAcc = pct(r.valAccuracy);
      last.valUar = pct(r.valUar);
      last.valF1 = pct(r.valMacroF1);
      bar.update({ ...last });
      // Keep a line per epoch in the scroll-back above the bar.
      process.stderr.write(`\r\x1b[2K${formatEpoch(r)}\n`);
    },
    stop: () => bar.stop(),
  };
}
