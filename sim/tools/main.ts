// Entry point of the fake hook tools bundle (node): every tool name runs this file, the name it was called by
// (JUJU_SIM_TOOL, set by the client script when no tool server is given, or the symlink's name) picks the tool.
// It runs inside the unit's namespace, so the caller's paths are its own. Output is written once, at the end.

import { readFileSync } from 'node:fs';
import { basename } from 'node:path';
import { runTool } from './dispatch';

async function main(): Promise<void> {
  const name = process.env.JUJU_SIM_TOOL ?? basename(process.argv[1] ?? '');
  const out: string[] = [];
  const err: string[] = [];
  const code = await runTool(name, process.argv.slice(2), process.env, {
    out: (t) => out.push(t),
    err: (t) => err.push(t),
    stdin: () => readFileSync(0, 'utf8'),
    callerPath: (p) => p,
  });
  if (out.length > 0) process.stdout.write(out.join(''));
  if (err.length > 0) process.stderr.write(err.join(''));
  process.exitCode = code;
}

void main();
