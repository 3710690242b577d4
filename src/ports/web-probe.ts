// Port: one request to the local web's /api/v1/info, answered or not; the domain (web-readiness.ts) judges it.

import type { InfoAnswer } from '../domain/web-readiness';

export interface WebProbe {
  /** GET `url`; never throws: a failure is a `no-answer` naming its cause. Gives up after `timeoutMs`. */
  info(url: string, timeoutMs: number): Promise<InfoAnswer>;
}

export const WEB_PROBE = Symbol.for('concourse-ci-machine/WebProbe');
