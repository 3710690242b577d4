// Adapter helper: stall detection for a response body. An undici interceptor watches every response below the retry
// interceptor and aborts a silent one with undici's BodyTimeoutError, which the retry interceptor resumes by Range.
// When a body counts as silent is a BodyIdleWatch: a timer in production, the server's stall point in tests.

import { DecoratorHandler, type Dispatcher, errors } from 'undici';

/** Watches one response body; `touch` on every chunk (its size), `stop` when the body ends or fails. */
export interface IdleWatchHandle {
  touch(bytes: number): void;
  stop(): void;
}

/** Starts watching a response body; calls `onIdle` once if it stays silent too long. */
export type BodyIdleWatch = (onIdle: () => void) => IdleWatchHandle;

/**
 * Silent for `ms` since the last chunk. Not while the reader holds the body back (backpressure: the extraction is
 * slower than the network): `isPaused` says so, and the watch then waits another `ms` instead of firing.
 */
export function timerIdleWatch(ms: number, isPaused: () => boolean = () => false): BodyIdleWatch {
  return (onIdle) => {
    let timer: NodeJS.Timeout | undefined;
    const arm = () => {
      clearTimeout(timer);
      timer = setTimeout(() => (isPaused() ? arm() : onIdle()), ms);
    };
    arm();
    return {
      touch: arm,
      stop: () => clearTimeout(timer),
    };
  };
}

type Controller = Dispatcher.DispatchController;
type Headers = Parameters<NonNullable<Dispatcher.DispatchHandler['onResponseStart']>>[2];

interface ResponseHandler {
  onResponseStart(controller: Controller, statusCode: number, headers: Headers, statusMessage?: string): void;
  onResponseData(controller: Controller, chunk: Buffer): void;
  onResponseEnd(controller: Controller, trailers: Headers): void;
  onResponseError(controller: Controller, error: Error): void;
}

// DecoratorHandler forwards every callback to the wrapped handler (whichever handler API it speaks); its typings
// declare only the constructor.
const ForwardingHandler = DecoratorHandler as unknown as new (handler: Dispatcher.DispatchHandler) => ResponseHandler;

/**
 * A body that went silent: undici's own timeout error (so the retry interceptor resumes it), carrying how far the
 * body got, as an absolute offset (the resume's Content-Range start included), for the operator's message.
 */
export class BodyStalledError extends errors.BodyTimeoutError {
  constructor(readonly receivedBytes: number) {
    super('Body Timeout Error: no data within the idle limit');
  }
}

class IdleWatchingHandler extends ForwardingHandler {
  private watch: IdleWatchHandle | undefined;
  private offset = 0;
  /** Set once this response was declared stalled: what the aborted connection reports afterwards is not forwarded. */
  private stalled = false;

  constructor(
    handler: Dispatcher.DispatchHandler,
    private readonly startWatch: (controller: Controller) => BodyIdleWatch,
  ) {
    super(handler);
  }

  override onResponseStart(controller: Controller, statusCode: number, headers: Headers, statusMessage?: string): void {
    this.watch?.stop();
    const range = /^bytes (\d+)-/.exec(String(headers['content-range'] ?? ''));
    this.offset = range?.[1] === undefined ? 0 : Number(range[1]);
    this.watch = this.startWatch(controller)(() => this.stall(controller));
    super.onResponseStart(controller, statusCode, headers, statusMessage);
  }

  override onResponseData(controller: Controller, chunk: Buffer): void {
    if (this.stalled) return;
    this.offset += chunk.length;
    super.onResponseData(controller, chunk);
    this.watch?.touch(chunk.length);
  }

  override onResponseEnd(controller: Controller, trailers: Headers): void {
    this.watch?.stop();
    if (!this.stalled) super.onResponseEnd(controller, trailers);
  }

  override onResponseError(controller: Controller, error: Error): void {
    this.watch?.stop();
    if (!this.stalled) super.onResponseError(controller, error);
  }

  /**
   * Reported upwards first, while the connection is still live (the retry interceptor does not resume a request
   * that is already aborted), then the connection is aborted and everything it says afterwards is dropped.
   */
  private stall(controller: Controller): void {
    if (this.stalled || controller.aborted) return;
    this.watch?.stop();
    const error = new BodyStalledError(this.offset);
    super.onResponseError(controller, error);
    this.stalled = true;
    controller.abort(error);
  }
}

/**
 * The interceptor. `watch` given: it decides (tests); otherwise a timer of `idleMs` that does not count time the
 * body spends paused by backpressure.
 */
export function bodyIdleInterceptor(idleMs: number, watch?: BodyIdleWatch): Dispatcher.DispatcherComposeInterceptor {
  const startWatch = (controller: Controller) => watch ?? timerIdleWatch(idleMs, () => controller.paused);
  return (dispatch) => (opts, handler) => dispatch(opts, new IdleWatchingHandler(handler, startWatch));
}
