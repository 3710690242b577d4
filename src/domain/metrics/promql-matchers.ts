// Domain: adds label matchers to every vector selector of a PromQL expression, as cos-tool's `transform` does for
// cosl `CosTool.inject_label_matchers` (canonical/cos-lib src/cosl/cos_tool.py): `up < 1` → `up{juju_model="m"} < 1`.

import { InvalidInputError } from '../errors';

const KEYWORDS = new Set([
  'and',
  'or',
  'unless',
  'by',
  'without',
  'on',
  'ignoring',
  'group_left',
  'group_right',
  'bool',
  'offset',
  'atan2',
  'inf',
  'nan',
  // Aggregations, which may stand before `by (…)` instead of their `(`.
  'sum',
  'min',
  'max',
  'avg',
  'group',
  'stddev',
  'stdvar',
  'count',
  'count_values',
  'bottomk',
  'topk',
  'quantile',
  'limitk',
  'limit_ratio',
]);
/** Keywords whose parenthesised list holds label names, not selectors. */
const LABEL_LISTS = new Set(['by', 'without', 'on', 'ignoring', 'group_left', 'group_right']);

/** Every metric name the expression selects (in order, repeated names once). */
export function selectedMetrics(expr: string): string[] {
  const names: string[] = [];
  scan(expr, (name) => {
    if (name !== '' && !names.includes(name)) names.push(name);
    return undefined;
  });
  return names;
}

/** The expression with `labels` added to each selector that does not already match on that label. */
export function injectMatchers(expr: string, labels: Readonly<Record<string, string>>): string {
  const entries = Object.entries(labels);
  if (entries.length === 0) return expr;
  return scan(expr, (_name, existing) => {
    const present = new Set([...existing.matchAll(/([a-zA-Z_][a-zA-Z0-9_]*)\s*(?:=~|!~|!=|=)/g)].map((m) => m[1]));
    const added = entries.filter(([k]) => !present.has(k)).map(([k, v]) => `${k}=${JSON.stringify(v)}`);
    const inner = existing.trim();
    return `{${[...added, ...(inner === '' ? [] : [inner])].join(',')}}`;
  });
}

/**
 * Walks the expression, calling `onSelector(metricName, innerMatchers)` for each vector selector (a metric name
 * with or without `{…}`, or a bare `{…}`), and returns the text with each selector's `{…}` replaced by its answer.
 */
function scan(expr: string, onSelector: (name: string, matchers: string) => string | undefined): string {
  let out = '';
  let i = 0;
  let labelList = false;
  let depth = 0;
  const listDepth: number[] = [];
  while (i < expr.length) {
    const c = expr[i] as string;
    if (c === '"' || c === "'" || c === '`') {
      const end = closeQuote(expr, i);
      out += expr.slice(i, end);
      i = end;
      continue;
    }
    if (c === '[') {
      const end = expr.indexOf(']', i);
      if (end < 0) throw new InvalidInputError(`Unclosed [ in ${expr}`);
      out += expr.slice(i, end + 1);
      i = end + 1;
      continue;
    }
    if (c === '(') {
      depth++;
      if (labelList) listDepth.push(depth);
      labelList = false;
      out += c;
      i++;
      continue;
    }
    if (c === ')') {
      if (listDepth.at(-1) === depth) listDepth.pop();
      depth--;
      out += c;
      i++;
      continue;
    }
    const word = /^[a-zA-Z_:][a-zA-Z0-9_:]*/.exec(expr.slice(i))?.[0];
    if (word !== undefined) {
      i += word.length;
      out += word;
      const rest = expr.slice(i);
      const gap = /^\s*/.exec(rest)?.[0] ?? '';
      if (KEYWORDS.has(word.toLowerCase()) || listDepth.at(-1) === depth) {
        labelList = LABEL_LISTS.has(word.toLowerCase());
        continue;
      }
      if (rest.slice(gap.length).startsWith('(')) continue; // a function call
      if (rest.slice(gap.length).startsWith('{')) {
        const open = i + gap.length;
        const close = closeBrace(expr, open);
        out += `${gap}${onSelector(word, expr.slice(open + 1, close)) ?? expr.slice(open, close + 1)}`;
        i = close + 1;
      } else {
        const replaced = onSelector(word, '');
        if (replaced !== undefined) out += replaced;
      }
      continue;
    }
    if (c === '{') {
      const close = closeBrace(expr, i);
      out += onSelector('', expr.slice(i + 1, close)) ?? expr.slice(i, close + 1);
      i = close + 1;
      continue;
    }
    if (/[0-9.]/.test(c)) {
      const num = /^[0-9.]+(?:[eE][+-]?[0-9]+)?[a-zA-Z]*/.exec(expr.slice(i))?.[0] ?? c;
      out += num;
      i += num.length;
      continue;
    }
    out += c;
    i++;
  }
  return out;
}

function closeQuote(expr: string, start: number): number {
  const q = expr[start];
  let i = start + 1;
  while (i < expr.length && expr[i] !== q) i += expr[i] === '\\' && q !== '`' ? 2 : 1;
  if (i >= expr.length) throw new InvalidInputError(`Unclosed string in ${expr}`);
  return i + 1;
}

function closeBrace(expr: string, open: number): number {
  let i = open + 1;
  while (i < expr.length && expr[i] !== '}') i = expr[i] === '"' || expr[i] === "'" ? closeQuote(expr, i) : i + 1;
  if (i >= expr.length) throw new InvalidInputError(`Unclosed { in ${expr}`);
  return i;
}
