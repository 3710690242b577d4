// Fake hook tools: what the fake `systemctl` asks of the driver when the model runs services for real
// (SimModelOptions.services = 'run'): start a unit's main process in its namespace, signal it, stop it.

export interface ServiceLaunch {
  /** The unit's dir on the host (JUJU_SIM_UNIT_DIR): says which machine. */
  readonly unitDir: string;
  /** `concourse-worker.service`. */
  readonly name: string;
  /** What runs in the unit's namespace: the working-dir and user wrapper, then ExecStart's words. */
  readonly argv: readonly string[];
  /** The whole environment of the process, as systemd builds it. */
  readonly env: Readonly<Record<string, string>>;
  /** ExecStart's `-` prefix: a failing exit is not a failure. */
  readonly ignoreFailure: boolean;
}

/** How systemd stops a service (systemd.kill(5): KillMode=, KillSignal=; systemd.service(5): TimeoutStopSec=). */
export interface StopHow {
  readonly signal: string;
  readonly mode: 'control-group' | 'mixed' | 'process' | 'none';
  readonly timeoutMs: number;
}

export interface ServiceHost {
  /** Forks the main process (systemd's fork: synchronous) and returns its pid. */
  start(launch: ServiceLaunch): number;
  /** Sends `signal` to the main process or to every process of the service; false when none runs. */
  signal(unitDir: string, name: string, signal: string, who: 'main' | 'all'): boolean;
  /** Stops the running process as systemd would; resolves once every process of the service is gone. */
  stop(unitDir: string, name: string, how: StopHow): Promise<void>;
  /** The main pid while the process runs. */
  mainPid(unitDir: string, name: string): number | undefined;
  /** Where a service finds the host's Node.js inside the unit (the stand-in web serves with it). */
  readonly nodePath: string;
}
