// Unit tests: the Grafana dashboard and the Prometheus alert rules shipped in the charm (monitoring/): they parse,
// and every expression selects only metrics Concourse's Prometheus emitter exports
// (reference/concourse/prometheus-metrics.tsv, from concourse/concourse atc/metric/emitter/prometheus.go) or `up`.

import { readFileSync } from 'node:fs';
import { describe, expect, test } from 'vitest';
import { parse } from 'yaml';
import { parseRuleFile, topologyAlertRules } from '../../src/domain/metrics/alert-rules';
import { selectedMetrics } from '../../src/domain/metrics/promql-matchers';

const root = new URL('../../', import.meta.url);
const read = (path: string) => readFileSync(new URL(path, root), 'utf8');

const emitted = read('reference/concourse/prometheus-metrics.tsv')
  .split('\n')
  .filter((line) => line.startsWith('concourse_'))
  .flatMap((line) => {
    const [name, type] = line.split('\t');
    return type === 'histogram' ? [`${name}_bucket`, `${name}_sum`, `${name}_count`] : [name];
  });
// Prometheus adds `up` to every scraped target.
const known = new Set([...emitted, 'up']);

const dashboard = JSON.parse(read('monitoring/grafana_dashboards/concourse.json')) as {
  title: string;
  panels: { type: string; title: string; targets?: { expr: string }[] }[];
};
const rules = parseRuleFile(parse(read('monitoring/prometheus_alert_rules/concourse.rules')), 'concourse.rules');
const dashboardExprs = dashboard.panels.flatMap((p) => (p.targets ?? []).map((t) => [p.title, t.expr] as const));
const ruleExprs = rules.groups.flatMap((g) => g.rules.map((r) => [r.alert, r.expr] as const));

describe('shipped dashboard and alert rules', () => {
  test('the emitter list → the metrics this charm relies on are there', () => {
    expect(known).toContain('concourse_workers_registered');
    expect(known).toContain('concourse_builds_duration_seconds_bucket');
    expect(known).not.toContain('concourse_builds_duration_seconds');
  });

  test.each(dashboardExprs)('dashboard panel %s → selects only emitted metrics', (_title, expr) => {
    const metrics = selectedMetrics(expr);
    expect(metrics.length).toBeGreaterThan(0);
    expect(metrics.filter((m) => !known.has(m))).toEqual([]);
  });

  test.each(ruleExprs)('alert %s → selects only emitted metrics', (_alert, expr) => {
    const metrics = selectedMetrics(expr);
    expect(metrics.length).toBeGreaterThan(0);
    expect(metrics.filter((m) => !known.has(m))).toEqual([]);
  });

  test('dashboard → panels for builds, workers, containers, volumes, checks and database connections', () => {
    const all = dashboardExprs.map(([, e]) => e).join('\n');
    for (const metric of [
      'concourse_builds_finished',
      'concourse_workers_registered',
      'concourse_workers_containers',
      'concourse_workers_volumes',
      'concourse_resource_checks_total',
      'concourse_db_connections',
    ]) {
      expect(all).toContain(metric);
    }
    expect(new Set(dashboard.panels.map((p) => p.title)).size).toBe(dashboard.panels.length);
  });

  test('rules → the four situations, each with a severity, a summary and a duration', () => {
    expect(ruleExprs.map(([alert]) => alert)).toEqual(
      expect.arrayContaining([
        'ConcourseNoWebReachable',
        'ConcourseNoWorkerRegistered',
        'ConcourseWorkerCountDropping',
        'ConcourseDatabaseConnectionsLost',
      ]),
    );
    for (const rule of rules.groups.flatMap((g) => g.rules)) {
      expect(rule.labels?.severity).toMatch(/^(critical|warning)$/);
      expect(rule.annotations?.summary).toBeTruthy();
      expect(rule.for).toMatch(/^\d+[smh]$/);
    }
  });

  test('rules with the topology → every expression keeps its metrics and gains the three juju matchers', () => {
    const topology = { model: 'm', modelUuid: 'abcdef01-x', application: 'a', unit: 'a/0', charmName: 'c' };
    const { groups } = topologyAlertRules([{ stem: 'concourse', rules }], topology) as typeof rules;
    for (const rule of groups.flatMap((g) => g.rules)) {
      const selectors = rule.expr.match(/[a-z_]+\{[^}]*\}/g) ?? [];
      expect(selectors.length).toBeGreaterThan(0);
      for (const s of selectors)
        expect(s).toContain('juju_model="m",juju_model_uuid="abcdef01-x",juju_application="a"');
    }
  });
});
