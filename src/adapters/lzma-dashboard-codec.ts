// Adapter (DashboardCodec): dashboards as COS's libraries send them (cosl LZMABase64, DashboardPath40UID in
// canonical/cos-lib src/cosl/utils.py and grafana_dashboard.py). Node has no LZMA; LZMA-JS (npm `lzma`, MIT, pure
// JavaScript, bundles into the charm) writes the .lzma ("alone") container, which Python's `lzma.decompress`
// reads in its default FORMAT_AUTO, the call LZMABase64.decompress makes on the grafana-agent side.

import { createHash } from 'node:crypto';
import lzmaWorker from 'lzma/src/lzma_worker.js';
import { pythonJsonDumps } from '../domain/metrics/python-json';
import type { DashboardCodec } from '../ports/telemetry-assets';

export class LzmaDashboardCodec implements DashboardCodec {
  encode(dashboard: Readonly<Record<string, unknown>>): string {
    // json.dumps(dashboard) as Python writes it, so the bytes compressed are the library's.
    const bytes = new TextEncoder().encode(pythonJsonDumps(dashboard));
    // Mode 6: the preset Python's lzma.compress uses by default.
    return Buffer.from(Int8Array.from(lzmaWorker.LZMA_WORKER.compress(bytes, 6)).buffer).toString('base64');
  }

  fingerprint(dashboard: Readonly<Record<string, unknown>>): string {
    return createHash('sha256').update(pythonJsonDumps(dashboard)).digest('hex');
  }

  uid(charmName: string, relPath: string): string {
    return createHash('shake256', { outputLength: 20 }).update(`${charmName}-${relPath}`).digest('hex');
  }
}
