// Domain: the `metrics-endpoint` relation (interface prometheus_scrape), in the shape of the published library
// `charms.prometheus_k8s.v0.prometheus_scrape` (canonical/prometheus-k8s-operator
// lib/charms/prometheus_k8s/v0/prometheus_scrape.py, LIBPATCH 61, MetricsEndpointProvider.set_scrape_job_spec and
// _set_unit_ip): application data scrape_metadata, scrape_jobs, alert_rules; unit data prometheus_scrape_unit_*.

import type { RuleFile } from './alert-rules';
import { topologyAlertRules } from './alert-rules';
import { type JujuTopology, topologyDict } from './juju-topology';
import { pythonJsonDumps } from './python-json';

export const METRICS_ENDPOINT = 'metrics-endpoint';
export const METRICS_PATH = '/metrics';
/** A fixed job name (the library asks for one: a name that varies breaks the series when the leader changes). */
export const SCRAPE_JOB_NAME = 'concourse-web';

/** Keys this charm ever writes: written empty (deleted) when metrics are off. */
export const SCRAPE_APP_KEYS = ['scrape_metadata', 'scrape_jobs', 'alert_rules'] as const;
export const SCRAPE_UNIT_KEYS = [
  'prometheus_scrape_unit_address',
  'prometheus_scrape_unit_path',
  'prometheus_scrape_unit_name',
  'prometheus_scrape_unit_fqdn',
] as const;

export interface MetricsOffer {
  readonly topology: JujuTopology;
  /** Concourse's Prometheus port, or undefined when enable-metrics is off. */
  readonly port: number | undefined;
  readonly rules: readonly { readonly stem: string; readonly rules: RuleFile }[];
}

/** The leader's application data: the job with a wildcard target (each related unit's address), rules, topology. */
export function scrapeAppData(offer: MetricsOffer): Record<string, string> {
  if (offer.port === undefined) return Object.fromEntries(SCRAPE_APP_KEYS.map((k) => [k, '']));
  const jobs = [
    {
      job_name: SCRAPE_JOB_NAME,
      metrics_path: METRICS_PATH,
      static_configs: [{ targets: [`*:${offer.port}`] }],
    },
  ];
  return {
    scrape_metadata: pythonJsonDumps(topologyDict(offer.topology)),
    scrape_jobs: pythonJsonDumps(jobs),
    alert_rules: pythonJsonDumps(topologyAlertRules(offer.rules, offer.topology)),
  };
}

/**
 * A unit's data: its address and name, so Prometheus replaces `*` with it. Only units serving the endpoint (web
 * units, metrics on) publish; the others clear the keys, or Prometheus would scrape workers that serve nothing.
 * `fqdn` is the library's `socket.getfqdn()` when the address is an IP.
 */
export function scrapeUnitData(input: {
  readonly serving: boolean;
  readonly address: string;
  readonly unitName: string;
  readonly fqdn: string;
}): Record<string, string> {
  if (!input.serving) return Object.fromEntries(SCRAPE_UNIT_KEYS.map((k) => [k, '']));
  return {
    prometheus_scrape_unit_address: input.address,
    prometheus_scrape_unit_path: '',
    prometheus_scrape_unit_name: input.unitName,
    prometheus_scrape_unit_fqdn: input.fqdn,
  };
}
