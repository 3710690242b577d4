// Unit tests: the observability relations' data as the charm libraries write it (prometheus_scrape's
// MetricsEndpointProvider, cos_agent's COSAgentProvider, cosl's topology and rule handling), and the PromQL
// matcher injection that keeps this application's alert rules on this application's metrics.

import { describe, expect, test } from 'vitest';
import { InvalidInputError } from '../../src/domain/errors';
import { parseRuleFile, topologyAlertRules } from '../../src/domain/metrics/alert-rules';
import { blake2bHex } from '../../src/domain/metrics/blake2b';
import { cosAgentScrapeJobs, cosAgentUnitData, prepareDashboard } from '../../src/domain/metrics/cos-agent';
import { ruleLabels, topologyDict, topologyIdentifier } from '../../src/domain/metrics/juju-topology';
import { type MetricsOffer, scrapeAppData, scrapeUnitData } from '../../src/domain/metrics/prometheus-scrape';
import { injectMatchers, selectedMetrics } from '../../src/domain/metrics/promql-matchers';
import { pythonJsonDumps } from '../../src/domain/metrics/python-json';

const TOPOLOGY = {
  model: 'ci',
  modelUuid: '1234abcd-0000-4000-8000-000000000000',
  application: 'concourse-ci',
  unit: 'concourse-ci/0',
  charmName: 'concourse-ci-machine',
};
const JUJU = { juju_model: 'ci', juju_model_uuid: TOPOLOGY.modelUuid, juju_application: 'concourse-ci' };
const RULES = parseRuleFile(
  { groups: [{ name: 'ConcourseWorkers', rules: [{ alert: 'NoWorker', expr: 'max(w{state="running"}) < 1' }] }] },
  'concourse.rules',
);
const ON: MetricsOffer = { topology: TOPOLOGY, port: 9391, rules: [{ stem: 'concourse', rules: RULES }] };
const OFF: MetricsOffer = { ...ON, port: undefined };

describe('PromQL matcher injection (cos-tool transform)', () => {
  test.each<[string, string]>([
    ['up < 1', 'up{juju_model="ci"} < 1'],
    ['absent(up)', 'absent(up{juju_model="ci"})'],
    ['max(w{state="running"}) < 1', 'max(w{juju_model="ci",state="running"}) < 1'],
    ['sum by (instance) (rate(e[5m])) > 0.1', 'sum by (instance) (rate(e{juju_model="ci"}[5m])) > 0.1'],
    ['a and on (instance) up == 1', 'a{juju_model="ci"} and on (instance) up{juju_model="ci"} == 1'],
    ['max(max_over_time(w{s="r"}[30m]))', 'max(max_over_time(w{juju_model="ci",s="r"}[30m]))'],
    ['x{juju_model="other"}', 'x{juju_model="other"}'],
    [
      'histogram_quantile(0.95, sum by (le) (rate(h_bucket[5m])))',
      'histogram_quantile(0.95, sum by (le) (rate(h_bucket{juju_model="ci"}[5m])))',
    ],
    ['{__name__="up"} offset 5m', '{juju_model="ci",__name__="up"} offset 5m'],
    ['label_replace(up, "a", "$1", "b", "(.*)")', 'label_replace(up{juju_model="ci"}, "a", "$1", "b", "(.*)")'],
  ])('%s → %s', (expr, expected) => {
    expect(injectMatchers(expr, { juju_model: 'ci' })).toBe(expected);
  });

  test('selected metrics → names only, not functions, keywords, label lists or strings', () => {
    expect(
      selectedMetrics('sum by (instance, dbname) (rate(a_total[5m])) / on (instance) group_left b and c{x="up"}'),
    ).toEqual(['a_total', 'b', 'c']);
  });

  test('an unclosed selector → an error naming the expression', () => {
    expect(() => injectMatchers('up{a="b"', { juju_model: 'ci' })).toThrow(InvalidInputError);
  });
});

describe('Juju topology (cosl JujuTopology)', () => {
  test('as_dict, identifier, rule labels → the library keys and order', () => {
    expect(Object.keys(topologyDict(TOPOLOGY))).toEqual(['model', 'model_uuid', 'application', 'unit', 'charm_name']);
    expect(topologyIdentifier(TOPOLOGY)).toBe('ci_1234abcd_concourse-ci');
    expect(ruleLabels(TOPOLOGY)).toEqual({ ...JUJU, juju_charm: 'concourse-ci-machine' });
  });
});

describe('alert rules (cosl AlertRules)', () => {
  test('charm rules then the generic HostHealth group → prefixed names, topology labels and matchers', () => {
    const { groups } = topologyAlertRules(ON.rules, TOPOLOGY) as { groups: { name: string; rules: unknown[] }[] };
    expect(groups.map((g) => g.name)).toEqual([
      'ci_1234abcd_concourse_ci_ConcourseWorkers_rules',
      'ci_1234abcd_concourse_ci_HostHealth_rules',
    ]);
    expect(groups[0]?.rules[0]).toEqual({
      alert: 'NoWorker',
      expr: `max(w{juju_model="ci",juju_model_uuid="${TOPOLOGY.modelUuid}",juju_application="concourse-ci",state="running"}) < 1`,
      labels: { ...JUJU, juju_charm: 'concourse-ci-machine' },
    });
    expect(groups[1]?.rules.map((r) => (r as { expr: string }).expr)).toEqual([
      `up{juju_model="ci",juju_model_uuid="${TOPOLOGY.modelUuid}",juju_application="concourse-ci"} < 1`,
      `absent(up{juju_model="ci",juju_model_uuid="${TOPOLOGY.modelUuid}",juju_application="concourse-ci"})`,
    ]);
  });

  test('a rule file without groups, or a rule without expr → blocked-worthy error naming the file', () => {
    expect(() => parseRuleFile({ alert: 'x' }, 'bad.rules')).toThrow(/bad.rules is not a Prometheus rule file/);
    expect(() => parseRuleFile({ groups: [{ name: 'g', rules: [{ alert: 'x' }] }] }, 'b.rules')).toThrow(
      /groups.0.rules.0.expr/,
    );
  });
});

describe('metrics-endpoint (prometheus_scrape MetricsEndpointProvider)', () => {
  test('metrics on → scrape_metadata, a wildcard job on the metrics port, alert_rules, as json.dumps writes them', () => {
    const data = scrapeAppData(ON);
    expect(Object.keys(data)).toEqual(['scrape_metadata', 'scrape_jobs', 'alert_rules']);
    expect(data.scrape_jobs).toBe(
      '[{"job_name": "concourse-web", "metrics_path": "/metrics", "static_configs": [{"targets": ["*:9391"]}]}]',
    );
    expect(JSON.parse(data.scrape_metadata ?? '')).toEqual(topologyDict(TOPOLOGY));
    expect(JSON.parse(data.alert_rules ?? '').groups).toHaveLength(2);
  });

  test('metrics off → every key deleted (empty)', () => {
    expect(scrapeAppData(OFF)).toEqual({ scrape_metadata: '', scrape_jobs: '', alert_rules: '' });
  });

  test.each<[boolean, Record<string, string>]>([
    [
      true,
      {
        prometheus_scrape_unit_address: '10.0.0.5',
        prometheus_scrape_unit_path: '',
        prometheus_scrape_unit_name: 'concourse-ci/0',
        prometheus_scrape_unit_fqdn: 'host-0',
      },
    ],
    [
      false,
      {
        prometheus_scrape_unit_address: '',
        prometheus_scrape_unit_path: '',
        prometheus_scrape_unit_name: '',
        prometheus_scrape_unit_fqdn: '',
      },
    ],
  ])('unit serving=%s → its address and name, or nothing', (serving, expected) => {
    expect(scrapeUnitData({ serving, address: '10.0.0.5', unitName: 'concourse-ci/0', fqdn: 'host-0' })).toEqual(
      expected,
    );
  });
});

describe('cos-agent (cos_agent COSAgentProvider)', () => {
  test('scrape job → localhost target, named <app>_default_<blake2b-4 of the sorted job>', () => {
    const hash = blake2bHex(
      new TextEncoder().encode('{"metrics_path": "/metrics", "static_configs": [{"targets": ["localhost:9391"]}]}'),
      4,
    );
    expect(cosAgentScrapeJobs('concourse-ci', 9391)).toEqual([
      {
        metrics_path: '/metrics',
        static_configs: [{ targets: ['localhost:9391'] }],
        job_name: `concourse-ci_default_${hash}`,
      },
    ]);
  });

  test('web unit, metrics on → config with the model fields in declaration order, its job, rules, dashboards', () => {
    const { config } = cosAgentUnitData({ offer: ON, serving: true, encodedDashboards: ['XQAAAA=='] });
    const parsed = JSON.parse(config ?? '');
    expect(Object.keys(parsed)).toEqual([
      'metrics_alert_rules',
      'log_alert_rules',
      'dashboards',
      'subordinate',
      'metrics_scrape_jobs',
      'log_slots',
      'tracing_protocols',
    ]);
    expect(parsed).toMatchObject({ log_alert_rules: {}, dashboards: ['XQAAAA=='], log_slots: [], subordinate: null });
    expect(parsed.metrics_scrape_jobs).toHaveLength(1);
    expect(parsed.metrics_alert_rules.groups).toHaveLength(2);
  });

  test('worker unit → rules and dashboards but no scrape job; metrics off → the key deleted', () => {
    const worker = JSON.parse(cosAgentUnitData({ offer: ON, serving: false, encodedDashboards: [] }).config ?? '');
    expect(worker.metrics_scrape_jobs).toEqual([]);
    expect(worker.metrics_alert_rules.groups).toHaveLength(2);
    expect(cosAgentUnitData({ offer: OFF, serving: true, encodedDashboards: [] })).toEqual({ config: '' });
  });

  test('dashboard → uid replaced, a charm tag added once', () => {
    const once = prepareDashboard({ title: 'C', uid: 'x', tags: ['ci'] }, 'u'.repeat(40), 'concourse-ci-machine');
    expect(once.json).toEqual({ title: 'C', uid: 'u'.repeat(40), tags: ['ci', 'charm: concourse-ci-machine'] });
    expect(prepareDashboard(once.json, 'v', 'other').json.tags).toEqual(['ci', 'charm: concourse-ci-machine']);
  });
});

describe('Python json.dumps and BLAKE2b', () => {
  test.each<[unknown, string]>([
    [{ b: 1, a: [true, null, 'é'] }, '{"a": [true, null, "\\u00e9"], "b": 1}'],
    [[], '[]'],
    [{}, '{}'],
  ])('%j → %s (sorted keys)', (value, text) => {
    expect(pythonJsonDumps(value, { sortKeys: true })).toBe(text);
  });

  test.each<[string, string]>([
    ['', '1271cf25'],
    ['abc', '63906248'],
    ['x'.repeat(128), 'b0c663e3'],
    ['y'.repeat(300), 'e75e47c6'],
  ])('blake2b-4 of a %#th input → the digest Python hashlib.blake2b(digest_size=4) gives', (text, hex) => {
    expect(blake2bHex(new TextEncoder().encode(text), 4)).toBe(hex);
  });
});
