// Unit tests of the web readiness rule: what answer from /api/v1/info counts as "this web serves that release".

import { describe, expect, test } from 'vitest';
import { type InfoAnswer, infoUrl, judgeInfo, notServingMessage } from '../../src/domain/web-readiness';

const answer = (status: number, body: string): InfoAnswer => ({ kind: 'answer', status, body });
// The body as Concourse 7.14.3 writes it (atc/info.go; release-layout.md section 7).
const INFO_7 =
  '{"version":"7.14.3","worker_version":"2.5","feature_flags":{"across_step":false,"build_rerun":false,"cache_streamed_volumes":false,"global_resources":false,"pipeline_instances":false,"redact_secrets":false,"resource_causality":false},"external_url":"http://10.0.0.5:8080"}';

describe('judgeInfo', () => {
  test.each<[string, InfoAnswer, string | undefined]>([
    ['Concourse answering with the expected version', answer(200, INFO_7), undefined],
    [
      'the previous release still answering',
      answer(200, INFO_7.replace('7.14.3', '7.14.2')),
      'version 7.14.2 answering',
    ],
    ['nothing listening', { kind: 'no-answer', reason: 'connection refused' }, 'connection refused'],
    ['a 503 while migrating', answer(503, ''), 'HTTP 503'],
    ['another program on the port', answer(200, '<html>hello</html>'), 'an answer that is not Concourse’s JSON'],
    ['JSON without a version', answer(200, '{"status":"ok"}'), 'an answer without a version'],
  ])('%s → %s', (_situation, got, reason) => {
    const verdict = judgeInfo('7.14.3', got);
    if (reason === undefined) expect(verdict).toEqual({ kind: 'serving' });
    else expect(verdict).toEqual({ kind: 'not-yet', reason });
  });

  test('the URL → loopback, the web port, the unauthenticated info endpoint', () => {
    expect(infoUrl(8443)).toBe('http://127.0.0.1:8443/api/v1/info');
  });

  test('the failure message → port, version, seconds waited and the last answer', () => {
    expect(notServingMessage(8080, '7.14.3', 'HTTP 503', 180_000)).toBe(
      'Concourse web 7.14.3 not serving on port 8080 after 180 s (/api/v1/info: HTTP 503)',
    );
  });
});
