// Test support: a model whose services run for real (SimModelOptions.services = 'run') with Concourse deployed in
// mode=auto on ports of its own: units share the host's network, so two test files must never pick the same port.
import { deployWithPostgres } from '../../sim/concourse/postgres-stub';
import type { ReleaseServer } from '../../sim/concourse/release-server';
import { SimModel } from '../../sim/model';
import { freePorts } from './free-ports';
import { packedCharm } from './packed-charm';

export interface RunningModel {
  readonly sim: SimModel;
  readonly webPort: number;
}

/** `units` units of `concourse-ci` (mode=auto) on 7.14.2 with PostgreSQL, settled; hooks get `extraEnv`. */
export async function deployRunning(
  server: ReleaseServer,
  units: number,
  extraEnv: Readonly<Record<string, string>>,
): Promise<RunningModel> {
  const [webPort = 0, tsaPort = 0] = await freePorts(2);
  const sim = await SimModel.create({ charm: await packedCharm(), services: 'run', extraEnv });
  await deployWithPostgres(sim, 'concourse-ci', {
    units,
    config: {
      mode: 'auto',
      version: '7.14.2',
      'download-url': server.downloadUrlTemplate,
      'web-port': webPort,
      'tsa-port': tsaPort,
    },
  });
  await sim.settle();
  return { sim, webPort };
}
