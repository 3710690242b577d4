// Tests for the production stall timer behind the downloader's idle interceptor, on vitest's fake clock: when a
// silent body counts as stalled, and that time spent held back by backpressure does not count.

import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { timerIdleWatch } from '../../src/adapters/body-idle-watch';

beforeEach(() => {
  vi.useFakeTimers();
});
afterEach(() => {
  vi.useRealTimers();
});

describe('timerIdleWatch', () => {
  it('silent for the whole limit → idle once; data before the limit → the limit starts again', () => {
    const idle = vi.fn();
    const watch = timerIdleWatch(1_000)(idle);
    vi.advanceTimersByTime(999);
    watch.touch(10);
    vi.advanceTimersByTime(999);
    expect(idle).not.toHaveBeenCalled();
    vi.advanceTimersByTime(1);
    expect(idle).toHaveBeenCalledTimes(1);
    vi.advanceTimersByTime(10_000);
    expect(idle).toHaveBeenCalledTimes(1);
  });

  it('stopped (body ended) → never idle', () => {
    const idle = vi.fn();
    timerIdleWatch(1_000)(idle).stop();
    vi.advanceTimersByTime(5_000);
    expect(idle).not.toHaveBeenCalled();
  });

  it('paused by backpressure when the limit passes → waits another limit, idle only once no longer paused', () => {
    const idle = vi.fn();
    let paused = true;
    timerIdleWatch(1_000, () => paused)(idle);
    vi.advanceTimersByTime(3_000);
    expect(idle).not.toHaveBeenCalled();
    paused = false;
    vi.advanceTimersByTime(1_000);
    expect(idle).toHaveBeenCalledTimes(1);
  });
});
