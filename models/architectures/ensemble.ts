/**
 * ensemble: several trained networks served as one model. Its logits are the MEAN of the
 * members' logits, so its distribution is the normalised geometric mean of the members'
 * (softmax of the mean log-probability: each member's log-sum-exp is a constant per clip),
 * and dividing every member's output layers by T tempers the ensemble exactly (calibrate).
 * Each member keeps its own stats head (stats_head.ts), which is part of its logits.
 *
 * Hyper-parameters stay flat numbers: `members: n`, the shared `numCoeffs` and `numClasses`,
 * then per member i `m<i>.arch` (its
 * index in NETWORK_ARCH_NAMES) and its own hyper-parameters as `m<i>.<name>`. Parameters are the
 * members' under `m<i>/<name>`. Members must share numCoeffs, numClasses and stepFrames (one
 * step grid), and stream statefully ('fused-recurrent' or 'stateful'): a 'window' member
 * would read another span than the others. The streaming runner steps every member on the
 * same frames (models/streaming/ensemble_runner.ts). Built from trained models by
 * `npm run ensemble` (models/train/ensemble.ts).
 *
 * The architecture registry is passed in (index.ts), so this file imports no architecture.
 */
import * as tf from '@tensorflow/tfjs';
import { NETWORK_ARCH_NAMES, hyperInt, type ArchName, type Architecture, type Hyper, type ModelLike, type ParamSpec } from './types.js';

/** One member as the ensemble names it. */
export interface MemberSpec {
  arch: ArchName;
  hyper: Hyper;
}

const MEMBER_KINDS = ['fused-recurrent', 'stateful'];

/** `m<i>/`: the prefix of member i's parameters. */
export function memberParamPrefix(i: number): string {
  return `m${i}/`;
}

/** The ensemble's flat hyper-parameters for these members. */
export function ensembleHyper(members: readonly MemberSpec[]): Hyper {
  const first = members[0];
  // The input and output sizes every member shares, at the top too (meta and the server read them there).
  const hyper: Hyper = { members: members.length, numCoeffs: first?.hyper['numCoeffs'] ?? 0, numClasses: first?.hyper['numClasses'] ?? 0 };
  members.forEach((m, i) => {
    const code = NETWORK_ARCH_NAMES.indexOf(m.arch as (typeof NETWORK_ARCH_NAMES)[number]);
    if (code < 0) throw new Error(`ensemble member ${i}: expected one of ${NETWORK_ARCH_NAMES.join(', ')}, got ${m.arch}`);
    hyper[`m${i}.arch`] = code;
    for (const [key, value] of Object.entries(m.hyper)) hyper[`m${i}.${key}`] = value;
  });
  return hyper;
}

/** The members named by an ensemble's hyper-parameters (not validated against their architectures). */
export function memberSpecs(hyper: Hyper): MemberSpec[] {
  const count = hyperInt(hyper, 'members');
  if (count < 1) throw new Error(`hyper.members: expected ≥ 1, got ${count}`);
  return Array.from({ length: count }, (_, i) => {
    const code = hyperInt(hyper, `m${i}.arch`);
    const arch = NETWORK_ARCH_NAMES[code];
    if (arch === undefined) throw new Error(`hyper.m${i}.arch: expected the index of a network architecture, got ${code}`);
    const prefix = `m${i}.`;
    const own: Hyper = {};
    for (const [key, value] of Object.entries(hyper)) if (key.startsWith(prefix) && key !== `${prefix}arch`) own[key.slice(prefix.length)] = value;
    return { arch, hyper: own };
  });
}

/** Whether a model (an ensemble: any member) satisfies `test` on its own hyper-parameters. */
export function anyNetworkHyper(arch: ArchName, hyper: Hyper, test: (hyper: Hyper) => boolean): boolean {
  return arch === 'ensemble' ? memberSpecs(hyper).some((m) => test(m.hyper)) : test(hyper);
}

/** Member views share the ensemble's tensors; built once per parameter map. */
const views = new WeakMap<object, ModelLike[]>();

/** Each member as a model of its own architecture, over the ensemble's tensors. */
export function memberModels(model: ModelLike): ModelLike[] {
  let members = views.get(model.params);
  if (members === undefined) {
    members = memberSpecs(model.hyper).map((spec, i) => {
      const prefix = memberParamPrefix(i);
      const params: Record<string, tf.Tensor> = {};
      for (const [name, t] of Object.entries(model.params)) if (name.startsWith(prefix)) params[name.slice(prefix.length)] = t;
      return { arch: spec.arch, hyper: spec.hyper, params };
    });
    views.set(model.params, members);
  }
  return members;
}

/** The ensemble architecture over a registry of the network architectures. */
export function ensembleArchitecture(lookup: (arch: ArchName) => Architecture): Architecture {
  const membersOf = (hyper: Hyper): { spec: MemberSpec; arch: Architecture }[] => memberSpecs(hyper).map((spec) => ({ spec, arch: lookup(spec.arch) }));
  const mean = <T extends tf.Tensor>(outputs: T[]): T => tf.div(tf.addN(outputs), outputs.length) as T;
  return {
    name: 'ensemble',
    defaults: {},
    validate(hyper) {
      const members = membersOf(hyper);
      const first = members[0]!;
      for (const [i, { spec, arch }] of members.entries()) {
        arch.validate(spec.hyper);
        const kind = arch.streaming ?? 'window';
        if (!MEMBER_KINDS.includes(kind)) throw new Error(`hyper.m${i}.arch: expected a member that streams statefully (${MEMBER_KINDS.join(' or ')}), got ${spec.arch} (${kind})`);
        for (const name of ['numCoeffs', 'numClasses']) {
          if (spec.hyper[name] !== hyper[name]) throw new Error(`hyper.m${i}.${name}: expected ${JSON.stringify(hyper[name])} (hyper.${name}), got ${JSON.stringify(spec.hyper[name])}`);
        }
        const step = arch.stepFrames(spec.hyper);
        if (step !== first.arch.stepFrames(first.spec.hyper)) throw new Error(`hyper.m${i}: expected ${first.arch.stepFrames(first.spec.hyper)} frames per step as member 0, got ${step}`);
      }
    },
    stepFrames: (hyper) => {
      const first = membersOf(hyper)[0]!;
      return first.arch.stepFrames(first.spec.hyper);
    },
    windowSteps: (hyper) => Math.max(...membersOf(hyper).map(({ spec, arch }) => arch.windowSteps(spec.hyper))),
    init(hyper, random) {
      const out: Record<string, ParamSpec> = {};
      membersOf(hyper).forEach(({ spec, arch }, i) => {
        for (const [name, p] of Object.entries(arch.init(spec.hyper, random))) out[`${memberParamPrefix(i)}${name}`] = p;
      });
      return out;
    },
    forward(model, x, options) {
      return mean(memberModels(model).map((m) => lookup(m.arch).forward(m, x, options)));
    },
    forwardSteps(model, x, options) {
      return mean(
        memberModels(model).map((m) => {
          const arch = lookup(m.arch);
          if (arch.forwardSteps === undefined) throw new Error(`per-step outputs: expected members that have them, got ${m.arch}`);
          return arch.forwardSteps(m, x, options);
        }),
      );
    },
    streaming: 'ensemble',
  };
}
