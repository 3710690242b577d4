// Fake hook tools: argument parsing in the manner of gnuflag, which Juju's hook tools use: flags may come before,
// between or after positional arguments, `--` ends them, `-x v`, `-x=v`, `--name v` and `--name=v` all work.

import { readFileSync } from 'node:fs';
import { parse as parseYaml } from 'yaml';
import { ToolError, usageError } from './tool-error';
import type { ToolIO } from './tool-io';

export interface FlagDef {
  /** First name is the key in the result; the others are aliases (`r`, `relation`). */
  readonly names: readonly string[];
  readonly type: 'bool' | 'string';
  /** Repeatable string flag (`systemctl -p A -p B`): values are joined with commas. */
  readonly repeat?: boolean;
}

export interface ParsedArgs {
  readonly flags: ReadonlyMap<string, string | boolean>;
  readonly positional: readonly string[];
}

export function parseArgs(argv: readonly string[], defs: readonly FlagDef[]): ParsedArgs {
  const flags = new Map<string, string | boolean>();
  const positional: string[] = [];
  const byName = new Map<string, FlagDef>();
  for (const def of defs) for (const name of def.names) byName.set(name, def);
  for (let i = 0; i < argv.length; i++) {
    const token = argv[i] ?? '';
    if (token === '--') {
      positional.push(...argv.slice(i + 1));
      break;
    }
    if (!token.startsWith('-') || token === '-') {
      positional.push(token);
      continue;
    }
    const body = token.replace(/^--?/, '');
    const eq = body.indexOf('=');
    const name = eq === -1 ? body : body.slice(0, eq);
    const def = byName.get(name);
    if (def === undefined)
      throw usageError(`option provided but not defined: ${token.slice(0, token.length - body.length)}${name}`);
    const key = def.names[0] ?? name;
    if (def.type === 'bool') {
      const raw = eq === -1 ? 'true' : body.slice(eq + 1);
      if (raw !== 'true' && raw !== 'false') throw usageError(`invalid boolean value "${raw}" for option ${token}`);
      flags.set(key, raw === 'true');
      continue;
    }
    let value: string;
    if (eq !== -1) value = body.slice(eq + 1);
    else {
      const next = argv[i + 1];
      if (next === undefined) throw usageError(`option needs an argument: ${token}`);
      value = next;
      i++;
    }
    const previous = flags.get(key);
    flags.set(key, def.repeat === true && typeof previous === 'string' ? `${previous},${value}` : value);
  }
  return { flags, positional };
}

export function stringFlag(args: ParsedArgs, name: string): string | undefined {
  const v = args.flags.get(name);
  return typeof v === 'string' ? v : undefined;
}

export function boolFlag(args: ParsedArgs, name: string): boolean {
  return args.flags.get(name) === true;
}

/** `key=value` arguments as Juju's keyvalues.Parse reads them (empty values allowed; they delete keys). */
export function parseKeyValues(args: readonly string[]): Record<string, string> {
  const out: Record<string, string> = {};
  for (const arg of args) {
    const eq = arg.indexOf('=');
    if (eq <= 0) throw usageError(`expected "key=value", got "${arg}"`);
    const key = arg.slice(0, eq);
    if (Object.hasOwn(out, key)) throw usageError(`key "${key}" specified more than once`);
    out[key] = arg.slice(eq + 1);
  }
  return out;
}

/** Reads `--file` content (`-` is stdin) as a YAML map of strings, as relation-set, state-set and secret-add do. */
export function readSettingsFile(path: string, io: ToolIO): Record<string, string> {
  const text = path === '-' ? io.stdin() : readCallerFile(path, io);
  let doc: unknown;
  try {
    doc = parseYaml(text);
  } catch (e) {
    throw usageError(`yaml: ${e instanceof Error ? e.message : String(e)}`);
  }
  if (doc === null || doc === undefined) return {};
  if (typeof doc !== 'object' || Array.isArray(doc)) throw usageError('yaml: unmarshal errors: expected a map');
  const out: Record<string, string> = {};
  for (const [k, v] of Object.entries(doc)) {
    if (v === null || v === undefined) out[k] = '';
    else if (typeof v === 'object')
      throw usageError(`yaml: unmarshal errors: cannot unmarshal a map or list into string (key "${k}")`);
    else out[k] = String(v);
  }
  return out;
}

/** A file named by the caller (`--file x`, `key#file=x`): its path is as the caller sees it. */
export function readCallerFile(path: string, io: ToolIO): string {
  try {
    return readFileSync(io.callerPath(path), 'utf8');
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    const why = code === undefined ? undefined : ERRNO_TEXT[code];
    throw new ToolError(`open ${path}: ${why ?? (e instanceof Error ? e.message : String(e))}`);
  }
}

/** Go's texts for the errors reading a caller's file can meet (Juju prints `open <path>: <text>`). */
const ERRNO_TEXT: Readonly<Record<string, string>> = {
  ENOENT: 'no such file or directory',
  EISDIR: 'is a directory',
  EACCES: 'permission denied',
  ENOTDIR: 'not a directory',
};
