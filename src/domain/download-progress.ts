// Domain: the `.download_in_progress` marker, which tells waiting units who is downloading and how far it got.
// It is advisory: a marker whose writer stopped refreshing it is stale, whatever it says.

import { z } from 'zod';
import { formatBytes } from './bytes';

export const downloadProgressSchema = z.object({
  version: z.string(),
  unit: z.string(),
  host: z.string(),
  pid: z.number().int(),
  startedAt: z.number(),
  updatedAt: z.number(),
  bytes: z.number().int().nonnegative(),
  total: z.number().int().nonnegative().optional(),
});

export type DownloadProgress = z.infer<typeof downloadProgressSchema>;

export function parseDownloadProgress(raw: unknown): DownloadProgress | undefined {
  const r = downloadProgressSchema.safeParse(raw);
  return r.success ? r.data : undefined;
}

/** Whole percent, or undefined when the server sent no length. */
export function progressPercent(p: DownloadProgress): number | undefined {
  if (p.total === undefined || p.total === 0) return undefined;
  return Math.min(100, Math.floor((p.bytes / p.total) * 100));
}

/** How far a download is, as statuses and storage-status say it: `42%`, or the bytes when the length is unknown. */
export function describeProgress(p: DownloadProgress): string {
  const percent = progressPercent(p);
  return percent === undefined ? formatBytes(p.bytes) : `${percent}%`;
}

/** A marker not refreshed within `staleMs` belongs to a downloader that is gone (or hung). */
export function isProgressStale(p: DownloadProgress, now: number, staleMs: number): boolean {
  return now - p.updatedAt > staleMs;
}
