// Domain: the `endpoint` a `filesystem_info` provider (nfs-server-proxy, cephfs-server-proxy) puts in its application
// bag, parsed once into a typed value. Grammar as the provider's lib writes it (charmed-hpc/filesystem-charms
// lib/charms/filesystem_client/v0/filesystem_info.py, _UriData): `<scheme>://[user@](host[:port],...)/path[?k=v&...]`,
// hosts in parentheses, IPv6 in brackets, components percent-encoded. Every decoded piece ends up in a systemd unit
// file or a mount option string, so anything those could misread (`,` `;` `=` quotes, spaces, control characters,
// `..`) is refused here, with a message an operator can act on.

import { z } from 'zod';
import { InvalidInputError } from './errors';

export interface EndpointHost {
  readonly host: string;
  readonly port: number | undefined;
}

/** How the Ceph key arrives: a Juju secret granted to us (content key `key`), or in the URI itself (`plain:`). */
export type CephAuth =
  | { readonly kind: 'secret'; readonly secretId: string }
  | { readonly kind: 'plain'; readonly key: string };

export type SharedFilesystem =
  | { readonly kind: 'nfs'; readonly server: EndpointHost; readonly path: string }
  | {
      readonly kind: 'cephfs';
      readonly user: string;
      readonly monitors: readonly EndpointHost[];
      readonly path: string;
      readonly fsid: string;
      readonly fsName: string;
      readonly auth: CephAuth;
    };

const HOSTNAME = /^[A-Za-z0-9]([A-Za-z0-9-]{0,62})(\.[A-Za-z0-9]([A-Za-z0-9-]{0,62}))*$/;
const IPV6 = /^[0-9A-Fa-f:.]{2,45}$/;
/** Path characters no mount helper, unit file or option string treats specially. */
const SAFE_PATH = /^\/[A-Za-z0-9._~+@/-]*$/;
const NAME = /^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$/;
const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;
/** Juju secret URIs (juju/juju core/secrets/secret.go: idSnippet `[0-9a-z]{20}`, optional source model UUID). */
const SECRET_URI = /^secret:(\/\/[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}\/)?[0-9a-z]{20}$/;
/** A cephx key is base64 (40 characters for the usual 16-byte secret plus header). */
const CEPHX_KEY = /^[A-Za-z0-9+/]{16,256}={0,2}$/;

const URI_SHAPE = /^([a-z][a-z0-9+.-]*):\/\/(?:([^@/()?]*)@)?\(([^()]*)\)(\/[^?#]*)?(?:\?([^#]*))?$/;

const Path = z
  .string()
  .regex(SAFE_PATH, 'the path must be absolute and use only letters, digits and . _ ~ + @ / -')
  .refine((p) => !p.split('/').includes('..'), 'the path must not contain ..');

const Host = z.string().transform((raw, ctx): EndpointHost => {
  const m = /^(?:\[([^\]]*)\]|([^:[\]]*))(?::(\d{1,5}))?$/.exec(raw);
  const name = m?.[1] ?? m?.[2];
  const valid = m !== null && name !== undefined && (m[1] !== undefined ? IPV6.test(name) : HOSTNAME.test(name));
  const port = m?.[3] === undefined ? undefined : Number(m[3]);
  if (!valid || (port !== undefined && (port < 1 || port > 65535))) {
    ctx.addIssue({ code: 'custom', message: `host ${JSON.stringify(raw)} is not a hostname or address[:port]` });
    return z.NEVER;
  }
  return { host: m[1] !== undefined ? `[${name}]` : name, port };
});

const Auth = z.string().transform((raw, ctx): CephAuth => {
  if (SECRET_URI.test(raw)) return { kind: 'secret', secretId: raw };
  if (raw.startsWith('plain:') && CEPHX_KEY.test(raw.slice('plain:'.length))) {
    return { kind: 'plain', key: raw.slice('plain:'.length) };
  }
  // Never echo the value: a malformed plain key is still a key.
  ctx.addIssue({
    code: 'custom',
    message: raw.startsWith('secret:')
      ? 'auth is not a Juju secret URI (secret:<20 characters>)'
      : raw.startsWith('plain:')
        ? 'auth=plain: does not hold a cephx key (base64)'
        : 'auth must be secret:<id> or plain:<key>',
  });
  return z.NEVER;
});

const CephOptions = z
  .object({
    fsid: z.string({ error: 'fsid is missing' }).regex(UUID, 'fsid must be the cluster UUID'),
    name: z
      .string({ error: 'name (the CephFS name) is missing' })
      .regex(NAME, 'name must be a CephFS name (letters, digits, . _ -)'),
    auth: z.string({ error: 'auth is missing' }).pipe(Auth),
    'auth-rev': z
      .string()
      .regex(/^\d{1,9}$/, 'auth-rev must be a number')
      .optional(),
  })
  // Options this charm does not use are ignored, as the lib ignores what it does not know.
  .strip();

const CephUser = z.string().regex(NAME, 'the Ceph user must be letters, digits, . _ -');

/** What the provider's `endpoint` says, or an InvalidInputError whose message names what is wrong (never the key). */
export function parseFilesystemEndpoint(uri: string, provider: string): SharedFilesystem {
  const fail = (why: string): never => {
    throw new InvalidInputError(`The shared-fs endpoint from ${provider} cannot be used: ${why}`);
  };
  if (/[\s"'\\`$;]/.test(uri) || /[^\x21-\x7e]/.test(uri)) {
    fail('it contains spaces, quotes, control or non-ASCII characters');
  }
  const m = URI_SHAPE.exec(uri);
  if (m === null) return fail('it is not <scheme>://[user@](host,...)/path[?options]');
  const [, scheme, rawUser, rawHosts, rawPath, rawQuery] = m;
  if (scheme === 'lustre') {
    throw new InvalidInputError(
      `The shared-fs provider ${provider} offers Lustre, which this charm does not mount: relate an NFS or CephFS provider instead`,
    );
  }
  if (scheme !== 'nfs' && scheme !== 'cephfs')
    return fail(`filesystem type ${JSON.stringify(scheme)} is not nfs or cephfs`);
  const hostList = (rawHosts ?? '').split(',').map((h) => decode(h, fail));
  if (hostList.length === 0 || hostList.some((h) => h === '')) fail('no host given between the parentheses');
  const hosts = parse(z.array(Host), hostList, fail);
  const path = parse(Path, decode(rawPath ?? '/', fail), fail);
  const options = parseQuery(rawQuery, fail);
  if (scheme === 'nfs') {
    // The lib ignores user and options for NFS too (NfsInfo.from_uri); we take only the first host, as it does.
    const [server] = hosts;
    if (server === undefined) return fail('no host given between the parentheses');
    return { kind: 'nfs', server, path };
  }
  if (rawUser === undefined || rawUser === '') return fail('a CephFS endpoint needs a user (cephfs://user@(...))');
  const user = parse(CephUser, decode(rawUser, fail), fail);
  const o = parse(CephOptions, options, fail);
  return { kind: 'cephfs', user, monitors: hosts, path, fsid: o.fsid, fsName: o.name, auth: o.auth };
}

/** The endpoint as status lines and logs show it: no user, no options, so never a key or a secret id. */
export function describeEndpoint(fs: SharedFilesystem): string {
  if (fs.kind === 'nfs') return `nfs://(${hostText(fs.server)})${fs.path}`;
  return `cephfs://(${fs.monitors.map(hostText).join(',')})${fs.path}`;
}

export function hostText(h: EndpointHost): string {
  return h.port === undefined ? h.host : `${h.host}:${h.port}`;
}

function parseQuery(raw: string | undefined, fail: (why: string) => never): Record<string, string> {
  const out: Record<string, string> = {};
  if (raw === undefined || raw === '') return out;
  for (const pair of raw.split('&')) {
    const eq = pair.indexOf('=');
    if (eq <= 0) fail(`option ${JSON.stringify(pair.split('=')[0])} has no value`);
    const key = decode(pair.slice(0, eq), fail);
    const value = decode(pair.slice(eq + 1), fail);
    if (Object.hasOwn(out, key)) fail(`option ${key} is given twice`);
    if (/[,&]/.test(value)) fail(`option ${key} contains , or &`);
    out[key] = value;
  }
  return out;
}

function decode(text: string, fail: (why: string) => never): string {
  let out: string;
  try {
    out = decodeURIComponent(text);
  } catch {
    return fail('it holds a malformed percent-encoding');
  }
  // Checked again after decoding: %2C, %0A and friends must not smuggle in what the raw check refused.
  if (/[\s"'\\`$;]/.test(out) || /[^\x21-\x7e]/.test(out)) {
    fail('a percent-encoded part decodes to spaces, quotes, control or non-ASCII characters');
  }
  return out;
}

function parse<T>(schema: z.ZodType<T, unknown>, value: unknown, fail: (why: string) => never): T {
  const result = schema.safeParse(value);
  if (result.success) return result.data;
  const issue = result.error.issues[0];
  const where = issue?.path.length ? `${issue.path.join('.')}: ` : '';
  return fail(`${where}${issue?.message ?? 'invalid'}`);
}
