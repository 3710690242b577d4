// Simulator, services: the parts of systemd's unit syntax the fake systemd needs to run a service for real:
// EnvironmentFile= contents, Environment= assignments and the ExecStart= command line, each as systemd reads them.

/**
 * An EnvironmentFile= as systemd.exec(5) "EnvironmentFile=" describes it: newline-separated assignments; empty lines,
 * lines without `=`, and lines starting with `;` or `#` are ignored; leading and trailing whitespace of a value is
 * dropped. An unquoted value keeps inner whitespace and follows the shell's unquoted backslash rules (`\x` → `x`,
 * backslash-newline continues the line); a single-quoted value is verbatim and may span lines; a double-quoted value
 * may span lines, `\` before one of `"\`$` keeps that character, backslash-newline continues, and any other
 * backslash pair is kept verbatim. No variable is expanded (systemd's load_env_file does not).
 */
export function parseEnvironmentFile(text: string): Record<string, string> {
  const env: Record<string, string> = {};
  let i = 0;
  const n = text.length;
  const skipLine = () => {
    while (i < n && text[i] !== '\n') i++;
    i++;
  };
  while (i < n) {
    while (i < n && /[ \t\r]/.test(text[i] ?? '')) i++;
    const c = text[i];
    if (c === undefined) break;
    if (c === '\n') {
      i++;
      continue;
    }
    if (c === '#' || c === ';') {
      skipLine();
      continue;
    }
    const lineEnd = text.indexOf('\n', i) === -1 ? n : text.indexOf('\n', i);
    const eq = text.indexOf('=', i);
    if (eq === -1 || eq > lineEnd) {
      skipLine();
      continue;
    }
    const key = text.slice(i, eq).trim();
    i = eq + 1;
    while (i < n && /[ \t]/.test(text[i] ?? '')) i++;
    let value = '';
    if (text[i] === "'") {
      const close = text.indexOf("'", i + 1);
      value = text.slice(i + 1, close === -1 ? n : close);
      i = close === -1 ? n : close + 1;
      skipLine();
    } else if (text[i] === '"') {
      i++;
      while (i < n && text[i] !== '"') {
        const ch = text[i] ?? '';
        if (ch === '\\' && i + 1 < n) {
          const next = text[i + 1] ?? '';
          if (next === '\n') {
            i += 2;
            continue;
          }
          value += '"\\`$'.includes(next) ? next : `\\${next}`;
          i += 2;
          continue;
        }
        value += ch;
        i++;
      }
      i++;
      skipLine();
    } else {
      while (i < n && text[i] !== '\n') {
        const ch = text[i] ?? '';
        if (ch === '\\' && i + 1 < n) {
          const next = text[i + 1] ?? '';
          if (next !== '\n') value += next;
          i += 2;
          continue;
        }
        value += ch;
        i++;
      }
      i++;
      value = value.replace(/[ \t\r]+$/, '');
    }
    if (/^[A-Za-z_][A-Za-z0-9_]*$/.test(key)) env[key] = value;
  }
  return env;
}

/**
 * One Environment= line: space-separated `VAR=value` assignments, each possibly double- or single-quoted whole
 * (systemd.exec(5) "Environment=": quotes group an assignment containing spaces; `$` is not expanded).
 */
export function parseEnvironmentAssignments(line: string): Record<string, string> {
  const env: Record<string, string> = {};
  for (const word of splitWords(line)) {
    const eq = word.indexOf('=');
    if (eq > 0) env[word.slice(0, eq)] = word.slice(eq + 1);
  }
  return env;
}

/** What an ExecStart= line runs, after its prefixes (systemd.service(5) "COMMAND LINES", table "Special executable prefixes"). */
export interface ExecCommand {
  readonly argv: readonly string[];
  /** `-`: a failing exit code is recorded but the service is not `failed`. */
  readonly ignoreFailure: boolean;
  /** `+` or `!`: run with full privileges, User= not applied. */
  readonly privileged: boolean;
}

/**
 * Splits an ExecStart= command line as systemd.service(5) "COMMAND LINES" says: words separated by whitespace,
 * double and single quotes group, C-style backslash escapes; `${VAR}` is replaced by the variable's value within
 * a word, `$VAR` alone as a word is replaced by its value split at whitespace (both from the service's
 * environment; `:` prefix: no expansion); `$$` is a literal `$`; `%%` is a literal `%`, `%n` the unit's name.
 * Other specifiers are refused (the charm writes none).
 */
export function parseCommandLine(line: string, env: Readonly<Record<string, string>>, unitName: string): ExecCommand {
  const prefix = /^[@\-:+!]*/.exec(line)?.[0] ?? '';
  const words = splitWords(line.slice(prefix.length), true);
  const expand = !prefix.includes(':');
  const argv: string[] = [];
  for (const { text, quoted } of words.map((w) => ({ text: w, quoted: /^["']/.test(w) }))) {
    const word = specifiers(text, unitName);
    const whole = /^\$([A-Za-z_][A-Za-z0-9_]*)$/.exec(word);
    if (expand && whole?.[1] !== undefined && !quoted) {
      argv.push(...(env[whole[1]] ?? '').split(/\s+/).filter((w) => w !== ''));
      continue;
    }
    argv.push(
      unquote(
        expand
          ? word.replace(/\$\$|\$\{([A-Za-z_][A-Za-z0-9_]*)\}/g, (_m, v?: string) =>
              v === undefined ? '$' : (env[v] ?? ''),
            )
          : word,
      ),
    );
  }
  if (prefix.includes('@') && argv.length >= 2) argv.splice(1, 1); // the second word only names argv[0]
  return { argv, ignoreFailure: prefix.includes('-'), privileged: prefix.includes('+') || prefix.includes('!') };
}

function specifiers(word: string, unitName: string): string {
  return word.replace(/%(.)/g, (_, c: string) => {
    if (c === '%') return '%';
    if (c === 'n') return unitName;
    throw new Error(`specifier %${c} is not simulated`);
  });
}

/** Words separated by unquoted whitespace; `keepQuotes` leaves the quotes on for a later unquote(). */
function splitWords(line: string, keepQuotes = false): string[] {
  const words: string[] = [];
  let current = '';
  let inWord = false;
  let quote: string | undefined;
  for (let i = 0; i < line.length; i++) {
    const c = line[i] ?? '';
    if (quote !== undefined) {
      if (c === '\\' && quote === '"' && i + 1 < line.length) {
        current += keepQuotes ? c + (line[i + 1] ?? '') : (line[i + 1] ?? '');
        i++;
      } else if (c === quote) {
        if (keepQuotes) current += c;
        quote = undefined;
      } else current += c;
      continue;
    }
    if (/\s/.test(c)) {
      if (inWord) words.push(current);
      current = '';
      inWord = false;
      continue;
    }
    inWord = true;
    if (c === '"' || c === "'") {
      quote = c;
      if (keepQuotes) current += c;
    } else if (c === '\\' && i + 1 < line.length) {
      current += keepQuotes ? c + (line[i + 1] ?? '') : (line[i + 1] ?? '');
      i++;
    } else current += c;
  }
  if (quote !== undefined) throw new Error(`unbalanced quotes in ${JSON.stringify(line)}`);
  if (inWord) words.push(current);
  return words;
}

const C_ESCAPES: Readonly<Record<string, string>> = { n: '\n', t: '\t', r: '\r', a: '\x07', b: '\b', f: '\f', v: '\v' };

/** Removes a word's quotes and resolves its backslash escapes (C-style, as systemd's extract_first_word with EXTRACT_CUNESCAPE). */
function unquote(word: string): string {
  let out = '';
  let quote: string | undefined;
  for (let i = 0; i < word.length; i++) {
    const c = word[i] ?? '';
    if (quote === undefined && (c === '"' || c === "'")) {
      quote = c;
      continue;
    }
    if (c === quote) {
      quote = undefined;
      continue;
    }
    if (c === '\\' && quote !== "'" && i + 1 < word.length) {
      const next = word[i + 1] ?? '';
      out += C_ESCAPES[next] ?? next;
      i++;
      continue;
    }
    out += c;
  }
  return out;
}
