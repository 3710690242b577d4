// Hooks: the application-owned secret with the keys and password every web unit shares. The leader creates it
// once (keys from the release's own `concourse generate-key`) and writes its URI to the peer application bag in the
// same hook, so either both exist or neither; every web unit reads it with `secret-get`.

import { inject, injectable } from 'inversify';
import { CharmProblem } from '../../domain/errors';
import { WEB_KEYS_SECRET_KEY } from '../../domain/peer-data';
import { nonEmpty } from '../../domain/text';
import { parseWebKeys, WEB_KEYS_LABEL, type WebKeys, webKeysContent } from '../../domain/web-keys';
import { HOOK_TOOLS, type HookTools } from '../../ports/hook-tools';
import { KEY_MAKER, type KeyMaker } from '../../ports/key-maker';
import { LOGGER, type Logger } from '../../ports/logger';
import { PEER_RELATION, type PeerRelation } from '../../ports/peer-relation';
import { RelationOutbox } from './relation-outbox';

@injectable()
export class WebKeysStore {
  private made: WebKeys | undefined;

  constructor(
    @inject(HOOK_TOOLS) private readonly tools: HookTools,
    @inject(PEER_RELATION) private readonly peers: PeerRelation,
    @inject(KEY_MAKER) private readonly keys: KeyMaker,
    @inject(LOGGER) private readonly logger: Logger,
    @inject(RelationOutbox) private readonly outbox: RelationOutbox,
  ) {}

  /** Leader: creates the secret when the application has none yet. `binary` is the release's concourse. */
  async ensure(binary: string): Promise<void> {
    if (!(await this.peers.exists()) || (await this.uri()) !== undefined) return;
    const session = await this.keys.generate(binary, 'rsa');
    const host = await this.keys.generate(binary, 'ssh');
    if (host.publicKey === undefined) throw new Error('concourse generate-key -t ssh wrote no public key');
    const made: WebKeys = {
      sessionSigningKey: session.privateKey,
      tsaHostKey: host.privateKey,
      tsaHostPublicKey: host.publicKey,
      adminPassword: this.keys.password(),
    };
    const uri = await this.tools.secretAdd(webKeysContent(made), {
      label: WEB_KEYS_LABEL,
      description: 'Concourse web: TSA host key, session signing key, admin password',
      owner: 'application',
    });
    this.outbox.toPeerApp({ [WEB_KEYS_SECRET_KEY]: uri });
    this.made = made;
    this.logger.info('web.keys.created', { secret: uri });
  }

  /** The shared keys; waiting while the leader has not made them yet. */
  async read(): Promise<WebKeys> {
    if (this.made !== undefined) return this.made;
    const uri = await this.uri();
    if (uri === undefined) throw new CharmProblem('waiting', 'Waiting for the leader to create the web keys');
    const keys = parseWebKeys(await this.tools.secretGet({ id: uri }));
    if (keys === undefined) {
      throw new CharmProblem(
        'blocked',
        `The web keys secret ${uri} cannot be read or is incomplete: see juju show-secret ${uri}`,
      );
    }
    return keys;
  }

  private async uri(): Promise<string | undefined> {
    if (!(await this.peers.exists())) return undefined;
    return nonEmpty((await this.peers.appData())[WEB_KEYS_SECRET_KEY]);
  }
}
