// Fake hook tools: what a tool exchanges with the process that called it. The tools never touch `process`: the node
// entry (main.ts) runs them inside the unit's namespace with its own stdio, the tool server (tool-server.ts) runs
// them in the driver for a client script that forwarded its argv, JUJU_* environment, cwd and (when needed) stdin.
// Output is collected and written once, when the tool returns.

import type { ServiceHost } from './service-host';

export interface ToolIO {
  out(text: string): void;
  err(text: string): void;
  /** The caller's stdin, read whole (`--file -`). */
  stdin(): string;
  /**
   * Where `path`, as the caller sees it (its mount namespace: the unit's /etc, /var/lib...; relative to its cwd), can
   * be reached from here. A final symlink is followed unless `final` is 'nofollow' (for rm, rename, symlink).
   */
  callerPath(path: string, final?: 'follow' | 'nofollow'): string;
  /** The calling process (its mount namespace is the unit's, for this hook); undefined when run inside it. */
  readonly callerPid?: number;
  /** The driver's service runner when the model runs services (SimModelOptions.services = 'run'). */
  readonly services?: ServiceHost;
}
