// Port: systemd, through `systemctl`. Unit files are written by the charm; this port only drives the manager.

export interface ServiceManager {
  daemonReload(): Promise<void>;
  enable(unit: string): Promise<void>;
  disable(unit: string): Promise<void>;
  start(unit: string): Promise<void>;
  restart(unit: string): Promise<void>;
  /** `systemctl reload`: the service's ExecReload= (SIGHUP for the web, which re-reads authorized worker keys). */
  reload(unit: string): Promise<void>;
  stop(unit: string): Promise<void>;
  isActive(unit: string): Promise<boolean>;
  /** `systemctl kill --kill-who=main --signal=S`: to the main process only (Concourse's land/retire signals). */
  signal(unit: string, signal: 'SIGUSR1' | 'SIGUSR2'): Promise<void>;
}

export const SERVICE_MANAGER = Symbol.for('concourse-ci-machine/ServiceManager');
