// Fake hook tools: open-port, close-port, opened-ports (buffered until the hook succeeds, like Juju's port
// changes), unit-get and network-get (each unit has one loopback address; no traffic is expected to reach it).

import { boolFlag, parseArgs, stringFlag } from './args';
import type { HookContext } from './hook-context';
import { FORMAT_FLAG, outputFormat, render } from './output';
import { ToolError, usageError } from './tool-error';
import type { ToolIO } from './tool-io';

/** Normalises `8080`, `8080/TCP`, `1000-2000/udp`, `icmp` the way Juju prints opened ports. */
export function parsePortRange(raw: string): string {
  const input = raw.toLowerCase();
  if (input === 'icmp') return 'icmp';
  const m = /^(\d+)(?:-(\d+))?(?:\/(tcp|udp))?$/.exec(input);
  if (m === null) throw usageError(`invalid port range "${raw}"`);
  const from = Number(m[1]);
  const to = m[2] === undefined ? from : Number(m[2]);
  if (from < 1 || to > 65535 || to < from) throw usageError(`invalid port range "${raw}"`);
  const proto = m[3] ?? 'tcp';
  return from === to ? `${from}/${proto}` : `${from}-${to}/${proto}`;
}

function portCommand(op: 'open-port' | 'close-port') {
  return (ctx: HookContext, argv: readonly string[], io: ToolIO): void => {
    const args = parseArgs(argv, [{ names: ['endpoints'], type: 'string' }, FORMAT_FLAG]);
    const [raw, ...rest] = args.positional;
    if (raw === undefined) throw usageError('no port or range specified');
    const port = parsePortRange(raw);
    if (rest.length > 0) throw usageError(`unrecognized args: ${JSON.stringify(rest)}`);
    if (stringFlag(args, 'format') !== undefined) io.err(`--format flag deprecated for command "${op}"`);
    const endpoints = stringFlag(args, 'endpoints');
    for (const e of endpoints?.split(',') ?? []) {
      if (ctx.snapshot.endpoints[e.trim()] === undefined) throw new ToolError(`unknown endpoint "${e.trim()}"`);
    }
    ctx.addChange({ op, port });
  };
}

export const openPort = portCommand('open-port');
export const closePort = portCommand('close-port');

export function openedPorts(ctx: HookContext, argv: readonly string[], io: ToolIO): void {
  const args = parseArgs(argv, [{ names: ['endpoints'], type: 'bool' }, FORMAT_FLAG]);
  if (args.positional.length > 0) throw usageError(`unrecognized args: ${JSON.stringify(args.positional)}`);
  const ports = ctx.openedPorts().sort();
  io.out(render(boolFlag(args, 'endpoints') ? ports.map((p) => `${p} (*)`) : ports, outputFormat(args)));
}

export function unitGet(ctx: HookContext, argv: readonly string[], io: ToolIO): void {
  const args = parseArgs(argv, [FORMAT_FLAG]);
  const [key, ...rest] = args.positional;
  if (key === undefined) throw usageError('no setting specified');
  if (rest.length > 0) throw usageError(`unrecognized args: ${JSON.stringify(rest)}`);
  if (key !== 'private-address' && key !== 'public-address') throw usageError(`unknown setting "${key}"`);
  io.out(render(ctx.snapshot.address, outputFormat(args)));
}

export function networkGet(ctx: HookContext, argv: readonly string[], io: ToolIO): void {
  const args = parseArgs(argv, [
    { names: ['r', 'relation'], type: 'string' },
    { names: ['bind-address'], type: 'bool' },
    { names: ['ingress-address'], type: 'bool' },
    { names: ['egress-subnets'], type: 'bool' },
    { names: ['primary-address'], type: 'bool' },
    FORMAT_FLAG,
  ]);
  const format = outputFormat(args);
  const relFlag = stringFlag(args, 'r');
  const rel = relFlag === undefined ? undefined : ctx.relation(relFlag);
  const [binding = rel?.endpoint, ...rest] = args.positional;
  if (binding === undefined) throw usageError('no arguments specified');
  if (rest.length > 0) throw usageError(`unrecognized args: ${JSON.stringify(rest)}`);
  if (!ctx.snapshot.bindings.includes(binding)) {
    throw new ToolError(`no network config found for binding "${binding}"`);
  }
  const address = ctx.snapshot.address;
  const egress = [`${address}/32`];
  const picked: Record<string, unknown> = {};
  if (boolFlag(args, 'bind-address') || boolFlag(args, 'primary-address')) picked['bind-address'] = address;
  if (boolFlag(args, 'ingress-address')) picked['ingress-address'] = address;
  if (boolFlag(args, 'egress-subnets')) picked['egress-subnets'] = egress;
  const keys = Object.keys(picked);
  if (keys.length === 1) {
    io.out(render(picked[keys[0] ?? ''], format));
    return;
  }
  if (keys.length > 1) {
    io.out(render(picked, format));
    return;
  }
  const addr = { hostname: '', value: address, cidr: '127.0.0.0/8', address };
  io.out(
    render(
      {
        'bind-addresses': [
          { 'mac-address': '', 'interface-name': 'lo', addresses: [addr], macaddress: '', interfacename: 'lo' },
        ],
        'egress-subnets': egress,
        'ingress-addresses': [address],
      },
      format,
    ),
  );
}
