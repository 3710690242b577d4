// Simulation: the login checks of the `concourse web` stand-in (stand-in-auth-checks.sh, hand-written from
// Concourse's skymarshal and dex), with the main team's variables generated from the release's flag table.

import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { readDetails } from '../../scripts/gen-flag-table.mjs';

const SCRIPT = fileURLToPath(new URL('./stand-in-auth-checks.sh', import.meta.url));

/**
 * Shell function `check_web_auth` for a release's flag table: it refuses what `concourse web` refuses at start for
 * its login methods and prints the connectors it opened (`connectors: local oidc ...`).
 * `table` is the path of the release's flags-<release>-details.tsv.
 */
export function standInAuthChecks(table: string): string {
  // Every list flag of the main team names members (users, groups, orgs, teams); the config file is the other way.
  const members = readDetails(table)
    .filter((r) => r.command === 'web' && r.env.startsWith('CONCOURSE_MAIN_TEAM_') && r.type === '[]string')
    .map((r) => r.env);
  if (!members.includes('CONCOURSE_MAIN_TEAM_LOCAL_USER')) throw new Error(`${table} has no main-team flags`);
  return `MAIN_TEAM_VARIABLES='${members.join(' ')}'\n${readFileSync(SCRIPT, 'utf8')}`;
}
