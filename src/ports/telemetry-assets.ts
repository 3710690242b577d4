// Port: what the charm ships for observability (alert rule files, Grafana dashboards, under monitoring/ in the
// charm directory) and how they travel: dashboards LZMA-compressed and base64-encoded, as COS's libraries send them.

export interface RuleFileContent {
  /** The file name without its extension (`concourse` for concourse.rules). */
  readonly stem: string;
  /** The file's parsed YAML, unchecked. */
  readonly content: unknown;
  readonly path: string;
}

export interface DashboardFile {
  /** Relative to the charm directory (`monitoring/grafana_dashboards/concourse.json`): part of the dashboard uid. */
  readonly relPath: string;
  readonly json: Readonly<Record<string, unknown>>;
}

export interface TelemetryAssets {
  /** The alert rule files, sorted by name, as the libraries glob them. */
  ruleFiles(): Promise<RuleFileContent[]>;
  dashboards(): Promise<DashboardFile[]>;
  /** This machine's host name (the library's `socket.getfqdn()` for `prometheus_scrape_unit_fqdn`). */
  hostname(): string;
}

export interface DashboardCodec {
  /** cosl `LZMABase64.compress(json.dumps(dashboard))`: what `lzma.decompress` reads, base64-encoded. */
  encode(dashboard: Readonly<Record<string, unknown>>): string;
  /** cosl `DashboardPath40UID.generate(charm, path)`: shake_256 of `<charm>-<path>`, 20 bytes as hex. */
  uid(charmName: string, relPath: string): string;
  /** A digest of the dashboard's content, to reuse an encoding made in an earlier hook. */
  fingerprint(dashboard: Readonly<Record<string, unknown>>): string;
}

export const TELEMETRY_ASSETS = Symbol.for('concourse-ci-machine/TelemetryAssets');
export const DASHBOARD_CODEC = Symbol.for('concourse-ci-machine/DashboardCodec');
