import { streams } from '@bytecodealliance/preview2-shim/io';
import { readyPollable } from './pollable.ts';
import type { StackMapper } from './source-map.ts';

/** Where a guest's standard output and error go. */
export type ConsoleSink = (stream: 'stdout' | 'stderr', text: string) => void;

/** Writes to this process's own streams, as a CLI run shows them. */
export const processConsole: ConsoleSink = (stream, text) => {
  process[stream].write(text);
};

interface OutputStreamMethods {
  checkWrite(): bigint;
  write(contents: Uint8Array): void;
  blockingWriteAndFlush(contents: Uint8Array): void;
  flush(): void;
  blockingFlush(): void;
  subscribe(): unknown;
}

/** preview2-shim's class (transpiled guests accept only its instances); its types hide the constructor. */
const PreviewOutputStream = streams.OutputStream as unknown as new () => OutputStreamMethods;

/** A guest's stdout or stderr: each write is decoded (UTF-8 split safely across writes) and passed on. */
class GuestOutputStream extends PreviewOutputStream {
  readonly #decoder = new TextDecoder();
  readonly #onText: (text: string) => void;

  constructor(onText: (text: string) => void) {
    super();
    this.#onText = onText;
  }

  override checkWrite(): bigint {
    return 1n << 20n;
  }

  override write(contents: Uint8Array): void {
    const text = this.#decoder.decode(contents, { stream: true });
    if (text !== '') this.#onText(text);
  }

  override blockingWriteAndFlush(contents: Uint8Array): void {
    this.write(contents);
  }

  override flush(): void {}

  override blockingFlush(): void {}

  override subscribe(): unknown {
    return readyPollable();
  }
}

/** One instance's `wasi:cli/stdout` and `wasi:cli/stderr`, and the last error message written to stderr. */
export interface GuestConsole {
  readonly imports: {
    readonly 'wasi:cli/stdout': { getStdout(): unknown };
    readonly 'wasi:cli/stderr': { getStderr(): unknown };
  };
  /** The message of the last uncaught error a guest printed since the last call, if any. */
  takeErrorMessage(): string | undefined;
  /** Maps the frames of the stacks the guest prints from now on (its component's source map). */
  mapStacks(mapStack: StackMapper): void;
}

/**
 * What componentize-js prints before it traps when the promise an export returned is still pending and
 * nothing is left to run that could settle it: `Error while (call) event loop error, but no exception is pending…`.
 */
const eventLoopRanDry = /\(call\) event loop error, but no exception is pending/;

export function createGuestConsole(sink: ConsoleSink): GuestConsole {
  // A componentize-js component prints an uncaught error in three writes, its message, `Stack:` and the
  // frames, then traps with only `unreachable`.
  let previousWrite = '';
  let lastError: string | undefined;
  const stdout = new GuestOutputStream((text) => sink('stdout', text));
  let mapStack: StackMapper = (text) => text;
  const stderr = new GuestOutputStream((written) => {
    const text = mapStack(written);
    if (text === 'Stack:\n') lastError = previousWrite.trimEnd();
    if (eventLoopRanDry.test(text))
      lastError = 'run returned a promise that never settles: nothing is left that could settle it';
    previousWrite = text;
    sink('stderr', text);
  });
  return {
    imports: {
      'wasi:cli/stdout': { getStdout: () => stdout },
      'wasi:cli/stderr': { getStderr: () => stderr },
    },
    mapStacks(mapper) {
      mapStack = mapper;
    },
    takeErrorMessage() {
      const message = lastError;
      lastError = undefined;
      return message;
    },
  };
}
