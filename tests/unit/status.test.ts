import { describe, expect, test } from 'vitest';
import type { Role } from '../../src/domain/roles';
import { joinStatus, readyMessage, unitStatus } from '../../src/domain/status';

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

describe('unitStatus', () => {
  const base = {
    roles: ['worker'] as const,
    running: '7.14.2',
    url: undefined,
    holding: undefined,
    failedHere: false,
    rollout: undefined,
    sharing: 'shared volume 3 units',
  };

  test('converged → active, ready, sharing last', () => {
    expect(unitStatus(base)).toEqual({ status: 'active', message: 'Worker ready (v7.14.2) · shared volume 3 units' });
  });

  test('holding for a web → still active, saying why', () => {
    expect(unitStatus({ ...base, holding: 'waiting for a web unit to run 7.14.3 first' }).message).toBe(
      'Worker ready (v7.14.2) · waiting for a web unit to run 7.14.3 first · shared volume 3 units',
    );
  });

  test('held by its own failed start → blocked, before any roll-out progress', () => {
    expect(
      unitStatus({ ...base, holding: 'Concourse 7.14.3 did not start here', failedHere: true, rollout: 'Upgrading' }),
    ).toEqual({ status: 'blocked', message: 'Concourse 7.14.3 did not start here · shared volume 3 units' });
  });

  test('leader during a roll-out → maintenance with the progress', () => {
    expect(unitStatus({ ...base, rollout: 'Upgrading to v7.14.3: 1/5 units' })).toEqual({
      status: 'maintenance',
      message: 'Upgrading to v7.14.3: 1/5 units · shared volume 3 units',
    });
  });
});
