// Hooks: the observability relations. `metrics-endpoint` (prometheus_scrape): the leader offers the scrape job, the
// alert rules and the topology; each web unit its address. `cos-agent` (cos_agent): each unit gives its subordinate
// the rules and dashboards, and a web unit its localhost scrape job. With enable-metrics off nothing is offered
// (no job, no rules: they would alert on metrics nobody serves) and the status says how to turn metrics on.

import { inject, injectable } from 'inversify';
import type { CharmConfig } from '../../domain/charm-config';
import type { HookContext } from '../../domain/hook-event';
import { parseRuleFile } from '../../domain/metrics/alert-rules';
import { COS_AGENT_ENDPOINT, cosAgentUnitData, prepareDashboard } from '../../domain/metrics/cos-agent';
import {
  METRICS_ENDPOINT,
  type MetricsOffer,
  scrapeAppData,
  scrapeUnitData,
} from '../../domain/metrics/prometheus-scrape';
import { parseStringMap } from '../../domain/peer-view';
import type { Role } from '../../domain/roles';
import { HOOK_TOOLS, type HookTools } from '../../ports/hook-tools';
import { CHARM_CONFIG, HOOK_CONTEXT } from '../../ports/hook-values';
import {
  DASHBOARD_CODEC,
  type DashboardCodec,
  TELEMETRY_ASSETS,
  type TelemetryAssets,
} from '../../ports/telemetry-assets';
import { RelatedUnits } from './related-units';
import { RelationOutbox } from './relation-outbox';
import { MEMORY_KEYS, UnitMemory } from './unit-memory';

/** The charm's name in metadata.yaml: part of the topology and of the dashboard uid. */
export const CHARM_NAME = 'concourse-ci-machine';

@injectable()
export class MetricsLink {
  constructor(
    @inject(HOOK_TOOLS) private readonly tools: HookTools,
    @inject(HOOK_CONTEXT) private readonly context: HookContext,
    @inject(CHARM_CONFIG) private readonly config: CharmConfig,
    @inject(TELEMETRY_ASSETS) private readonly assets: TelemetryAssets,
    @inject(DASHBOARD_CODEC) private readonly codec: DashboardCodec,
    @inject(RelatedUnits) private readonly related: RelatedUnits,
    @inject(RelationOutbox) private readonly outbox: RelationOutbox,
    @inject(UnitMemory) private readonly memory: UnitMemory,
  ) {}

  /**
   * Gathers this unit's offers on both relations; returns a status hint when an observability relation exists but
   * metrics are off.
   */
  async offer(roles: readonly Role[], leader: boolean): Promise<string | undefined> {
    const scrapeIds = await this.related.ids(METRICS_ENDPOINT);
    const cosIds = await this.related.ids(COS_AGENT_ENDPOINT);
    if (scrapeIds.length === 0 && cosIds.length === 0) return undefined;
    // Concourse serves metrics on web units only; an application without a web (mode=worker) offers nothing.
    const port = this.config.mode === 'worker' ? undefined : this.config.metricsPort;
    const offer: MetricsOffer = {
      topology: {
        model: this.context.modelName,
        modelUuid: this.context.modelUuid,
        application: this.context.unit.app,
        unit: this.context.unit.name,
        charmName: CHARM_NAME,
      },
      port,
      rules: port === undefined ? [] : await this.rules(),
    };
    const serving = port !== undefined && roles.includes('web');
    for (const id of scrapeIds) {
      if (leader) this.outbox.toAppBag(id, scrapeAppData(offer));
      const address = serving ? (await this.tools.networkGet(METRICS_ENDPOINT)).ingressAddress : '';
      this.outbox.toUnitBag(
        id,
        scrapeUnitData({ serving, address, unitName: this.context.unit.name, fqdn: this.assets.hostname() }),
      );
    }
    if (cosIds.length > 0) {
      const encodedDashboards = port === undefined ? [] : await this.dashboards();
      for (const id of cosIds) this.outbox.toUnitBag(id, cosAgentUnitData({ offer, serving, encodedDashboards }));
    }
    if (this.config.mode === 'worker' || port !== undefined) return undefined;
    return `metrics off: juju config ${this.context.unit.app} enable-metrics=true`;
  }

  private async rules(): Promise<MetricsOffer['rules']> {
    const files = await this.assets.ruleFiles();
    return files.map((f) => ({ stem: f.stem, rules: parseRuleFile(f.content, f.path) }));
  }

  /** The shipped dashboards, prepared and encoded as COSAgentProvider does; the encoding is reused across hooks. */
  private async dashboards(): Promise<string[]> {
    const prepared = (await this.assets.dashboards()).map(
      (d) => prepareDashboard(d.json, this.codec.uid(CHARM_NAME, d.relPath), CHARM_NAME).json,
    );
    const cached = parseStringMap(await this.memory.get(MEMORY_KEYS.encodedDashboards)) ?? {};
    const encoded: Record<string, string> = {};
    const out = prepared.map((d) => {
      const print = this.codec.fingerprint(d);
      const value = cached[print] ?? this.codec.encode(d);
      encoded[print] = value;
      return value;
    });
    await this.memory.remember({ [MEMORY_KEYS.encodedDashboards]: JSON.stringify(encoded) });
    return out;
  }
}
