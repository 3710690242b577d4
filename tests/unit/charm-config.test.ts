import { describe, expect, test } from 'vitest';
import { DEFAULT_DOWNLOAD_URL, parseCharmConfig, releaseUrl } from '../../src/domain/charm-config';
import { InvalidInputError } from '../../src/domain/errors';
import { ConcourseVersion } from '../../src/domain/version';

describe('parseCharmConfig', () => {
  test('empty config → defaults an operator expects', () => {
    const c = parseCharmConfig({});
    expect(c).toMatchObject({
      mode: 'auto',
      version: undefined,
      webPort: 8080,
      downloadUrl: DEFAULT_DOWNLOAD_URL,
      sharedStorage: 'auto',
      storageWaitTimeoutMs: 300_000,
      keepReleases: 2,
      logLevel: 'info',
      initialAdminUsername: 'admin',
      githubToken: undefined,
    });
  });

  test('valid values → typed config', () => {
    const c = parseCharmConfig({ mode: 'all', version: 'v7.14.2', 'web-port': 443, 'storage-wait-timeout': 5 });
    expect(c.mode).toBe('all');
    expect(c.version?.toString()).toBe('7.14.2');
    expect(c.webPort).toBe(443);
    expect(c.storageWaitTimeoutMs).toBe(5000);
  });

  test.each([
    [{ mode: 'foo' }, 'mode must be one of auto, all, web, worker'],
    [{ 'web-port': 0 }, 'web-port must be between 1 and 65535'],
    [{ 'web-port': 70000 }, 'web-port must be between 1 and 65535'],
    [{ 'web-port': 80.5 }, 'web-port must be a whole number'],
    [{ version: '7.14.2; rm -rf /' }, 'version must be a release number'],
    [{ version: '../../etc' }, 'version must be a release number'],
    [{ version: '7.14.2/../x' }, 'version must be a release number'],
    [{ 'download-url': 'file:///etc/passwd' }, 'download-url must be an http:// or https:// URL'],
    [{ 'download-url': 'http://x/$(reboot)' }, 'download-url must be an http:// or https:// URL'],
    [{ 'external-url': 'ftp://host' }, 'external-url must be an http:// or https:// URL'],
    [{ 'shared-storage': 'yes' }, 'shared-storage must be one of auto, required, none'],
    [{ 'keep-releases': 0 }, 'keep-releases must be between 1 and 100'],
    [{ 'worker-work-dir': 'relative/dir' }, 'worker-work-dir must be an absolute path'],
    [{ 'worker-work-dir': '/var/../etc' }, 'worker-work-dir must be an absolute path'],
    [{ 'initial-admin-username': 'a b' }, 'initial-admin-username must be'],
  ])('%j → blocked naming the option', (raw, reason) => {
    expect(() => parseCharmConfig(raw)).toThrow(InvalidInputError);
    expect(() => parseCharmConfig(raw)).toThrow(reason);
  });

  test('several bad options → every reason in one message', () => {
    expect(() => parseCharmConfig({ mode: 'foo', 'web-port': 0 })).toThrow(/mode must be.*; web-port must be/);
  });

  test('invalid config is a blocked problem', () => {
    try {
      parseCharmConfig({ mode: 'foo' });
    } catch (e) {
      expect(e).toBeInstanceOf(InvalidInputError);
      expect((e as InvalidInputError).status).toBe('blocked');
      expect((e as InvalidInputError).message).toMatch(/^Invalid config: /);
    }
  });

  test('download-url template → filled with version and arch', () => {
    const url = releaseUrl(DEFAULT_DOWNLOAD_URL, ConcourseVersion.parse('7.14.2'), 'amd64');
    expect(url).toBe(
      'https://github.com/concourse/concourse/releases/download/v7.14.2/concourse-7.14.2-linux-amd64.tgz',
    );
  });
});
