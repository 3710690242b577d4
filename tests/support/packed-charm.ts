// Test support: the packed charm the e2e tests drive. `npm test` packs before running vitest; a lone vitest run
// packs once here, so tests always drive the same bundle a user deploys.
import { execFileSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { resolve } from 'node:path';

export const CHARM_PATH = resolve('concourse-ci-machine_amd64.charm');

export async function packedCharm(): Promise<string> {
  if (!existsSync(CHARM_PATH)) execFileSync('npm', ['run', 'pack'], { stdio: 'ignore' });
  return CHARM_PATH;
}
