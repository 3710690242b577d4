// Types of scripts/gen-flag-table.mjs, for the tests that read the TSVs the way the generator does.

export interface FlagRow {
  readonly command: string;
  readonly env: string;
  readonly type: string;
  readonly required: boolean;
  readonly choices: string;
}
export function kindOf(goType: string): string;
export function readDetails(path: string): FlagRow[];
