// Fake hook tools: `--format` handling. Juju's "smart" default prints strings bare, booleans as True/False, lists one
// per line and maps as YAML; `json` and `yaml` print the value as such.

import { stringify as toYaml } from 'yaml';
import { type ParsedArgs, stringFlag } from './args';
import { usageError } from './tool-error';

export type OutputFormat = 'smart' | 'json' | 'yaml';

export const FORMAT_FLAG = { names: ['format'], type: 'string' } as const;

export function outputFormat(args: ParsedArgs, fallback: OutputFormat = 'smart'): OutputFormat {
  const raw = stringFlag(args, 'format');
  if (raw === undefined) return fallback;
  if (raw === 'smart' || raw === 'json' || raw === 'yaml') return raw;
  throw usageError(`invalid value "${raw}" for option --format: unknown format "${raw}"`);
}

export function render(value: unknown, format: OutputFormat): string {
  if (format === 'json') return `${JSON.stringify(value ?? null)}\n`;
  if (format === 'yaml') return value === null || value === undefined ? '' : toYaml(value);
  if (value === null || value === undefined) return '';
  if (typeof value === 'string') return `${value}\n`;
  if (typeof value === 'boolean') return value ? 'True\n' : 'False\n';
  if (typeof value === 'number') return `${value}\n`;
  if (Array.isArray(value) && value.every((v) => typeof v === 'string' || typeof v === 'number')) {
    return value.map((v) => `${v}\n`).join('');
  }
  return toYaml(value);
}
