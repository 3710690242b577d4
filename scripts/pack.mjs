// Packs concourse-ci-machine_amd64.charm: a zip holding exactly what a unit runs. Mode bits are stored so Juju
// unpacks `dispatch` executable. yazl writes them; the system `zip` may be absent on a fresh machine.
import { createWriteStream, readFileSync, statSync } from 'node:fs';
import yazl from 'yazl';

export const CHARM_FILE = 'concourse-ci-machine_amd64.charm';

const manifest = `analysis:
  attributes:
  - name: language
    result: javascript
  - name: framework
    result: unknown
charmcraft-started-at: '${new Date().toISOString()}'
charmcraft-version: 3.2.0
bases:
- name: ubuntu
  channel: '24.04'
  architectures:
  - amd64
`;

const zip = new yazl.ZipFile();
const fixed = new Date('2026-01-01T00:00:00Z');
for (const [path, mode] of [
  ['metadata.yaml', 0o644],
  ['config.yaml', 0o644],
  ['actions.yaml', 0o644],
  ['dispatch', 0o755],
  ['dist/charm.cjs', 0o644],
  // Observability shipped in the charm, read by the hooks from the charm directory (issue 12).
  ['monitoring/prometheus_alert_rules/concourse.rules', 0o644],
  ['monitoring/grafana_dashboards/concourse.json', 0o644],
]) {
  statSync(path);
  zip.addBuffer(readFileSync(path), path, { mode: 0o100000 | mode, mtime: fixed });
}
zip.addBuffer(Buffer.from(manifest), 'manifest.yaml', { mode: 0o100644, mtime: fixed });
zip.outputStream.pipe(createWriteStream(CHARM_FILE)).on('close', () => {
  console.log(`packed ${CHARM_FILE} (${statSync(CHARM_FILE).size} bytes)`);
});
zip.end();
