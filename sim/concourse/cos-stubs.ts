// Simulator: stand-ins for the observability side. A Prometheus on `metrics-endpoint` (prometheus_scrape) that
// reads the provider's data as MetricsEndpointConsumer does (canonical/prometheus-k8s-operator
// lib/charms/prometheus_k8s/v0/prometheus_scrape.py: jobs from the app bag, `*` replaced by each unit's
// prometheus_scrape_unit_address), and a grafana-agent on `cos-agent` (cos_agent) that decodes each unit's `config`
// as COSAgentRequirer does (lib/charms/grafana_agent/v0/cos_agent.py; dashboards via cosl LZMABase64.decompress).
// The simulator has no subordinates (juju/juju relates a subordinate's container-scoped endpoint to its principal
// unit alone): the agent is a plain application whose relation reaches every unit, which changes nothing for the
// principal's side, a unit bag per unit.

import lzmaWorker from 'lzma/src/lzma_worker.js';
import type { SimModel } from '../model';

export const PROMETHEUS_APP = 'prometheus';
export const AGENT_APP = 'grafana-agent';

export async function relatePrometheus(sim: SimModel, app: string): Promise<string> {
  if (!sim.status().apps.some((a) => a.name === PROMETHEUS_APP)) {
    await sim.deployStub(PROMETHEUS_APP, {
      endpoints: { 'metrics-endpoint': { interface: 'prometheus_scrape', role: 'requires' } },
    });
  }
  return sim.integrate(`${app}:metrics-endpoint`, `${PROMETHEUS_APP}:metrics-endpoint`);
}

export async function relateGrafanaAgent(sim: SimModel, app: string): Promise<string> {
  if (!sim.status().apps.some((a) => a.name === AGENT_APP)) {
    await sim.deployStub(AGENT_APP, { endpoints: { 'cos-agent': { interface: 'cos_agent', role: 'requires' } } });
  }
  return sim.integrate(`${app}:cos-agent`, `${AGENT_APP}:cos-agent`);
}

export interface ScrapeView {
  /** `scrape_jobs` with each wildcard target replaced by the units' addresses, as the consumer expands them. */
  readonly targets: Readonly<Record<string, readonly string[]>>;
  readonly metadata: Readonly<Record<string, string>> | undefined;
  readonly alertRules: { readonly groups?: readonly { readonly name: string; readonly rules: readonly unknown[] }[] };
}

/** What Prometheus would scrape and evaluate for `app` over `relationId`. */
export function prometheusView(sim: SimModel, relationId: string, app: string): ScrapeView {
  const appBag = sim.relationData(relationId, app);
  const jobs: { job_name: string; static_configs: { targets: string[] }[] }[] = JSON.parse(appBag.scrape_jobs ?? '[]');
  const addresses = sim
    .status()
    .units.filter((u) => u.name.startsWith(`${app}/`))
    .map((u) => sim.relationData(relationId, u.name).prometheus_scrape_unit_address)
    .filter((a): a is string => a !== undefined && a !== '');
  const targets: Record<string, string[]> = {};
  for (const job of jobs) {
    targets[job.job_name] = job.static_configs.flatMap((c) =>
      c.targets.flatMap((t) => (t.startsWith('*:') ? addresses.map((a) => `${a}:${t.slice(2)}`) : [t])),
    );
  }
  return {
    targets,
    metadata: appBag.scrape_metadata === undefined ? undefined : JSON.parse(appBag.scrape_metadata),
    alertRules: JSON.parse(appBag.alert_rules ?? '{}'),
  };
}

export interface AgentConfig {
  readonly metrics_scrape_jobs: readonly {
    readonly job_name: string;
    readonly static_configs: readonly { readonly targets: readonly string[] }[];
  }[];
  readonly metrics_alert_rules: { readonly groups: readonly { readonly name: string }[] };
  readonly log_alert_rules: unknown;
  readonly log_slots: readonly string[];
  /** Decoded from LZMABase64. */
  readonly dashboards: readonly Record<string, unknown>[];
}

/** A unit's `config` on cos-agent, decoded; undefined when the unit sent none. */
export function agentConfig(sim: SimModel, relationId: string, unit: string): AgentConfig | undefined {
  const raw = sim.relationData(relationId, unit).config;
  if (raw === undefined) return undefined;
  const parsed = JSON.parse(raw) as Omit<AgentConfig, 'dashboards'> & { dashboards: string[] };
  const dashboards = parsed.dashboards.map((d) => {
    const out = lzmaWorker.LZMA_WORKER.decompress(Buffer.from(d, 'base64'));
    return JSON.parse(typeof out === 'string' ? out : Buffer.from(out).toString('utf8')) as Record<string, unknown>;
  });
  return { ...parsed, dashboards };
}
