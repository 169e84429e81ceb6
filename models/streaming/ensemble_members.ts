/**
 * An ensemble's members (models/architectures/ensemble.ts) as models the runners can step:
 * each member's view of the ensemble's tensors with the ensemble's meta, its own
 * architecture and hyper-parameters. Built once per ensemble, so each member's streaming
 * plan is built once too; LoadedModel.dispose frees those plans here.
 */
import { memberModels } from '../architectures/ensemble.js';
import { windowStepsOf } from '../architectures/index.js';
import { disposeStreamingPlan, type StreamableModel } from './plan.js';
import { disposeStatefulPlan } from './stateful_plan.js';

const members = new WeakMap<StreamableModel, StreamableModel[]>();

/** The members of an ensemble, each a StreamableModel of its own architecture. */
export function streamableMembers(model: StreamableModel): StreamableModel[] {
  let list = members.get(model);
  if (list === undefined) {
    list = memberModels(model).map((m) => ({ ...m, meta: { ...model.meta, arch: m.arch, hyper: m.hyper, windowSteps: windowStepsOf(m) } }));
    members.set(model, list);
  }
  return list;
}

/** Frees the members' plans (no-op for a model that is not an ensemble or never streamed). */
export function disposeMemberPlans(model: StreamableModel): void {
  for (const member of members.get(model) ?? []) {
    disposeStreamingPlan(member);
    disposeStatefulPlan(member);
  }
  members.delete(model);
}
