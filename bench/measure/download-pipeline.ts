// Measurement 4: the charm's download pipeline against what an operator would type,
// `curl | tee >(sha1sum) >(sha256sum) | tar xz`, on the same tarball from 127.0.0.1, pair by pair, at two sizes:
// wall time as a ratio, and peak memory, which must stay flat as the tarball grows.

import { spawn } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { build } from 'esbuild';
import type { BenchContext } from '../lib/context';
import { parseRusage, type Rusage, TIME_BIN, TIME_FORMAT } from '../lib/rusage';
import { summarize, summarizePairs } from '../lib/stats';

const GROUP = '4 Download pipeline (fetch, sha1 + sha256, gunzip, extract)';
const MiB = 1024 * 1024;
const GNU = 'curl | tee >(sha1sum) >(sha256sum) | tar xz';

/** The versions the runner served for this measurement, smallest first, with their tarball sizes. */
export interface PipelineRelease {
  readonly version: string;
  readonly bytes: number;
  readonly sha256: string;
}

export async function measureDownloadPipeline(ctx: BenchContext, releases: readonly PipelineRelease[]): Promise<void> {
  const { rec } = ctx;
  const work = mkdtempSync(join(tmpdir(), 'bench-pipeline-'));
  try {
    const child = join(work, 'pipeline-child.cjs');
    // Bundled as the charm is (scripts/build.mjs), so the child is node and the downloader, nothing else.
    await build({
      entryPoints: ['bench/pipeline-child.ts'],
      bundle: true,
      platform: 'node',
      target: 'node20.18',
      format: 'cjs',
      outfile: child,
      minify: true,
      keepNames: true,
      logLevel: 'warning',
    });
    const memory: Array<{ mib: number; peak: number }> = [];
    for (const r of releases) {
      const url = ctx.server.downloadUrlTemplate.replaceAll('{version}', r.version).replaceAll('{arch}', 'amd64');
      const mib = r.bytes / MiB;
      const charm: Rusage[] = [];
      const gnu: Rusage[] = [];
      for (let i = 0; i < (ctx.quick ? 1 : 3); i++) {
        const target = join(work, 'charm');
        mkdirSync(target, { recursive: true });
        const out = await timed(['node', child, url, target]);
        const parsed = JSON.parse(out.stdout) as { sha256: string };
        if (parsed.sha256 !== r.sha256)
          throw new Error(`charm pipeline: sha256 ${parsed.sha256}, expected ${r.sha256}`);
        charm.push(out.usage);
        rmSync(target, { recursive: true, force: true });
        const gnuTarget = join(work, 'gnu');
        mkdirSync(gnuTarget, { recursive: true });
        const script = `set -o pipefail; curl -fsS "$1" | tee >(sha1sum > "$2/sha1") >(sha256sum > "$2/sha256") | tar xz -C "$3" --strip-components=1`;
        gnu.push((await timed(['bash', '-c', script, 'gnu', url, work, gnuTarget])).usage);
        rmSync(gnuTarget, { recursive: true, force: true });
      }
      const wall = summarizePairs(
        charm.map((c, i) => ({ charm: c.wallMs / 1000, baseline: (gnu[i]?.wallMs ?? 0) / 1000 })),
      );
      const isLargest = r === releases.at(-1);
      rec.paired(
        {
          group: GROUP,
          name: `${mib.toFixed(0)} MiB tarball: wall time`,
          unit: 's',
          baseline: GNU,
          ...(isLargest ? { target: '≤ 1.2x GNU', met: wall.ratio <= 1.2 } : {}),
        },
        wall,
      );
      rec.paired(
        { group: GROUP, name: `${mib.toFixed(0)} MiB tarball: CPU (user+system)`, unit: 's', baseline: GNU },
        summarizePairs(charm.map((c, i) => ({ charm: c.cpuMs / 1000, baseline: (gnu[i]?.cpuMs ?? 0) / 1000 }))),
      );
      const peak = summarizePairs(
        charm.map((c, i) => ({ charm: c.maxRssKiB / 1024, baseline: (gnu[i]?.maxRssKiB ?? 0) / 1024 })),
      );
      rec.paired(
        {
          group: GROUP,
          name: `${mib.toFixed(0)} MiB tarball: peak memory`,
          unit: 'MiB',
          baseline: `${GNU} (largest single process)`,
          target: '< 100 MiB',
          met: peak.max < 100,
        },
        peak,
      );
      memory.push({ mib, peak: peak.median });
      for (const [series, list] of [
        ['charm', charm],
        ['GNU pipeline', gnu],
      ] as const) {
        rec.point('pipeline', {
          panel: 'seconds',
          series,
          x: mib,
          y: summarize(list.map((u) => u.wallMs / 1000)).median,
        });
        rec.point('pipeline', {
          panel: 'peak MiB',
          series,
          x: mib,
          y: summarize(list.map((u) => u.maxRssKiB / 1024)).median,
        });
      }
    }
    const first = memory[0];
    const last = memory.at(-1);
    if (first !== undefined && last !== undefined && last !== first) {
      const growth = last.peak / first.peak;
      rec.add({
        group: GROUP,
        name: `peak memory, ${last.mib.toFixed(0)} MiB / ${first.mib.toFixed(0)} MiB tarball`,
        unit: 'x',
        median: growth,
        min: growth,
        max: growth,
        runs: 1,
        target: 'flat (≤ 1.1x)',
        met: growth <= 1.1,
      });
    }
  } finally {
    rmSync(work, { recursive: true, force: true });
  }
}

/** Runs under GNU time without blocking: the release server answering the request lives in this process. */
function timed(argv: readonly string[]): Promise<{ stdout: string; usage: Rusage }> {
  const [cmd, ...args] = argv as [string, ...string[]];
  return new Promise((resolve, reject) => {
    const child = spawn(TIME_BIN, ['-f', TIME_FORMAT, cmd, ...args], { stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.setEncoding('utf8').on('data', (t: string) => {
      stdout += t;
    });
    child.stderr.setEncoding('utf8').on('data', (t: string) => {
      stderr += t;
    });
    child.once('error', reject);
    child.once('close', (code) => {
      if (code !== 0) reject(new Error(`${argv.join(' ')} exited ${code}:\n${stderr.slice(-2000)}`));
      else resolve({ stdout, usage: parseRusage(stderr) });
    });
  });
}
