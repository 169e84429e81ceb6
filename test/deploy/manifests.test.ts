/**
 * The Kubernetes manifests (deploy/k8s) parse and hang together: required fields of each
 * kind, selectors that select the pods, probes on /readyz and /healthz, resources sized as
 * docs/deploy.md says, a grace period that covers preStop + drain, autoscaling on
 * ser_sessions_active below maxSessions, and the Prometheus job that finds these pods.
 * Where kubectl is installed, `kubectl kustomize` must build them too. This is a schema
 * check made offline, not `kubectl apply --dry-run=server` (no cluster here).
 */
import assert from 'node:assert/strict';
import { readFile, readdir } from 'node:fs/promises';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import yaml from 'js-yaml';
import { DEPLOY_DIR, run, which } from './fleet/tools.js';

const K8S_DIR = join(DEPLOY_DIR, 'k8s');

type Obj = Record<string, unknown>;
const obj = (v: unknown, what: string): Obj => {
  assert.ok(typeof v === 'object' && v !== null && !Array.isArray(v), `${what}: expected an object`);
  return v as Obj;
};
const list = (v: unknown, what: string): unknown[] => {
  assert.ok(Array.isArray(v), `${what}: expected a list`);
  return v;
};
const str = (v: unknown, what: string): string => {
  assert.equal(typeof v, 'string', `${what}: expected a string`);
  return v as string;
};

async function manifests(): Promise<Obj[]> {
  const files = (await readdir(K8S_DIR)).filter((f) => f.endsWith('.yaml') && f !== 'kustomization.yaml');
  const docs: Obj[] = [];
  for (const file of files) {
    for (const doc of yaml.loadAll(await readFile(join(K8S_DIR, file), 'utf8'))) {
      if (doc !== null && doc !== undefined) docs.push({ ...obj(doc, file), __file: file });
    }
  }
  return docs;
}

function one(docs: Obj[], kind: string, name?: string): Obj {
  const found = docs.filter((d) => d.kind === kind && (name === undefined || obj(d.metadata, kind).name === name));
  assert.equal(found.length, 1, `expected one ${kind}${name ? ` ${name}` : ''}, got ${found.length}`);
  return found[0] as Obj;
}

/** CPU quantity ("2", "500m") in cores. */
function cores(quantity: string): number {
  return quantity.endsWith('m') ? Number(quantity.slice(0, -1)) / 1000 : Number(quantity);
}

function matches(selector: Obj, labels: Obj): boolean {
  return Object.entries(selector).every(([k, v]) => labels[k] === v);
}

describe('Kubernetes manifests', () => {
  it('every document has apiVersion, kind, name and the namespace; kustomization lists every file', async () => {
    const docs = await manifests();
    for (const d of docs) {
      const where = String(d.__file);
      str(d.apiVersion, `${where} apiVersion`);
      str(d.kind, `${where} kind`);
      const meta = obj(d.metadata, `${where} metadata`);
      str(meta.name, `${where} metadata.name`);
      if (d.kind !== 'Namespace') assert.equal(meta.namespace, 'ser', `${where}: namespace ser`);
    }
    const kustomization = obj(yaml.load(await readFile(join(K8S_DIR, 'kustomization.yaml'), 'utf8')), 'kustomization');
    const files = (await readdir(K8S_DIR)).filter((f) => f.endsWith('.yaml') && f !== 'kustomization.yaml').sort();
    assert.deepEqual([...list(kustomization.resources, 'resources')].sort(), files);
  });

  it('Deployment: probes, resources, grace period, non-root, the selector selects its pods', async () => {
    const docs = await manifests();
    const deployment = one(docs, 'Deployment', 'ser');
    assert.equal(deployment.apiVersion, 'apps/v1');
    const spec = obj(deployment.spec, 'spec');
    const template = obj(spec.template, 'template');
    const podLabels = obj(obj(template.metadata, 'template.metadata').labels, 'pod labels');
    assert.ok(matches(obj(obj(spec.selector, 'selector').matchLabels, 'matchLabels'), podLabels), 'selector matches the pod labels');
    const strategy = obj(obj(spec.strategy, 'strategy').rollingUpdate, 'rollingUpdate');
    assert.equal(strategy.maxUnavailable, 0, 'a rollout never drops below the wanted ready pods');

    const pod = obj(template.spec, 'pod spec');
    const [container, ...more] = list(pod.containers, 'containers').map((c) => obj(c, 'container'));
    assert.ok(container !== undefined && more.length === 0);
    str(container.image, 'image');
    const ports = list(container.ports, 'ports').map((p) => obj(p, 'port'));
    assert.ok(ports.some((p) => p.name === 'http' && p.containerPort === 8080));
    const env = new Map(list(container.env, 'env').map((e) => [String(obj(e, 'env').name), obj(e, 'env')]));
    const envNumber = (name: string): number => Number(str(env.get(name)?.value, name));
    assert.equal(envNumber('PORT'), 8080);

    const probe = (name: string): Obj => obj(obj(container[name], name).httpGet, `${name}.httpGet`);
    assert.deepEqual([probe('readinessProbe').path, probe('readinessProbe').port], ['/readyz', 'http']);
    assert.deepEqual([probe('livenessProbe').path, probe('livenessProbe').port], ['/healthz', 'http']);
    assert.equal(probe('startupProbe').path, '/healthz');

    const resources = obj(container.resources, 'resources');
    const requests = obj(resources.requests, 'requests');
    const limits = obj(resources.limits, 'limits');
    for (const r of [requests, limits]) {
      str(r.cpu, 'cpu');
      str(r.memory, 'memory');
    }
    // One inference worker per requested core (Node sees the node's cores, not the request).
    assert.equal(envNumber('SER_WORKERS'), cores(String(requests.cpu)));
    // Sizing (docs/deploy.md): ≤ 250 live streams per core at the hard cap.
    assert.ok(envNumber('SER_MAX_SESSIONS') <= 250 * cores(String(requests.cpu)), 'maxSessions within the per-core sizing');

    const preStop = list(obj(obj(obj(container.lifecycle, 'lifecycle').preStop, 'preStop').exec, 'exec').command, 'command');
    assert.equal(preStop[0], 'sleep');
    const preStopSeconds = Number(preStop[1]);
    const drainSeconds = (envNumber('SER_DRAIN_DELAY_MS') + envNumber('SER_DRAIN_GRACE_MS')) / 1000;
    const grace = Number(pod.terminationGracePeriodSeconds);
    assert.ok(grace >= preStopSeconds + drainSeconds + 5, `terminationGracePeriodSeconds ${grace} ≥ preStop ${preStopSeconds} + drain ${drainSeconds} + 5`);

    const podSecurity = obj(pod.securityContext, 'pod securityContext');
    assert.equal(podSecurity.runAsNonRoot, true);
    const dockerfile = await readFile(join(DEPLOY_DIR, 'Dockerfile'), 'utf8');
    assert.match(dockerfile, new RegExp(`^USER ${String(podSecurity.runAsUser)}:`, 'm'), 'the pod runs as the image user');
    const security = obj(container.securityContext, 'container securityContext');
    assert.equal(security.allowPrivilegeEscalation, false);
    if (security.readOnlyRootFilesystem === true) {
      const mounts = list(container.volumeMounts, 'volumeMounts').map((m) => obj(m, 'mount'));
      assert.ok(mounts.some((m) => m.mountPath === '/tmp'), 'a writable /tmp (tsx cache)');
    }
  });

  it('Services, PodDisruptionBudget and ScaledObject select the Deployment\'s pods', async () => {
    const docs = await manifests();
    const deployment = one(docs, 'Deployment', 'ser');
    const template = obj(obj(deployment.spec, 'spec').template, 'template');
    const podLabels = obj(obj(template.metadata, 'metadata').labels, 'labels');
    const container = obj(list(obj(template.spec, 'pod').containers, 'containers')[0], 'container');
    const portNames = new Set(list(container.ports, 'ports').map((p) => obj(p, 'port').name));

    for (const name of ['ser', 'ser-headless']) {
      const spec = obj(one(docs, 'Service', name).spec, `Service ${name}`);
      assert.ok(matches(obj(spec.selector, 'selector'), podLabels), `Service ${name} selects the pods`);
      for (const port of list(spec.ports, 'ports').map((p) => obj(p, 'port'))) {
        assert.ok(portNames.has(port.targetPort), `Service ${name}: targetPort ${String(port.targetPort)} is a container port name`);
      }
    }
    assert.equal(obj(one(docs, 'Service', 'ser-headless').spec, 'spec').clusterIP, 'None');

    const pdb = one(docs, 'PodDisruptionBudget');
    assert.equal(pdb.apiVersion, 'policy/v1');
    const pdbSpec = obj(pdb.spec, 'pdb spec');
    assert.ok(matches(obj(obj(pdbSpec.selector, 'selector').matchLabels, 'matchLabels'), podLabels));
    assert.ok(pdbSpec.maxUnavailable !== undefined || pdbSpec.minAvailable !== undefined);

    const scaled = one(docs, 'ScaledObject');
    assert.equal(scaled.apiVersion, 'keda.sh/v1alpha1');
    const scaledSpec = obj(scaled.spec, 'ScaledObject spec');
    assert.equal(obj(scaledSpec.scaleTargetRef, 'scaleTargetRef').name, obj(deployment.metadata, 'metadata').name);
    assert.ok(Number(scaledSpec.minReplicaCount) >= 2, 'at least two replicas, so one can drain into the other');
    const trigger = obj(list(scaledSpec.triggers, 'triggers')[0], 'trigger');
    assert.equal(trigger.type, 'prometheus');
    const meta = obj(trigger.metadata, 'trigger metadata');
    assert.match(str(meta.query, 'query'), /^sum\(ser_sessions_active\{job="ser"/);
    const env = list(container.env, 'env').map((e) => obj(e, 'env'));
    const maxSessions = Number(env.find((e) => e.name === 'SER_MAX_SESSIONS')?.value);
    const threshold = Number(str(meta.threshold, 'threshold'));
    assert.ok(threshold > 0 && threshold < maxSessions, `autoscaling target ${threshold} per pod below maxSessions ${maxSessions}`);
  });

  it('the Prometheus job keeps exactly these pods and their http port', async () => {
    const docs = await manifests();
    const template = obj(obj(one(docs, 'Deployment', 'ser').spec, 'spec').template, 'template');
    const podLabels = obj(obj(template.metadata, 'metadata').labels, 'labels');
    const config = obj(yaml.load(await readFile(join(DEPLOY_DIR, 'prometheus', 'prometheus.yml'), 'utf8')), 'prometheus.yml');
    const job = list(config.scrape_configs, 'scrape_configs').map((j) => obj(j, 'job')).find((j) => j.job_name === 'ser');
    assert.ok(job !== undefined, 'a job named ser (the alert rules select job="ser")');
    const keeps = list(job.relabel_configs, 'relabel_configs').map((r) => obj(r, 'relabel')).filter((r) => r.action === 'keep');
    const keepOn = (label: string): string | undefined => keeps.find((r) => list(r.source_labels, 'source_labels')[0] === label)?.regex as string | undefined;
    assert.equal(keepOn('__meta_kubernetes_pod_label_app_kubernetes_io_name'), podLabels['app.kubernetes.io/name']);
    assert.equal(keepOn('__meta_kubernetes_pod_container_port_name'), 'http');
  });

  it('kubectl kustomize builds them', { skip: which('kubectl') === null ? 'needs kubectl (not installed)' : undefined }, () => {
    const out = run(which('kubectl') ?? 'kubectl', ['kustomize', K8S_DIR], { timeoutMs: 60_000 });
    const kinds = yaml.loadAll(out).map((d) => obj(d, 'built').kind);
    assert.deepEqual([...kinds].sort(), ['Deployment', 'Namespace', 'PodDisruptionBudget', 'ScaledObject', 'Service', 'Service']);
  });
});
