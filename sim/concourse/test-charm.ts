// Simulator: a tiny stand-in charm for testing the simulator itself: the repo's metadata, config and actions with a
// POSIX-sh `dispatch` that runs whatever shell the test put in SIM_HOOK_<hook> / SIM_ACTION_<action>.

import { createWriteStream } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import yazl from 'yazl';

/**
 * Every hook appends `<unit> <dispatch path> <remote unit> <start ns> <end ns>` to /var/lib/concourse/events.log
 * (the shared volume), then runs `$SIM_HOOK_<hook name with - as _>` and exits with its status, or 1 when the hook
 * is named in SIM_FAIL_HOOK (after running its commands, so their buffered changes are to be discarded).
 */
export const TEST_DISPATCH = `#!/bin/sh
name=\${JUJU_DISPATCH_PATH#*/}
case "$JUJU_DISPATCH_PATH" in
  actions/*) var=SIM_ACTION_$(printf %s "$name" | tr -- - _) ;;
  *) var=SIM_HOOK_$(printf %s "$name" | tr -- - _) ;;
esac
start=$(date +%s%N)
eval "cmds=\\\${$var:-}"
rc=0
if [ -n "$cmds" ]; then
  ( set -e; eval "$cmds" ) || rc=$?
fi
if [ -d /var/lib/concourse ]; then
  printf '%s %s %s %s %s\\n' "$JUJU_UNIT_NAME" "$JUJU_DISPATCH_PATH" "\${JUJU_REMOTE_UNIT:--}" "$start" "$(date +%s%N)" >> /var/lib/concourse/events.log
fi
if [ "\${SIM_FAIL_HOOK:-}" = "$name" ]; then
  echo "failing $name on purpose" >&2
  exit 1
fi
exit $rc
`;

/** Packs a .charm at `target` from the repo's yaml files and `dispatch` (default: TEST_DISPATCH). */
export async function buildTestCharm(target: string, opts: { dispatch?: string } = {}): Promise<string> {
  const repo = fileURLToPath(new URL('../..', import.meta.url));
  const zip = new yazl.ZipFile();
  for (const name of ['metadata.yaml', 'config.yaml', 'actions.yaml']) {
    zip.addBuffer(await readFile(join(repo, name)), name, { mode: 0o100644 });
  }
  zip.addBuffer(Buffer.from(opts.dispatch ?? TEST_DISPATCH), 'dispatch', { mode: 0o100755 });
  zip.addBuffer(Buffer.from('bases: []\n'), 'manifest.yaml', { mode: 0o100644 });
  await new Promise<void>((resolve, reject) => {
    const out = createWriteStream(target);
    out.on('close', () => resolve());
    out.on('error', reject);
    zip.outputStream.on('error', reject).pipe(out);
    zip.end();
  });
  return target;
}
