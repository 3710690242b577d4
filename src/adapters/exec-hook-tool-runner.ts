// Adapter (HookToolRunner): the one place in the charm that starts a Juju hook tool process. No shell: the tool is
// found on PATH and argv goes through as given, so relation data and free text can never be re-parsed by `sh`.

import { spawn } from 'node:child_process';
import { constants } from 'node:os';
import { injectable } from 'inversify';
import type { HookToolResult, HookToolRunner } from '../ports/hook-tools';

@injectable()
export class ExecHookToolRunner implements HookToolRunner {
  /**
   * Runs `tool` with `args`, writes `stdin` (if any) and closes it. Resolves with the exit code, stdout and stderr
   * whatever the exit code; rejects only when the tool cannot be started (not on PATH, not executable).
   */
  run(tool: string, args: readonly string[], stdin?: string): Promise<HookToolResult> {
    return new Promise<HookToolResult>((resolve, reject) => {
      const child = spawn(tool, [...args], { shell: false, stdio: ['pipe', 'pipe', 'pipe'], windowsHide: true });
      const stdout: Buffer[] = [];
      const stderr: Buffer[] = [];
      let settled = false;

      child.stdout.on('data', (chunk: Buffer) => stdout.push(chunk));
      child.stderr.on('data', (chunk: Buffer) => stderr.push(chunk));
      child.on('error', (err) => {
        if (settled) return;
        settled = true;
        reject(new Error(`hook tool ${tool} could not be started: ${err.message}`, { cause: err }));
      });
      child.on('close', (code, signal) => {
        if (settled) return;
        settled = true;
        resolve({
          exitCode: code ?? exitCodeForSignal(signal),
          stdout: Buffer.concat(stdout).toString('utf8'),
          stderr: Buffer.concat(stderr).toString('utf8'),
        });
      });

      // A tool that exits without reading stdin makes the write fail with EPIPE; its exit code tells the story.
      child.stdin.on('error', () => {});
      if (stdin !== undefined) child.stdin.end(stdin, 'utf8');
      else child.stdin.end();
    });
  }
}

/** The shell's convention (128 + signal number), so a killed tool still reads as a non-zero exit. */
function exitCodeForSignal(signal: NodeJS.Signals | null): number {
  if (signal === null) return 1;
  return 128 + (constants.signals[signal] ?? 0);
}
