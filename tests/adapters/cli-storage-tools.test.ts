// Adapter tests for resource-get in CliHookTools (cli-storage-tools.ts): an attached file, a placeholder, nothing
// attached, and every other failure kept apart from "nothing attached".

import 'reflect-metadata';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { HookToolError, ResourceFetchError } from '../../src/adapters/cli-hook-tools';
import { scriptedHookTools } from '../support/scripted-hook-tool-runner';

const h = scriptedHookTools();

describe('resource-get', () => {
  let dir: string;

  beforeEach(async () => {
    dir = await mkdtemp(join(tmpdir(), 'resource-get-'));
  });

  afterEach(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  it('an attached non-empty file → its path', async () => {
    const path = join(dir, 'concourse.tgz');
    await writeFile(path, 'tarball bytes');
    h.runner.on('resource-get', ['concourse-release'], { stdout: `${path}\n` });
    expect(await h.tools.resourceGet('concourse-release')).toBe(path);
  });

  it('a zero-byte placeholder → undefined', async () => {
    const path = join(dir, 'concourse.tgz');
    await writeFile(path, '');
    h.runner.on('resource-get', ['concourse-release'], { stdout: `${path}\n` });
    expect(await h.tools.resourceGet('concourse-release')).toBeUndefined();
  });

  it('nothing attached (resource-get fails) → undefined', async () => {
    h.runner.on('resource-get', ['concourse-release'], {
      exitCode: 1,
      stderr:
        'ERROR could not download resource: HTTP request failed: Get https://10.0.0.2:17070/model/x/units/' +
        'unit-concourse-ci-0/resources/concourse-release: resource#concourse-ci/concourse-release not found\n',
    });
    expect(await h.tools.resourceGet('concourse-release')).toBeUndefined();
  });

  it('an empty path on stdout → undefined', async () => {
    h.runner.on('resource-get', ['concourse-release'], { stdout: '\n' });
    expect(await h.tools.resourceGet('concourse-release')).toBeUndefined();
  });

  it('the controller connection dropped (ERROR connection is shut down) → ResourceFetchError, not undefined', async () => {
    const stderr = 'ERROR connection is shut down\n';
    h.runner.on('resource-get', ['concourse-release'], { exitCode: 1, stderr });
    const err = await h.tools.resourceGet('concourse-release').catch((e: unknown) => e);
    expect(err).toBeInstanceOf(ResourceFetchError);
    expect(err).toBeInstanceOf(HookToolError);
    expect(err).toMatchObject({
      tool: 'resource-get',
      args: ['concourse-release'],
      exitCode: 1,
      stderr,
      message: 'resource-get failed: ERROR connection is shut down',
      jujuMessage: 'connection is shut down',
    });
  });

  it('a 500 from the controller (several lines) → ResourceFetchError whose jujuMessage is the first line', async () => {
    h.runner.on('resource-get', ['concourse-release'], {
      exitCode: 1,
      stderr:
        'ERROR could not download resource: HTTP request failed: Get https://10.0.0.2:17070/model/x/units/' +
        'unit-concourse-ci-0/resources/concourse-release: 500 Internal Server Error\n<html>oops</html>\n',
    });
    const err = await h.tools.resourceGet('concourse-release').catch((e: unknown) => e);
    expect(err).toBeInstanceOf(ResourceFetchError);
    expect((err as ResourceFetchError).jujuMessage).toBe(
      'could not download resource: HTTP request failed: Get https://10.0.0.2:17070/model/x/units/' +
        'unit-concourse-ci-0/resources/concourse-release: 500 Internal Server Error',
    );
  });

  it('"not found" about something else than the resource (a unit, a model) → ResourceFetchError', async () => {
    h.runner.on('resource-get', ['concourse-release'], {
      exitCode: 1,
      stderr: 'ERROR unit "concourse-ci/0" not found\n',
    });
    await expect(h.tools.resourceGet('concourse-release')).rejects.toBeInstanceOf(ResourceFetchError);
  });

  it('a failure with empty stderr → ResourceFetchError naming the exit code', async () => {
    h.runner.on('resource-get', ['concourse-release'], { exitCode: 2 });
    const err = await h.tools.resourceGet('concourse-release').catch((e: unknown) => e);
    expect(err).toBeInstanceOf(ResourceFetchError);
    expect((err as ResourceFetchError).jujuMessage).toBe('exit code 2');
  });
});
