// Hooks: the boundary of one hook process. Routes the event to its handler, and turns what it throws into what
// Juju should see: a CharmProblem sets blocked/waiting (or fails the action) and exits 0; anything else is a bug
// or a transient fault, logged and exited non-zero so Juju retries.

import type { Container } from 'inversify';
import { CharmProblem } from '../domain/errors';
import { type HookContext, type HookEvent, parseHookContext } from '../domain/hook-event';
import { HOOK_TOOLS, type HookTools } from '../ports/hook-tools';
import { LOGGER, type Logger } from '../ports/logger';
import { createContainer, type Environment } from './container';
import { GetAdminPasswordAction } from './handlers/get-admin-password-action';
import { ReconcileHandler } from './handlers/reconcile';
import { RolloutAction } from './handlers/rollout-actions';
import { StorageStatusAction } from './handlers/storage-status-action';
import { UnitRemovalHandler } from './handlers/unit-removal';
import { WorkerActions } from './handlers/worker-actions';
import type { Handler } from './tokens';

type HandlerClass = new (...args: never[]) => Handler;

const ACTIONS: Readonly<Record<string, HandlerClass>> = {
  'storage-status': StorageStatusAction,
  upgrade: RolloutAction,
  rollback: RolloutAction,
  'get-admin-password': GetAdminPasswordAction,
  'restart-services': WorkerActions,
  'land-worker': WorkerActions,
  'retire-worker': WorkerActions,
};

const REMOVAL_HOOKS = new Set(['concourse-data-storage-detaching', 'stop', 'remove']);

export function handlerFor(event: HookEvent): HandlerClass | undefined {
  if (event.kind === 'action') return ACTIONS[event.name];
  if (REMOVAL_HOOKS.has(event.name)) return UnitRemovalHandler;
  // Every other hook converges the unit the same way: one reconcile path, whatever woke it.
  return ReconcileHandler;
}

export async function runHook(env: Environment, configure?: (container: Container) => void): Promise<number> {
  let context: HookContext;
  try {
    context = parseHookContext(env);
  } catch (error) {
    process.stderr.write(`concourse-ci-machine: ${messageOf(error)}\n`);
    return 1;
  }
  const container = createContainer(context, env);
  configure?.(container);
  const tools = container.get<HookTools>(HOOK_TOOLS);
  const logger = await container.getAsync<Logger>(LOGGER);
  const { event } = context;
  logger.debug('hook.start', { event: event.name, kind: event.kind });
  try {
    const handlerClass = handlerFor(event);
    if (handlerClass === undefined) throw new Error(`no handler for action ${event.name}`);
    if (!container.isBound(handlerClass)) container.bind(handlerClass).toSelf();
    const handler = await container.getAsync<Handler>(handlerClass);
    await handler.run();
    logger.debug('hook.done', { event: event.name });
    return 0;
  } catch (error) {
    return await report(error, event, tools, logger);
  } finally {
    await logger.flush();
  }
}

async function report(error: unknown, event: HookEvent, tools: HookTools, logger: Logger): Promise<number> {
  if (error instanceof CharmProblem) {
    logger.warn('hook.problem', { event: event.name, status: error.status, message: error.message });
    if (event.kind === 'action') {
      await tools.actionFail(error.message);
    } else {
      await tools.statusSet(error.status, error.message);
    }
    return 0;
  }
  logger.error('hook.failed', { event: event.name, error: messageOf(error), stack: stackOf(error) });
  if (event.kind === 'action') await tools.actionFail(`Unexpected error: ${messageOf(error)}`).catch(() => undefined);
  return 1;
}

function messageOf(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}

function stackOf(error: unknown): string | undefined {
  return error instanceof Error ? error.stack : undefined;
}
