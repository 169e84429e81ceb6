/**
 * The runner of an ensemble (StreamingKind 'ensemble'): every member's runner advances its
 * own states on the same frames, batched across streams as usual (one batched call per
 * member), and each stream's result is the softmax of the mean of the members'
 * log-probabilities — what forward() gives by averaging their logits, since a member's
 * log-probabilities are its logits less a constant. The members' results are combined only
 * after all of them have run, so a failing member leaves the ensemble's results unchanged.
 */
import type { StreamableModel } from './plan.js';
import { streamableMembers } from './ensemble_members.js';
import type { EnsembleStreamState } from './ensemble_state.js';
import type { StepRequest, StepResult, StreamStateBase } from './step_types.js';

/** Steps one member's streams (runner.ts's stepBatch, passed in so this file imports no runner). */
export type MemberStep<S> = (member: StreamableModel, requests: readonly StepRequest<S>[]) => StepResult[];

/** combine()'s float64 scratch, grown to the class count (one thread, not re-entrant). */
let scratch = new Float64Array(8);

/** probs = softmax(mean_m log p_m), in float64; null when a member has no result yet. */
function combine(results: readonly (Float32Array | null)[], into: Float32Array | null): Float32Array | null {
  if (results.some((p) => p === null)) return null;
  const classes = results[0]!.length;
  if (scratch.length < classes) scratch = new Float64Array(classes);
  const mean = scratch.fill(0, 0, classes);
  for (const p of results as Float32Array[]) for (let k = 0; k < classes; k++) mean[k]! += Math.log(p[k]!) / results.length;
  let max = -Infinity;
  for (let k = 0; k < classes; k++) max = Math.max(max, mean[k]!);
  let sum = 0;
  for (let k = 0; k < classes; k++) sum += mean[k] = Math.exp(mean[k]! - max);
  const probs = into ?? new Float32Array(classes);
  for (let k = 0; k < classes; k++) probs[k] = mean[k]! / sum;
  return probs;
}

export function stepEnsembleBatch<S extends StreamStateBase>(model: StreamableModel, requests: readonly StepRequest<EnsembleStreamState<S>>[], step: MemberStep<S>): StepResult[] {
  const members = streamableMembers(model);
  for (const { state } of requests) {
    if (state.model !== model) throw new Error('stepBatch: expected states created for this model, got another model\'s');
  }
  const perMember = members.map((member, i) => step(member, requests.map(({ state, frames, voiced }) => ({ state: state.members[i]!, frames, voiced }))));
  return requests.map(({ state }, r) => {
    const results = perMember.map((res) => res[r]!);
    const consumed = results[0]!.framesConsumed;
    if (results.some((res) => res.framesConsumed !== consumed)) {
      throw new Error(`ensemble: expected members to consume the same frames, got ${results.map((res) => res.framesConsumed).join(', ')}`);
    }
    state.probs = combine(results.map((res) => res.probs), state.probs);
    return { probs: state.probs === null ? null : state.probs.slice(), framesConsumed: consumed };
  });
}
