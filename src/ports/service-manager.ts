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
}

export const SERVICE_MANAGER = Symbol.for('concourse-ci-machine/ServiceManager');
