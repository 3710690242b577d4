// Port: which Concourse release is the latest, asked once by the leader when `version` is empty or `upgrade` is run
// without one; the answer is then pinned as the application's target.

export interface ReleaseResolver {
  /** The latest release's version (`7.14.3`); throws a CharmProblem the operator can act on when it cannot tell. */
  latest(): Promise<string>;
}

export const RELEASE_RESOLVER = Symbol.for('concourse-ci-machine/ReleaseResolver');

export interface ReleaseResolverSettings {
  /** GitHub's API root (`https://api.github.com`). */
  readonly apiBaseUrl: string;
  readonly token: string | undefined;
  readonly httpProxy?: string;
  readonly httpsProxy?: string;
  readonly noProxy?: string;
  readonly timeoutMs: number;
}

export const RELEASE_RESOLVER_SETTINGS = Symbol.for('concourse-ci-machine/ReleaseResolverSettings');
