// Adapter test of the simulator's systemd recording how a running service's main process ended
// (sim/tools/systemctl.ts recordServiceExit) against the state files it keeps: inactive after what
// systemd.service(5) SuccessExitStatus= counts as clean, failed otherwise, and never for a process started again since.
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, expect, test } from 'vitest';
import { readServiceState, recordServiceExit } from '../../sim/tools/systemctl';

let unitDir: string;
const NAME = 'demo.service';
interface Exit {
  pid: number;
  code: number | null;
  signal: string | null;
  timedOut: boolean;
  ignoreFailure: boolean;
}
const exit: Exit = { pid: 4242, code: null, signal: null, timedOut: false, ignoreFailure: false };

beforeEach(() => {
  unitDir = mkdtempSync(join(tmpdir(), 'sim-exit-'));
  mkdirSync(join(unitDir, 'systemd', 'units'), { recursive: true });
  writeFileSync(
    join(unitDir, 'systemd', 'units', `${NAME}.json`),
    JSON.stringify({ active: 'active', since: 1, loaded: null, mainPid: 4242, starts: 1 }),
  );
});
afterEach(() => rmSync(unitDir, { recursive: true, force: true }));

test.each<[string, Partial<Exit>, string, string | undefined]>([
  ['exit 0 → inactive', { code: 0 }, 'inactive', undefined],
  ['SIGTERM (a clean signal) → inactive', { signal: 'SIGTERM' }, 'inactive', undefined],
  ['SIGHUP, SIGINT, SIGPIPE → inactive', { signal: 'SIGPIPE' }, 'inactive', undefined],
  ['exit 3 → failed with its status', { code: 3 }, 'failed', 'code=exited, status=3'],
  ['SIGKILL → failed, killed', { signal: 'SIGKILL' }, 'failed', 'code=killed, status=KILL'],
  ['exit 3 with ExecStart=- → inactive', { code: 3, ignoreFailure: true }, 'inactive', undefined],
  ['SIGKILL after TimeoutStopSec= → failed, timeout', { signal: 'SIGKILL', timedOut: true }, 'failed', 'timeout'],
])('%s', (_, how, active, failure) => {
  recordServiceExit(unitDir, NAME, { ...exit, ...how });
  const state = readServiceState(unitDir, NAME);
  expect(state.active).toBe(active);
  expect(state.mainPid).toBe(0);
  if (failure === undefined) expect(state.failure).toBeUndefined();
  else expect(state.failure).toContain(failure);
});

test('an exit of an older pid (the service was started again since) → the state is left alone', () => {
  recordServiceExit(unitDir, NAME, { ...exit, pid: 1111, code: 1 });
  expect(readServiceState(unitDir, NAME)).toMatchObject({ active: 'active', mainPid: 4242 });
});
