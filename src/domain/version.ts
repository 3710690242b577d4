// Domain: a Concourse release version. Parsed once from config or action input; anything that is not a plain
// dotted version (shell metacharacters, slashes, `..`) is refused before it can reach a path or a URL.

import { InvalidInputError } from './errors';

const VERSION_PATTERN = /^(0|[1-9]\d{0,3})\.(0|[1-9]\d{0,3})\.(0|[1-9]\d{0,3})(?:-(rc|alpha|beta)\.([1-9]\d{0,3}))?$/;

export class ConcourseVersion {
  private constructor(
    readonly major: number,
    readonly minor: number,
    readonly patch: number,
    readonly prerelease: string | undefined,
    private readonly text: string,
  ) {}

  static parse(input: string, what = 'version'): ConcourseVersion {
    const text = input.trim().replace(/^v(?=\d)/, '');
    const m = VERSION_PATTERN.exec(text);
    if (m === null) {
      throw new InvalidInputError(
        `Invalid ${what} ${JSON.stringify(truncate(input))}: use a release number such as 7.14.2`,
      );
    }
    const prerelease = m[4] === undefined ? undefined : `${m[4]}.${m[5]}`;
    return new ConcourseVersion(Number(m[1]), Number(m[2]), Number(m[3]), prerelease, text);
  }

  /** A version another unit or an earlier hook wrote: undefined when empty or not a version (nothing to act on). */
  static tryParse(input: string | undefined): ConcourseVersion | undefined {
    const text = input?.trim().replace(/^v(?=\d)/, '') ?? '';
    return VERSION_PATTERN.test(text) ? ConcourseVersion.parse(text) : undefined;
  }

  static isValid(input: string): boolean {
    return VERSION_PATTERN.test(input);
  }

  /** Negative, zero or positive as this version sorts before, with or after `other`; pre-releases sort first. */
  compare(other: ConcourseVersion): number {
    const byNumber = this.major - other.major || this.minor - other.minor || this.patch - other.patch;
    if (byNumber !== 0) return byNumber;
    if (this.prerelease === other.prerelease) return 0;
    if (this.prerelease === undefined) return 1;
    if (other.prerelease === undefined) return -1;
    return this.prerelease < other.prerelease ? -1 : 1;
  }

  equals(other: ConcourseVersion): boolean {
    return this.compare(other) === 0;
  }

  toString(): string {
    return this.text;
  }
}

function truncate(s: string): string {
  return s.length > 40 ? `${s.slice(0, 40)}…` : s;
}

/**
 * Orders version strings (for sorting lists of releases) as ConcourseVersion.compare does; names that are not
 * versions (leftovers) sort first, so they are the oldest, among themselves by code point.
 */
export function compareVersions(a: string, b: string): number {
  const x = ConcourseVersion.isValid(a) ? ConcourseVersion.parse(a) : undefined;
  const y = ConcourseVersion.isValid(b) ? ConcourseVersion.parse(b) : undefined;
  if (x !== undefined && y !== undefined) return x.compare(y);
  if (x === undefined && y === undefined) return a < b ? -1 : a > b ? 1 : 0;
  return x === undefined ? -1 : 1;
}
