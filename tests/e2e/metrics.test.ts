// e2e: metrics through the packed charm, services run for real. With enable-metrics on, the running web serves
// Prometheus text on the metrics port, the web unit opens it and both observability relations carry what their
// libraries' consumers read: Prometheus finds the web unit (not the worker) as its target, alert rules with the Juju
// topology, and grafana-agent a localhost job, the rules and the dashboard (decoded by Python's lzma, as on the
// agent's side). Turned off, the port no longer answers and every offer goes away.

import { execFileSync } from 'node:child_process';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { agentConfig, prometheusView, relateGrafanaAgent, relatePrometheus } from '../../sim/concourse/cos-stubs';
import { relatePostgres } from '../../sim/concourse/postgres-stub';
import { type ReleaseServer, startReleaseServer } from '../../sim/concourse/release-server';
import { SimModel } from '../../sim/model';
import { freePorts } from '../support/free-ports';
import { packedCharm } from '../support/packed-charm';
import { env, statusOf } from '../support/unit-inspection';

const APP = 'concourse-ci';
const WEB = `${APP}/0`;
const WORKER = `${APP}/1`;
const WEB_SERVICE = 'concourse-server.service';

let server: ReleaseServer;
let sim: SimModel;
let scrape: string;
let agent: string;
let metricsPort: number;

const unit = (name: string) => sim.status().units.find((u) => u.name === name);

/** GET /metrics on the unit's metrics port (units share the host's network; services listen on 127.0.0.1). */
async function scrapeMetrics(): Promise<{ status: number; type: string | null; body: string }> {
  const answer = await fetch(`http://127.0.0.1:${metricsPort}/metrics`);
  return { status: answer.status, type: answer.headers.get('content-type'), body: await answer.text() };
}

beforeAll(async () => {
  server = await startReleaseServer();
  await server.addRelease({ version: '7.14.2', fillerBytes: 1024 * 1024 });
  const [webPort = 0, tsaPort = 0, metrics = 0] = await freePorts(3);
  metricsPort = metrics;
  sim = await SimModel.create({ charm: await packedCharm(), services: 'run' });
  await sim.deploy(APP, {
    units: 2,
    config: {
      mode: 'auto',
      version: '7.14.2',
      'download-url': server.downloadUrlTemplate,
      'web-port': webPort,
      'tsa-port': tsaPort,
      'metrics-port': metricsPort,
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
  test('the web serves Prometheus metrics on metrics-port, opened; the worker opens nothing for it', async () => {
    expect(statusOf(sim, WEB)[0]).toBe('active');
    expect(statusOf(sim, WORKER)[0]).toBe('active');
    expect(env(sim, WEB, 'web')).toMatchObject({
      CONCOURSE_PROMETHEUS_BIND_IP: '0.0.0.0',
      CONCOURSE_PROMETHEUS_BIND_PORT: String(metricsPort),
      CONCOURSE_CAPTURE_ERROR_METRICS: 'true',
    });
    expect(sim.serviceState(WEB, WEB_SERVICE)?.active).toBe('active');
    const scraped = await scrapeMetrics();
    expect(scraped.status).toBe(200);
    expect(scraped.type).toMatch(/^text\/plain; version=0\.0\.4/);
    expect(scraped.body).toContain('# TYPE concourse_stand_in_info gauge');
    expect(scraped.body).toContain('concourse_stand_in_info{version="7.14.2"} 1');
    expect(unit(WEB)?.ports).toContain(`${metricsPort}/tcp`);
    expect(unit(WORKER)?.ports).not.toContain(`${metricsPort}/tcp`);
  });

  test('metrics-endpoint → Prometheus scrapes the web unit alone, with the topology and the alert rules', () => {
    const view = prometheusView(sim, scrape, APP);
    expect(view.targets).toEqual({ 'concourse-web': [`${unit(WEB)?.address}:${metricsPort}`] });
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
      [`localhost:${metricsPort}`],
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
  test('enable-metrics=false → the port no longer answers; no job, no rules, no dashboard on either relation, port closed, status says how', async () => {
    const before = sim.serviceState(WEB, WEB_SERVICE)?.mainPid;
    await sim.config(APP, { 'enable-metrics': false });
    await sim.settle();
    const state = sim.serviceState(WEB, WEB_SERVICE);
    expect(state?.active).toBe('active');
    expect(state?.mainPid).not.toBe(before);
    await expect(scrapeMetrics()).rejects.toMatchObject({ cause: { code: 'ECONNREFUSED' } });
    const view = prometheusView(sim, scrape, APP);
    expect(view).toEqual({ targets: {}, metadata: undefined, alertRules: {} });
    expect(agentConfig(sim, agent, WEB)).toBeUndefined();
    expect(agentConfig(sim, agent, WORKER)).toBeUndefined();
    expect(unit(WEB)?.ports).not.toContain(`${metricsPort}/tcp`);
    expect(env(sim, WEB, 'web').CONCOURSE_PROMETHEUS_BIND_PORT).toBeUndefined();
    expect(statusOf(sim, WEB)).toEqual([
      'active',
      expect.stringContaining(`metrics off: juju config ${APP} enable-metrics=true`),
    ]);
  });
});
