// The commands the simulator puts first on a hook's PATH: Juju's hook tools, and stand-ins for the machine's own
// systemd tools (also bind-mounted over /usr/bin inside each unit so absolute paths reach them too).

export const HOOK_TOOL_NAMES = [
  'juju-log',
  'status-set',
  'status-get',
  'application-version-set',
  'config-get',
  'is-leader',
  'relation-ids',
  'relation-list',
  'relation-get',
  'relation-set',
  'action-get',
  'action-set',
  'action-log',
  'action-fail',
  'storage-get',
  'storage-list',
  'open-port',
  'close-port',
  'opened-ports',
  'unit-get',
  'network-get',
  'secret-get',
  'secret-add',
  'secret-set',
  'secret-grant',
  'secret-revoke',
  'resource-get',
  'state-get',
  'state-set',
  'state-delete',
] as const;
export type HookToolName = (typeof HOOK_TOOL_NAMES)[number];

/** `mount.nfs` and `apt-get` are stand-ins too: this kernel has no NFS client, and a hook must not install on the host. */
export const MACHINE_TOOL_NAMES = ['systemctl', 'systemd-analyze', 'mount.nfs', 'apt-get'] as const;

/** The tools that read stdin (`--file -`): only their client forwards it (a caller's pipe is not drained otherwise). */
export const STDIN_TOOL_NAMES = ['relation-set', 'state-set', 'secret-add', 'secret-set'] as const;
