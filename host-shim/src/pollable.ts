import { poll } from '@bytecodealliance/preview2-shim/io';

interface Pollable {
  ready(): boolean;
  block(): void;
  [Symbol.dispose](): void;
}

/** preview2-shim's class; its types hide the constructor, which takes no arguments. */
const PreviewPollable = poll.Pollable as unknown as new () => Pollable;

const sleeper = new Int32Array(new SharedArrayBuffer(4));
const sleepUntil = (time: number): void => {
  const remaining = time - performance.now();
  if (remaining > 0) Atomics.wait(sleeper, 0, 0, remaining);
};

/**
 * A pollable for a host result. Transpiled guests accept only instances of preview2-shim's `Pollable`
 * class, so this extends it. It becomes ready at a time (simulated device time, which `block` really
 * waits out) or when a condition holds (a message arrives). The guest runs synchronously, so nothing can
 * arrive while it blocks: blocking on a condition that does not hold is an error, not a hang.
 */
export class HostPollable extends PreviewPollable {
  readonly #readyAt: number;
  readonly #condition: (() => boolean) | undefined;
  readonly #waitingFor: string;

  /**
   * @param readyAt - `performance.now()` time from which the result is available.
   * @param condition - when given, what must also hold; `waitingFor` says what it waits for, for errors.
   */
  constructor(readyAt: number, condition?: () => boolean, waitingFor = 'a result') {
    super();
    this.#readyAt = readyAt;
    this.#condition = condition;
    this.#waitingFor = waitingFor;
  }

  override ready(): boolean {
    return performance.now() >= this.#readyAt && (this.#condition?.() ?? true);
  }

  /** The time it will be ready at, or `undefined` when only a condition nobody can change would make it so. */
  get readyAt(): number | undefined {
    return (this.#condition?.() ?? true) ? this.#readyAt : undefined;
  }

  override block(): void {
    const readyAt = this.readyAt;
    if (readyAt === undefined) {
      throw new Error(
        `wasi:io/poll.pollable.block: waiting for ${this.#waitingFor}, which can never come while the inferlet blocks`,
      );
    }
    sleepUntil(readyAt);
  }
}

/** A pollable that is ready at once. */
export const readyPollable = (): HostPollable => new HostPollable(0);

/**
 * `wasi:io/poll.poll`: over host pollables, waits until at least one is ready and returns the ready
 * indices; WASI's own pollables (streams, clocks) go to preview2-shim.
 */
export function pollHostPollables(pollables: readonly Pollable[]): Uint32Array {
  if (pollables.length === 0) throw new Error('wasi:io/poll.poll: called with no pollables');
  const hostCount = pollables.filter((pollable) => pollable instanceof HostPollable).length;
  if (hostCount === 0) return poll.poll(pollables as unknown as Parameters<typeof poll.poll>[0]);
  if (hostCount < pollables.length) {
    throw new Error('wasi:io/poll.poll: host results and WASI streams or clocks cannot be polled together');
  }
  return pollReady(pollables as HostPollable[]);
}

function pollReady(pollables: readonly HostPollable[]): Uint32Array {
  const times = pollables.map((pollable) => pollable.readyAt).filter((time) => time !== undefined);
  if (times.length === 0) {
    throw new Error('wasi:io/poll.poll: none of the pollables can become ready while the inferlet blocks');
  }
  sleepUntil(Math.min(...times));
  return Uint32Array.from(pollables.flatMap((pollable, index) => (pollable.ready() ? [index] : [])));
}

/** The `wasi:io/poll` import: preview2-shim's class, with `poll` that understands host pollables. */
export const hostPoll = { Pollable: poll.Pollable, poll: pollHostPollables };
