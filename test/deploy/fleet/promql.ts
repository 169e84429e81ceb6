/**
 * The PromQL the deploy files hold, pulled out for checking: every alert of
 * deploy/prometheus/alerts.yml and every query of the Grafana dashboard, with the dashboard's
 * variables replaced by values Prometheus accepts (as Grafana does before it asks).
 */
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import yaml from 'js-yaml';
import { DEPLOY_DIR } from './tools.js';

export const ALERTS_FILE = join(DEPLOY_DIR, 'prometheus', 'alerts.yml');
export const ALERT_TESTS_FILE = join(DEPLOY_DIR, 'prometheus', 'alerts.test.yml');
export const DASHBOARD_FILE = join(DEPLOY_DIR, 'grafana', 'ser-fleet.json');

export interface AlertRule {
  alert: string;
  expr: string;
  for?: string;
  labels?: Record<string, string>;
  annotations?: Record<string, string>;
}

export async function alertRules(): Promise<AlertRule[]> {
  const doc = yaml.load(await readFile(ALERTS_FILE, 'utf8')) as { groups: Array<{ rules: AlertRule[] }> };
  return doc.groups.flatMap((g) => g.rules);
}

/** Alert names that some unit test in alerts.test.yml expects to fire. */
export async function alertsTestedFiring(): Promise<Set<string>> {
  const doc = yaml.load(await readFile(ALERT_TESTS_FILE, 'utf8')) as {
    tests: Array<{ alert_rule_test?: Array<{ alertname: string; exp_alerts: unknown[] }> }>;
  };
  return new Set(doc.tests.flatMap((t) => (t.alert_rule_test ?? []).filter((a) => a.exp_alerts.length > 0).map((a) => a.alertname)));
}

interface DashboardPanel {
  title: string;
  type: string;
  targets?: Array<{ expr: string; refId: string }>;
  panels?: DashboardPanel[];
}

/** Grafana's built-in and this dashboard's variables → what Grafana would put there. */
const VARIABLES: ReadonlyArray<[RegExp, string]> = [
  [/\$__rate_interval|\$\{__rate_interval\}/g, '1m'],
  [/\$__interval|\$\{__interval\}/g, '15s'],
  [/\$__range|\$\{__range\}/g, '1h'],
  [/\$instance|\$\{instance\}/g, '.*'],
];

export function substituteVariables(expr: string): string {
  return VARIABLES.reduce((e, [pattern, value]) => e.replace(pattern, value), expr);
}

/** Every query of the dashboard, by panel title, variables substituted. */
export async function dashboardQueries(): Promise<Array<{ panel: string; expr: string }>> {
  const dashboard = JSON.parse(await readFile(DASHBOARD_FILE, 'utf8')) as { panels: DashboardPanel[] };
  const walk = (panels: DashboardPanel[]): DashboardPanel[] => panels.flatMap((p) => [p, ...walk(p.panels ?? [])]);
  return walk(dashboard.panels).flatMap((p) => (p.targets ?? []).map((t) => ({ panel: p.title, expr: substituteVariables(t.expr) })));
}

/**
 * Metric names an expression reads: identifiers of the server's families (ser_*, process_*,
 * nodejs_*) and `up`. Function names, labels and keywords never match these prefixes.
 */
export function metricNames(expr: string): string[] {
  const withoutStrings = expr.replace(/"[^"]*"/g, '""');
  const names = withoutStrings.match(/\b(?:ser|process|nodejs)_[a-z0-9_]+\b|\bup\b(?=\s*\{|\s*==|\s*$)/g) ?? [];
  return [...new Set(names)];
}

/** Whether `name` (possibly a histogram's _bucket/_sum/_count) is a family in `exposition`. */
export function isExported(name: string, exposition: string): boolean {
  if (name === 'up') return true; // Prometheus' own, per target
  const base = name.replace(/_(bucket|sum|count)$/, '');
  return new RegExp(`^# TYPE (${name}|${base}) `, 'm').test(exposition);
}
