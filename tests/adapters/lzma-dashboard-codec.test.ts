// Adapter tests: dashboards encoded as the cos_agent library sends them, checked by Python itself (the language
// grafana-agent's side decodes in): `lzma.decompress(base64.b64decode(...))` gives back the dashboard, the uid is
// cosl's DashboardPath40UID, and the JSON text is byte for byte `json.dumps`'s.

import { execFileSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, test } from 'vitest';
import { FsTelemetryAssets } from '../../src/adapters/fs-telemetry-assets';
import { LzmaDashboardCodec } from '../../src/adapters/lzma-dashboard-codec';
import { pythonJsonDumps } from '../../src/domain/metrics/python-json';

function python(script: string, input: string): string {
  return execFileSync('python3', ['-c', script], { input, encoding: 'utf8' });
}

const DASHBOARD = { title: 'Concourse CI é', panels: [{ id: 1, targets: [{ expr: 'up' }] }], tags: ['ci'] };

describe('LzmaDashboardCodec', () => {
  test('encoded dashboard → Python lzma.decompress of the base64 gives the same JSON', () => {
    const encoded = new LzmaDashboardCodec().encode(DASHBOARD);
    const decoded = python(
      'import base64,lzma,sys; sys.stdout.write(lzma.decompress(base64.b64decode(sys.stdin.read().encode("utf-8"))).decode())',
      encoded,
    );
    expect(JSON.parse(decoded)).toEqual(DASHBOARD);
    expect(decoded).toBe(
      python('import json,sys; sys.stdout.write(json.dumps(json.loads(sys.stdin.read())))', JSON.stringify(DASHBOARD)),
    );
  });

  test('uid → hashlib.shake_256("<charm>-<path>").hexdigest(20), 40 hex characters', () => {
    const uid = new LzmaDashboardCodec().uid('concourse-ci-machine', 'monitoring/grafana_dashboards/concourse.json');
    const expected = python(
      'import hashlib,sys; sys.stdout.write(hashlib.shake_256("-".join(["concourse-ci-machine", "monitoring/grafana_dashboards/concourse.json"]).encode("utf-8")).hexdigest(20))',
      '',
    );
    expect(uid).toBe(expected);
    expect(uid).toMatch(/^[0-9a-f]{40}$/);
  });

  test('fingerprint → changes with the content, stable for the same content', () => {
    const codec = new LzmaDashboardCodec();
    expect(codec.fingerprint(DASHBOARD)).toBe(codec.fingerprint({ ...DASHBOARD }));
    expect(codec.fingerprint(DASHBOARD)).not.toBe(codec.fingerprint({ ...DASHBOARD, title: 'other' }));
  });

  test('Python json.dumps, with and without sorted keys → the same text as pythonJsonDumps', () => {
    const value = { z: [1, 2.5, null, true], a: { ü: 'ñ', b: '"q"\n' } };
    for (const sort of [false, true]) {
      const script = `import json,sys; sys.stdout.write(json.dumps(json.loads(sys.stdin.read()), sort_keys=${sort ? 'True' : 'False'}))`;
      expect(pythonJsonDumps(value, { sortKeys: sort })).toBe(python(script, JSON.stringify(value)));
    }
  });
});

describe('FsTelemetryAssets', () => {
  test('charm dir with rule files and dashboards → sorted rule files (by extension) and parsed dashboards', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'telemetry-'));
    mkdirSync(join(dir, 'monitoring/prometheus_alert_rules'), { recursive: true });
    mkdirSync(join(dir, 'monitoring/grafana_dashboards'), { recursive: true });
    writeFileSync(join(dir, 'monitoring/prometheus_alert_rules/b.yaml'), 'groups: []\n');
    writeFileSync(join(dir, 'monitoring/prometheus_alert_rules/a.rules'), 'groups:\n  - name: g\n');
    writeFileSync(join(dir, 'monitoring/prometheus_alert_rules/notes.txt'), 'not a rule');
    writeFileSync(join(dir, 'monitoring/grafana_dashboards/c.json'), '{"title":"C"}');
    const assets = new FsTelemetryAssets(dir);
    expect(await assets.ruleFiles()).toEqual([
      { stem: 'a', path: 'monitoring/prometheus_alert_rules/a.rules', content: { groups: [{ name: 'g' }] } },
      { stem: 'b', path: 'monitoring/prometheus_alert_rules/b.yaml', content: { groups: [] } },
    ]);
    expect(await assets.dashboards()).toEqual([
      { relPath: 'monitoring/grafana_dashboards/c.json', json: { title: 'C' } },
    ]);
  });

  test('charm dir without monitoring/ → no rules, no dashboards; a dashboard that is not an object → an error', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'telemetry-'));
    expect(await new FsTelemetryAssets(dir).ruleFiles()).toEqual([]);
    mkdirSync(join(dir, 'monitoring/grafana_dashboards'), { recursive: true });
    writeFileSync(join(dir, 'monitoring/grafana_dashboards/x.json'), '[1]');
    await expect(new FsTelemetryAssets(dir).dashboards()).rejects.toThrow(/not a Grafana dashboard/);
  });
});
