// Simulator: user secrets, the ones an operator manages with `juju add-secret`, `grant-secret`, `revoke-secret` and
// `update-secret` (Juju >= 3.3) and hands to a charm through a config option of type `secret`.
//
// What Juju does, and this models:
// - `juju add-secret <name> key=value...` makes a model-owned secret and prints its URI (`secret:<20 base32hex>`);
//   names are unique in the model (juju/juju cmd/juju/secrets/add.go; docs: "How to manage secrets").
// - `juju grant-secret <name|id> <app>[,<app>...]` lets every unit of those applications `secret-get` it, over no
//   relation; `juju revoke-secret` takes that away, and the next `secret-get` answers `permission denied` (the
//   secrets manager facade's ErrPerm: apiserver/facades/agent/secretsmanager/secrets.go, getSecretContent). Juju runs
//   no hook on the consumer for either: the charm finds out in its next hook (update-status at the latest).
// - `juju update-secret` adds a revision; every consumer unit tracking an older one gets `secret-changed` and reads
//   the new content with `secret-get --refresh` (the same consumer tracking as charm secrets).

import { randomInt } from 'node:crypto';
import { SimError } from '../charm-spec';
import { type Bag, parseSecretId, type Secret, secretUri } from '../model-state';
import type { ModelWorld } from './world';

const ID_ALPHABET = '0123456789abcdefghijklmnopqrstuv';

export class UserSecrets {
  constructor(private readonly world: ModelWorld) {}

  add(name: string, content: Readonly<Bag>): string {
    if ([...this.world.secretStore.values()].some((s) => s.name === name)) {
      throw new SimError(`secret with name "${name}" already exists`);
    }
    if (Object.keys(content).length === 0) throw new SimError('missing secret value or filename');
    let id = '';
    for (let i = 0; i < 20; i++) id += ID_ALPHABET[randomInt(ID_ALPHABET.length)];
    this.world.secretStore.set(id, {
      id,
      ownerApp: '',
      name,
      revisions: [{ revision: 1, content: { ...content } }],
      grants: [],
      consumers: {},
    });
    return secretUri(id);
  }

  grant(secret: string, apps: readonly string[]): void {
    const s = this.find(secret);
    for (const app of apps) {
      this.world.app(app);
      if (!s.grants.some((g) => g.app === app && g.relationId === undefined && g.unit === undefined)) {
        s.grants.push({ app });
      }
    }
  }

  revoke(secret: string, apps: readonly string[]): void {
    const s = this.find(secret);
    for (const app of apps) this.world.app(app);
    s.grants = s.grants.filter((g) => !(apps.includes(g.app) && g.relationId === undefined));
  }

  /** The user secret named by `secret`: its name, its URI or its bare id, as the juju CLI accepts them. */
  find(secret: string): Secret {
    const id = parseSecretId(secret);
    const s = [...this.world.secretStore.values()].find((x) => x.name === secret || x.id === id);
    if (s === undefined) throw new SimError(`secret "${secret}" not found`);
    if (s.ownerApp !== '') throw new SimError(`secret "${secret}" is owned by ${s.ownerApp}, not a user secret`);
    return s;
  }
}
