// Boot: the entry of dist/charm.cjs. The charm itself (src/hooks/main.ts, bundled) is a string in this file,
// compiled through the unit's code cache (code-cache.ts) and run as if `dispatch` had run it directly.

import { arch, env, version } from 'node:process';
import { compileBundle, DEFAULT_CODE_CACHE_DIR, runBundle } from './code-cache';

// Set by scripts/build.mjs (esbuild `define`): the bundled charm and its sha256.
declare const CHARM_BUNDLE_SOURCE: string;
declare const CHARM_BUNDLE_DIGEST: string;

// Test seam, never set by Juju: where the cache lives (tests keep it in their temporary directory).
const dir = env.CONCOURSE_CHARM_CODE_CACHE_DIR || DEFAULT_CODE_CACHE_DIR;
const compiled = compileBundle(
  { source: CHARM_BUNDLE_SOURCE, digest: CHARM_BUNDLE_DIGEST, filename: __filename },
  dir,
  { version, arch },
);
runBundle(compiled, module, require);
