// Simulation: Concourse release tarballs shaped like upstream's (`concourse/bin/concourse`, resource types, fly assets),
// with POSIX sh stand-ins for the binaries, for adapter tests, e2e tests and the demo. Also builds hostile archives.

import { createCipheriv, createHash } from 'node:crypto';
import { gzipSync } from 'node:zlib';
import { EXITS_AT_START_MARKER } from '../sim-markers';
import { standInChecks } from './stand-in-checks';

export type HostileVariant =
  | 'dotdot'
  | 'absolute'
  | 'symlink-escape'
  | 'hardlink-escape'
  | 'device'
  | 'symlink-then-file';

export interface ReleaseTarballOptions {
  readonly version: string;
  /** Only names the fly asset and the `.filler` seed; the stand-ins are arch-independent shell scripts. */
  readonly arch?: string;
  /** Size of `concourse/bin/.filler`, incompressible, so downloads take realistic bytes. Default 1 MiB. */
  readonly fillerBytes?: number;
  /**
   * Adds one hostile entry right after `concourse/bin/` (before resource types and fly assets, so a test can see that
   * extraction stopped). Relative escapes aim at `escaped`, one level above the extraction directory when extracted
   * with strip 1; `absolute` aims at `absoluteTarget`.
   */
  readonly hostile?: HostileVariant;
  /** Where the `absolute` variant writes. Default `/tmp/concourse-ci-machine-escaped`. */
  readonly absoluteTarget?: string;
  /**
   * A release that installs (`--version` answers) but whose `web` and `worker` exit at once: the fake systemd reads
   * the marker line and fails the service right after starting it, as systemd would for a crashing main process.
   */
  readonly exitsAtStart?: boolean;
  /**
   * A release whose `web` starts and keeps running but never answers on its port (a web stuck before serving, say
   * migrating): for the charm's check that a started web serves `/api/v1/info`.
   */
  readonly webNeverServes?: boolean;
  /**
   * What `concourse migrate --supported-db-version` prints. Default: derived from the version (each release a newer
   * schema), so a rollback between two stand-ins needs a down-migration, as between real releases that migrate.
   */
  readonly dbSchema?: number;
}

/** The stand-ins' default schema version for a release: grows with the version. */
export function defaultDbSchema(version: string): number {
  const [major = 0, minor = 0, patch = 0] = version.split(/[.-]/).map((p) => Number.parseInt(p, 10) || 0);
  return 1_700_000_000 + major * 10_000 + minor * 100 + patch;
}

export interface ReleaseTarball {
  readonly data: Buffer;
  readonly sha1: string;
  readonly sha256: string;
}

export type TarEntry =
  | { readonly type: 'file'; readonly path: string; readonly mode?: number; readonly content: Buffer | string }
  | { readonly type: 'dir'; readonly path: string; readonly mode?: number }
  | { readonly type: 'symlink'; readonly path: string; readonly target: string }
  | { readonly type: 'hardlink'; readonly path: string; readonly target: string }
  | {
      readonly type: 'char-device' | 'block-device' | 'fifo';
      readonly path: string;
      readonly major?: number;
      readonly minor?: number;
    };

/** Name of the file the relative hostile variants try to create beside the extraction directory. */
export const ESCAPE_NAME = 'escaped';
export const DEFAULT_ABSOLUTE_TARGET = '/tmp/concourse-ci-machine-escaped';

// Fixed so that the same inputs give the same bytes (and the same sha1) on every run: 2024-01-01T00:00:00Z.
const MTIME = 1_704_067_200;
const BLOCK = 512;
// GNU tar's default record size; upstream tarballs are padded to it.
const RECORD = 20 * BLOCK;

export async function buildReleaseTarball(opts: ReleaseTarballOptions): Promise<ReleaseTarball> {
  const version = checkVersion(opts.version);
  const arch = opts.arch ?? 'amd64';
  if (!/^[a-z0-9_]+$/.test(arch)) throw new Error(`arch ${JSON.stringify(arch)} is not a plain word`);
  const fillerBytes = opts.fillerBytes ?? 1024 * 1024;

  const entries: TarEntry[] = [
    { type: 'dir', path: 'concourse/' },
    { type: 'dir', path: 'concourse/bin/' },
    {
      type: 'file',
      path: 'concourse/bin/concourse',
      mode: 0o755,
      content: concourseScript(
        version,
        opts.exitsAtStart === true,
        opts.dbSchema ?? defaultDbSchema(version),
        opts.webNeverServes === true,
      ),
    },
    { type: 'file', path: 'concourse/bin/gdn', mode: 0o755, content: gdnScript(version) },
    ...hostileEntries(opts.hostile, opts.absoluteTarget ?? DEFAULT_ABSOLUTE_TARGET),
    { type: 'file', path: 'concourse/bin/.filler', mode: 0o644, content: filler(`${version}/${arch}`, fillerBytes) },
    { type: 'dir', path: 'concourse/resource-types/' },
    ...resourceType('registry-image', '1.12.0'),
    ...resourceType('git', '1.17.0'),
    { type: 'dir', path: 'concourse/fly-assets/' },
    { type: 'file', path: `concourse/fly-assets/fly-linux-${arch}.tgz`, mode: 0o644, content: flyAsset(version) },
    { type: 'file', path: 'concourse/fly-assets/fly-darwin-amd64.tgz', mode: 0o644, content: flyAsset(version) },
  ];
  const data = gzipSync(writeTar(entries));
  return {
    data,
    sha1: createHash('sha1').update(data).digest('hex'),
    sha256: createHash('sha256').update(data).digest('hex'),
  };
}

/** A ustar archive of exactly these entries, gzip-compressed: for tests that need an archive no builder would make. */
export function buildTarGz(entries: readonly TarEntry[]): Buffer {
  return gzipSync(writeTar(entries));
}

/**
 * A minimal ustar writer. node-tar's packer reads from the file system and refuses hostile paths, so the hostile
 * variants need raw headers; writing every archive this way keeps the output byte-for-byte deterministic too.
 */
export function writeTar(entries: readonly TarEntry[]): Buffer {
  const blocks: Buffer[] = [];
  for (const entry of entries) {
    const body = entry.type === 'file' ? toBuffer(entry.content) : Buffer.alloc(0);
    blocks.push(header(entry, body.length));
    if (body.length > 0) {
      blocks.push(body);
      const pad = (BLOCK - (body.length % BLOCK)) % BLOCK;
      if (pad > 0) blocks.push(Buffer.alloc(pad));
    }
  }
  blocks.push(Buffer.alloc(2 * BLOCK));
  const tar = Buffer.concat(blocks);
  const padded = Math.ceil(tar.length / RECORD) * RECORD;
  return padded === tar.length ? tar : Buffer.concat([tar, Buffer.alloc(padded - tar.length)]);
}

function header(entry: TarEntry, size: number): Buffer {
  const h = Buffer.alloc(BLOCK);
  const { name, prefix } = splitName(entry.path);
  h.write(name, 0, 100, 'utf8');
  const mode = entry.type === 'file' || entry.type === 'dir' ? (entry.mode ?? defaultMode(entry.type)) : 0o777;
  octal(h, 100, 8, mode);
  octal(h, 108, 8, 0);
  octal(h, 116, 8, 0);
  octal(h, 124, 12, size);
  octal(h, 136, 12, MTIME);
  h.fill(0x20, 148, 156); // checksum field counts as spaces while summing
  h.write(TYPE_FLAG[entry.type], 156, 1, 'ascii');
  if (entry.type === 'symlink' || entry.type === 'hardlink') {
    if (Buffer.byteLength(entry.target) > 100) throw new Error(`link target too long for ustar: ${entry.target}`);
    h.write(entry.target, 157, 100, 'utf8');
  }
  h.write('ustar\u000000', 257, 8, 'ascii');
  h.write('root', 265, 32, 'ascii');
  h.write('root', 297, 32, 'ascii');
  if (entry.type === 'char-device' || entry.type === 'block-device' || entry.type === 'fifo') {
    octal(h, 329, 8, entry.major ?? 0);
    octal(h, 337, 8, entry.minor ?? 0);
  }
  h.write(prefix, 345, 155, 'utf8');
  let sum = 0;
  for (const byte of h) sum += byte;
  h.write(`${sum.toString(8).padStart(6, '0')}\u0000 `, 148, 8, 'ascii');
  return h;
}

const TYPE_FLAG: Record<TarEntry['type'], string> = {
  file: '0',
  hardlink: '1',
  symlink: '2',
  'char-device': '3',
  'block-device': '4',
  dir: '5',
  fifo: '6',
};

function defaultMode(type: 'file' | 'dir'): number {
  return type === 'dir' ? 0o755 : 0o644;
}

function octal(h: Buffer, offset: number, width: number, value: number): void {
  const digits = value.toString(8).padStart(width - 1, '0');
  if (digits.length > width - 1) throw new Error(`value ${value} does not fit a ${width}-byte tar field`);
  h.write(`${digits}\u0000`, offset, width, 'ascii');
}

/** ustar stores long paths as prefix + name, split at a slash. */
function splitName(path: string): { name: string; prefix: string } {
  if (Buffer.byteLength(path) <= 100) return { name: path, prefix: '' };
  for (let i = path.lastIndexOf('/', path.length - 2); i > 0; i = path.lastIndexOf('/', i - 1)) {
    const prefix = path.slice(0, i);
    const name = path.slice(i + 1);
    if (Buffer.byteLength(prefix) <= 155 && Buffer.byteLength(name) <= 100) return { name, prefix };
  }
  throw new Error(`path too long for ustar: ${path}`);
}

function toBuffer(content: Buffer | string): Buffer {
  return typeof content === 'string' ? Buffer.from(content, 'utf8') : content;
}

/** Refuses anything that is not a plain version word: it is pasted into shell scripts. */
function checkVersion(version: string): string {
  if (!/^[0-9A-Za-z][0-9A-Za-z.+-]*$/.test(version))
    throw new Error(`version ${JSON.stringify(version)} is not usable`);
  return version;
}

/**
 * Incompressible and reproducible: AES-256-CTR keystream keyed by the seed, so gzip cannot shrink it and the same
 * version always gives the same tarball digest.
 */
function filler(seed: string, bytes: number): Buffer {
  const key = createHash('sha256').update(`concourse-filler:${seed}`).digest();
  const cipher = createCipheriv('aes-256-ctr', key, Buffer.alloc(16));
  return Buffer.concat([cipher.update(Buffer.alloc(bytes)), cipher.final()]);
}

function hostileEntries(variant: HostileVariant | undefined, absoluteTarget: string): TarEntry[] {
  const pwned = 'written outside the extraction directory\n';
  switch (variant) {
    case undefined:
      return [];
    case 'dotdot':
      // With strip 1 this is `../escaped`.
      return [{ type: 'file', path: `concourse/../${ESCAPE_NAME}`, content: pwned }];
    case 'absolute':
      return [{ type: 'file', path: absoluteTarget, content: pwned }];
    case 'symlink-escape':
      // bin/escape lives two levels below the parent of the extraction directory.
      return [{ type: 'symlink', path: 'concourse/bin/escape', target: `../../${ESCAPE_NAME}` }];
    case 'hardlink-escape':
      // Hardlink targets are archive-relative: with strip 1 this points at `../escaped`.
      return [{ type: 'hardlink', path: 'concourse/bin/escape', target: `concourse/../${ESCAPE_NAME}` }];
    case 'device':
      return [{ type: 'char-device', path: 'concourse/bin/null', major: 1, minor: 3 }];
    case 'symlink-then-file':
      // The classic: a link to the parent directory, then a file written through it.
      return [
        { type: 'symlink', path: 'concourse/out', target: '..' },
        { type: 'file', path: `concourse/out/${ESCAPE_NAME}`, content: pwned },
      ];
  }
}

function resourceType(name: string, typeVersion: string): TarEntry[] {
  const rootfs = buildTarGz([
    { type: 'dir', path: 'opt/' },
    { type: 'dir', path: 'opt/resource/' },
    { type: 'file', path: 'opt/resource/check', mode: 0o755, content: '#!/bin/sh\necho "[]"\n' },
    { type: 'file', path: 'opt/resource/in', mode: 0o755, content: '#!/bin/sh\necho "{}"\n' },
    { type: 'file', path: 'opt/resource/out', mode: 0o755, content: '#!/bin/sh\necho "{}"\n' },
  ]);
  // As upstream's build writes it (`jq -n`, pretty-printed): release-layout.md, "Resource types".
  const metadata = `${JSON.stringify({ type: name, version: typeVersion, privileged: false, unique_version_history: false }, null, 2)}\n`;
  return [
    { type: 'dir', path: `concourse/resource-types/${name}/` },
    { type: 'file', path: `concourse/resource-types/${name}/resource_metadata.json`, content: metadata },
    { type: 'file', path: `concourse/resource-types/${name}/rootfs.tgz`, content: rootfs },
  ];
}

function flyAsset(version: string): Buffer {
  return buildTarGz([{ type: 'file', path: 'fly', mode: 0o755, content: `#!/bin/sh\necho '${version}'\n` }]);
}

function gdnScript(version: string): string {
  return `#!/bin/sh
# Stand-in for Guardian (gdn) shipped in concourse ${version}: built by sim/concourse/release-tarball.ts for tests.
echo 'gdn stand-in (concourse ${version})'
`;
}

/**
 * The `concourse` stand-in. Only POSIX sh, head, base64, tr and fold: tests run on hosts without openssl or
 * ssh-keygen, and what they check is the shape of the files, not the cryptography.
 */
function concourseScript(version: string, exitsAtStart: boolean, dbSchema: number, webNeverServes: boolean): string {
  return `#!/bin/sh
# Stand-in for the concourse ${version} binary: built by sim/concourse/release-tarball.ts for tests and the demo.
${exitsAtStart ? `${EXITS_AT_START_MARKER}\n` : ''}VERSION='${version}'
DB_SCHEMA='${dbSchema}'
# Down-migrations are appended here (the unit's own /var/lib), for tests to read.
MIGRATIONS_LOG=/var/lib/concourse-stand-in/migrations.log

${standInChecks(version)}
usage() {
  echo 'usage: concourse --version | generate-key -t rsa|ssh -f FILE | migrate --supported-db-version | migrate --migrate-db-to-version=N | web | worker' >&2
  exit 2
}

random_b64() {
  head -c "$1" /dev/urandom | base64 | tr -d '\\n'
}

write_private_key() {
  tmp="$1.tmp.$$"
  (
    umask 077
    {
      echo '-----BEGIN RSA PRIVATE KEY-----'
      random_b64 1191 | fold -w 64
      echo
      echo '-----END RSA PRIVATE KEY-----'
    } > "$tmp"
  ) || exit 1
  mv -f "$tmp" "$1"
}

generate_key() {
  type=''
  file=''
  while [ $# -gt 0 ]; do
    case "$1" in
      -t|--type) [ $# -ge 2 ] || usage; type=$2; shift 2 ;;
      --type=*) type=\${1#--type=}; shift ;;
      -f|--filename) [ $# -ge 2 ] || usage; file=$2; shift 2 ;;
      --filename=*) file=\${1#--filename=}; shift ;;
      -b|--bits) [ $# -ge 2 ] || usage; shift 2 ;;
      --bits=*) shift ;;
      *) usage ;;
    esac
  done
  [ -n "$file" ] || usage
  case "$type" in
    rsa|'') write_private_key "$file" ;;
    ssh)
      write_private_key "$file"
      echo "ssh-rsa AAAAB3NzaC1yc2EAAAADAQABAAABAQ$(random_b64 258) concourse" > "$file.pub"
      ;;
    *) echo "concourse generate-key: unknown key type '$type'" >&2; exit 2 ;;
  esac
  echo "wrote private key to $file"
}

# Long-running commands wait in a child sleep so that TERM (systemctl stop) ends them at once. A TERM can still
# land between the fork of a sleep and the shell noting its pid (seen with dash): the sleep then outlives the
# stand-in, so it is short and never holds the stand-in's stdout or stderr (a reader would wait for it).
serve() {
  # Trap first: whoever sees the banner may stop us at once.
  trap 'kill $! 2>/dev/null; exit 0' TERM INT
  echo "concourse $1 $VERSION (stand-in) running"
  while :; do
    sleep 5 </dev/null >/dev/null 2>&1 &
    wait $!
  done
}

# The web: once its environment passed the checks, it serves on 127.0.0.1 only (units share the host's network)
# with the Node.js the simulator gives services in SIM_NODE; without one (a test running the stand-in directly)
# it only waits. WEB_NEVER_SERVES: a web that starts and never answers.
WEB_NEVER_SERVES='${webNeverServes ? 'yes' : ''}'
WEB_JS='${webServerJs(version)}'
serve_web() {
  if [ -n "\${SIM_NODE:-}" ] && [ -z "$WEB_NEVER_SERVES" ]; then
    exec "$SIM_NODE" -e "$WEB_JS"
  fi
  serve web
}

# The worker runs builds: one file each in $STAND_IN_STATE/builds (a test adds and removes them). A build file
# holding a number N finishes by itself N seconds after the worker is told to drain (a test need not be there to
# end it); an empty one runs until removed. As Concourse's worker (release-layout.md section 4): SIGUSR1 lands and
# SIGUSR2 retires (no new work; exit 0 once no build is left), SIGTERM exits at once and the builds still running
# are errored (appended to errored.log). It looks at its builds once a second: idle workers cost nothing, and a
# signal still ends the wait at once.
serve_worker() {
  state=\${STAND_IN_STATE:-/var/lib/concourse-stand-in}
  mkdir -p "$state/builds"
  drain=''
  trap 'drain=landed; echo "worker landing"' USR1
  trap 'drain=retired; echo "worker retiring"' USR2
  trap 'kill $! 2>/dev/null; interrupt_builds; exit 0' TERM INT
  echo "concourse worker $VERSION (stand-in) running"
  while :; do
    if [ -n "$drain" ]; then
      finish_builds
      if [ -z "$(ls -A "$state/builds")" ]; then
        echo "worker $drain $VERSION" >> "$state/events.log"
        echo "worker $drain"
        exit 0
      fi
    fi
    sleep 1 </dev/null >/dev/null 2>&1 &
    wait $!
  done
}

# While draining: a build given a duration gets its end time, and ends (events.log: finished) once that passed.
finish_builds() {
  now=$(date +%s)
  for build in "$state/builds"/*; do
    [ -f "$build" ] || continue
    line=$(head -n 1 "$build")
    case "$line" in
      'until '*)
        if [ "$now" -ge "\${line#until }" ]; then
          rm -f "$build"
          echo "finished \${build##*/} $VERSION" >> "$state/events.log"
        fi
        ;;
      *[!0-9]*|'') ;;
      *) echo "until $((now + line))" > "$build" ;;
    esac
  done
}

interrupt_builds() {
  for build in "$state/builds"/*; do
    [ -e "$build" ] && echo "errored \${build##*/} $VERSION" >> "$state/errored.log"
  done
  return 0
}

# concourse migrate --supported-db-version | --migrate-db-to-version=N (needs the database settings in the env)
migrate() {
  case "$1" in
    --supported-db-version) echo "$DB_SCHEMA" ;;
    --migrate-db-to-version=*)
      to=\${1#--migrate-db-to-version=}
      [ -n "\${CONCOURSE_POSTGRES_HOST:-}" ] || { echo 'error: postgres host is required' >&2; exit 1; }
      [ -n "\${CONCOURSE_POSTGRES_PASSWORD:-}" ] || { echo 'error: postgres password is required' >&2; exit 1; }
      mkdir -p "\${MIGRATIONS_LOG%/*}"
      echo "$VERSION $DB_SCHEMA -> $to on \${CONCOURSE_POSTGRES_HOST}/\${CONCOURSE_POSTGRES_DATABASE:-}" >> "$MIGRATIONS_LOG"
      echo "migrated to $to"
      ;;
    *) usage ;;
  esac
}

case "$1" in
  --version|-v) echo "$VERSION" ;;
  generate-key) shift; generate_key "$@" ;;
  migrate) shift; migrate "$@" ;;
  web) check_web_env; serve_web ;;
  worker) check_worker_env; serve_worker ;;
  *) usage ;;
esac
`;
}

/**
 * The stand-in web's server (node -e), as single-quote-free JavaScript for a sh string: `GET /api/v1/info` as
 * Concourse answers it (version, worker_version, external_url, cluster_name) on CONCOURSE_BIND_PORT (default 8080),
 * and on CONCOURSE_TLS_BIND_PORT over HTTPS with CONCOURSE_TLS_CERT/KEY; Prometheus text on
 * CONCOURSE_PROMETHEUS_BIND_PORT. Always 127.0.0.1. A port taken fails as Concourse does (exit 1, `listen tcp`).
 * SIGHUP (ExecReload=) is taken as a reload, not an exit.
 */
function webServerJs(version: string): string {
  return [
    'const http = require("node:http"), https = require("node:https"), fs = require("node:fs");',
    'const e = process.env, host = "127.0.0.1";',
    `const info = JSON.stringify({ version: "${version}", worker_version: "2.5", external_url: e.CONCOURSE_EXTERNAL_URL || "", cluster_name: e.CONCOURSE_CLUSTER_NAME || "" });`,
    'const path = (q) => (q.url || "").split("?")[0];',
    'const api = (q, r) => { if (q.method === "GET" && path(q) === "/api/v1/info") { r.writeHead(200, { "content-type": "application/json" }); r.end(info); } else { r.writeHead(404, { "content-type": "text/plain" }); r.end("404 page not found\\n"); } };',
    `const text = "# HELP concourse_stand_in_info The stand-in web answering.\\n# TYPE concourse_stand_in_info gauge\\nconcourse_stand_in_info{version=\\"${version}\\"} 1\\n";`,
    'const metrics = (q, r) => { if (path(q) === "/metrics") { r.writeHead(200, { "content-type": "text/plain; version=0.0.4" }); r.end(text); } else { r.writeHead(404); r.end(); } };',
    'const servers = [[http.createServer(api), Number(e.CONCOURSE_BIND_PORT || 8080)]];',
    'if (e.CONCOURSE_TLS_BIND_PORT && e.CONCOURSE_TLS_CERT && e.CONCOURSE_TLS_KEY) servers.push([https.createServer({ cert: fs.readFileSync(e.CONCOURSE_TLS_CERT), key: fs.readFileSync(e.CONCOURSE_TLS_KEY) }, api), Number(e.CONCOURSE_TLS_BIND_PORT)]);',
    'if (e.CONCOURSE_PROMETHEUS_BIND_PORT) servers.push([http.createServer(metrics), Number(e.CONCOURSE_PROMETHEUS_BIND_PORT)]);',
    'let left = servers.length;',
    `for (const [s, p] of servers) { s.on("error", (err) => { console.error("error: listen tcp " + host + ":" + p + ": " + err.message); process.exit(1); }); s.listen(p, host, () => { if (--left === 0) console.log("concourse web ${version} (stand-in) running"); }); }`,
    'process.on("SIGHUP", () => {});',
  ].join('\n');
}
