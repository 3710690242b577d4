// Test support: a HookToolRunner that answers only the exact argv Juju expects, with stdout and stderr as Juju 3.x
// prints them, and records every call; an argv the script does not know is recorded as unexpected and fails.

import { readFileSync, statSync } from 'node:fs';
import { afterEach, beforeEach, expect } from 'vitest';
import { CliHookTools } from '../../src/adapters/cli-hook-tools';
import type { HookToolResult, HookToolRunner } from '../../src/ports/hook-tools';

interface Call {
  readonly tool: string;
  readonly args: readonly string[];
  readonly stdin: string | undefined;
}

export class ScriptedRunner implements HookToolRunner {
  readonly calls: Call[] = [];
  readonly unexpected: string[] = [];
  private readonly answers = new Map<string, HookToolResult>();

  on(tool: string, args: readonly string[], answer: Partial<HookToolResult> = {}): this {
    this.answers.set(key(tool, args), { exitCode: 0, stdout: '', stderr: '', ...answer });
    return this;
  }

  async run(tool: string, rawArgs: readonly string[], stdin?: string): Promise<HookToolResult> {
    const args = withFileContents(rawArgs);
    this.calls.push({ tool, args: [...args], stdin });
    const answer = this.answers.get(key(tool, args));
    if (answer === undefined) {
      this.unexpected.push(key(tool, args));
      throw new Error(`unexpected hook tool call: ${key(tool, args)}`);
    }
    return answer;
  }
}

const key = (tool: string, args: readonly string[]) => JSON.stringify([tool, ...args]);

/** `--file <path>` becomes `--file <file 0600: content>`, read while the tool would read it (it is removed after). */
function withFileContents(args: readonly string[]): string[] {
  return args.map((arg, i) => {
    if (args[i - 1] !== '--file' || arg === '-') return arg;
    const mode = (statSync(arg).mode & 0o777).toString(8);
    return `<file ${mode}: ${readFileSync(arg, 'utf8')}>`;
  });
}

/** Registers beforeEach/afterEach: a fresh script and CliHookTools over it per test; no unexpected call allowed. */
export function scriptedHookTools(): { readonly runner: ScriptedRunner; readonly tools: CliHookTools } {
  let runner = new ScriptedRunner();
  let tools = new CliHookTools(runner);
  beforeEach(() => {
    runner = new ScriptedRunner();
    tools = new CliHookTools(runner);
  });
  afterEach(() => {
    expect(runner.unexpected).toEqual([]);
  });
  return {
    get runner() {
      return runner;
    },
    get tools() {
      return tools;
    },
  };
}
