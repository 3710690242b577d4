// Scenarios: the `juju` command lines the real-Juju backend runs, built here as plain argv (JSON output everywhere,
// an explicit model on every call) so they are tested without a controller and read like what an operator types.

import type { ConfigValues } from './scenario-model';

/** Juju accepts no update-status interval under one minute (environs/config: update-status-hook-interval). */
export const UPDATE_STATUS_INTERVAL = '1m';
/** The LXD disk device name the README tells operators to use; share-volume-lxd.sh adds it. */
export const DEVICE_NAME = 'concourse-data';
/** The charm's only base (charmcraft.yaml): machines made before deploy must match it or `deploy --to` refuses them. */
const BASE = 'ubuntu@24.04';
/** How long one `juju run` or `juju exec` may take before Juju itself gives up on it. */
const TASK_WAIT = '10m';

function pairs(values: ConfigValues): string[] {
  return Object.entries(values).map(([k, v]) => `${k}=${String(v)}`);
}

export function jujuArgv(model: string) {
  const m = ['-m', model];
  return {
    addModel: (): string[] => ['add-model', model, '--no-switch'],
    modelConfig: (): string[] => ['model-config', ...m, `update-status-hook-interval=${UPDATE_STATUS_INTERVAL}`],
    addMachines: (n: number): string[] => ['add-machine', ...m, '-n', String(n), '--base', BASE],
    deploy: (charm: string, app: string, units: number, config: ConfigValues, to: readonly string[]): string[] => [
      'deploy',
      ...m,
      charm,
      app,
      '-n',
      String(units),
      ...Object.entries(config).flatMap(([k, v]) => ['--config', `${k}=${String(v)}`]),
      ...(to.length > 0 ? ['--to', to.join(',')] : []),
    ],
    deployPostgres: (): string[] => ['deploy', ...m, 'postgresql', '--channel', '16/stable'],
    addUnit: (app: string, n: number, to: readonly string[]): string[] => [
      'add-unit',
      ...m,
      app,
      '-n',
      String(n),
      ...(to.length > 0 ? ['--to', to.join(',')] : []),
    ],
    removeUnit: (unit: string): string[] => ['remove-unit', ...m, unit, '--no-prompt'],
    config: (app: string, values: ConfigValues): string[] => ['config', ...m, app, ...pairs(values)],
    integrate: (a: string, b: string): string[] => ['integrate', ...m, a, b],
    run: (unit: string, action: string, params: ConfigValues): string[] => [
      'run',
      ...m,
      unit,
      action,
      ...pairs(params),
      '--format=json',
      `--wait=${TASK_WAIT}`,
    ],
    exec: (unit: string, argv: readonly string[]): string[] => [
      'exec',
      ...m,
      '--unit',
      unit,
      '--format=json',
      `--wait=${TASK_WAIT}`,
      '--',
      ...argv,
    ],
    status: (): string[] => ['status', ...m, '--format=json'],
    storage: (): string[] => ['storage', ...m, '--format=json'],
    showUnit: (unit: string): string[] => ['show-unit', ...m, unit, '--format=json'],
    debugLog: (): string[] => ['debug-log', ...m, '--replay', '--no-tail', '--level', 'INFO'],
    destroyModel: (): string[] => ['destroy-model', model, '--no-prompt', '--destroy-storage', '--force', '--no-wait'],
  };
}

/** `lxc config device remove`: what an operator does to take the shared disk away from one container. */
export function lxcRemoveDeviceArgv(container: string): string[] {
  return ['config', 'device', 'remove', container, DEVICE_NAME];
}
