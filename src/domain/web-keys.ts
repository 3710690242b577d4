// Domain: the material every web unit of an application must share: the TSA host key (workers pin its public
// half), the session signing key (a token signed by one web is checked by another) and the admin password. The
// leader makes it once and keeps it in an application-owned Juju secret; its URI is in the peer application bag.

import { z } from 'zod';
import { parsePublicKey } from './concourse-links';

export const WEB_KEYS_LABEL = 'concourse-web-keys';

export interface WebKeys {
  readonly sessionSigningKey: string;
  readonly tsaHostKey: string;
  readonly tsaHostPublicKey: string;
  readonly adminPassword: string;
}

const PRIVATE_KEY = /^-----BEGIN [A-Z ]*PRIVATE KEY-----\n[\s\S]+\n-----END [A-Z ]*PRIVATE KEY-----\n?$/;

const schema = z.object({
  'session-signing-key': z.string().regex(PRIVATE_KEY),
  'tsa-host-key': z.string().regex(PRIVATE_KEY),
  'tsa-host-public-key': z.string().refine((s) => parsePublicKey(s) !== undefined),
  'admin-password': z.string().min(16),
});

/** Secret content (keys as Juju allows them: lower case and dashes). */
export function webKeysContent(keys: WebKeys): Readonly<Record<string, string>> {
  return {
    'session-signing-key': keys.sessionSigningKey,
    'tsa-host-key': keys.tsaHostKey,
    'tsa-host-public-key': keys.tsaHostPublicKey,
    'admin-password': keys.adminPassword,
  };
}

/** The secret's content, or undefined when it is not what the leader writes (never shows a value). */
export function parseWebKeys(content: Readonly<Record<string, string>> | undefined): WebKeys | undefined {
  const r = schema.safeParse(content ?? {});
  if (!r.success) return undefined;
  return {
    sessionSigningKey: withNewline(r.data['session-signing-key']),
    tsaHostKey: withNewline(r.data['tsa-host-key']),
    tsaHostPublicKey: r.data['tsa-host-public-key'].trim(),
    adminPassword: r.data['admin-password'],
  };
}

function withNewline(s: string): string {
  return s.endsWith('\n') ? s : `${s}\n`;
}
