// Simulator: markers that stand-in release binaries carry for the fake systemd (no process is ever started, so a
// crash at start is announced in the script instead).

/** A line in an ExecStart script: the service's main process exits right after it started. */
export const EXITS_AT_START_MARKER = '# sim-systemd: main process exits at start';
