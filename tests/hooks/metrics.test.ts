// Hook tests of the observability relations: metrics-endpoint (prometheus_scrape) and cos-agent (cos_agent) carry
// the scrape job, rules and dashboard only with enable-metrics on, only web units are scrape targets, and a unit
// whose metrics are off says how to turn them on.

import lzmaWorker from 'lzma/src/lzma_worker.js';
import { describe, expect, test } from 'vitest';
import type { FakeRelation, JujuState } from '../support/in-memory-hook-tools';
import { Cluster, HookWorld, POSTGRES_READY, peers } from './harness';

const UNITS = ['concourse-ci/0', 'concourse-ci/1'];
const PROMETHEUS: FakeRelation = {
  id: 'metrics-endpoint:7',
  endpoint: 'metrics-endpoint',
  remoteApp: 'prometheus',
  remoteUnitsData: { 'prometheus/0': {} },
  remoteAppData: {},
};
const AGENT: FakeRelation = {
  id: 'cos-agent:8',
  endpoint: 'cos-agent',
  remoteApp: 'grafana-agent',
  remoteUnitsData: {},
  remoteAppData: {},
};

function cluster(metrics: boolean): Cluster {
  return new Cluster(new HookWorld(), UNITS, {
    leader: 'concourse-ci/0',
    config: { mode: 'auto', version: '7.14.2', 'enable-metrics': metrics },
    relations: [peers({}), POSTGRES_READY.relation, PROMETHEUS, AGENT],
    secrets: [POSTGRES_READY.secret],
  });
}

function relation(state: JujuState, id: string): FakeRelation {
  const r = state.relations.find((x) => x.id === id);
  if (r === undefined) throw new Error(`no relation ${id}`);
  return r;
}

function cosConfig(state: JujuState): {
  dashboards: string[];
  metrics_scrape_jobs: { job_name: string; static_configs: { targets: string[] }[] }[];
  metrics_alert_rules: { groups: { name: string }[] };
} {
  return JSON.parse(relation(state, AGENT.id).localUnitData?.config ?? 'null');
}

/** No key on either relation, and the metrics port closed. */
function expectNothingOffered(state: JujuState): void {
  expect(relation(state, PROMETHEUS.id).localAppData ?? {}).toEqual({});
  expect(relation(state, PROMETHEUS.id).localUnitData ?? {}).toEqual({});
  expect(relation(state, AGENT.id).localUnitData ?? {}).toEqual({});
  expect(state.openedPorts).not.toContain('9391/tcp');
}

describe('metrics relations', () => {
  test('metrics on, leader web → scrape job on the metrics port, rules and topology; its address; port opened', async () => {
    const c = cluster(true);
    const run = await c.run('concourse-ci/0', 'install');
    expect(run.exitCode).toBe(0);
    const scrape = relation(run.state, PROMETHEUS.id);
    expect(JSON.parse(scrape.localAppData?.scrape_jobs ?? '')).toEqual([
      { job_name: 'concourse-web', metrics_path: '/metrics', static_configs: [{ targets: ['*:9391'] }] },
    ]);
    expect(JSON.parse(scrape.localAppData?.scrape_metadata ?? '')).toEqual({
      model: 'test',
      model_uuid: 'f00dcafe-0000-4000-8000-000000000000',
      application: 'concourse-ci',
      unit: 'concourse-ci/0',
      charm_name: 'concourse-ci-machine',
    });
    const groups = JSON.parse(scrape.localAppData?.alert_rules ?? '').groups.map((g: { name: string }) => g.name);
    expect(groups).toEqual([
      'test_f00dcafe_concourse_ci_ConcourseWeb_rules',
      'test_f00dcafe_concourse_ci_ConcourseWorkers_rules',
      'test_f00dcafe_concourse_ci_ConcourseDatabase_rules',
      'test_f00dcafe_concourse_ci_HostHealth_rules',
    ]);
    expect(scrape.localUnitData).toMatchObject({
      prometheus_scrape_unit_address: '10.0.0.10',
      prometheus_scrape_unit_name: 'concourse-ci/0',
    });
    expect(run.state.openedPorts).toContain('9391/tcp');
  });

  test('metrics on → cos-agent config with a localhost job on the web, rules, and the dashboard Python can decode', async () => {
    const c = cluster(true);
    const web = await c.run('concourse-ci/0', 'install');
    const config = cosConfig(web.state);
    expect(config.metrics_scrape_jobs.map((j) => j.static_configs[0]?.targets)).toEqual([['localhost:9391']]);
    expect(config.metrics_scrape_jobs[0]?.job_name).toMatch(/^concourse-ci_default_[0-9a-f]{8}$/);
    expect(config.metrics_alert_rules.groups).toHaveLength(4);
    expect(config.dashboards).toHaveLength(1);
    const bytes = lzmaWorker.LZMA_WORKER.decompress(Buffer.from(config.dashboards[0] ?? '', 'base64'));
    const dashboard = JSON.parse(typeof bytes === 'string' ? bytes : Buffer.from(bytes).toString('utf8'));
    expect(dashboard).toMatchObject({ title: 'Concourse CI', uid: expect.stringMatching(/^[0-9a-f]{40}$/) });
    expect(dashboard.tags).toContain('charm: concourse-ci-machine');
  });

  test('metrics on, worker unit → not a scrape target; its subordinate gets rules and dashboard, no job', async () => {
    const c = cluster(true);
    await c.run('concourse-ci/0', 'install');
    const worker = await c.run('concourse-ci/1', 'install');
    expect(worker.exitCode).toBe(0);
    expect(relation(worker.state, PROMETHEUS.id).localUnitData ?? {}).toEqual({});
    expect(relation(worker.state, PROMETHEUS.id).localAppData ?? {}).toEqual({});
    const config = cosConfig(worker.state);
    expect(config.metrics_scrape_jobs).toEqual([]);
    expect(config.dashboards).toHaveLength(1);
    expect(worker.state.openedPorts).not.toContain('9391/tcp');
  });

  test('metrics off → nothing offered on either relation, no port, and the status says how to turn them on', async () => {
    const c = cluster(false);
    const run = await c.run('concourse-ci/0', 'install');
    expect(run.exitCode).toBe(0);
    expectNothingOffered(run.state);
    expect(run.state.unitStatus.message).toContain('metrics off: juju config concourse-ci enable-metrics=true');
  });

  test('metrics turned off after being on → the offers are withdrawn and the port closed', async () => {
    const c = cluster(true);
    await c.run('concourse-ci/0', 'install');
    c.update('concourse-ci/0', (s) => ({ config: { ...s.config, 'enable-metrics': false } }));
    const run = await c.run('concourse-ci/0', 'config-changed');
    expect(run.exitCode).toBe(0);
    expectNothingOffered(run.state);
  });

  test('mode=worker application → nothing offered even with metrics on: its units serve no metrics', async () => {
    const c = new Cluster(new HookWorld(), UNITS, {
      leader: 'concourse-ci/0',
      config: { mode: 'worker', version: '7.14.2', 'enable-metrics': true },
      relations: [peers({}), PROMETHEUS, AGENT],
    });
    const run = await c.run('concourse-ci/0', 'install');
    expectNothingOffered(run.state);
    expect(run.state.unitStatus.message).not.toContain('metrics');
  });

  test('no observability relation → no metrics hint in the status', async () => {
    const c = new Cluster(new HookWorld(), UNITS, {
      leader: 'concourse-ci/0',
      config: { mode: 'auto', version: '7.14.2' },
      relations: [peers({}), POSTGRES_READY.relation],
      secrets: [POSTGRES_READY.secret],
    });
    const run = await c.run('concourse-ci/0', 'install');
    expect(run.state.unitStatus.message).not.toContain('metrics');
  });
});
