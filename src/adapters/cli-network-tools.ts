// Adapter helper (HookTools): the unit's addresses and ports (unit-get, network-get, open-port, close-port).

import { z } from 'zod';
import type { HookTools, NetworkAddresses } from '../ports/hook-tools';
import { type HookToolCli, HookToolOutputError } from './hook-tool-cli';

const networkInfo = z.object({
  'bind-addresses': z
    .array(
      z.object({
        addresses: z.array(z.object({ value: z.string().optional(), address: z.string().optional() })).nullish(),
      }),
    )
    .nullish(),
  'ingress-addresses': z.array(z.string()).nullish(),
});

/** Addresses and opened ports. */
export class CliNetworkTools implements Pick<HookTools, 'openPort' | 'closePort' | 'unitGet' | 'networkGet'> {
  constructor(private readonly cli: HookToolCli) {}

  /** @see https://documentation.ubuntu.com/juju/3.6/reference/hook-command/list-of-hook-commands/open-port/ */
  async openPort(port: number, protocol: 'tcp' | 'udp' = 'tcp'): Promise<void> {
    await this.cli.run('open-port', [portSpec(port, protocol)]);
  }

  /** @see https://documentation.ubuntu.com/juju/3.6/reference/hook-command/list-of-hook-commands/close-port/ */
  async closePort(port: number, protocol: 'tcp' | 'udp' = 'tcp'): Promise<void> {
    await this.cli.run('close-port', [portSpec(port, protocol)]);
  }

  /** @see https://documentation.ubuntu.com/juju/3.6/reference/hook-command/list-of-hook-commands/unit-get/ */
  async unitGet(key: 'private-address' | 'public-address'): Promise<string> {
    const args = ['--format=json', key];
    return this.cli.parse('unit-get', args, await this.cli.run('unit-get', args), z.string().min(1));
  }

  /** @see https://documentation.ubuntu.com/juju/3.6/reference/hook-command/list-of-hook-commands/network-get/ */
  async networkGet(binding: string): Promise<NetworkAddresses> {
    const args = ['--format=json', binding];
    const stdout = await this.cli.run('network-get', args);
    const info = this.cli.parse('network-get', args, stdout, networkInfo);
    const first = info['bind-addresses']?.[0]?.addresses?.[0];
    const bindAddress = first?.value || first?.address;
    const ingressAddress = info['ingress-addresses']?.[0] || bindAddress;
    if (bindAddress === undefined || bindAddress === '' || ingressAddress === undefined) {
      throw new HookToolOutputError('network-get', args, stdout, `no address for binding ${binding}`);
    }
    return { ingressAddress, bindAddress };
  }
}

function portSpec(port: number, protocol: 'tcp' | 'udp'): string {
  if (!Number.isInteger(port) || port < 1 || port > 65535) throw new RangeError(`invalid port ${port}`);
  return `${port}/${protocol}`;
}
