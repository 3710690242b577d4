import { readFileSync } from 'node:fs';
import { describe, expect, test } from 'vitest';
import { parse } from 'yaml';
import { DEFAULT_DOWNLOAD_URL, parseCharmConfig, releaseUrl } from '../../src/domain/charm-config';
import { FLAG_OPTIONS } from '../../src/domain/concourse-options';
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

describe('Concourse options', () => {
  test('no option set → no operator flags, metrics off, TSA on 2222, drain bounded by 300 s', () => {
    const c = parseCharmConfig({});
    expect(c).toMatchObject({ webFlags: [], workerFlags: [], metricsPort: undefined, tsaPort: 2222 });
    expect(c.workerDrainTimeoutMs).toBe(300_000);
  });

  test.each(FLAG_OPTIONS.map((o) => [o.option, o]))('%s set → its flag, on its command only', (_name, option) => {
    const value = option.type === 'string' ? sampleValue(option.option) : option.type === 'int' ? 7 : true;
    const c = parseCharmConfig({ [option.option]: value });
    const mine = option.command === 'web' ? c.webFlags : c.workerFlags;
    const other = option.command === 'web' ? c.workerFlags : c.webFlags;
    expect(mine).toEqual([{ key: option.env, value: String(value), from: option.option }]);
    expect(other).toEqual([]);
  });

  test('enable-metrics → the metrics port', () => {
    expect(parseCharmConfig({ 'enable-metrics': true }).metricsPort).toBe(9391);
    expect(parseCharmConfig({ 'enable-metrics': true, 'metrics-port': 9100 }).metricsPort).toBe(9100);
  });

  test('extra env → one setting a line, comments and blank lines skipped, after the options', () => {
    const c = parseCharmConfig({
      'worker-team': 'main',
      'worker-extra-env': '# mine\n\nCONCOURSE_CONTAINERD_MTU=1400\n CONCOURSE_LOG_LEVEL = debug \n',
    });
    expect(c.workerFlags).toEqual([
      { key: 'CONCOURSE_TEAM', value: 'main', from: 'worker-team' },
      { key: 'CONCOURSE_CONTAINERD_MTU', value: '1400', from: 'worker-extra-env' },
      { key: 'CONCOURSE_LOG_LEVEL', value: 'debug', from: 'worker-extra-env' },
    ]);
  });

  test.each([
    [{ 'tsa-port': 0 }, 'tsa-port must be between 1 and 65535'],
    [{ 'tsa-port': 8080 }, 'tsa-port must differ from web-port'],
    [{ 'enable-metrics': true, 'metrics-port': 8080 }, 'metrics-port must differ from web-port'],
    [{ 'metrics-port': 70000 }, 'metrics-port must be between 1 and 65535'],
    [{ 'worker-drain-timeout': -1 }, 'worker-drain-timeout must be between 0 and 86400'],
    [{ 'baggageclaim-driver': 'zfs' }, 'baggageclaim-driver must be one of auto, detect, naive, btrfs, overlay'],
    [{ 'container-placement-strategy': 'volume-locality,best' }, 'container-placement-strategy must be one of'],
    [{ 'gc-failed-grace-period': '5 days' }, 'gc-failed-grace-period must be a duration such as 30s'],
    [{ 'max-build-logs-to-retain': -3 }, 'max-build-logs-to-retain must be between 0 and'],
    [{ 'containerd-max-containers': 2.5 }, 'containerd-max-containers must be a whole number'],
    [{ 'enable-global-resources': 'yes' }, 'enable-global-resources must be true or false'],
    [{ 'web-extra-env': 'LOG_LEVEL=debug' }, 'web-extra-env line 1 must be CONCOURSE_NAME=value'],
    [{ 'web-extra-env': 'CONCOURSE_LOG_LEVEL' }, 'web-extra-env line 1 must be CONCOURSE_NAME=value'],
    [{ 'worker-extra-env': 'CONCOURSE_TAG=a\nCONCOURSE_TAG=b' }, 'worker-extra-env sets CONCOURSE_TAG twice'],
  ])('%j → blocked naming the option', (raw, reason) => {
    expect(() => parseCharmConfig(raw)).toThrow(InvalidInputError);
    expect(() => parseCharmConfig(raw)).toThrow(reason);
  });

  test('config.yaml → exactly the options the parser knows, with the same defaults', () => {
    const { options } = parse(readFileSync('config.yaml', 'utf8')) as {
      options: Record<string, { type: string; default: unknown }>;
    };
    const defaults = parseCharmConfig({});
    expect(defaults).toBeDefined();
    for (const o of FLAG_OPTIONS) {
      expect(options[o.option], o.option).toMatchObject({
        type: o.type,
        default: { string: '', int: 0, boolean: false }[o.type],
      });
    }
    for (const [name, spec] of Object.entries(options)) {
      // Each option's default parses (the parser refuses unknown types of value, so this also checks the types).
      expect(() => parseCharmConfig({ [name]: spec.default }), name).not.toThrow();
    }
  });
});

function sampleValue(option: string): string {
  const samples: Record<string, string> = {
    tag: 'gpu',
    'worker-team': 'main',
    'container-placement-strategy': 'random',
    'gc-failed-grace-period': '48h',
  };
  const sample = samples[option];
  if (sample === undefined) throw new Error(`no sample for ${option}`);
  return sample;
}
