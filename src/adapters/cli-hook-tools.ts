// Adapter (HookTools): the Juju hook tools, one family per file (status, relations, actions, storage and state,
// network, secrets) over one runner wrapper (hook-tool-cli.ts) that maps failures and parses output the same way.

import { inject, injectable } from 'inversify';
import {
  HOOK_TOOL_RUNNER,
  HookToolError,
  type HookToolRunner,
  type HookTools,
  NotLeaderError,
  RelationNotFoundError,
  ResourceFetchError,
} from '../ports/hook-tools';
import { CliActionTools } from './cli-action-tools';
import { CliNetworkTools } from './cli-network-tools';
import { CliRelationTools } from './cli-relation-tools';
import { CliSecretTools } from './cli-secret-tools';
import { CliStatusTools } from './cli-status-tools';
import { CliStorageTools } from './cli-storage-tools';
import { HookToolCli } from './hook-tool-cli';

export { classifyFailure, HookToolOutputError } from './hook-tool-cli';
// The failures callers can tell apart belong to the port; re-exported for the adapter's own users.
export { HookToolError, NotLeaderError, RelationNotFoundError, ResourceFetchError };

@injectable()
export class CliHookTools implements HookTools {
  private readonly status: CliStatusTools;
  private readonly relations: CliRelationTools;
  private readonly actions: CliActionTools;
  private readonly storage: CliStorageTools;
  private readonly network: CliNetworkTools;
  private readonly secrets: CliSecretTools;

  constructor(@inject(HOOK_TOOL_RUNNER) runner: HookToolRunner) {
    const cli = new HookToolCli(runner);
    this.status = new CliStatusTools(cli);
    this.relations = new CliRelationTools(cli);
    this.actions = new CliActionTools(cli);
    this.storage = new CliStorageTools(cli);
    this.network = new CliNetworkTools(cli);
    this.secrets = new CliSecretTools(cli);
  }

  // ---- status ----------------------------------------------------------------------------------------------
  jujuLog(...args: Parameters<HookTools['jujuLog']>) {
    return this.status.jujuLog(...args);
  }
  statusSet(...args: Parameters<HookTools['statusSet']>) {
    return this.status.statusSet(...args);
  }
  applicationVersionSet(...args: Parameters<HookTools['applicationVersionSet']>) {
    return this.status.applicationVersionSet(...args);
  }
  configGet(...args: Parameters<HookTools['configGet']>) {
    return this.status.configGet(...args);
  }
  isLeader(...args: Parameters<HookTools['isLeader']>) {
    return this.status.isLeader(...args);
  }

  // ---- relations -------------------------------------------------------------------------------------------
  relationIds(...args: Parameters<HookTools['relationIds']>) {
    return this.relations.relationIds(...args);
  }
  relationList(...args: Parameters<HookTools['relationList']>) {
    return this.relations.relationList(...args);
  }
  relationRemoteApp(...args: Parameters<HookTools['relationRemoteApp']>) {
    return this.relations.relationRemoteApp(...args);
  }
  relationGet(...args: Parameters<HookTools['relationGet']>) {
    return this.relations.relationGet(...args);
  }
  relationSet(...args: Parameters<HookTools['relationSet']>) {
    return this.relations.relationSet(...args);
  }

  // ---- actions ---------------------------------------------------------------------------------------------
  actionGet(...args: Parameters<HookTools['actionGet']>) {
    return this.actions.actionGet(...args);
  }
  actionSet(...args: Parameters<HookTools['actionSet']>) {
    return this.actions.actionSet(...args);
  }
  actionLog(...args: Parameters<HookTools['actionLog']>) {
    return this.actions.actionLog(...args);
  }
  actionFail(...args: Parameters<HookTools['actionFail']>) {
    return this.actions.actionFail(...args);
  }

  // ---- storage ---------------------------------------------------------------------------------------------
  storageGet(...args: Parameters<HookTools['storageGet']>) {
    return this.storage.storageGet(...args);
  }
  storageList(...args: Parameters<HookTools['storageList']>) {
    return this.storage.storageList(...args);
  }
  resourceGet(...args: Parameters<HookTools['resourceGet']>) {
    return this.storage.resourceGet(...args);
  }
  stateGet(...args: Parameters<HookTools['stateGet']>) {
    return this.storage.stateGet(...args);
  }
  stateGetAll(...args: Parameters<HookTools['stateGetAll']>) {
    return this.storage.stateGetAll(...args);
  }
  stateSet(...args: Parameters<HookTools['stateSet']>) {
    return this.storage.stateSet(...args);
  }

  // ---- network ---------------------------------------------------------------------------------------------
  openPort(...args: Parameters<HookTools['openPort']>) {
    return this.network.openPort(...args);
  }
  closePort(...args: Parameters<HookTools['closePort']>) {
    return this.network.closePort(...args);
  }
  unitGet(...args: Parameters<HookTools['unitGet']>) {
    return this.network.unitGet(...args);
  }
  networkGet(...args: Parameters<HookTools['networkGet']>) {
    return this.network.networkGet(...args);
  }

  // ---- secrets ---------------------------------------------------------------------------------------------
  secretGet(...args: Parameters<HookTools['secretGet']>) {
    return this.secrets.secretGet(...args);
  }
  secretAdd(...args: Parameters<HookTools['secretAdd']>) {
    return this.secrets.secretAdd(...args);
  }
  secretSet(...args: Parameters<HookTools['secretSet']>) {
    return this.secrets.secretSet(...args);
  }
  secretGrant(...args: Parameters<HookTools['secretGrant']>) {
    return this.secrets.secretGrant(...args);
  }
}
