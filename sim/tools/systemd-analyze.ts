// Fake `systemd-analyze verify` for simulated units: reports what systemd would refuse in a unit file (unknown
// sections, no ExecStart=, a relative or missing executable) without a running systemd.

import { accessSync, constants, readFileSync } from 'node:fs';
import { basename } from 'node:path';
import { execPath, parseUnitFile } from './systemctl';
import type { ToolIO } from './tool-io';

const KNOWN_SECTIONS = new Set(['Unit', 'Service', 'Install', 'Socket', 'Timer', 'Path', 'Mount']);

export function systemdAnalyze(argv: readonly string[], io: ToolIO): number {
  const words = argv.filter((a) => !a.startsWith('-'));
  const [verb, ...files] = words;
  if (verb !== 'verify') {
    io.err(`Unknown command verb '${verb ?? ''}'.\n`);
    return 1;
  }
  let code = 0;
  for (const file of files) {
    const name = basename(file);
    let text: string;
    try {
      text = readFileSync(io.callerPath(file), 'utf8');
    } catch {
      io.err(`Failed to prepare filename ${file}: No such file or directory\n`);
      code = 1;
      continue;
    }
    const sections = parseUnitFile(text);
    for (const section of sections.keys()) {
      if (!KNOWN_SECTIONS.has(section)) io.err(`${file}: Unknown section '${section}'. Ignoring.\n`);
    }
    const service = sections.get('Service');
    if (name.endsWith('.service')) {
      const type = service?.find(([k]) => k === 'Type')?.[1] ?? 'simple';
      const execStarts = (service ?? []).filter(([k]) => k === 'ExecStart').map(([, v]) => v);
      if (execStarts.length === 0 && type !== 'oneshot') {
        io.err(`${name}: Service has no ExecStart=, ExecStop=, or SuccessAction=. Refusing.\n`);
        code = 1;
      }
      for (const line of execStarts) {
        const path = execPath(line);
        if (!path.startsWith('/')) {
          io.err(`${name}: Neither a valid executable name nor an absolute path: ${path}\n`);
          code = 1;
          continue;
        }
        try {
          accessSync(io.callerPath(path), constants.X_OK);
        } catch {
          io.err(`${name}: Command ${path} is not executable: No such file or directory\n`);
          code = 1;
        }
      }
    }
  }
  return code;
}
