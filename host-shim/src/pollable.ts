import { poll } from '@bytecodealliance/preview2-shim/io';

interface Pollable {
  ready(): boolean;
  block(): void;
  [Symbol.dispose](): void;
}

/** preview2-shim's class; its types hide the constructor, which takes no arguments. */
const PreviewPollable = poll.Pollable as unknown as new () => Pollable;

/**
 * A pollable for a host result. Transpiled guests accept only instances of preview2-shim's `Pollable`
 * class, so this extends it and answers `ready`/`block` from the time the result is due.
 */
export class HostPollable extends PreviewPollable {
  readonly #readyAt: number;

  /** @param readyAt - `performance.now()` time from which the result is available. */
  constructor(readyAt: number) {
    super();
    this.#readyAt = readyAt;
  }

  override ready(): boolean {
    return performance.now() >= this.#readyAt;
  }

  /** Really waits (the guest is synchronous), so that simulated device time is felt by the caller. */
  override block(): void {
    const remaining = this.#readyAt - performance.now();
    if (remaining > 0) Atomics.wait(sleeper, 0, 0, remaining);
  }
}

const sleeper = new Int32Array(new SharedArrayBuffer(4));

/** A pollable that is ready at once. */
export const readyPollable = (): HostPollable => new HostPollable(0);
