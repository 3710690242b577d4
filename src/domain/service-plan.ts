// Domain: the "no restart storms" rule. From the files a service should have, what was last applied and whether it
// runs, decides which systemd steps this hook takes; a hook that changes nothing the service sees takes none.
//
// What was applied is remembered as a fingerprint (FNV-1a, 64 bits, of each file with its mode and owner), not as the
// content: the env file holds passwords, and unit state is stored by the controller. The hook remembers the new
// fingerprint only once every step succeeded, so a failed write or restart is tried again by the next hook. It may
// also fingerprint the files on disk instead of remembering: a file edited or removed by hand is then rewritten.

import type { RenderedFile } from './concourse-services';

export interface DesiredService {
  readonly unitFile: RenderedFile;
  readonly envFile: RenderedFile;
  /** Files the process reads only when it starts (keys): a change restarts it, like the env file. */
  readonly restartFiles?: readonly RenderedFile[];
  /** Files the process re-reads on SIGHUP (the TSA's authorized worker keys): a change only reloads it. */
  readonly reloadFiles?: readonly RenderedFile[];
}

export interface ServicePlanInput {
  /** The rendered files, or undefined when the unit's roles no longer include this service. */
  readonly desired: DesiredService | undefined;
  /** The fingerprint remembered from the last successful apply; undefined when never applied (or forgotten). */
  readonly applied: string | undefined;
  /** `systemctl is-active`: true only for a running service (not failed, activating or auto-restarting). */
  readonly active: boolean;
  /** The operator asked for a restart (restart-services): a running service restarts even with nothing changed. */
  readonly restart?: boolean;
}

export interface ServicePlan {
  readonly write: boolean;
  /** The unit file changed: systemd must re-read it before start or restart. */
  readonly daemonReload: boolean;
  readonly enable: boolean;
  readonly start: boolean;
  readonly restart: boolean;
  /** Only reload-files changed on a running service: `systemctl reload`, no restart. */
  readonly reload: boolean;
  readonly stop: boolean;
  readonly disable: boolean;
  /** To remember once every step succeeded; undefined: forget (nothing is applied any more). */
  readonly fingerprint: string | undefined;
}

export type ServiceStep = 'write' | 'daemon-reload' | 'enable' | 'start' | 'restart' | 'reload' | 'stop' | 'disable';

const NOTHING: Omit<ServicePlan, 'fingerprint'> = {
  write: false,
  daemonReload: false,
  enable: false,
  start: false,
  restart: false,
  reload: false,
  stop: false,
  disable: false,
};

export function planService(input: ServicePlanInput): ServicePlan {
  const { desired, active } = input;
  if (desired === undefined) {
    // Role gone (leadership moved, mode changed): stop it for good. A service never installed here is left alone:
    // `systemctl disable` of a unit without a file fails.
    const installed = input.applied !== undefined || active;
    return { ...NOTHING, stop: installed, disable: installed, fingerprint: undefined };
  }
  const current = fingerprintParts(desired);
  const previous = parseFingerprint(input.applied);
  const unitChanged = previous?.unit !== current.unit;
  const changed = unitChanged || previous?.env !== current.env;
  const reloadChanged = previous?.reload !== current.reload;
  return {
    ...NOTHING,
    write: changed || reloadChanged,
    daemonReload: unitChanged,
    // Idempotent, and only taken when something is done anyway: an unchanged running service costs no call.
    enable: changed || !active,
    start: !active,
    // Once, however many of its files changed.
    restart: (changed || input.restart === true) && active,
    reload: reloadChanged && !changed && active,
    fingerprint: formatFingerprint(current),
  };
}

/** The steps of a plan in the order they must run. */
export function planSteps(plan: ServicePlan): readonly ServiceStep[] {
  const steps: ServiceStep[] = [];
  if (plan.write) steps.push('write');
  if (plan.daemonReload) steps.push('daemon-reload');
  if (plan.enable) steps.push('enable');
  if (plan.start) steps.push('start');
  if (plan.restart) steps.push('restart');
  if (plan.reload) steps.push('reload');
  if (plan.stop) steps.push('stop');
  if (plan.disable) steps.push('disable');
  return steps;
}

/** The fingerprint of a service's files as `planService` returns it: for fingerprinting what is on disk. */
export function fingerprintService(desired: DesiredService): string {
  return formatFingerprint(fingerprintParts(desired));
}

interface FingerprintParts {
  readonly unit: string;
  readonly env: string;
  readonly reload: string;
}

const FINGERPRINT = /^fnv1a64:([0-9a-f]{16}):([0-9a-f]{16}):([0-9a-f]{16})$/;

function fingerprintParts(desired: DesiredService): FingerprintParts {
  const restartFiles = [desired.envFile, ...(desired.restartFiles ?? [])];
  return {
    unit: fingerprintFile(desired.unitFile),
    env: fnv1a64(restartFiles.map(fingerprintFile).join(':')),
    reload: fnv1a64((desired.reloadFiles ?? []).map(fingerprintFile).join(':')),
  };
}

/** Every file of a service, in the order they are written (the unit file last: it names the others). */
export function serviceFiles(desired: DesiredService): readonly RenderedFile[] {
  return [...(desired.restartFiles ?? []), ...(desired.reloadFiles ?? []), desired.envFile, desired.unitFile];
}

function fingerprintFile(file: RenderedFile): string {
  // Mode and owner count: a charm upgrade that tightens a mode must rewrite the file.
  return fnv1a64(`${file.path}\0${file.mode.toString(8)}\0${file.owner}:${file.group}\0${file.content}`);
}

function formatFingerprint(parts: FingerprintParts): string {
  return `fnv1a64:${parts.unit}:${parts.env}:${parts.reload}`;
}

/** Anything unreadable (another format, a charm from before) counts as nothing applied: everything is redone. */
function parseFingerprint(text: string | undefined): FingerprintParts | undefined {
  const m = text === undefined ? null : FINGERPRINT.exec(text);
  if (m === null || m[1] === undefined || m[2] === undefined || m[3] === undefined) return undefined;
  return { unit: m[1], env: m[2], reload: m[3] };
}

const FNV64_OFFSET = 0xcbf29ce484222325n;
const FNV64_PRIME = 0x100000001b3n;
const MASK64 = 0xffffffffffffffffn;

/**
 * FNV-1a (64 bits) of the UTF-8 bytes of `text`, as 16 hex digits. Not cryptographic: it detects change between two
 * renderings, it does not protect anything (and the domain may not use node:crypto).
 */
export function fnv1a64(text: string): string {
  let hash = FNV64_OFFSET;
  for (const byte of utf8(text)) {
    hash = ((hash ^ BigInt(byte)) * FNV64_PRIME) & MASK64;
  }
  return hash.toString(16).padStart(16, '0');
}

function* utf8(text: string): Generator<number> {
  for (const char of text) {
    const cp = char.codePointAt(0) ?? 0;
    if (cp < 0x80) {
      yield cp;
    } else if (cp < 0x800) {
      yield 0xc0 | (cp >> 6);
      yield 0x80 | (cp & 0x3f);
    } else if (cp < 0x10000) {
      yield 0xe0 | (cp >> 12);
      yield 0x80 | ((cp >> 6) & 0x3f);
      yield 0x80 | (cp & 0x3f);
    } else {
      yield 0xf0 | (cp >> 18);
      yield 0x80 | ((cp >> 12) & 0x3f);
      yield 0x80 | ((cp >> 6) & 0x3f);
      yield 0x80 | (cp & 0x3f);
    }
  }
}
