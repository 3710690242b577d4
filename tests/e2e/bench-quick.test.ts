// Issue 14: `npm run bench -- --quick` keeps working: every measurement runs at its smallest size and writes a
// well-formed report. Counts only (downloads, errors, the JSON's shape); speed belongs to the bench, never to a test.
import { spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { z } from 'zod';
import { packedCharm } from '../support/packed-charm';

const Num = z.number().nullable();
const MeasurementSchema = z
  .object({
    group: z.string().min(1),
    name: z.string().min(1),
    unit: z.string().min(1),
    median: z.number(),
    min: z.number(),
    max: z.number(),
    runs: z.number().int().nonnegative(),
    baseline: z.string().optional(),
    baseline_median: z.number().optional(),
    ratio: Num.optional(),
    target: z.string().optional(),
    met: z.boolean().optional(),
    error: z.string().optional(),
  })
  .refine((m) => (m.baseline === undefined) === (m.baseline_median === undefined), 'a comparison has both')
  .refine((m) => (m.baseline === undefined) === (m.ratio === undefined), 'a comparison has a ratio')
  .refine((m) => (m.target === undefined) === (m.met === undefined), 'a target says whether it was met');
const ReportSchema = z.object({
  quick: z.literal(true),
  loadavg: z.object({ start: z.array(z.number()).length(3), end: z.array(z.number()).length(3) }),
  notes: z.array(z.string()),
  measurements: z.array(MeasurementSchema),
});
type Measurement = z.infer<typeof MeasurementSchema>;

let out: string;
let report: z.infer<typeof ReportSchema>;
let markdown: string;

function find(group: string, name: string): Measurement {
  const m = report.measurements.find((x) => x.group.startsWith(group) && x.name === name);
  if (m === undefined) throw new Error(`no measurement "${name}" in group ${group}`);
  return m;
}

beforeAll(async () => {
  await packedCharm();
  out = mkdtempSync(join(tmpdir(), 'bench-quick-'));
  const child = spawn(process.execPath, ['--import', 'tsx', 'bench/run.ts', '--quick', '--out', out], {
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let output = '';
  child.stdout.setEncoding('utf8').on('data', (t: string) => {
    output += t;
  });
  child.stderr.setEncoding('utf8').on('data', (t: string) => {
    output += t;
  });
  const code = await new Promise<number | null>((res) => child.once('close', res));
  if (code !== 0) throw new Error(`bench --quick exited ${code}:\n${output.slice(-4000)}`);
  report = ReportSchema.parse(JSON.parse(readFileSync(join(out, 'latest.json'), 'utf8')));
  markdown = readFileSync(join(out, 'latest.md'), 'utf8');
  // No time bound is asserted anywhere: this only keeps a hung run from hanging the suite.
}, 900_000);
afterAll(() => {
  if (out !== undefined) rmSync(out, { recursive: true, force: true });
});

describe('npm run bench -- --quick', () => {
  test('every measurement of the issue ran → groups 1 to 7 in the JSON and the report', () => {
    const groups = [...new Set(report.measurements.map((m) => m.group.split(' ')[0]))];
    expect(groups.sort()).toEqual(['1', '2', '3', '4', '5', '6', '7']);
    for (const g of new Set(report.measurements.map((m) => m.group))) expect(markdown).toContain(`## ${g}`);
  });

  test('one unit, shared volume vs shared-storage=none → one download each, both units active', () => {
    const downloads = find('1', '1 units: downloads');
    expect([downloads.median, downloads.baseline_median]).toEqual([1, 1]);
    expect(find('1', '1 units: units active (shared / per-unit)').min).toBe(1);
  });

  test('a healthy quick run → no error row (no hook failed or was killed, every measurement completed)', () => {
    expect(report.measurements.filter((m) => m.error !== undefined).map((m) => `${m.name}: ${m.error}`)).toEqual([]);
    expect(markdown).not.toContain('## Errors');
  });

  test('growth at one unit → no failed or killed hook, hooks counted against a positive Juju minimum', () => {
    expect(find('2', '1 units: failed hooks').max).toBe(0);
    expect(find('2', '1 units: killed hooks').max).toBe(0);
    const hooks = find('2', '1 units: hooks run');
    expect(hooks.baseline_median).toBeGreaterThan(0);
    expect(hooks.median).toBeGreaterThanOrEqual(hooks.baseline_median ?? Number.POSITIVE_INFINITY);
  });

  test('update-status per role → compared with node -e 0 pair by pair, with hook-tool calls counted', () => {
    for (const role of ['web', 'worker']) {
      expect(find('3', `${role}: wall time`).baseline).toBe('node -e 0');
      expect(find('3', `${role}: hook-tool calls per update-status`).min).toBeGreaterThan(0);
    }
  });

  test('download pipeline at two sizes → charm and GNU both ran each size, with peak memory', () => {
    const pipeline = report.measurements.filter((m) => m.group.startsWith('4') && m.baseline !== undefined);
    expect(pipeline.filter((m) => m.name.endsWith('wall time'))).toHaveLength(2);
    for (const m of pipeline) expect(m.baseline_median).toBeGreaterThan(0);
  });

  test('lock → acquire, release and hand-over on a local directory and over sshfs', () => {
    expect(report.measurements.filter((m) => m.group.startsWith('5')).map((m) => m.name)).toEqual([
      'local directory: uncontended acquire',
      'local directory: release',
      'local directory: hand-over, release to the waiter holding it',
      'sshfs, two mounts: uncontended acquire',
      'sshfs, two mounts: release',
      'sshfs, two mounts: hand-over, release to the waiter holding it',
    ]);
  });

  test('upgrade and units on sshfs → one download each, no error, every unit active', () => {
    expect(find('6', '2 units: downloads').median).toBe(1);
    expect(find('7', '2 units: downloads').median).toBe(1);
    expect(find('7', '2 units: failed hooks + ERROR log lines').median).toBe(0);
    expect(find('7', '2 units: units active').median).toBe(2);
  });

  test('charts → one SVG per chart, embedded in the report', () => {
    for (const chart of ['storage', 'growth', 'pipeline']) {
      expect(readFileSync(join(out, `${chart}.svg`), 'utf8')).toMatch(/^<svg /);
      expect(markdown).toContain(`](${chart}.svg)`);
    }
  });
});
