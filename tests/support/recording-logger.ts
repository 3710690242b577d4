// Test support: the Logger port as a list of events, so hook tests read what a hook logged (event, level, fields)
// without pino or juju-log.

import type { LogFields, Logger } from '../../src/ports/logger';

export interface LoggedEvent {
  readonly level: 'debug' | 'info' | 'warn' | 'error';
  readonly event: string;
  readonly fields: LogFields;
}

export class RecordingLogger implements Logger {
  readonly events: LoggedEvent[] = [];

  debug(event: string, fields: LogFields = {}): void {
    this.events.push({ level: 'debug', event, fields });
  }

  info(event: string, fields: LogFields = {}): void {
    this.events.push({ level: 'info', event, fields });
  }

  warn(event: string, fields: LogFields = {}): void {
    this.events.push({ level: 'warn', event, fields });
  }

  error(event: string, fields: LogFields = {}): void {
    this.events.push({ level: 'error', event, fields });
  }

  async flush(): Promise<void> {}

  /** The names of the events logged, in order. */
  names(): string[] {
    return this.events.map((e) => e.event);
  }
}
