// Hooks: injection tokens of the services the hook layer composes (ports keep theirs in src/ports).

export const INSTALL_POLICY = Symbol.for('concourse-ci-machine/InstallPolicy');
export const RELEASE_INSTALLER = Symbol.for('concourse-ci-machine/ReleaseInstaller');
export const RELEASE_COLLECTOR = Symbol.for('concourse-ci-machine/ReleaseCollector');
/** Architecture of this machine in release names (amd64, arm64). */
export const MACHINE_ARCH = Symbol.for('concourse-ci-machine/MachineArch');

/** One hook or action: everything it needs is injected; it throws a CharmProblem for what the operator must fix. */
export interface Handler {
  run(): Promise<void>;
}
