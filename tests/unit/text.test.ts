import { describe, expect, test } from 'vitest';
import { nonEmpty } from '../../src/domain/text';

describe('nonEmpty: an empty string from Juju means not set', () => {
  test.each([
    [undefined, undefined],
    ['', undefined],
    [' ', ' '],
    ['8.0.1', '8.0.1'],
  ])('%j → %j', (input, expected) => {
    expect(nonEmpty(input)).toBe(expected);
  });
});
