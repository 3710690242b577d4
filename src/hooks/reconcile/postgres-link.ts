// Hooks: the `postgresql` relation. The leader asks for the database (both keys in one write); web units read the
// provider's answer and the latest revision of the `secret-user` secret (a rotated password arrives with
// `secret-changed`, and is also picked up by a unit that only now becomes a web) while the relation is live.

import { inject, injectable } from 'inversify';
import type { PostgresConnection } from '../../domain/concourse-services';
import type { HookContext } from '../../domain/hook-event';
import {
  databaseRequest,
  POSTGRES_ENDPOINT,
  type PostgresRelationState,
  parseProviderAnswer,
  postgresConnection,
  postgresRelationState,
  readsCredentials,
} from '../../domain/postgres-client';
import { HOOK_TOOLS, type HookTools } from '../../ports/hook-tools';
import { HOOK_CONTEXT } from '../../ports/hook-values';
import { LOGGER, type Logger } from '../../ports/logger';
import { RelatedUnits } from './related-units';
import { RelationOutbox } from './relation-outbox';
import { MEMORY_KEYS, UnitMemory } from './unit-memory';

@injectable()
export class PostgresLink {
  constructor(
    @inject(HOOK_TOOLS) private readonly tools: HookTools,
    @inject(HOOK_CONTEXT) private readonly context: HookContext,
    @inject(RelatedUnits) private readonly related: RelatedUnits,
    @inject(RelationOutbox) private readonly outbox: RelationOutbox,
    @inject(UnitMemory) private readonly memory: UnitMemory,
    @inject(LOGGER) private readonly logger: Logger,
  ) {}

  /** Leader: the request, in the application bag of every postgresql relation (there is at most one). */
  async request(): Promise<void> {
    for (const id of await this.related.ids(POSTGRES_ENDPOINT)) {
      this.outbox.toAppBag(id, databaseRequest(this.context.unit.app));
    }
  }

  /** The connection the web service needs, or the status that says what is missing. */
  async connection(): Promise<PostgresConnection> {
    const [id] = await this.related.ids(POSTGRES_ENDPOINT);
    const app = this.context.unit.app;
    const state = id === undefined ? 'none' : await this.state(id);
    if (id === undefined || !readsCredentials(state)) {
      // No secret-get on a relation going away: the provider may have removed the secret (or the grant) with it.
      return postgresConnection({ app, relation: state, answer: undefined, credentials: undefined });
    }
    const answer = parseProviderAnswer(await this.related.remoteApp(id));
    const credentials =
      answer.secretUser === undefined
        ? undefined
        : // Always the latest revision: a unit that was a worker when the password rotated must not start its web
          // (after a leadership move) with the revision it tracked before.
          await this.tools.secretGet({ id: answer.secretUser }, { refresh: true });
    return postgresConnection({ app, relation: state, answer, credentials });
  }

  private async state(id: string): Promise<PostgresRelationState> {
    const remoteApp = await this.related.remoteAppName(id);
    const remoteUnits = (await this.related.remoteUnitNames(id)).length;
    if (remoteUnits > 0) await this.memory.remember({ [MEMORY_KEYS.postgresJoined]: id });
    const state = postgresRelationState({
      listed: true,
      remoteApp,
      remoteUnits,
      departingHere: this.related.departedHere(id),
      joinedBefore: (await this.memory.get(MEMORY_KEYS.postgresJoined)) === id,
    });
    if (state === 'leaving' || state === 'departing') {
      this.logger.info(`postgres.relation.${state}`, { relation: id, remoteApp, remoteUnits });
    }
    return state;
  }
}
