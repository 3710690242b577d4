// Port: asking an unpacked release what it is. The tarball's name and the mirror's digest say nothing about which
// version is inside; the binary itself does.

export interface ReleaseInspector {
  /** What `<releaseDir>/bin/concourse --version` prints (trimmed), or undefined when it cannot run or says nothing. */
  reportedVersion(releaseDir: string): Promise<string | undefined>;
}

export const RELEASE_INSPECTOR = Symbol.for('concourse-ci-machine/ReleaseInspector');
