// Test support: the sinks an operator or another charm can read (tool argv, systemctl calls, logs, statuses,
// relation data, the shared volume, action results), scanned for secret values; the web's restarts on a unit; and
// the one-web-unit deployment the secret e2e tests start from.

import { expect } from 'vitest';
import { relatePostgres } from '../../sim/concourse/postgres-stub';
import { startReleaseServer } from '../../sim/concourse/release-server';
import { SimModel } from '../../sim/model';
import { freePorts } from './free-ports';
import { packedCharm } from './packed-charm';
import { allRelationData, allText, changes, env } from './unit-inspection';

const WEB = 'concourse-server.service';

/** Starts and restarts of the web on a unit, from the fake systemd's records. */
export function webRestarts(sim: SimModel, unit: string): number {
  return changes(sim, unit).filter((c) => c.endsWith(WEB) && /^(start|restart)/.test(c)).length;
}

/**
 * Runs storage-status and get-admin-password on the unit, then asserts that no value in `secrets` (nor the admin's
 * password) is in any sink. get-admin-password's own action-set is the one place the admin's password may appear.
 */
export async function expectNoSecretInSinks(sim: SimModel, unit: string, secrets: readonly string[]): Promise<void> {
  const admin = env(sim, unit, 'web').CONCOURSE_ADD_LOCAL_USER?.split(',')[0]?.split(':')[1] ?? '';
  expect(admin.length).toBeGreaterThan(8);
  const action = await sim.runAction(unit, 'storage-status', {});
  const argvBefore = sim.toolArgv().length;
  const adminAction = await sim.runAction(unit, 'get-admin-password', {});
  // Juju's action-set takes results only as arguments: get-admin-password's own call is the one exception.
  const actionSets = sim
    .toolArgv()
    .slice(argvBefore)
    .filter((c) => c.argv.join(' ').includes(admin));
  expect(actionSets.map((c) => c.tool)).toEqual(['action-set']);
  expect(adminAction.results.password).toBe(admin);
  const sinks: Record<string, string> = {
    argv: JSON.stringify(sim.toolArgv().filter((c) => !actionSets.includes(c))),
    systemctl: JSON.stringify(sim.systemctlCalls(unit)),
    debugLog: sim.debugLog().join('\n'),
    hookOutput: sim.unitLog(unit),
    statuses: JSON.stringify(sim.status()),
    relationData: allRelationData(sim),
    volume: allText(sim.volumeHostPath(unit), ['releases']),
    actions: JSON.stringify([action, { ...adminAction, results: {}, stdout: '' }]),
  };
  for (const [sink, text] of Object.entries(sinks)) {
    for (const value of [...secrets, admin]) {
      expect(text.includes(value), `${sink} holds a secret value`).toBe(false);
    }
  }
  // The scan read something: a model where no tool ran would pass it vacuously.
  expect(sim.toolArgv().length).toBeGreaterThan(50);
}

/**
 * One web unit of the packed charm, running 7.14.2 from a release server on 127.0.0.1, related to PostgreSQL; its
 * services recorded, or run for real (`services: 'run'`) on free ports.
 */
export async function deployOneWeb(
  app: string,
  opts: { readonly services?: 'run' } = {},
): Promise<{ readonly sim: SimModel; close(): Promise<void> }> {
  const server = await startReleaseServer();
  await server.addRelease({ version: '7.14.2', fillerBytes: 1024 * 1024 });
  const sim = await SimModel.create({ charm: await packedCharm(), ...opts });
  // Services that run share the host's network: ports of their own.
  const [webPort, tsaPort] = opts.services === 'run' ? await freePorts(2) : [];
  await sim.deploy(app, {
    units: 1,
    config: {
      mode: 'web',
      version: '7.14.2',
      'download-url': server.downloadUrlTemplate,
      ...(webPort === undefined ? {} : { 'web-port': webPort, 'tsa-port': tsaPort ?? 0 }),
    },
  });
  await relatePostgres(sim, app);
  await sim.settle();
  return {
    sim,
    close: async () => {
      await sim.close();
      await server.close();
    },
  };
}
