import { expect, test } from 'vitest';
import { InvalidInputError } from '../../src/domain/errors';
import { ConcourseVersion } from '../../src/domain/version';

test.each(['7.14.2', 'v8.0.1', '10.0.0-rc.2', ' 7.1.0 '])('%j → accepted', (s) => {
  expect(ConcourseVersion.parse(s).toString()).toBe(s.trim().replace(/^v/, ''));
});

test.each(['', '7', '7.14', '7.14.2.1', '07.1.0', '7.14.2;ls', '../7.1.0', '7.1.0/..', 'latest', '7.1.0-evil'])(
  '%j → rejected with guidance',
  (s) => {
    expect(() => ConcourseVersion.parse(s)).toThrow(InvalidInputError);
    expect(() => ConcourseVersion.parse(s)).toThrow(/such as 7\.14\.2/);
  },
);

test('ordering → numeric, pre-release before release', () => {
  const sorted = ['7.14.10', '7.2.0', '8.0.0-rc.1', '7.14.2', '8.0.0'].map((s) => ConcourseVersion.parse(s));
  sorted.sort((a, b) => a.compare(b));
  expect(sorted.map(String)).toEqual(['7.2.0', '7.14.2', '7.14.10', '8.0.0-rc.1', '8.0.0']);
  expect(ConcourseVersion.parse('7.14.2').equals(ConcourseVersion.parse('v7.14.2'))).toBe(true);
});
