// Simulator: a stand-in PostgreSQL (a stub application speaking postgresql_client) that answers a Concourse
// application's database request the way the postgresql charm does: `endpoints` and a `secret-user` secret.
import type { SimModel } from '../model';

export const POSTGRES_APP = 'postgresql';
export const POSTGRES_ENDPOINTS = '10.20.30.40:5432';

export interface PostgresStub {
  readonly relationId: string;
  readonly secretUri: string;
}

/** Deploys the stand-in (once per model), relates it to `app` and shares credentials; settle() to see the effect. */
export async function relatePostgres(
  sim: SimModel,
  app: string,
  opts: { readonly share?: boolean; readonly password?: string } = {},
): Promise<PostgresStub> {
  if (!sim.status().apps.some((a) => a.name === POSTGRES_APP)) {
    await sim.deployStub(POSTGRES_APP, {
      endpoints: { database: { interface: 'postgresql_client', role: 'provides' } },
    });
  }
  const relationId = await sim.integrate(`${app}:postgresql`, `${POSTGRES_APP}:database`);
  const secretUri = await sim.addSecret(POSTGRES_APP, {
    username: `relation_${relationId.replace(/\D/g, '')}`,
    password: opts.password ?? 'pg-password-1',
  });
  await sim.grantSecret(secretUri, relationId);
  if (opts.share !== false) await sharePostgresCredentials(sim, relationId, secretUri);
  return { relationId, secretUri };
}

export async function sharePostgresCredentials(sim: SimModel, relationId: string, secretUri: string): Promise<void> {
  await sim.setRelationData(relationId, POSTGRES_APP, {
    endpoints: POSTGRES_ENDPOINTS,
    'secret-user': secretUri,
    version: '16.6',
  });
}

/** `juju deploy` of a charm application plus its database: what most tests of other concerns want to start from. */
export async function deployWithPostgres(
  sim: SimModel,
  app: string,
  opts: Parameters<SimModel['deploy']>[1],
): Promise<PostgresStub> {
  await sim.deploy(app, opts);
  return relatePostgres(sim, app);
}

/** The status of one application's units (the stand-in database's units left out). */
export function unitsOf(sim: SimModel, app: string): ReturnType<SimModel['status']>['units'] {
  return sim.status().units.filter((u) => u.name.startsWith(`${app}/`));
}
