// Domain: which `CONCOURSE_*` variables `concourse web` and `concourse worker` of a release read, and what values
// they accept (from the generated concourse-flag-table.ts). Every variable the charm writes is checked against it.

import { FLAG_TABLE_TEXT } from './concourse-flag-table';
import type { ConcourseVersion } from './version';

export type ConcourseCommand = 'web' | 'worker';
export type FlagKind =
  | 'bool'
  | 'dir'
  | 'duration'
  | 'file'
  | 'float'
  | 'int'
  | 'ip'
  | 'list'
  | 'map'
  | 'private-key'
  | 'string'
  | 'uint'
  | 'uint16'
  | 'url';

export interface FlagSpec {
  /** The full variable name, such as CONCOURSE_BIND_PORT (or http_proxy, which has no prefix). */
  readonly name: string;
  readonly kind: FlagKind;
  /** The values go-flags accepts, when the flag restricts them (each item, for a list). */
  readonly choices: readonly string[] | undefined;
  readonly required: boolean;
}

export class FlagTable {
  constructor(
    /** The release whose source the table was extracted from (7.14.3 stands for every 7.x). */
    readonly release: string,
    private readonly specs: ReadonlyMap<ConcourseCommand, ReadonlyMap<string, FlagSpec>>,
  ) {}

  spec(command: ConcourseCommand, name: string): FlagSpec | undefined {
    return this.specs.get(command)?.get(name);
  }

  has(command: ConcourseCommand, name: string): boolean {
    return this.spec(command, name) !== undefined;
  }

  all(command: ConcourseCommand): readonly FlagSpec[] {
    return [...(this.specs.get(command)?.values() ?? [])];
  }
}

/** The releases whose flags are known, oldest first. */
export const FLAG_TABLE_RELEASES = Object.keys(FLAG_TABLE_TEXT);

/**
 * The table for the release a unit runs: the newest known release of the same major version (7.14.3 for 7.x,
 * 8.2.5 for 8.x); a major version older than every table uses the oldest, a newer one the newest.
 */
export function flagTableFor(version: ConcourseVersion): FlagTable {
  const releases = FLAG_TABLE_RELEASES.map((r) => ({ r, major: Number(r.split('.')[0]) }));
  const sameMajor = releases.filter((x) => x.major === version.major).at(-1);
  const pick = sameMajor ?? (version.major < (releases[0]?.major ?? 0) ? releases[0] : releases[releases.length - 1]);
  if (pick === undefined) throw new Error('no Concourse flag table is known');
  return flagTable(pick.r);
}

const parsed = new Map<string, FlagTable>();

export function flagTable(release: string): FlagTable {
  const known = parsed.get(release);
  if (known !== undefined) return known;
  const text = FLAG_TABLE_TEXT[release];
  if (text === undefined) throw new Error(`no Concourse flag table for ${release}`);
  const table = parseTable(release, text);
  parsed.set(release, table);
  return table;
}

function parseTable(release: string, text: string): FlagTable {
  type Draft = { kind: FlagKind; choices?: string[]; required?: boolean };
  const drafts = new Map<ConcourseCommand, Map<string, Draft>>([
    ['web', new Map()],
    ['worker', new Map()],
  ]);
  for (const line of text.split('\n').filter((l) => l !== '')) {
    const [command, what, ...rest] = line.split(' ');
    const mine = drafts.get(command as ConcourseCommand);
    if (mine === undefined || what === undefined) throw new Error(`bad flag table line: ${line}`);
    if (what === 'choice') {
      const draft = mine.get(fullName(rest[0] ?? ''));
      if (draft !== undefined) draft.choices = (rest[1] ?? '').split('|');
    } else if (what === 'required') {
      for (const n of rest) {
        const draft = mine.get(fullName(n));
        if (draft !== undefined) draft.required = true;
      }
    } else {
      for (const n of rest) mine.set(fullName(n), { kind: what as FlagKind });
    }
  }
  const specs = new Map<ConcourseCommand, Map<string, FlagSpec>>();
  for (const [command, mine] of drafts) {
    specs.set(
      command,
      new Map(
        [...mine].map(([name, d]) => [
          name,
          { name, kind: d.kind, choices: d.choices, required: d.required === true } satisfies FlagSpec,
        ]),
      ),
    );
  }
  return new FlagTable(release, specs);
}

/** http_proxy, https_proxy and no_proxy are the only names without the prefix (lowercase `env:` tags). */
function fullName(short: string): string {
  return /[a-z]/.test(short) ? short : `CONCOURSE_${short}`;
}

const GO_BOOL = new Set(['1', 't', 'T', 'TRUE', 'true', 'True', '0', 'f', 'F', 'FALSE', 'false', 'False']);
// time.ParseDuration: "0", or a sequence of decimal numbers each with a unit.
const GO_DURATION = /^[-+]?(?:0|(?:(?:\d+(?:\.\d*)?|\.\d+)(?:ns|us|µs|μs|ms|s|m|h))+)$/;
const IPV4 = /^(?:(?:25[0-5]|2[0-4]\d|1\d\d|[1-9]?\d)\.){3}(?:25[0-5]|2[0-4]\d|1\d\d|[1-9]?\d)$/;
const IPV6 = /^[0-9A-Fa-f]*:[0-9A-Fa-f:.]*$/;

/**
 * Why `concourse` would refuse `value` for this flag at start-up, or undefined when it accepts it (as far as the
 * value alone tells: whether a file exists is the adapter's to see).
 */
export function flagValueProblem(spec: FlagSpec, value: string): string | undefined {
  const items = spec.kind === 'list' || spec.kind === 'map' ? value.split(',') : [value];
  if (spec.choices !== undefined) {
    const bad = items.find((item) => !spec.choices?.includes(item));
    if (bad !== undefined) return `must be one of ${spec.choices.join(', ')}`;
  }
  switch (spec.kind) {
    case 'int':
      return /^[-+]?\d+$/.test(value) ? undefined : 'must be a whole number';
    case 'uint':
      return /^\d+$/.test(value) ? undefined : 'must be a whole number >= 0';
    case 'uint16':
      return /^\d+$/.test(value) && Number(value) <= 65535 ? undefined : 'must be a whole number from 0 to 65535';
    case 'float':
      return value.trim() !== '' && Number.isFinite(Number(value)) ? undefined : 'must be a number';
    case 'bool':
      return GO_BOOL.has(value) ? undefined : 'must be true or false';
    case 'duration':
      return GO_DURATION.test(value) ? undefined : 'must be a duration such as 30s, 5m or 1h30m';
    case 'ip':
      return IPV4.test(value) || IPV6.test(value) ? undefined : 'must be an IP address';
    case 'url':
      return /^[a-z][a-z0-9+.-]*:\/\/[^\s]+$/i.test(value) ? undefined : 'must be a URL such as https://host';
    case 'file':
    case 'dir':
    case 'private-key':
      return value.startsWith('/') ? undefined : 'must be an absolute path';
    case 'map':
      return items.every((i) => i.includes(':')) || value === '' ? undefined : 'must be NAME:VALUE pairs';
    case 'list':
    case 'string':
      return undefined;
  }
}
