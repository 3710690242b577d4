// Domain: which names may become path components of a release store (a version under releases/, a unit directory
// under worker/, a file a manifest lists). Anything that could leave its directory is refused before it reaches a path.

import { InvalidInputError } from './errors';

const VERSION_COMPONENT = /^[0-9A-Za-z.+-]{1,128}$/;
/** `<application>-<number>`, the unit name with its slash replaced. */
export const UNIT_DIR_COMPONENT = /^[a-z][a-z0-9-]*-[0-9]+$/;

/** Broader than ConcourseVersion on purpose: a leftover such as `7.14.2-custom` must still be listable and removable. */
export function isSafeVersion(version: string): boolean {
  return VERSION_COMPONENT.test(version) && !version.includes('..') && !version.startsWith('.');
}

/** A release version as a path component: refuses anything that could leave `releases/` (`/`, `..`). */
export function assertSafeVersion(version: string): string {
  if (!isSafeVersion(version)) {
    throw new InvalidInputError(
      `Refusing release version ${JSON.stringify(version.slice(0, 40))}: not a plain version such as 7.14.2`,
    );
  }
  return version;
}

export function isSafeUnitDir(unitDir: string): boolean {
  return UNIT_DIR_COMPONENT.test(unitDir) && unitDir.length <= 128;
}

/** A unit directory name (`concourse-ci-0`) as a path component under `worker/`. */
export function assertSafeUnitDir(unitDir: string): string {
  if (!isSafeUnitDir(unitDir)) {
    throw new InvalidInputError(
      `Refusing unit directory ${JSON.stringify(unitDir.slice(0, 40))}: expected <application>-<number>`,
    );
  }
  return unitDir;
}

/** A manifest path: relative, forward slashes, no `.`/`..` segments, so checking it never leaves the release. */
export function isSafeRelativePath(relative: string): boolean {
  if (relative === '' || relative.startsWith('/') || relative.includes('\\') || relative.includes('\0')) return false;
  return relative.split('/').every((segment) => segment !== '' && segment !== '.' && segment !== '..');
}

/** The staging directory name for a unit's download: `<version>.<unit with safe characters>.<random>`. */
export function stagingName(version: string, unit: string, random: string): string {
  const unitPart = unit.replace(/[^A-Za-z0-9-]+/g, '-').slice(0, 64) || 'unit';
  return `${assertSafeVersion(version)}.${unitPart}.${random}`;
}
