// Bundles the charm into one file, dist/charm.cjs: what `dispatch` runs on a unit and what the e2e tests drive.
import { build } from 'esbuild';

await build({
  entryPoints: ['src/hooks/main.ts'],
  bundle: true,
  platform: 'node',
  target: 'node20.18',
  format: 'cjs',
  outfile: 'dist/charm.cjs',
  legalComments: 'none',
  minify: true,
  keepNames: true,
  logLevel: 'warning',
});
