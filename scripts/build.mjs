// Bundles the charm into one file, dist/charm.cjs: what `dispatch` runs on a unit and what the e2e tests drive.
// The charm (src/hooks/main.ts) is bundled first, then embedded as a string in a small loader (src/boot/main.ts)
// that compiles it through a V8 code cache on the unit: most of a hook's start-up was V8 parsing the bundle.
import { createHash } from 'node:crypto';
import { build } from 'esbuild';

const common = {
  bundle: true,
  platform: 'node',
  target: 'node20.18',
  format: 'cjs',
  legalComments: 'none',
  minify: true,
  keepNames: true,
  logLevel: 'warning',
};

const charm = await build({ ...common, entryPoints: ['src/hooks/main.ts'], write: false, outfile: 'charm.cjs' });
const source = charm.outputFiles[0].text;
await build({
  ...common,
  entryPoints: ['src/boot/main.ts'],
  outfile: 'dist/charm.cjs',
  define: {
    CHARM_BUNDLE_SOURCE: JSON.stringify(source),
    CHARM_BUNDLE_DIGEST: JSON.stringify(createHash('sha256').update(source).digest('hex')),
  },
});
