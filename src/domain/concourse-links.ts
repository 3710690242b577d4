// Domain: how web and worker units find each other. Web units offer their TSA (host, port, host public key, running
// version) in their unit bag on `peers` and on every `tsa` relation; worker units offer their public key on `peers`
// and on every `flight` relation. Only public keys ever travel: private keys stay in files on the unit, and the
// keys several web units share live in an application-owned Juju secret (web-keys.ts).

import type { Mode } from './charm-config';
import type { TsaAddress } from './concourse-services';
import { CharmProblem } from './errors';
import { parseHostPort } from './postgres-client';
import type { Role } from './roles';

export const TSA_ENDPOINT = 'tsa';
export const FLIGHT_ENDPOINT = 'flight';

export const LINK_KEYS = {
  tsaHost: 'tsa-host',
  tsaPort: 'tsa-port',
  tsaPublicKey: 'tsa-public-key',
  concourseVersion: 'concourse-version',
  workerPublicKey: 'worker-public-key',
} as const;

export interface TsaOffer {
  readonly host: string;
  readonly port: number;
  readonly publicKey: string;
  readonly version: string | undefined;
}

export type Bag = Readonly<Record<string, string>>;

/** What a web unit writes, with the version it runs; with `offer` undefined (no running web), the same keys emptied. */
export function webOfferData(offer: TsaOffer | undefined): Bag {
  return {
    [LINK_KEYS.tsaHost]: offer?.host ?? '',
    [LINK_KEYS.tsaPort]: offer === undefined ? '' : String(offer.port),
    [LINK_KEYS.tsaPublicKey]: offer?.publicKey ?? '',
    [LINK_KEYS.concourseVersion]: offer?.version ?? '',
  };
}

export function workerOfferData(publicKey: string | undefined): Bag {
  return { [LINK_KEYS.workerPublicKey]: publicKey ?? '' };
}

/** A TSA offer read from a remote bag; undefined when absent or malformed (a bag is remote input, never trusted). */
export function parseTsaOffer(bag: Bag): TsaOffer | undefined {
  const host = bag[LINK_KEYS.tsaHost];
  const portText = bag[LINK_KEYS.tsaPort];
  const publicKey = parsePublicKey(bag[LINK_KEYS.tsaPublicKey]);
  if (host === undefined || portText === undefined || publicKey === undefined || !/^\d{1,5}$/.test(portText)) {
    return undefined;
  }
  const address = parseHostPort(`${host.includes(':') ? `[${host}]` : host}:${portText}`);
  if (address === undefined) return undefined;
  const version = bag[LINK_KEYS.concourseVersion];
  return { ...address, publicKey, version: version === '' ? undefined : version };
}

const PUBLIC_KEY = /^(ssh-rsa|ssh-ed25519|ecdsa-sha2-nistp(?:256|384|521)) [A-Za-z0-9+/]+={0,3}(?: [\x21-\x7e]+)?$/;

/** One OpenSSH public key line, trimmed; undefined for anything else (a line break could add a second key). */
export function parsePublicKey(text: string | undefined): string | undefined {
  const key = text?.trim();
  return key !== undefined && PUBLIC_KEY.test(key) ? key : undefined;
}

/** The worker keys a TSA accepts, one per line, sorted and unique: the order units join in changes nothing. */
export function authorizedKeysFile(keys: readonly (string | undefined)[]): string {
  const valid = [...new Set(keys.map(parsePublicKey).filter((k): k is string => k !== undefined))].sort();
  return valid.length === 0 ? '' : `${valid.join('\n')}\n`;
}

export interface WorkerTargets {
  readonly tsa: readonly TsaAddress[];
  /** Every TSA host key the worker may meet, as a known-keys file. */
  readonly publicKeys: string;
}

/**
 * Where a worker registers. `mode=all`: its own unit's TSA on loopback (once the local web runs). Otherwise every
 * web offer seen over `peers` and `flight`. None: the status says what the operator (or time) must do.
 */
export function workerTargets(input: {
  readonly app: string;
  readonly mode: Mode;
  readonly local: TsaOffer | undefined;
  readonly peerOffers: readonly TsaOffer[];
  readonly flightOffers: readonly TsaOffer[];
  readonly flightRelated: boolean;
}): WorkerTargets {
  const offers =
    input.mode === 'all'
      ? input.local === undefined
        ? []
        : [{ ...input.local, host: '127.0.0.1' }]
      : [...input.peerOffers, ...input.flightOffers];
  if (offers.length === 0) throw noTsaProblem(input);
  return {
    tsa: offers.map((o) => ({ host: o.host, port: o.port })),
    publicKeys: `${[...new Set(offers.map((o) => o.publicKey))].sort().join('\n')}\n`,
  };
}

function noTsaProblem(input: { readonly app: string; readonly mode: Mode; readonly flightRelated: boolean }) {
  switch (input.mode) {
    case 'all':
      return new CharmProblem('waiting', 'Worker waiting for this unit’s web to start');
    case 'auto':
      return new CharmProblem('waiting', 'Worker waiting for the leader’s web to start');
    default:
      return input.flightRelated
        ? new CharmProblem('waiting', 'Worker waiting for a web unit to offer its TSA over flight')
        : new CharmProblem(
            'blocked',
            `Worker has no web to register with: juju integrate ${input.app}:${FLIGHT_ENDPOINT} <web-application>:${TSA_ENDPOINT}`,
          );
  }
}

/**
 * Whether the TSA port is opened (`open-port`, what `juju expose` publishes): when workers live in another
 * application. Workers of this application reach it inside the model without it.
 */
export function tsaPortNeeded(input: {
  readonly mode: Mode;
  readonly roles: readonly Role[];
  readonly tsaRelated: boolean;
}): boolean {
  return input.roles.includes('web') && (input.tsaRelated || input.mode === 'web');
}
