// Port: structured logging. Events are named (`storage.published`) and carry unit, version, bytes, ms (FR-009);
// the adapter writes them to stderr and mirrors info and above to juju-log.

export type LogFields = Readonly<Record<string, string | number | boolean | undefined>>;

export interface Logger {
  debug(event: string, fields?: LogFields): void;
  info(event: string, fields?: LogFields): void;
  warn(event: string, fields?: LogFields): void;
  error(event: string, fields?: LogFields): void;
  /** Waits until everything logged so far reached stderr and juju-log. */
  flush(): Promise<void>;
}

export const LOGGER = Symbol.for('concourse-ci-machine/Logger');
