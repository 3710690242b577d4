// Benchmark support: wall time, CPU and peak memory of one command, as GNU time (`/usr/bin/time`, Debian's `time`,
// installed by scripts/install-test-deps.sh) reports them from wait4(2): the figures `ps` cannot catch afterwards.

export const TIME_BIN = '/usr/bin/time';
/** The format GNU time is given; parseRusage reads it back. */
export const TIME_FORMAT = 'RUSAGE %e %U %S %M';

export interface Rusage {
  readonly wallMs: number;
  readonly cpuMs: number;
  /** Largest resident set of the command or any child it waited for, in KiB. */
  readonly maxRssKiB: number;
}

export function parseRusage(stderr: string): Rusage {
  const m = /RUSAGE ([\d.]+) ([\d.]+) ([\d.]+) (\d+)/.exec(stderr);
  if (m === null) throw new Error(`no GNU time figures in:\n${stderr.slice(-1000)}`);
  return {
    wallMs: Number(m[1]) * 1000,
    cpuMs: (Number(m[2]) + Number(m[3])) * 1000,
    maxRssKiB: Number(m[4]),
  };
}
