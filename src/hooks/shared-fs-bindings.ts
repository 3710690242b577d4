// Hooks: binds what the shared-fs relation needs (host facts, apt, mount units) into a hook's container; kept
// apart from container.ts so the mount's wiring reads in one place.

import type { Container } from 'inversify';
import { APT_SETTINGS, AptPackageInstaller, type AptSettings } from '../adapters/apt-package-installer';
import { ProcHostFacts } from '../adapters/proc-host-facts';
import { SystemctlMountUnits } from '../adapters/systemctl-mount-units';
import type { HookContext } from '../domain/hook-event';
import { MOUNT_HOST, MOUNT_UNITS, PACKAGE_INSTALLER } from '../ports/shared-fs-host';
import type { Environment } from './container';
import { SharedFsMount } from './reconcile/shared-fs';

export function bindSharedFs(c: Container, context: HookContext, env: Environment): void {
  c.bind(MOUNT_HOST).toConstantValue(new ProcHostFacts());
  c.bind<AptSettings>(APT_SETTINGS).toConstantValue({
    httpProxy: context.proxy.http,
    httpsProxy: context.proxy.https,
    noProxy: context.proxy.noProxy,
    path: env.PATH ?? '/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin',
  });
  c.bind(PACKAGE_INSTALLER).to(AptPackageInstaller);
  c.bind(MOUNT_UNITS).to(SystemctlMountUnits);
  c.bind(SharedFsMount).toSelf();
}
