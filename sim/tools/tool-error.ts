// Fake hook tools: the one error type. main.ts prints it as Juju's jujuc does (`ERROR <message>` on stderr) and
// exits with its code: 2 for bad arguments (Juju's Init errors), 1 for refused or failed operations.

export class ToolError extends Error {
  constructor(
    message: string,
    readonly exitCode: number = 1,
  ) {
    super(message);
    this.name = 'ToolError';
  }
}

/** Bad usage: Juju reports these from the command's Init and exits 2. */
export function usageError(message: string): ToolError {
  return new ToolError(message, 2);
}
