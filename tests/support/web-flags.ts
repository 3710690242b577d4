// Test support: the `concourse web` variables of a release, from the flag tables in reference/concourse (extracted
// from Concourse's source), for tests that check every variable a rendering writes.

import { readFileSync } from 'node:fs';

export const RELEASES = ['7.14.3', '8.2.5'] as const;

export function webFlags(release: string): ReadonlySet<string> {
  return new Set(
    readFileSync(`reference/concourse/flags-${release}.tsv`, 'utf8')
      .split('\n')
      .filter((l) => l.startsWith('web\t'))
      .map((l) => l.split('\t')[1] ?? ''),
  );
}
