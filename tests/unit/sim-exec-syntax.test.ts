// Unit tests of the simulator's reading of systemd's unit syntax (sim/services/exec-syntax.ts, sim/tools/
// service-exec.ts): EnvironmentFile= and Environment= as systemd.exec(5) says, ExecStart= as systemd.service(5)
// "COMMAND LINES" says, time spans as systemd.time(7). What a service runs with depends on these being right.
import { describe, expect, test } from 'vitest';
import { parseCommandLine, parseEnvironmentAssignments, parseEnvironmentFile } from '../../sim/services/exec-syntax';
import { stopHow, timespanMs } from '../../sim/tools/service-exec';

describe('EnvironmentFile= contents', () => {
  test.each<[string, string, Record<string, string>]>([
    ['plain assignments', 'A=1\nB=two words\n', { A: '1', B: 'two words' }],
    ['comments, blank lines, lines without = → ignored', '# c\n; c\n\nnot an assignment\nA=1\n', { A: '1' }],
    ['whitespace around the value → dropped, inner kept', 'A=  x  y  \n', { A: 'x  y' }],
    ['double quotes (the charm writes these) → escapes of "\\`$ resolved', 'A="p\\"w\\$d\\\\x"\n', { A: 'p"w$d\\x' }],
    ['double quotes, other backslash pair → kept verbatim', 'A="a\\nb"\n', { A: 'a\\nb' }],
    ['double quotes spanning lines → the newline kept', 'A="one\ntwo"\nB=3\n', { A: 'one\ntwo', B: '3' }],
    ['single quotes → verbatim, no escapes', "A='a\\\"$b'\n", { A: 'a\\"$b' }],
    ['unquoted backslash → the next character', 'A=a\\ b\\\\c\n', { A: 'a b\\c' }],
    ['unquoted backslash-newline → continues the line', 'A=one\\\ntwo\n', { A: 'onetwo' }],
    // biome-ignore lint/suspicious/noTemplateCurlyInString: a literal `${X}` is what systemd reads.
    ['no $ expansion', 'A=x\nB=$A ${A}\n', { A: 'x', B: '$A ${A}' }],
    ['later assignment → wins', 'A=1\nA=2\n', { A: '2' }],
    ['last line without newline → read', 'A=1', { A: '1' }],
  ])('%s', (_, text, env) => {
    expect(parseEnvironmentFile(text)).toEqual(env);
  });
});

describe('Environment= assignments', () => {
  test.each<[string, string, Record<string, string>]>([
    ['one', 'PATH=/a:/b', { PATH: '/a:/b' }],
    ['several, space-separated', 'A=1 B=2', { A: '1', B: '2' }],
    ['quoted whole → one value with spaces', '"A=x y" B=2', { A: 'x y', B: '2' }],
  ])('%s', (_, line, env) => {
    expect(parseEnvironmentAssignments(line)).toEqual(env);
  });
});

describe('ExecStart= command lines', () => {
  const env = { X: 'ex', L: 'a  b c' };
  test.each<[string, string, readonly string[]]>([
    ['words', '/bin/concourse web', ['/bin/concourse', 'web']],
    ['quotes group', '/bin/x "a b" \'c d\'', ['/bin/x', 'a b', 'c d']],
    // biome-ignore lint/suspicious/noTemplateCurlyInString: a literal `${X}` is what systemd reads.
    ['${X} inside a word → replaced', '/bin/x --v=${X}', ['/bin/x', '--v=ex']],
    ['$L alone → split at whitespace', '/bin/x $L', ['/bin/x', 'a', 'b', 'c']],
    ['$$ → a literal $', '/bin/x $$X', ['/bin/x', '$X']],
    ['%% → a literal %, %n → the unit', '/bin/x 100%% %n', ['/bin/x', '100%', 'u.service']],
    ['C escapes in quotes', '/bin/x "a\\tb"', ['/bin/x', 'a\tb']],
    // biome-ignore lint/suspicious/noTemplateCurlyInString: a literal `${X}` is what systemd reads.
    [': prefix → no expansion', ':/bin/x ${X}', ['/bin/x', '${X}']],
    ['@ prefix → second word names argv[0] only', '@/bin/x name arg', ['/bin/x', 'arg']],
  ])('%s', (_, line, argv) => {
    expect(parseCommandLine(line, env, 'u.service').argv).toEqual(argv);
  });

  test('- prefix → failure ignored; + prefix → privileged', () => {
    expect(parseCommandLine('-/bin/x', {}, 'u').ignoreFailure).toBe(true);
    expect(parseCommandLine('+/bin/x', {}, 'u').privileged).toBe(true);
    expect(parseCommandLine('/bin/x', {}, 'u')).toMatchObject({ ignoreFailure: false, privileged: false });
  });

  test('unbalanced quote or an unknown specifier → refused with the reason', () => {
    expect(() => parseCommandLine('/bin/x "a', {}, 'u')).toThrow(/unbalanced quotes/);
    expect(() => parseCommandLine('/bin/x %i', {}, 'u')).toThrow(/specifier %i/);
  });
});

describe('how a service is stopped', () => {
  test.each<[string, number]>([
    ['120s', 120_000],
    ['60', 60_000],
    ['2min', 120_000],
    ['1min 30s', 90_000],
    ['500ms', 500],
  ])('TimeoutStopSec=%s → %i ms', (text, ms) => {
    expect(timespanMs(text)).toBe(ms);
  });

  test('no settings → control-group, SIGTERM, 90 s (systemd defaults); the worker unit → mixed, 120 s', () => {
    const base = { execStart: '/bin/x', user: '', workingDirectory: '', environmentFiles: [] };
    expect(stopHow(base)).toEqual({ mode: 'control-group', signal: 'SIGTERM', timeoutMs: 90_000 });
    expect(stopHow({ ...base, killMode: 'mixed', timeoutStopSec: '120s' })).toEqual({
      mode: 'mixed',
      signal: 'SIGTERM',
      timeoutMs: 120_000,
    });
  });
});
