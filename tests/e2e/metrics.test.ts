// e2e: metrics through the packed charm. With enable-metrics on, the web unit opens the metrics port and both
// observability relations carry what their libraries' consumers read: Prometheus finds the web unit (not the
// worker) as its target, alert rules with the Juju topology, and grafana-agent a localhost job, the rules and the
// dashboard (decoded by Python's lzma, as on the agent's side). Turned off, every offer and the port go away.

import { execFileSync } from 'node:child_process';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { agentConfig, prometheusView, relateGrafanaAgent, relatePrometheus } from '../../sim/concourse/cos-stubs';
import { relatePostgres } from '../../sim/concourse/postgres-stub';
import { type ReleaseServer, startReleaseServer } from '../../sim/concourse/release-server';
import { SimModel } from '../../sim/model';
import { packedCharm } from '../support/packed-charm';
import { env, statusOf } from '../support/unit-inspection';

const APP = 'concourse-ci';
const WEB = `${APP}/0`;
const WORKER = `${APP}/1`;

let server: ReleaseServer;
let sim: SimModel;
let scrape: string;
let agent: string;

const unit = (name: string) => sim.status().units.find((u) => u.name === name);

beforeAll(async () => {
  server = await startReleaseServer();
  await server.addRelease({ version: '7.14.2', fillerBytes: 1024 * 1024 });
  sim = await SimModel.create({ charm: await packedCharm() });
  await sim.deploy(APP, {
    units: 2,
    config: {
      mode: 'auto',
      version: '7.14.2',
      'download-url': server.downloadUrlTemplate,
      'enable-metrics': true,
    },
  });
  await relatePostgres(sim, APP);
  scrape = await relatePrometheus(sim, APP);
  agent = await relateGrafanaAgent(sim, APP);
  await sim.settle();
});
afterAll(async () => {
  await sim?.close();
  await server?.close();
});

describe('metrics on', () => {
  test('the web serves Prometheus metrics on metrics-port, opened; the worker opens nothing for it', () => {
    expect(statusOf(sim, WEB)[0]).toBe('active');
    expect(statusOf(sim, WORKER)[0]).toBe('active');
    expect(env(sim, WEB, 'web')).toMatchObject({
      CONCOURSE_PROMETHEUS_BIND_IP: '0.0.0.0',
      CONCOURSE_PROMETHEUS_BIND_PORT: '9391',
      CONCOURSE_CAPTURE_ERROR_METRICS: 'true',
    });
    expect(unit(WEB)?.ports).toContain('9391/tcp');
    expect(unit(WORKER)?.ports).not.toContain('9391/tcp');
  });

  test('metrics-endpoint → Prometheus scrapes the web unit alone, with the topology and the alert rules', () => {
    const view = prometheusView(sim, scrape, APP);
    expect(view.targets).toEqual({ 'concourse-web': [`${unit(WEB)?.address}:9391`] });
    expect(view.metadata).toMatchObject({ application: APP, charm_name: 'concourse-ci-machine' });
    const groups = view.alertRules.groups ?? [];
    expect(groups.map((g) => g.name.replace(/^.*_[0-9a-f]{8}_concourse_ci_/, ''))).toEqual([
      'ConcourseWeb_rules',
      'ConcourseWorkers_rules',
      'ConcourseDatabase_rules',
      'HostHealth_rules',
    ]);
    const rule = groups[1]?.rules[0] as { alert: string; expr: string; labels: Record<string, string> };
    expect(rule.alert).toBe('ConcourseNoWorkerRegistered');
    expect(rule.expr).toContain(`juju_application="${APP}"`);
    expect(rule.labels).toMatchObject({ juju_application: APP, juju_charm: 'concourse-ci-machine' });
  });

  test('cos-agent → the web sends a localhost job, both units the rules and the Concourse dashboard', () => {
    const web = agentConfig(sim, agent, WEB);
    const worker = agentConfig(sim, agent, WORKER);
    expect(web?.metrics_scrape_jobs.map((j) => j.static_configs.flatMap((c) => c.targets))).toEqual([
      ['localhost:9391'],
    ]);
    expect(worker?.metrics_scrape_jobs).toEqual([]);
    for (const config of [web, worker]) {
      expect(config?.metrics_alert_rules.groups).toHaveLength(4);
      expect(config?.log_alert_rules).toEqual({});
      expect(config?.dashboards.map((d) => d.title)).toEqual(['Concourse CI']);
    }
  });

  test('the dashboard as sent → Python lzma.decompress reads it, as grafana-agent does', () => {
    const raw = JSON.parse(sim.relationData(agent, WEB).config ?? '{}') as { dashboards: string[] };
    const title = execFileSync(
      'python3',
      [
        '-c',
        'import base64,json,lzma,sys; print(json.loads(lzma.decompress(base64.b64decode(sys.stdin.read())))["title"])',
      ],
      { input: raw.dashboards[0] ?? '', encoding: 'utf8' },
    );
    expect(title.trim()).toBe('Concourse CI');
  });
});

describe('metrics off', () => {
  test('enable-metrics=false → no job, no rules, no dashboard on either relation, port closed, status says how', async () => {
    await sim.config(APP, { 'enable-metrics': false });
    await sim.settle();
    const view = prometheusView(sim, scrape, APP);
    expect(view).toEqual({ targets: {}, metadata: undefined, alertRules: {} });
    expect(agentConfig(sim, agent, WEB)).toBeUndefined();
    expect(agentConfig(sim, agent, WORKER)).toBeUndefined();
    expect(unit(WEB)?.ports).not.toContain('9391/tcp');
    expect(env(sim, WEB, 'web').CONCOURSE_PROMETHEUS_BIND_PORT).toBeUndefined();
    expect(statusOf(sim, WEB)).toEqual([
      'active',
      expect.stringContaining(`metrics off: juju config ${APP} enable-metrics=true`),
    ]);
  });
});
