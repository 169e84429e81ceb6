/**
 * Observability as files (deploy/prometheus, deploy/grafana):
 * - `promtool check rules` accepts alerts.yml and `promtool test rules` passes alerts.test.yml;
 *   every alert has a test that makes it fire and a runbook section in docs/deploy.md;
 * - `promtool check config` accepts prometheus.yml;
 * - every metric an alert or a dashboard panel reads is one the server really exports (a
 *   real server's /metrics);
 * - every dashboard query is valid PromQL, asked of a real Prometheus.
 * The promtool and Prometheus checks skip with a message when the binary is absent
 * (.ci/run installs Debian's `prometheus`, which brings promtool).
 */
import assert from 'node:assert/strict';
import { mkdtemp, readFile, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import yaml from 'js-yaml';
import { freePort } from '../../loadtest/server_process.js';
import { startTestServer } from '../helpers/server.js';
import { Prometheus } from './fleet/prometheus.js';
import { ALERTS_FILE, ALERT_TESTS_FILE, DASHBOARD_FILE, alertRules, alertsTestedFiring, dashboardQueries, isExported, metricNames } from './fleet/promql.js';
import { DEPLOY_DIR, REPO_ROOT, run, skipUnless, which } from './fleet/tools.js';

const noPromtool = skipUnless(['promtool'], 'apt-get install prometheus (it brings promtool)');
const noPrometheus = skipUnless(['prometheus'], 'apt-get install prometheus');

describe('alert rules and scrape config', () => {
  it('promtool check rules accepts alerts.yml', { skip: noPromtool }, () => {
    const out = run(which('promtool') ?? 'promtool', ['check', 'rules', ALERTS_FILE]);
    assert.match(out, /SUCCESS: \d+ rules found/);
  });

  it('promtool test rules: alerts.test.yml passes', { skip: noPromtool }, () => {
    const out = run(which('promtool') ?? 'promtool', ['test', 'rules', ALERT_TESTS_FILE]);
    assert.match(out, /SUCCESS/);
  });

  it('every alert has a unit test that fires it and a runbook section in docs/deploy.md', async () => {
    const tested = await alertsTestedFiring();
    const runbook = (await readFile(join(REPO_ROOT, 'docs', 'deploy.md'), 'utf8')).toLowerCase();
    for (const rule of await alertRules()) {
      assert.ok(tested.has(rule.alert), `${rule.alert}: no test in alerts.test.yml expects it to fire`);
      assert.ok(['page', 'warning'].includes(rule.labels?.severity ?? ''), `${rule.alert}: severity page or warning`);
      const anchor = `#${rule.alert.toLowerCase()}`;
      assert.equal(rule.annotations?.runbook, `docs/deploy.md${anchor}`, `${rule.alert}: runbook link`);
      assert.ok(runbook.includes(`### ${rule.alert.toLowerCase()}`), `${rule.alert}: a "### ${rule.alert}" section in docs/deploy.md`);
    }
  });

  it('promtool check config accepts prometheus.yml', { skip: noPromtool }, async (t) => {
    const promtool = which('promtool') ?? 'promtool';
    const config = join(DEPLOY_DIR, 'prometheus', 'prometheus.yml');
    try {
      run(promtool, ['check', 'config', config]);
      return;
    } catch (err) {
      // Debian builds Prometheus without Kubernetes discovery; check everything else.
      if (!/field kubernetes_sd_configs not found/.test((err as Error).message)) throw err;
    }
    t.diagnostic('this promtool has no Kubernetes service discovery (Debian build): checking the config with a static target list in its place');
    const doc = yaml.load(await readFile(config, 'utf8')) as { rule_files: string[]; scrape_configs: Array<Record<string, unknown>> };
    for (const job of doc.scrape_configs) {
      if ('kubernetes_sd_configs' in job) {
        delete job.kubernetes_sd_configs;
        job.static_configs = [{ targets: ['127.0.0.1:8080'] }];
      }
    }
    doc.rule_files = [ALERTS_FILE];
    const dir = await mkdtemp(join(tmpdir(), 'ser-promcfg-'));
    await writeFile(join(dir, 'prometheus.yml'), yaml.dump(doc));
    assert.match(run(promtool, ['check', 'config', join(dir, 'prometheus.yml')]), /SUCCESS/);
  });
});

describe('alerts and dashboard read real metrics', () => {
  it('every metric an alert or a panel reads is exported by the server', async () => {
    const server = await startTestServer({ workers: 1 });
    let exposition: string;
    try {
      exposition = await (await fetch(`${server.url}/metrics`)).text();
    } finally {
      await server.close();
    }
    const exprs = [...(await alertRules()).map((r) => ({ where: `alert ${r.alert}`, expr: r.expr })), ...(await dashboardQueries()).map((q) => ({ where: `panel "${q.panel}"`, expr: q.expr }))];
    assert.ok(exprs.length > 20);
    for (const { where, expr } of exprs) {
      const names = metricNames(expr);
      assert.ok(names.length > 0, `${where}: reads no metric? ${expr}`);
      for (const name of names) assert.ok(isExported(name, exposition), `${where}: ${name} is not exported by the server`);
    }
  });

  it('the dashboard is well formed: unique panel ids, a 24-column grid, the ser job and the Prometheus data source variable', async () => {
    const dashboard = JSON.parse(await readFile(DASHBOARD_FILE, 'utf8')) as {
      uid: string;
      templating: { list: Array<{ name: string; type: string }> };
      panels: Array<{ id: number; type: string; gridPos: { x: number; y: number; w: number; h: number }; datasource?: { uid: string }; targets?: Array<{ expr: string }> }>;
    };
    assert.equal(typeof dashboard.uid, 'string');
    assert.ok(dashboard.templating.list.some((v) => v.name === 'datasource' && v.type === 'datasource'));
    const ids = dashboard.panels.map((p) => p.id);
    assert.equal(new Set(ids).size, ids.length, 'unique panel ids');
    for (const panel of dashboard.panels) {
      assert.ok(panel.gridPos.x >= 0 && panel.gridPos.x + panel.gridPos.w <= 24, `panel ${panel.id} fits the grid`);
      if (panel.type === 'row') continue;
      assert.equal(panel.datasource?.uid, '${datasource}', `panel ${panel.id}: the data source variable`);
      for (const t of panel.targets ?? []) assert.match(t.expr, /job="ser"/, `panel ${panel.id}: ${t.expr}`);
    }
  });

  it('every dashboard query is valid PromQL (asked of a real Prometheus)', { skip: noPrometheus }, async () => {
    const dir = await mkdtemp(join(tmpdir(), 'ser-promql-'));
    const prometheus = await Prometheus.start({ dir, port: await freePort(), targets: [] });
    try {
      const queries = await dashboardQueries();
      assert.ok(queries.length >= 20, `${queries.length} queries`);
      for (const { panel, expr } of queries) {
        const answer = await prometheus.queryRaw(expr);
        assert.equal(answer.status, 'success', `panel "${panel}": ${expr}: ${answer.errorType ?? ''} ${answer.error ?? ''}`);
      }
      // The checker does reject bad PromQL.
      assert.equal((await prometheus.queryRaw('sum by (le (rate(x[1m]))')).status, 'error');
    } finally {
      await prometheus.stop();
    }
  });
});
