// Domain: what the operator reads when the leader cannot resolve the latest Concourse release on GitHub (config
// `version` empty). The resolver adapter says what happened; the words, the status and the next step are here.

import { CharmProblem } from './errors';

export type LatestReleaseFailure =
  | { readonly kind: 'token-refused' }
  | { readonly kind: 'rate-limited' }
  | { readonly kind: 'http-status'; readonly status: number }
  | { readonly kind: 'no-tag' }
  | { readonly kind: 'unreachable'; readonly detail: string; readonly cause: unknown };

export function latestReleaseProblem(failure: LatestReleaseFailure): CharmProblem {
  switch (failure.kind) {
    case 'token-refused':
      return new CharmProblem('blocked', 'GitHub refused github-token (401): fix or clear it, or set version');
    case 'rate-limited':
      return new CharmProblem(
        'waiting',
        'GitHub API rate limit reached while resolving the latest Concourse release: set github-token or version; retrying later',
      );
    case 'http-status':
      return new CharmProblem(
        'waiting',
        `GitHub answered ${failure.status} for the latest Concourse release: set version, or wait for a retry`,
      );
    case 'no-tag':
      return new CharmProblem('blocked', 'GitHub’s latest Concourse release has no usable tag: set version');
    case 'unreachable':
      return new CharmProblem(
        'waiting',
        `Cannot reach GitHub to resolve the latest Concourse release (${failure.detail}): set version, or wait for a retry`,
        { cause: failure.cause },
      );
  }
}
