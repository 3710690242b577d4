// Domain: the `cos-agent` relation (interface cos_agent) to the grafana-agent / opentelemetry-collector subordinate,
// in the shape of the published library `charms.grafana_agent.v0.cos_agent` (canonical/grafana-agent-operator
// lib/charms/grafana_agent/v0/cos_agent.py, LIBPATCH 26, COSAgentProvider._on_refresh): one unit data key, `config`,
// holding CosAgentProviderUnitData as pydantic's `.json()` writes it (fields in declaration order, compact).

import { topologyAlertRules } from './alert-rules';
import { blake2bHex } from './blake2b';
import { METRICS_PATH, type MetricsOffer } from './prometheus-scrape';
import { pythonJsonDumps } from './python-json';

export const COS_AGENT_ENDPOINT = 'cos-agent';
export const COS_AGENT_KEY = 'config';

/** A dashboard as COSAgentProvider._dashboards prepares it, before LZMABase64 encoding. */
export interface PreparedDashboard {
  readonly json: Record<string, unknown>;
}

/**
 * `_dashboards`: the dashboard's uid replaced by DashboardPath40UID (given: shake_256 of `<charm>-<path>`, an
 * adapter's job) and a `charm: <name>` tag added unless one is there.
 */
export function prepareDashboard(
  dashboard: Readonly<Record<string, unknown>>,
  uid: string,
  charmName: string,
): PreparedDashboard {
  const tags = Array.isArray(dashboard.tags) ? dashboard.tags.filter((t): t is string => typeof t === 'string') : [];
  if (!tags.some((t) => t.startsWith('charm: '))) tags.push(`charm: ${charmName}`);
  return { json: { ...dashboard, uid, tags } };
}

/**
 * `_deterministic_scrape_configs`: each job named `<app>_<job_name or default>_<blake2b-4 of the rest>`, sorted.
 * The subordinate runs on the same machine, so targets are `localhost:<port>`.
 */
export function cosAgentScrapeJobs(application: string, port: number | undefined): Record<string, unknown>[] {
  if (port === undefined) return [];
  const configs: Record<string, unknown>[] = [
    { metrics_path: METRICS_PATH, static_configs: [{ targets: [`localhost:${port}`] }] },
  ];
  return configs
    .map((c) => {
      const { job_name: name, ...rest } = c;
      const hash = blake2bHex(new TextEncoder().encode(pythonJsonDumps(rest, { sortKeys: true })), 4);
      return { ...c, job_name: `${application}_${typeof name === 'string' ? name : 'default'}_${hash}` };
    })
    .sort((a, b) => (a.job_name < b.job_name ? -1 : a.job_name > b.job_name ? 1 : 0));
}

/**
 * This unit's `config` value, or '' (the key deleted) when metrics are off. Every unit sends the rules and
 * dashboards (the library's "same for all units of the principal"); only a unit serving the endpoint (a web
 * unit) sends a scrape job. `encodedDashboards` are LZMABase64 strings.
 */
export function cosAgentUnitData(input: {
  readonly offer: MetricsOffer;
  readonly serving: boolean;
  readonly encodedDashboards: readonly string[];
}): Record<string, string> {
  const { offer } = input;
  if (offer.port === undefined) return { [COS_AGENT_KEY]: '' };
  const data = {
    metrics_alert_rules: dedupeGroups(topologyAlertRules(offer.rules, offer.topology)),
    log_alert_rules: {},
    dashboards: input.encodedDashboards,
    subordinate: null,
    metrics_scrape_jobs: cosAgentScrapeJobs(offer.topology.application, input.serving ? offer.port : undefined),
    log_slots: [],
    tracing_protocols: null,
  };
  return { [COS_AGENT_KEY]: JSON.stringify(data) };
}

/** `_metrics_alert_rules` always holds a `groups` list (deduplicated), even an empty one. */
function dedupeGroups(rules: { groups?: unknown[] }): { groups: unknown[] } {
  const seen = new Set<string>();
  const groups = (rules.groups ?? []).filter((g) => {
    const key = JSON.stringify(g);
    if (seen.has(key)) return false;
    seen.add(key);
    return true;
  });
  return { groups };
}
