// Fake hook tools: the dispatch from a tool's name to its function. Used by the node entry (main.ts, run inside a
// unit's namespace) and by the tool server (../tool-server.ts, run in the driver for the client script on PATH).

import { actionFail, actionGet, actionLog, actionSet } from './action-tools';
import { configGet, isLeader } from './config-tools';
import { type Env, HookContext } from './hook-context';
import { aptGet, mountNfsCommand } from './mount-units';
import { closePort, networkGet, openedPorts, openPort, unitGet } from './network-tools';
import { relationGet, relationIds, relationList, relationSet } from './relation-tools';
import { resourceGet, stateDelete, stateGet, stateSet } from './resource-state-tools';
import { secretAdd, secretGet, secretGrant, secretRevoke, secretSet } from './secret-tools';
import { applicationVersionSet, jujuLog, statusGet, statusSet } from './status-tools';
import { storageGet, storageList } from './storage-tools';
import { systemctl } from './systemctl';
import { systemdAnalyze } from './systemd-analyze';
import { ToolError } from './tool-error';
import type { ToolIO } from './tool-io';
import { HOOK_TOOL_NAMES, type HookToolName } from './tool-names';

type HookTool = (ctx: HookContext, argv: readonly string[], io: ToolIO) => void;

const HOOK_TOOLS: Readonly<Record<HookToolName, HookTool>> = {
  'juju-log': jujuLog,
  'status-set': statusSet,
  'status-get': statusGet,
  'application-version-set': applicationVersionSet,
  'config-get': configGet,
  'is-leader': isLeader,
  'relation-ids': relationIds,
  'relation-list': relationList,
  'relation-get': relationGet,
  'relation-set': relationSet,
  'action-get': actionGet,
  'action-set': actionSet,
  'action-log': actionLog,
  'action-fail': actionFail,
  'storage-get': storageGet,
  'storage-list': storageList,
  'open-port': openPort,
  'close-port': closePort,
  'opened-ports': openedPorts,
  'unit-get': unitGet,
  'network-get': networkGet,
  'secret-get': secretGet,
  'secret-add': secretAdd,
  'secret-set': secretSet,
  'secret-grant': secretGrant,
  'secret-revoke': secretRevoke,
  'resource-get': resourceGet,
  'state-get': stateGet,
  'state-set': stateSet,
  'state-delete': stateDelete,
};

/**
 * Runs the tool called `name` as the caller with environment `env` would: returns its exit code, its output went to
 * `io`. Never throws: errors print as Juju's do (`ERROR <message>`), exit 2 for bad arguments, 1 otherwise.
 * `systemctl` answers asynchronously (a stop waits for the service's processes when services run).
 */
export function runTool(name: string, argv: readonly string[], env: Env, io: ToolIO): number | Promise<number> {
  if (name === 'systemctl') return systemctl(argv, env, io).catch((e: unknown) => failed(e, io));
  try {
    if (name === 'systemd-analyze') return systemdAnalyze(argv, io);
    if (name === 'mount.nfs') return mountNfsCommand(argv, env, io);
    if (name === 'apt-get') return aptGet(argv, env, io);
    const tool = isHookTool(name) ? HOOK_TOOLS[name] : undefined;
    if (tool === undefined) {
      io.err(`ERROR unknown hook tool "${name}"\n`);
      return 2;
    }
    tool(HookContext.load(env), argv, io);
    return 0;
  } catch (e) {
    return failed(e, io);
  }
}

function failed(e: unknown, io: ToolIO): number {
  if (e instanceof ToolError) {
    io.err(`ERROR ${e.message}\n`);
    return e.exitCode;
  }
  io.err(`ERROR ${e instanceof Error ? (e.stack ?? e.message) : String(e)}\n`);
  return 1;
}

function isHookTool(name: string): name is HookToolName {
  return (HOOK_TOOL_NAMES as readonly string[]).includes(name);
}
