// Unit tests: the flag tables the charm carries match reference/concourse/*.tsv (the flags extracted from Concourse's
// source), and every CONCOURSE_* variable any rendering writes is a flag of the release it runs, with a valid value.

import { readFileSync } from 'node:fs';
import { describe, expect, test } from 'vitest';
import { kindOf, readDetails } from '../../scripts/gen-flag-table.mjs';
import { flagTable, flagTableFor, flagValueProblem } from '../../src/domain/concourse-flags';
import { FLAG_OPTIONS, mergeFlags, type OperatorFlag } from '../../src/domain/concourse-options';
import { ServiceConfigProblem } from '../../src/domain/service-values';
import { ConcourseVersion } from '../../src/domain/version';
import { CONFIGS, renderServices, serviceVariables } from '../support/service-renderings';

interface TsvRow {
  readonly command: string;
  readonly env: string;
  readonly type: string;
  readonly required: boolean;
  readonly choices: string;
}
const tsv = (release: string): TsvRow[] => readDetails(`reference/concourse/flags-${release}-details.tsv`);

describe('the flag tables', () => {
  test.each(['7.14.3', '8.2.5'])('generated table of %s → exactly the rows of its TSV', (release) => {
    const rows = tsv(release);
    const table = flagTable(release);
    for (const command of ['web', 'worker'] as const) {
      const mine = rows.filter((r) => r.command === command);
      expect(
        table
          .all(command)
          .map((s) => s.name)
          .sort(),
      ).toEqual(mine.map((r) => r.env).sort());
      for (const r of mine) {
        expect(table.spec(command, r.env)).toEqual({
          name: r.env,
          kind: kindOf(r.type),
          choices: r.choices === '' ? undefined : r.choices.split('|'),
          required: r.required,
        });
      }
    }
    // The short table (the one operators read) has the same names.
    const short = readFileSync(`reference/concourse/flags-${release}.tsv`, 'utf8').split('\n').slice(1);
    expect(short.filter((l) => l !== '').length).toBe(rows.length);
  });

  test.each([
    ['7.14.2', '7.14.3'],
    ['7.14.3', '7.14.3'],
    ['7.9.1', '7.14.3'],
    ['6.7.0', '7.14.3'],
    ['8.0.0', '8.2.5'],
    ['8.2.5', '8.2.5'],
    ['9.1.0', '8.2.5'],
  ])('release %s → flags of %s', (version, release) => {
    expect(flagTableFor(ConcourseVersion.parse(version)).release).toBe(release);
  });

  test.each([
    ['CONCOURSE_BIND_PORT', '8080', undefined],
    ['CONCOURSE_BIND_PORT', '70000', 'must be a whole number from 0 to 65535'],
    ['CONCOURSE_GC_FAILED_GRACE_PERIOD', '1h30m', undefined],
    ['CONCOURSE_GC_FAILED_GRACE_PERIOD', '90', 'must be a duration'],
    ['CONCOURSE_ENABLE_GLOBAL_RESOURCES', 'yes', 'must be true or false'],
    ['CONCOURSE_CONTAINER_PLACEMENT_STRATEGY', 'volume-locality,random', undefined],
    ['CONCOURSE_CONTAINER_PLACEMENT_STRATEGY', 'volume-locality,fastest', 'must be one of'],
    ['CONCOURSE_MAX_BUILD_LOGS_TO_RETAIN', '-1', 'must be a whole number >= 0'],
    ['CONCOURSE_API_MAX_CONNS', 'ten', 'must be a whole number'],
    ['CONCOURSE_ADD_CLIENT', 'a:b,c:d', undefined],
    ['CONCOURSE_ADD_CLIENT', 'a', 'must be NAME:VALUE pairs'],
    ['CONCOURSE_EXTERNAL_URL', 'ci.example.com', 'must be a URL'],
    ['CONCOURSE_TSA_HOST_KEY', 'keys/tsa', 'must be an absolute path'],
  ])('web %s=%s → %s', (name, value, problem) => {
    const spec = flagTable('7.14.3').spec('web', name);
    if (spec === undefined) throw new Error(`${name} missing`);
    const got = flagValueProblem(spec, value);
    if (problem === undefined) expect(got).toBeUndefined();
    else expect(got).toContain(problem);
  });
});

describe('every variable the charm writes is a flag of the release it runs', () => {
  const releases = ['7.14.2', '7.14.3', '8.0.0', '8.2.5'];
  for (const version of releases) {
    for (const [label, raw] of Object.entries(CONFIGS)) {
      test(`${version}, ${label} → web and worker variables all in flags-${flagTableFor(ConcourseVersion.parse(version)).release}.tsv`, () => {
        const v = ConcourseVersion.parse(version);
        const rows = tsv(flagTableFor(v).release);
        const { web, worker } = renderServices(version, raw);
        for (const [command, rendered] of [
          ['web', web],
          ['worker', worker],
        ] as const) {
          const vars = serviceVariables(rendered);
          const mine = rows.filter((r) => r.command === command);
          for (const [name, value] of vars) {
            const row = mine.find((r) => r.env === name);
            expect(row, `${command} ${name}`).toBeDefined();
            const spec = flagTableFor(v).spec(command, name);
            if (spec !== undefined) expect(flagValueProblem(spec, value), `${name}=${value}`).toBeUndefined();
          }
          expect(vars.has('CONCOURSE_VERSION')).toBe(false);
          for (const r of mine.filter((x) => x.required)) expect(vars.has(r.env), `${command} ${r.env}`).toBe(true);
          if (label !== 'defaults') {
            for (const o of FLAG_OPTIONS.filter((x) => x.command === command)) {
              expect(vars.has(o.env), `${o.option} → ${o.env}`).toBe(true);
            }
          }
        }
        if (label !== 'defaults') {
          expect(serviceVariables(web).get('CONCOURSE_PROMETHEUS_BIND_PORT')).toBe('9391');
          expect(serviceVariables(web).get('CONCOURSE_CAPTURE_ERROR_METRICS')).toBe('true');
          expect(serviceVariables(web).get('CONCOURSE_TSA_BIND_PORT')).toBe('2223');
          expect(serviceVariables(worker).get('CONCOURSE_TAG')).toBe('gpu,big');
          expect(serviceVariables(worker).get('CONCOURSE_CONTAINERD_DNS_SERVER')).toBe('1.1.1.1,8.8.8.8');
        } else {
          expect(serviceVariables(web).has('CONCOURSE_PROMETHEUS_BIND_PORT')).toBe(false);
          expect(serviceVariables(web).has('CONCOURSE_CAPTURE_ERROR_METRICS')).toBe(false);
          // What the charm chooses on an LXD container with systemd-resolved (worker-defaults.ts).
          expect(serviceVariables(worker).get('CONCOURSE_BAGGAGECLAIM_DRIVER')).toBe('naive');
          expect(serviceVariables(worker).get('CONCOURSE_CONTAINERD_DNS_SERVER')).toBe('10.148.1.1');
        }
      });
    }
  }
});

describe('operator settings merged with the charm’s', () => {
  const v7 = ConcourseVersion.parse('7.14.3');
  const v8 = ConcourseVersion.parse('8.2.5');
  const flag = (key: string, value: string): OperatorFlag => ({ key, value, from: 'worker-extra-env' });
  const charm = [['CONCOURSE_WORK_DIR', '/w']] as const;

  test.each([
    [v7, flag('CONCOURSE_VERSION', '1'), 'CONCOURSE_VERSION makes every concourse command fail'],
    [v7, flag('CONCOURSE_WORK_DIR', '/x'), 'worker-extra-env: CONCOURSE_WORK_DIR is set by the charm'],
    [v7, flag('CONCOURSE_GARDEN_DNS_SERVER', '1.1.1.1'), 'is a Guardian setting and the worker runs containerd'],
    [v7, flag('CONCOURSE_NO_SUCH_FLAG', 'x'), 'CONCOURSE_NO_SUCH_FLAG is not a flag of concourse worker 7.x'],
    [v7, flag('CONCOURSE_CONTAINERD_LOG_LEVEL', 'warn'), 'is not a flag of concourse worker 7.x'],
    [v7, flag('CONCOURSE_CONTAINERD_MTU', 'big'), 'CONCOURSE_CONTAINERD_MTU must be a whole number'],
    [v7, flag('CONCOURSE_BAGGAGECLAIM_DRIVER', 'zfs'), 'must be one of detect, naive, btrfs, overlay'],
  ])('%s, %j → blocked naming the key', (version, f, reason) => {
    expect(() => mergeFlags('worker', version, charm, [f])).toThrow(ServiceConfigProblem);
    expect(() => mergeFlags('worker', version, charm, [f])).toThrow(reason);
  });

  test('a flag new in 8.x → accepted when the worker runs 8.2.5', () => {
    expect(mergeFlags('worker', v8, charm, [flag('CONCOURSE_CONTAINERD_LOG_LEVEL', 'warn')])).toContainEqual([
      'CONCOURSE_CONTAINERD_LOG_LEVEL',
      'warn',
    ]);
  });

  test('an option and extra env setting the same flag → blocked naming both', () => {
    const both = [
      { key: 'CONCOURSE_TEAM', value: 'a', from: 'worker-team' },
      { key: 'CONCOURSE_TEAM', value: 'b', from: 'worker-extra-env' },
    ];
    expect(() => mergeFlags('worker', v7, charm, both)).toThrow(
      'worker-extra-env: CONCOURSE_TEAM is also set by worker-team',
    );
  });

  test('the charm writing a variable its release does not read → a bug, thrown as such', () => {
    expect(() => mergeFlags('web', v7, [['CONCOURSE_WORK_DIR', '/w']], [])).toThrow(RangeError);
  });
});
