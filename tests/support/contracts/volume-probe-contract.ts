// Contract of the VolumeProbe port, run against the file adapter (tests/adapters) and the in-memory one
// (tests/unit): health, identity shared by every unit on the volume, and usage.

import { describe, expect, it } from 'vitest';
import type { VolumeProbe } from '../../../src/ports/volume-probe';

export interface VolumeProbeSubject {
  readonly probe: VolumeProbe;
  /** Another unit's probe of the same volume. */
  otherUnit(): VolumeProbe;
  /** Makes the volume disappear (the directory removed, the mount gone). */
  lose(): Promise<void>;
}

export function volumeProbeContract(name: string, make: () => Promise<VolumeProbeSubject>): void {
  describe(`${name} keeps the VolumeProbe contract`, () => {
    it('fresh empty volume → ok, free space within the total, no id yet, nothing used', async () => {
      const { probe } = await make();
      const facts = await probe.inspect();
      expect(facts).toMatchObject({ path: probe.root, state: 'ok', volumeId: undefined });
      expect(facts.freeBytes).toBeGreaterThan(0);
      expect(facts.totalBytes).toBeGreaterThanOrEqual(facts.freeBytes);
      expect(await probe.usage()).toEqual({ releaseBytes: 0, volumeBytes: 0 });
    });

    it('volume id asked by two units → created once, the same for both, reported by inspect and counted', async () => {
      const subject = await make();
      const id = await subject.probe.ensureVolumeId();
      expect(id).toMatch(/^\S{8,}$/);
      expect(await subject.otherUnit().ensureVolumeId()).toBe(id);
      expect(await subject.probe.ensureVolumeId()).toBe(id);
      expect((await subject.otherUnit().inspect()).volumeId).toBe(id);
      expect(await subject.probe.usage()).toEqual({ releaseBytes: 0, volumeBytes: `${id}\n`.length });
    });

    it('volume gone → missing with no space and no id, creating an id fails', async () => {
      const subject = await make();
      await subject.probe.ensureVolumeId();
      await subject.lose();
      expect(await subject.probe.inspect()).toMatchObject({
        state: 'missing',
        freeBytes: 0,
        totalBytes: 0,
        volumeId: undefined,
      });
      await expect(subject.probe.ensureVolumeId()).rejects.toMatchObject({ code: 'ENOENT' });
    });
  });
}
