import { expect, test } from 'vitest';
import { redactText } from '../../src/domain/redact';

test.each([
  ['plain text → unchanged', 'connection is shut down', 'connection is shut down'],
  [
    'URLs with credentials in an error line → every one masked',
    'Get https://bob:s3cret@ctl:17070/x: proxy http://p:pw@10.0.0.1:3128 refused',
    'Get https://***@ctl:17070/x: proxy http://***@10.0.0.1:3128 refused',
  ],
  ['a URL without credentials → unchanged', 'Get https://ctl:17070/units/x', 'Get https://ctl:17070/units/x'],
  ['an e-mail address (no scheme) → unchanged', 'mail admin@example.com', 'mail admin@example.com'],
])('%s', (_name, text, expected) => {
  expect(redactText(text)).toBe(expected);
});

test('a long line (a 500 carrying a page) → cut to the bound, ending with an ellipsis', () => {
  const out = redactText('x'.repeat(500), 200);
  expect(out).toHaveLength(200);
  expect(out.endsWith('…')).toBe(true);
});
