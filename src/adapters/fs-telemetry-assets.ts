// Adapter (TelemetryAssets): reads the alert rules and dashboards packed under monitoring/ in the charm directory
// (YAML rule files, as the libraries accept: .rule, .rules, .yml, .yaml; JSON dashboards) and the machine's name.

import { readdir, readFile } from 'node:fs/promises';
import { hostname } from 'node:os';
import { extname, join } from 'node:path';
import { parse } from 'yaml';
import { InvalidInputError } from '../domain/errors';
import type { DashboardFile, RuleFileContent, TelemetryAssets } from '../ports/telemetry-assets';

export const ALERT_RULES_DIR = 'monitoring/prometheus_alert_rules';
export const DASHBOARDS_DIR = 'monitoring/grafana_dashboards';
const RULE_EXTENSIONS = new Set(['.rule', '.rules', '.yml', '.yaml']);

/** Bound as a constant over the charm directory. */
export class FsTelemetryAssets implements TelemetryAssets {
  constructor(private readonly charmDir: string) {}

  async ruleFiles(): Promise<RuleFileContent[]> {
    const names = (await this.list(ALERT_RULES_DIR)).filter((n) => RULE_EXTENSIONS.has(extname(n)));
    return Promise.all(
      names.map(async (name) => {
        const path = join(ALERT_RULES_DIR, name);
        return { stem: name.slice(0, -extname(name).length), path, content: parse(await this.read(path)) as unknown };
      }),
    );
  }

  async dashboards(): Promise<DashboardFile[]> {
    const names = (await this.list(DASHBOARDS_DIR)).filter((n) => extname(n) === '.json');
    return Promise.all(
      names.map(async (name) => {
        const relPath = join(DASHBOARDS_DIR, name);
        const json: unknown = JSON.parse(await this.read(relPath));
        if (typeof json !== 'object' || json === null || Array.isArray(json)) {
          throw new InvalidInputError(`${relPath} is not a Grafana dashboard (a JSON object)`);
        }
        return { relPath, json: json as Record<string, unknown> };
      }),
    );
  }

  hostname(): string {
    return hostname();
  }

  private async list(dir: string): Promise<string[]> {
    try {
      return (await readdir(join(this.charmDir, dir))).sort();
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code === 'ENOENT') return [];
      throw error;
    }
  }

  private read(path: string): Promise<string> {
    return readFile(join(this.charmDir, path), 'utf8');
  }
}
