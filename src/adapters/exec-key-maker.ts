// Adapter (KeyMaker): runs the release's `concourse generate-key` in a private temporary directory (0700, removed
// afterwards), so keys are in the format the running Concourse reads and never pass through argv or a shared path.

import { execFile } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { injectable } from 'inversify';
import type { KeyMaker, KeyPair } from '../ports/key-maker';

const GENERATE_TIMEOUT_MS = 60_000;

@injectable()
export class ExecKeyMaker implements KeyMaker {
  async generate(binary: string, type: 'rsa' | 'ssh'): Promise<KeyPair> {
    const dir = await mkdtemp(join(tmpdir(), 'concourse-keys-'));
    try {
      const file = join(dir, 'key');
      await new Promise<void>((resolve, reject) => {
        execFile(
          binary,
          ['generate-key', '-t', type, '-f', file],
          { encoding: 'utf8', timeout: GENERATE_TIMEOUT_MS },
          (error, _stdout, stderr) => {
            if (error === null) resolve();
            else reject(new Error(`${binary} generate-key -t ${type} failed: ${stderr.trim() || error.message}`));
          },
        );
      });
      const privateKey = await readFile(file, 'utf8');
      const publicKey = type === 'ssh' ? (await readFile(`${file}.pub`, 'utf8')).trim() : undefined;
      if (!privateKey.includes('PRIVATE KEY-----')) throw new Error(`${binary} generate-key wrote no private key`);
      return { privateKey, publicKey };
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  }

  password(): string {
    return randomBytes(24).toString('base64url');
  }
}
