// Hooks: injection tokens of the services the hook layer composes (ports keep theirs in src/ports).

export const INSTALL_POLICY = Symbol.for('concourse-ci-machine/InstallPolicy');
export const RELEASE_INSTALLER = Symbol.for('concourse-ci-machine/ReleaseInstaller');
export const HANDLER = Symbol.for('concourse-ci-machine/Handler');
/** Architecture of this machine in release names (amd64, arm64). */
export const MACHINE_ARCH = Symbol.for('concourse-ci-machine/MachineArch');
/** Extra settings read from the process environment once (test knobs documented in README). */
export const RUNTIME_TUNING = Symbol.for('concourse-ci-machine/RuntimeTuning');

export interface RuntimeTuning {
  readonly lockStaleMs: number | undefined;
  readonly stopAt: string | undefined;
}

export interface Handler {
  run(): Promise<void>;
}
