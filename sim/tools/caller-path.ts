// Fake hook tools: reaching the caller's files from the driver. A hook runs in its unit's mount namespace (its own
// /etc, /var/lib, /run...); the driver reaches that tree through /proc/<pid>/root of the calling process. Symlinks
// are resolved by hand, as the kernel would inside that root: an absolute link target is taken from the caller's
// root, not the driver's (the kernel would resolve `/etc/x` from the driver's own /etc past /proc/<pid>/root).

import { lstatSync, readlinkSync } from 'node:fs';
import { posix } from 'node:path';

/** Linux's limit on symlinks followed while resolving one path (ELOOP past it). */
const MAX_LINKS = 40;

/**
 * The path under `root` (a directory standing for the caller's `/`, e.g. `/proc/123/root`) that `path` names for a
 * caller whose cwd is `cwd` (as it sees it). Every symlink on the way is followed within `root`; the last component
 * only when `follow`. Components that do not exist are kept as written (creating them is the caller's business).
 */
export function resolveInRoot(root: string, cwd: string, path: string, follow: boolean): string {
  const start = posix.isAbsolute(path) ? path : posix.join(cwd.startsWith('/') ? cwd : '/', path);
  const done: string[] = [];
  let todo = split(start);
  let links = 0;
  while (todo.length > 0) {
    const [name = '', ...rest] = todo;
    todo = rest;
    if (name === '.' || name === '') continue;
    if (name === '..') {
      done.pop();
      continue;
    }
    const here = `${root}/${[...done, name].join('/')}`;
    if (todo.length === 0 && !follow) {
      done.push(name);
      break;
    }
    let target: string | undefined;
    try {
      if (lstatSync(here).isSymbolicLink()) target = readlinkSync(here);
    } catch {
      // Missing (or not a directory): nothing below can be a symlink; the rest as written fails as it would.
      return `${root}/${[...done, name, ...todo].join('/')}`;
    }
    if (target === undefined) {
      done.push(name);
      continue;
    }
    if (++links > MAX_LINKS) return `${root}/${[...done, name, ...todo].join('/')}`; // the real call reports ELOOP
    if (target.startsWith('/')) done.length = 0;
    todo = [...split(target), ...todo];
  }
  return done.length === 0 ? root : `${root}/${done.join('/')}`;
}

function split(path: string): string[] {
  return path.split('/').filter((c) => c !== '');
}
