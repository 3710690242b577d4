// Hooks: the bundle's entry, run by `dispatch` for every hook and action. Exits with the hook's result code.

import 'reflect-metadata';
import { runHook } from './run-hook';

runHook(process.env).then(
  (code) => {
    process.exitCode = code;
  },
  (error: unknown) => {
    process.stderr.write(
      `concourse-ci-machine: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}\n`,
    );
    process.exitCode = 1;
  },
);
