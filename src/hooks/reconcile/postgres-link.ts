// Hooks: the `postgresql` relation. The leader asks for the database (both keys in one write); web units read the
// provider's answer and the latest revision of the `secret-user` secret (a rotated password arrives with
// `secret-changed`, and is also picked up by a unit that only now becomes a web).

import { inject, injectable } from 'inversify';
import type { PostgresConnection } from '../../domain/concourse-services';
import type { HookContext } from '../../domain/hook-event';
import {
  databaseRequest,
  POSTGRES_ENDPOINT,
  parseProviderAnswer,
  postgresConnection,
} from '../../domain/postgres-client';
import { HOOK_TOOLS, type HookTools } from '../../ports/hook-tools';
import { HOOK_CONTEXT } from '../../ports/peer-relation';
import { RelatedUnits } from './related-units';
import { RelationOutbox } from './relation-outbox';

@injectable()
export class PostgresLink {
  constructor(
    @inject(HOOK_TOOLS) private readonly tools: HookTools,
    @inject(HOOK_CONTEXT) private readonly context: HookContext,
    @inject(RelatedUnits) private readonly related: RelatedUnits,
    @inject(RelationOutbox) private readonly outbox: RelationOutbox,
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
    if (id === undefined) return postgresConnection({ app, related: false, answer: undefined, credentials: undefined });
    const answer = parseProviderAnswer(await this.related.remoteApp(id));
    const credentials =
      answer.secretUser === undefined
        ? undefined
        : // Always the latest revision: a unit that was a worker when the password rotated must not start its web
          // (after a leadership move) with the revision it tracked before.
          await this.tools.secretGet({ id: answer.secretUser }, { refresh: true });
    return postgresConnection({ app, related: true, answer, credentials });
  }
}
