// Adapter helper (HookTools): runs one Juju hook tool through the injected HookToolRunner, maps its failures
// through one table (absent, relation gone, not the leader, resource unavailable) and parses its stdout with a schema.

import { z } from 'zod';
import {
  HookToolError,
  type HookToolRunner,
  NotLeaderError,
  RelationNotFoundError,
  ResourceFetchError,
} from '../ports/hook-tools';

/** A tool exited 0 but printed something its schema rejects: a Juju version we do not understand, or a bug. */
export class HookToolOutputError extends Error {
  constructor(
    readonly tool: string,
    readonly args: readonly string[],
    readonly stdout: string,
    problem: string,
  ) {
    // secret-get prints secret content: never quote it (this message reaches debug-log and action results).
    const shown =
      tool === 'secret-get' ? `${stdout.length} characters, not shown` : JSON.stringify(stdout.slice(0, 200));
    super(`${tool} printed unexpected output (${problem}): ${shown}`);
    this.name = new.target.name;
  }
}

type FailureOutcome = 'absent' | typeof RelationNotFoundError | typeof NotLeaderError | typeof ResourceFetchError;

interface FailureRule {
  readonly tools: readonly string[];
  readonly stderr: RegExp;
  /** Only when the argv has this flag (leadership errors on relation-get apply to `--app` reads only). */
  readonly withFlag?: string;
  readonly outcome: FailureOutcome;
}

/**
 * The one table from a failed tool's stderr (as Juju 3.x prints it) to what callers see. Anything not matched
 * stays a plain HookToolError.
 */
const FAILURE_TABLE: readonly FailureRule[] = [
  // `ERROR invalid value "peers:3" for option -r: relation not found` (the relation was removed).
  {
    tools: ['relation-get', 'relation-set', 'relation-list'],
    stderr: /relation not found/i,
    outcome: RelationNotFoundError,
  },
  // A non-leader writing the application bag: `ERROR cannot write relation settings`.
  { tools: ['relation-set'], stderr: /cannot write relation settings|permission denied/i, outcome: NotLeaderError },
  // A non-leader reading its own application's bag on a non-peer relation.
  { tools: ['relation-get'], stderr: /permission denied/i, withFlag: '--app', outcome: NotLeaderError },
  // secret-add/-set/-grant of an application-owned secret and `status-set --application` on a non-leader.
  {
    tools: ['secret-add', 'secret-set', 'secret-grant', 'status-set'],
    stderr: /not the leader|permission denied/i,
    outcome: NotLeaderError,
  },
  // `ERROR secret "csb3…" not found` (removed) or `ERROR permission denied` (the grant was revoked): either way
  // there is nothing this unit may read.
  { tools: ['secret-get'], stderr: /not found|permission denied/i, outcome: 'absent' },
  // Nothing attached, and only that: `ERROR could not download resource: HTTP request failed: Get https://…/units/
  // unit-x-0/resources/<name>: resource#<app>/<name> not found`. The jujuc command annotates "could not download
  // resource" (juju/juju internal/worker/uniter/runner/jujuc/resource-get.go), the controller's store answers
  // errors.NotFoundf("resource#<app>/<name>") (state/resources.go: resourcePersistence.one, applicationResourceID).
  { tools: ['resource-get'], stderr: /resource#[^\s/]+\/\S+ not found/, outcome: 'absent' },
  // Anything else (`ERROR connection is shut down`, a 500 from the controller) says nothing about what is attached:
  // it must surface, never become a download from elsewhere.
  { tools: ['resource-get'], stderr: /.*/s, outcome: ResourceFetchError },
];

/** Exported for tests: what a failed run becomes. */
export function classifyFailure(failure: HookToolError): HookToolError | 'absent' {
  for (const rule of FAILURE_TABLE) {
    if (!rule.tools.includes(failure.tool)) continue;
    if (rule.withFlag !== undefined && !failure.args.includes(rule.withFlag)) continue;
    if (!rule.stderr.test(failure.stderr)) continue;
    if (rule.outcome === 'absent') return 'absent';
    return new rule.outcome(failure.tool, failure.args, failure.exitCode, failure.stderr);
  }
  return failure;
}

export type RunOutcome = { readonly absent: false; readonly stdout: string } | { readonly absent: true };

// Wire shapes shared by several tool families (kebab-case, as the tools print them).
export const stringMap = z.record(z.string(), z.string());
export const looseMap = z.record(z.string(), z.unknown());
export const stringList = z.array(z.string());

/** One tool run, its failure mapped, its output parsed: what every tool family of CliHookTools is built on. */
export class HookToolCli {
  constructor(private readonly runner: HookToolRunner) {}

  async run(tool: string, args: readonly string[], stdin?: string): Promise<string> {
    const result = await this.runner.run(tool, args, stdin);
    if (result.exitCode === 0) return result.stdout;
    const failure = new HookToolError(tool, args, result.exitCode, result.stderr);
    const mapped = classifyFailure(failure);
    // Only tools whose absence callers expect go through runOrAbsent; elsewhere "absent" is still a failure.
    throw mapped === 'absent' ? failure : mapped;
  }

  async runOrAbsent(tool: string, args: readonly string[]): Promise<RunOutcome> {
    const result = await this.runner.run(tool, args);
    if (result.exitCode === 0) return { absent: false, stdout: result.stdout };
    const mapped = classifyFailure(new HookToolError(tool, args, result.exitCode, result.stderr));
    if (mapped === 'absent') return { absent: true };
    throw mapped;
  }

  parse<T>(tool: string, args: readonly string[], stdout: string, schema: z.ZodType<T>, json = true): T {
    let raw: unknown = stdout;
    if (json) {
      try {
        raw = JSON.parse(stdout);
      } catch {
        throw new HookToolOutputError(tool, args, stdout, 'not JSON');
      }
    }
    const parsed = schema.safeParse(raw);
    if (!parsed.success) throw new HookToolOutputError(tool, args, stdout, z.prettifyError(parsed.error));
    return parsed.data;
  }
}

/** `key=value` arguments; a key holding `=` or `#` would be re-split or read as `#file`/`#base64` by Juju. */
export function keyValueArgs(tool: string, values: Readonly<Record<string, string>>): string[] {
  return Object.entries(values).map(([key, value]) => {
    if (key === '' || key.includes('=') || key.includes('#') || key.startsWith('-')) {
      throw new RangeError(`${tool}: invalid key ${JSON.stringify(key)}`);
    }
    return `${key}=${value}`;
  });
}
