// Port: `.download_in_progress`, the advisory marker a downloading unit keeps fresh so that units waiting for the
// install lock can say who downloads what and how far along it is, and can tell a live download from a dead one.

import type { DownloadProgress } from '../domain/download-progress';

export interface DownloadProgressMarker {
  /** The marker, or undefined when there is none or it cannot be parsed (a reader must never fail on it). */
  read(): Promise<DownloadProgress | undefined>;
  /** Replaces the marker in one step: a reader sees the old or the new one, never half. */
  write(progress: DownloadProgress): Promise<void>;
  /** Removes it; removing a marker that is not there is not an error. */
  clear(): Promise<void>;
}

export const DOWNLOAD_PROGRESS_MARKER = Symbol.for('concourse-ci-machine/DownloadProgressMarker');
