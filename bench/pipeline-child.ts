// Benchmark child: the charm's download pipeline alone (UndiciDownloader: fetch, sha1 + sha256, gunzip, guarded
// extract), bundled like the charm and run in its own process so GNU time sees only it. Prints the digests.
//
// node pipeline-child.cjs <url> <target-dir>

import 'reflect-metadata';
import { UndiciDownloader } from '../src/adapters/undici-downloader';
import { DEFAULT_DOWNLOADER_SETTINGS } from '../src/ports/downloader';

const [url, target] = process.argv.slice(2);
if (url === undefined || target === undefined) {
  console.error('usage: pipeline-child <url> <target-dir>');
  process.exit(2);
}
new UndiciDownloader(DEFAULT_DOWNLOADER_SETTINGS)
  .fetchAndExtract({ kind: 'url', url }, target, { strip: 1 })
  .then((result) => console.log(JSON.stringify(result)))
  .catch((err: unknown) => {
    console.error(err);
    process.exit(1);
  });
