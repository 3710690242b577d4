// Simulator: runs the fake hook tools in the driver's process for the client script each tool name on a hook's PATH
// is (tools-bundle.ts): a tool call then costs a loopback connection and a few milliseconds instead of a node start.
// The tools are synchronous functions of (argv, env, io) that read the hook's snapshot and append to its files, so
// running them here changes nothing but the process boundary; the caller's own files (its /etc, --file paths) are
// reached through /proc/<pid>/root of the calling process (tools/caller-path.ts).
//
// Protocol (one call per connection): the client sends NUL-terminated fields
//   sim-tool-1, <tool name>, <pid>, <cwd>, <argc>, <argv...>, <envc>, <NAME=value...>, <stdin: "-" | "b64">, <data>
// (data is stdin in base64, or empty), then waits. The server answers three lines: the exit code, then stdout and
// stderr each as a printf(1) format (`%` → `%%`, `\` → `\\`, anything but printable ASCII → `\NNN` octal), so bash's
// builtin printf writes back the exact bytes with no other process.
//
// Only hooks may call: the driver may be root, and a tool writes where its env points (JUJU_SIM_HOOK_DIR...). Every
// hook gets the server's random JUJU_SIM_TOOL_TOKEN (sent along with the other JUJU_* variables); a call without it
// is refused.

import { randomBytes } from 'node:crypto';
import { createServer, type Server, type Socket } from 'node:net';
import { resolveInRoot } from './tools/caller-path';
import { runTool } from './tools/dispatch';
import type { ServiceHost } from './tools/service-host';
import { ToolError } from './tools/tool-error';

export const TOOL_PROTOCOL = 'sim-tool-1';

/** A request larger than this is refused (stdin of `relation-set --file -` is the only big field). */
const MAX_REQUEST_BYTES = 64 << 20;
/** A client that connects and never finishes its request is dropped after this long. */
const IDLE_MS = 5 * 60_000;

interface ToolRequest {
  readonly name: string;
  readonly pid: number;
  readonly cwd: string;
  readonly argv: readonly string[];
  readonly env: Readonly<Record<string, string>>;
  readonly stdin: string | undefined;
}

export class ToolServer {
  private readonly sockets = new Set<Socket>();
  /** Tool calls answered (for tests and benchmarks). */
  calls = 0;
  /** Every call's unit, tool and argv, in order: tests scan them for secrets that must never be an argument. */
  readonly argvLog: Array<{ readonly unit: string; readonly tool: string; readonly argv: readonly string[] }> = [];
  /** The model's service runner when it runs services (SimModelOptions.services = 'run'): the fake systemctl uses it. */
  services: ServiceHost | undefined;
  /** What a caller must have in JUJU_SIM_TOOL_TOKEN. */
  readonly token = randomBytes(16).toString('hex');

  private constructor(
    private readonly server: Server,
    readonly port: number,
  ) {}

  /** The variables a hook needs to reach this server. */
  get env(): Record<string, string> {
    return { JUJU_SIM_TOOL_PORT: String(this.port), JUJU_SIM_TOOL_TOKEN: this.token };
  }

  /** Listens on 127.0.0.1, on a free port. */
  static async start(): Promise<ToolServer> {
    let self: ToolServer | undefined;
    const server = createServer((socket) => self?.accept(socket));
    server.maxConnections = 1024;
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen({ host: '127.0.0.1', port: 0, backlog: 511 }, () => {
        server.off('error', reject);
        resolve();
      });
    });
    const address = server.address();
    if (address === null || typeof address === 'string') throw new Error('tool server: no TCP address');
    self = new ToolServer(server, address.port);
    server.on('error', () => {}); // accept errors (EMFILE...) must not take the driver down
    return self;
  }

  /** Stops listening and drops open connections. Safe to call twice. */
  async close(): Promise<void> {
    for (const s of this.sockets) s.destroy();
    this.sockets.clear();
    await new Promise<void>((resolve) => this.server.close(() => resolve()));
  }

  private accept(socket: Socket): void {
    this.sockets.add(socket);
    socket.setNoDelay(true);
    socket.setTimeout(IDLE_MS, () => socket.destroy());
    socket.on('error', () => {});
    socket.on('close', () => this.sockets.delete(socket));
    const chunks: Buffer[] = [];
    let size = 0;
    let answered = false;
    let busy = false;
    const answer = (code: number, out: string, err: string) => {
      answered = true;
      this.calls += 1;
      socket.end(`${code}\n${printfFormat(out)}\n${printfFormat(err)}\n`);
    };
    socket.on('data', (chunk: Buffer) => {
      if (answered || busy) return;
      chunks.push(chunk);
      size += chunk.length;
      let request: ToolRequest | undefined;
      try {
        if (size > MAX_REQUEST_BYTES) throw new ToolError(`request larger than ${MAX_REQUEST_BYTES} bytes`);
        // Most requests arrive in one chunk. A request ends with a NUL; the first chunk is checked at once (magic).
        if (chunk[chunk.length - 1] !== 0 && chunks.length > 1) return;
        request = parseRequest(chunks.length === 1 ? chunk : Buffer.concat(chunks));
      } catch (e) {
        answer(1, '', `ERROR sim tool server: malformed request: ${e instanceof Error ? e.message : String(e)}\n`);
        return;
      }
      if (request === undefined) return;
      if (request.env.JUJU_SIM_TOOL_TOKEN !== this.token) {
        answer(1, '', 'ERROR sim tool server: refused: no valid JUJU_SIM_TOOL_TOKEN (tools run only in hooks)\n');
        return;
      }
      this.argvLog.push({ unit: request.env.JUJU_UNIT_NAME ?? '', tool: request.name, argv: request.argv });
      busy = true;
      this.run(request).then(
        ({ code, out, err }) => answer(code, out, err),
        (e: unknown) =>
          answer(1, '', `ERROR sim tool server: ${e instanceof Error ? (e.stack ?? e.message) : String(e)}\n`),
      );
    });
  }

  private async run(req: ToolRequest): Promise<{ code: number; out: string; err: string }> {
    const out: string[] = [];
    const err: string[] = [];
    const root = `/proc/${req.pid}/root`;
    const code = await runTool(req.name, req.argv, req.env, {
      out: (t) => out.push(t),
      err: (t) => err.push(t),
      stdin: () => {
        if (req.stdin === undefined) throw new ToolError(`sim: ${req.name} read stdin, which its client did not send`);
        return req.stdin;
      },
      callerPath: (p, final = 'follow') => resolveInRoot(root, req.cwd, p, final === 'follow'),
      callerPid: req.pid,
      ...(this.services === undefined ? {} : { services: this.services }),
    });
    return { code, out: out.join(''), err: err.join('') };
  }
}

/** The request in `buf`, or undefined while it is incomplete; throws when it cannot be one. */
function parseRequest(buf: Buffer): ToolRequest | undefined {
  let pos = 0;
  const next = (): string | undefined => {
    const end = buf.indexOf(0, pos);
    if (end === -1) return undefined;
    const field = buf.toString('utf8', pos, end);
    pos = end + 1;
    return field;
  };
  const count = (what: string): number | undefined => {
    const raw = next();
    if (raw === undefined) return undefined;
    if (!/^\d{1,6}$/.test(raw)) throw new ToolError(`bad ${what} ${JSON.stringify(raw.slice(0, 40))}`);
    return Number(raw);
  };
  const magic = next();
  if (magic === undefined) {
    if (buf.length >= TOOL_PROTOCOL.length && !buf.subarray(0, TOOL_PROTOCOL.length).equals(Buffer.from(TOOL_PROTOCOL)))
      throw new ToolError('not a sim tool request');
    return undefined;
  }
  if (magic !== TOOL_PROTOCOL) throw new ToolError('not a sim tool request');
  const name = next();
  const pidText = next();
  const cwd = next();
  const argc = count('argument count');
  if (name === undefined || pidText === undefined || cwd === undefined || argc === undefined) return undefined;
  if (!/^[1-9]\d{0,9}$/.test(pidText)) throw new ToolError(`bad pid ${JSON.stringify(pidText.slice(0, 40))}`);
  const argv: string[] = [];
  for (let i = 0; i < argc; i++) {
    const a = next();
    if (a === undefined) return undefined;
    argv.push(a);
  }
  const envc = count('environment count');
  if (envc === undefined) return undefined;
  const env: Record<string, string> = {};
  for (let i = 0; i < envc; i++) {
    const kv = next();
    if (kv === undefined) return undefined;
    const eq = kv.indexOf('=');
    if (eq <= 0) throw new ToolError(`bad environment entry ${JSON.stringify(kv.slice(0, 40))}`);
    env[kv.slice(0, eq)] = kv.slice(eq + 1);
  }
  const stdinKind = next();
  const data = next();
  if (stdinKind === undefined || data === undefined) return undefined;
  if (stdinKind !== '-' && stdinKind !== 'b64') throw new ToolError(`bad stdin kind ${JSON.stringify(stdinKind)}`);
  if (pos !== buf.length) throw new ToolError('trailing bytes after the request');
  return {
    name,
    pid: Number(pidText),
    cwd,
    argv,
    env,
    stdin: stdinKind === 'b64' ? Buffer.from(data, 'base64').toString('utf8') : undefined,
  };
}

/** `text` as a bash printf format that prints exactly its UTF-8 bytes, on one line. */
function printfFormat(text: string): string {
  // The common case: printable ASCII with newlines.
  if (/^[\x20-\x7e\n]*$/.test(text))
    return text.replace(/[%\\\n]/g, (c) => (c === '%' ? '%%' : c === '\\' ? '\\\\' : '\\n'));
  const parts: string[] = [];
  for (const b of Buffer.from(text, 'utf8')) {
    if (b === 0x25) parts.push('%%');
    else if (b === 0x5c) parts.push('\\\\');
    else if (b >= 0x20 && b < 0x7f) parts.push(String.fromCharCode(b));
    else if (b === 0x0a) parts.push('\\n');
    else parts.push(`\\${b.toString(8).padStart(3, '0')}`);
  }
  return parts.join('');
}
