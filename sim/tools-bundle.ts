// Simulator: installs the fake hook tools of a model: one bash client script (`juju-tool`) with one symlink per
// tool name, and the tools (sim/tools/*.ts) bundled by esbuild into one plain-node CommonJS file beside it.
// In a hook (JUJU_SIM_TOOL_PORT set) the client has the model's tool server (tool-server.ts) run the tool, which
// costs a bash start and a loopback connection; without it the client runs the bundle with this very node.

import { chmod, mkdir, symlink, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { build } from 'esbuild';
import { TOOL_PROTOCOL } from './tool-server';
import { HOOK_TOOL_NAMES, MACHINE_TOOL_NAMES, STDIN_TOOL_NAMES } from './tools/tool-names';

export const TOOLS_BUNDLE = 'juju-tools.cjs';
export const TOOL_CLIENT = 'juju-tool';

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

/** Quotes one word for bash. */
function quote(word: string): string {
  return `'${word.replace(/'/g, `'\\''`)}'`;
}

/**
 * The client every tool name runs (also bound over /usr/bin/systemctl in a unit, so it names bash by its absolute
 * path and finds its tool by `$0`'s last component). Only builtins run, but `base64` for a forwarded stdin; the
 * request goes out in one write (one printf), so no Nagle delay waits on the server's ACK.
 */
export function toolClientScript(nodePath: string, bundlePath: string, nodeAlias: string): string {
  return `#!/bin/bash
# A fake Juju hook tool of the simulator (sim/tools-bundle.ts): the name it is called by picks the tool.
name=\${0##*/}
if [[ -z \${JUJU_SIM_TOOL_PORT-} ]]; then
  export JUJU_SIM_TOOL=$name
  # Inside a unit whose machine has no Node.js, the simulator's own node is bound at the alias.
  node=${quote(nodeAlias)}
  [[ -s $node ]] || node=${quote(nodePath)}
  exec "$node" ${quote(bundlePath)} "$@"
fi
kind=- data=
case $name in
${STDIN_TOOL_NAMES.join(' | ')})
  prev=
  for a; do
    [[ $a == -- ]] && break
    if [[ $a == --file=- || $a == -file=- || ($a == - && ($prev == --file || $prev == -file)) ]]; then
      kind=b64
      data=$(base64 -w0) || exit 1
      break
    fi
    prev=$a
  done
  ;;
esac
env=()
for v in "\${!JUJU_@}"; do env+=("$v=\${!v}"); done
if ! { exec 3<>"/dev/tcp/127.0.0.1/$JUJU_SIM_TOOL_PORT"; } 2>/dev/null; then
  printf 'ERROR cannot reach the simulator tool server at 127.0.0.1:%s\\n' "$JUJU_SIM_TOOL_PORT" >&2
  exit 1
fi
printf '%s\\0' ${TOOL_PROTOCOL} "$name" "$$" "$PWD" "$#" "$@" "\${#env[@]}" "\${env[@]}" "$kind" "$data" >&3
if IFS= read -r code <&3 && IFS= read -r out <&3 && IFS= read -r err <&3; then
  printf -- "$out"
  printf -- "$err" >&2
  exit "$code"
fi
printf 'ERROR the simulator tool server gave no answer\\n' >&2
exit 1
`;
}

/** Where a unit with no Node.js of its own finds the simulator's (bound there in its namespace only). */
export const NODE_ALIAS = '.node';

/**
 * The machine's snapd, as far as dispatch uses it: `snap install node --channel=<c> --classic` puts Node.js at
 * /snap/bin/node on the unit's own /snap. SIM_SNAP_FAIL (set by a test) makes it fail as an offline store does.
 */
function fakeSnapScript(nodeAlias: string): string {
  return `#!/bin/bash
if [[ $1 != install || $2 != node ]]; then
  echo "error: the simulator's snap only knows 'snap install node'" >&2
  exit 1
fi
if [[ -n \${SIM_SNAP_FAIL-} ]]; then
  printf 'error: cannot install "node": %s\\n' "$SIM_SNAP_FAIL" >&2
  exit 1
fi
mkdir -p /snap/bin && ln -sfn ${quote(nodeAlias)} /snap/bin/node || exit 1
echo "node (22/stable) from OpenJS Foundation (iojs) installed"
`;
}

/** Writes the tools into `binDir`; returns the names installed (every hook tool plus systemctl, systemd-analyze). */
export async function installTools(binDir: string): Promise<string[]> {
  await mkdir(binDir, { recursive: true });
  const bundlePath = join(binDir, TOOLS_BUNDLE);
  // The shebang names this very node binary: hooks must not depend on which node is first on their PATH.
  await writeFile(bundlePath, `#!${process.execPath}\n${await bundleText()}`);
  await chmod(bundlePath, 0o755);
  const clientPath = join(binDir, TOOL_CLIENT);
  const nodeAlias = join(binDir, NODE_ALIAS);
  await writeFile(nodeAlias, '');
  await writeFile(clientPath, toolClientScript(process.execPath, bundlePath, nodeAlias));
  await chmod(clientPath, 0o755);
  await writeFile(join(binDir, 'snap'), fakeSnapScript(nodeAlias));
  await chmod(join(binDir, 'snap'), 0o755);
  const names = [...HOOK_TOOL_NAMES, ...MACHINE_TOOL_NAMES];
  await Promise.all(names.map((name) => symlink(TOOL_CLIENT, join(binDir, name))));
  return names;
}
