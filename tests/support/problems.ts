// Test support: the CharmProblem a call throws; anything else (or nothing) fails the test.
import { CharmProblem } from '../../src/domain/errors';

export function problemOf(fn: () => unknown): CharmProblem {
  try {
    fn();
  } catch (error) {
    if (error instanceof CharmProblem) return error;
    throw error;
  }
  throw new Error('expected a CharmProblem, nothing was thrown');
}
