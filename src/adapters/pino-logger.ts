// Adapter (Logger): one JSON line per event on stderr, written synchronously by pino (a hook is a short-lived process:
// nothing may be lost on exit), with info and above mirrored to `juju-log` in order through a promise chain.
//
// Line shape: {"level":"info","time":"<ISO>","unit":"concourse-ci/0","event":"storage.published",...fields}.
// Fields named token, password or privateKey (or ending so: githubToken) are dropped; fields that would overwrite
// level, time, unit or event are written with a leading underscore instead.
//
// Fault injection for tests: when `settings.stopAt` equals an event's name (the entry point reads it from
// CONCOURSE_CHARM_STOP_AT), right after that event is written the process writes `CHARM-STOPPED-AT <event>\n` to
// stderr and sends itself SIGSTOP, so a simulator can `kill -9` it at exactly that step. It fires whatever the log
// level, because it marks a point in the code, not a log line.

import { writeSync } from 'node:fs';
import { inject, injectable } from 'inversify';
import { type Logger as Pino, pino } from 'pino';
import type { CharmLogLevel } from '../domain/charm-config';
import { HOOK_TOOLS, type HookTools, type LogLevel } from '../ports/hook-tools';
import type { LogFields, Logger } from '../ports/logger';

/** The charm's `log-level` option values. */
export type LoggerLevel = CharmLogLevel;

export interface LoggerSettings {
  /** The charm's `log-level` option: events below it are neither written nor mirrored. */
  readonly level: LoggerLevel;
  /** This unit's name, on every line. */
  readonly unit: string;
  /** Event name at which the process stops itself (tests only). */
  readonly stopAt?: string;
}

export const LOGGER_SETTINGS = Symbol.for('concourse-ci-machine/LoggerSettings');

type PinoLevel = 'debug' | 'info' | 'warn' | 'error';

const PINO_LEVEL: Readonly<Record<LoggerLevel, PinoLevel>> = {
  debug: 'debug',
  info: 'info',
  warning: 'warn',
  error: 'error',
};

/** Juju's level for each mirrored pino level; debug stays on stderr. */
const JUJU_LEVEL: Readonly<Record<PinoLevel, LogLevel | undefined>> = {
  debug: undefined,
  info: 'INFO',
  warn: 'WARNING',
  error: 'ERROR',
};

const RESERVED_KEYS = new Set(['level', 'time', 'unit', 'event']);
const SECRET_NAMES = ['token', 'password', 'privatekey'];

@injectable()
export class PinoLogger implements Logger {
  private readonly pino: Pino;
  /** Same stream and shape, always at warn: notes about the logger itself survive a `log-level` of error. */
  private readonly notes: Pino;
  private mirrored: Promise<void> = Promise.resolve();

  constructor(
    @inject(HOOK_TOOLS) private readonly tools: HookTools,
    @inject(LOGGER_SETTINGS) private readonly settings: LoggerSettings,
  ) {
    const stderr = pino.destination({ fd: 2, sync: true });
    const options = {
      base: undefined,
      timestamp: pino.stdTimeFunctions.isoTime,
      formatters: { level: (label: string) => ({ level: label }) },
    };
    this.pino = pino({ ...options, level: PINO_LEVEL[settings.level] }, stderr);
    this.notes = pino({ ...options, level: 'warn' }, stderr);
  }

  debug(event: string, fields?: LogFields): void {
    this.log('debug', event, fields);
  }

  info(event: string, fields?: LogFields): void {
    this.log('info', event, fields);
  }

  warn(event: string, fields?: LogFields): void {
    this.log('warn', event, fields);
  }

  error(event: string, fields?: LogFields): void {
    this.log('error', event, fields);
  }

  async flush(): Promise<void> {
    // Mirrors queued while we wait extend the chain; wait until it stops growing.
    let current: Promise<void>;
    do {
      current = this.mirrored;
      await current;
    } while (current !== this.mirrored);
  }

  private log(level: PinoLevel, event: string, fields: LogFields | undefined): void {
    const kept = keptFields(fields);
    if (this.pino.isLevelEnabled(level)) {
      this.pino[level]({ unit: this.settings.unit, event, ...kept });
      const jujuLevel = JUJU_LEVEL[level];
      if (jujuLevel !== undefined) this.mirror(jujuLevel, readableLine(event, kept));
    }
    if (this.settings.stopAt !== undefined && this.settings.stopAt === event) stopHere(event);
  }

  private mirror(level: LogLevel, line: string): void {
    this.mirrored = this.mirrored
      .then(() => this.tools.jujuLog(level, line))
      .catch((err: unknown) => {
        // Never mirrored (that is what just failed) and never thrown: losing juju-log must not fail a hook.
        try {
          this.notes.warn({
            unit: this.settings.unit,
            event: 'log.mirror.failed',
            error: err instanceof Error ? err.message : String(err),
          });
        } catch {
          // stderr itself is gone; there is nowhere left to report to.
        }
      });
  }
}

function keptFields(fields: LogFields | undefined): Record<string, string | number | boolean> {
  const kept: Record<string, string | number | boolean> = {};
  if (fields === undefined) return kept;
  for (const [key, value] of Object.entries(fields)) {
    if (value === undefined || looksLikeSecretName(key)) continue;
    kept[RESERVED_KEYS.has(key) ? `_${key}` : key] = value;
  }
  return kept;
}

function looksLikeSecretName(key: string): boolean {
  const normalised = key.toLowerCase().replace(/[-_]/g, '');
  return SECRET_NAMES.some((name) => normalised.endsWith(name));
}

/** `storage.published version=7.14.2 bytes=1024 path="/var/lib/concourse/a b"`: what `juju debug-log` shows. */
function readableLine(event: string, fields: Readonly<Record<string, string | number | boolean>>): string {
  const parts = [event];
  for (const [key, value] of Object.entries(fields)) {
    const text = String(value);
    parts.push(`${key}=${/^[^\s"=]+$/.test(text) ? text : JSON.stringify(text)}`);
  }
  return parts.join(' ');
}

function stopHere(event: string): void {
  writeSync(2, `CHARM-STOPPED-AT ${event}\n`);
  process.kill(process.pid, 'SIGSTOP');
}
