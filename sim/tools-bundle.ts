// Simulator: builds the fake hook tools (sim/tools/*.ts) into one plain-node CommonJS file per model, with one
// symlink per tool name beside it: a hook's tools then start without tsx, in tens of milliseconds.

import { chmod, mkdir, symlink, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { build } from 'esbuild';
import { HOOK_TOOL_NAMES, MACHINE_TOOL_NAMES } from './tools/tool-names';

export const TOOLS_BUNDLE = 'juju-tools.cjs';

let bundled: Promise<string> | undefined;

/** The bundle's source, built once per process. */
function bundleText(): Promise<string> {
  bundled ??= build({
    entryPoints: [fileURLToPath(new URL('./tools/main.ts', import.meta.url))],
    bundle: true,
    platform: 'node',
    target: 'node20',
    format: 'cjs',
    write: false,
    minify: true,
    legalComments: 'none',
    logLevel: 'silent',
  }).then((result) => {
    const text = result.outputFiles[0]?.text;
    if (text === undefined) throw new Error('esbuild produced no tools bundle');
    return text;
  });
  return bundled;
}

/** Writes the tools into `binDir`; returns the names installed (every hook tool plus systemctl, systemd-analyze). */
export async function installTools(binDir: string): Promise<string[]> {
  await mkdir(binDir, { recursive: true });
  const bundlePath = join(binDir, TOOLS_BUNDLE);
  // The shebang names this very node binary: hooks must not depend on which node is first on their PATH.
  await writeFile(bundlePath, `#!${process.execPath}\n${await bundleText()}`);
  await chmod(bundlePath, 0o755);
  const names = [...HOOK_TOOL_NAMES, ...MACHINE_TOOL_NAMES];
  await Promise.all(names.map((name) => symlink(TOOLS_BUNDLE, join(binDir, name))));
  return names;
}
