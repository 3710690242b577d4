import { describe, expect, test } from 'vitest';
import type { Role } from '../../src/domain/roles';
import { joinStatus, readyMessage } from '../../src/domain/status';

describe('readyMessage', () => {
  test.each<[readonly Role[], string | undefined, string]>([
    [['web'], 'http://10.0.0.5:8080', 'Web ready (v7.14.2) http://10.0.0.5:8080'],
    [['web'], undefined, 'Web ready (v7.14.2)'],
    [['worker'], undefined, 'Worker ready (v7.14.2)'],
    // A worker serves no URL: even one passed by mistake is not shown.
    [['worker'], 'http://10.0.0.5:8080', 'Worker ready (v7.14.2)'],
    [['web', 'worker'], 'https://ci.example.com', 'Web+worker ready (v7.14.2) https://ci.example.com'],
    [['web', 'worker'], undefined, 'Web+worker ready (v7.14.2)'],
    [['worker', 'web'], 'http://[fd00::5]:8080', 'Web+worker ready (v7.14.2) http://[fd00::5]:8080'],
  ])('roles %j, url %j → %j', (roles, url, message) => {
    expect(readyMessage(roles, '7.14.2', url)).toBe(message);
  });

  test('version → shown with a single v, as given', () => {
    expect(readyMessage(['worker'], '7.15.0-rc.1', undefined)).toBe('Worker ready (v7.15.0-rc.1)');
  });

  test('one line, capitalised (what Juju shows)', () => {
    for (const roles of [['web'], ['worker'], ['web', 'worker']] as const) {
      const message = readyMessage(roles, '7.14.2', 'http://h:8080');
      expect(message).not.toMatch(/[\n\r]/);
      expect(message).toMatch(/^[A-Z]/);
    }
  });

  test('joined with a sharing note → cause first, separated by a middle dot', () => {
    expect(joinStatus(readyMessage(['worker'], '7.14.2', undefined), 'store shared with 2 units')).toBe(
      'Worker ready (v7.14.2) · store shared with 2 units',
    );
    expect(joinStatus(readyMessage(['web'], '7.14.2', 'http://h:8080'), undefined, '')).toBe(
      'Web ready (v7.14.2) http://h:8080',
    );
  });
});
