// Adapter (WorkerHost): `systemd-detect-virt` for container or VM (the marks container managers leave when it is
// missing), /proc/self/mountinfo for the work dir's filesystem, /etc/resolv.conf and systemd-resolved's upstream list.

import { execFile } from 'node:child_process';
import type { Virtualisation, WorkerHostFacts } from '../domain/worker-defaults';
import type { WorkerHost } from '../ports/worker-host';
import { containerMark, readUnder } from './proc-host-facts';
import { filesystemOf } from './proc-mount-table';

const TIMEOUT_MS = 5_000;

/** Bound as a constant; `root` re-roots the files and `detectVirt` names the command, for tests. */
export class ProcWorkerHost implements WorkerHost {
  constructor(
    private readonly root: string = '/',
    private readonly detectVirt: string = 'systemd-detect-virt',
  ) {}

  async facts(workDir: string): Promise<WorkerHostFacts> {
    const mountinfo = await readUnder(this.root, 'proc/self/mountinfo');
    return {
      virt: await this.virtualisation(),
      workDirFilesystem: mountinfo === undefined ? undefined : filesystemOf(mountinfo, workDir),
      resolvConf: await readUnder(this.root, 'etc/resolv.conf'),
      upstreamResolvConf: await readUnder(this.root, 'run/systemd/resolve/resolv.conf'),
    };
  }

  /**
   * `--container` first: inside a container on a VM, the container is what limits mounts. The command prints the
   * technology and exits 0 when it found one, prints `none` and exits 1 when not.
   */
  private async virtualisation(): Promise<Virtualisation> {
    const container = await this.run('--container');
    if (container.kind === 'found') return { kind: 'container', name: container.name };
    if (container.kind === 'missing') {
      const mark = await containerMark(this.root);
      return mark === undefined ? { kind: 'none', name: 'none' } : { kind: 'container', name: mark };
    }
    const vm = await this.run('--vm');
    return vm.kind === 'found' ? { kind: 'vm', name: vm.name } : { kind: 'none', name: 'none' };
  }

  private run(flag: string): Promise<{ kind: 'found'; name: string } | { kind: 'none' } | { kind: 'missing' }> {
    return new Promise((resolve) => {
      execFile(
        this.detectVirt,
        [flag],
        { timeout: TIMEOUT_MS, env: { PATH: '/usr/sbin:/usr/bin:/sbin:/bin' } },
        (error, stdout) => {
          const name = String(stdout).trim();
          if (error === null && name !== '' && name !== 'none') return resolve({ kind: 'found', name });
          // ENOENT (not installed) or killed: fall back; exit 1 with `none`: there is none.
          const code = (error as NodeJS.ErrnoException | null)?.code;
          resolve(typeof code === 'string' || error?.killed === true ? { kind: 'missing' } : { kind: 'none' });
        },
      );
    });
  }
}
