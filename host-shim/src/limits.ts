/**
 * What one inferlet instance may take from the host: time, linear memory, resource slots and the bytes it
 * hands the host to keep. Going over ends the instance with a message naming the limit and its option of
 * `inferlib run`, so that an inferlet someone else wrote cannot take the host process down.
 */

export interface Limits {
  /** Wall time of a run, in milliseconds; 0 for none. */
  readonly timeoutMs: number;
  /** The most each linear memory of the inferlet may grow to (one per JS engine), in bytes. */
  readonly memoryBytes: number;
  /** Resource slots the instance may hold at once (allocated or imported), per type. */
  readonly kvPages: number;
  readonly embeddings: number;
  readonly adapters: number;
  /** The most one message, broadcast or key-value entry (key and value) may hold, in UTF-8 bytes. */
  readonly messageBytes: number;
  /** The most one blob may hold, in bytes. */
  readonly blobBytes: number;
  /**
   * The most an instance may hand the host in all, in bytes: blobs it makes, messages and blobs it sends,
   * broadcasts and key-value entries (the host keeps each, and a loop could otherwise fill its memory).
   */
  readonly outputBytes: number;
}

type Unit = 's' | 'MiB' | 'KiB' | 'count';
const unitSize: Record<Unit, number> = { s: 1000, MiB: 2 ** 20, KiB: 2 ** 10, count: 1 };

interface LimitOption {
  /** The option of `inferlib run` (and `pnpm start`) that sets it, in `unit`s. */
  readonly flag: string;
  readonly unit: Unit;
  readonly defaultValue: number;
  /** What the value counts, after the number (`KV pages`, `per message`), for messages. */
  readonly counts: string;
  /** The option's line of help. */
  readonly help: string;
  /** The largest value, in `unit`s, where there is one. */
  readonly most?: number;
}

/** Each limit's option, unit and default: the one place they are written. */
export const limitOptions: Readonly<Record<keyof Limits, LimitOption>> = {
  timeoutMs: {
    flag: 'timeout',
    unit: 's',
    defaultValue: 60,
    counts: 'per run',
    help: 'time limit of a run, in seconds; 0 for none',
  },
  memoryBytes: {
    flag: 'max-memory-mb',
    unit: 'MiB',
    defaultValue: 512,
    counts: 'per linear memory',
    help: 'MiB each linear memory of the inferlet may grow to',
    // A memory of 32-bit addresses holds at most 4 GiB.
    most: 4096,
  },
  kvPages: {
    flag: 'max-kv-pages',
    unit: 'count',
    defaultValue: 4096,
    counts: 'KV pages held',
    help: 'KV pages an instance may hold at once',
  },
  embeddings: {
    flag: 'max-embeddings',
    unit: 'count',
    defaultValue: 4096,
    counts: 'embeddings held',
    help: 'embeddings an instance may hold at once',
  },
  adapters: {
    flag: 'max-adapters',
    unit: 'count',
    defaultValue: 64,
    counts: 'adapters held',
    help: 'adapters an instance may hold at once',
  },
  messageBytes: {
    flag: 'max-message-kb',
    unit: 'KiB',
    defaultValue: 1024,
    counts: 'per message, broadcast or key-value entry',
    help: 'KiB per message, broadcast or key-value entry',
  },
  blobBytes: { flag: 'max-blob-mb', unit: 'MiB', defaultValue: 64, counts: 'per blob', help: 'MiB per blob' },
  outputBytes: {
    flag: 'max-output-mb',
    unit: 'MiB',
    defaultValue: 256,
    counts: 'sent, broadcast, stored or put in blobs',
    help: 'MiB an instance may send, broadcast, store and put in blobs, in all',
  },
};

const limitNames = Object.keys(limitOptions) as (keyof Limits)[];

export const defaultLimits: Limits = Object.fromEntries(
  limitNames.map((name) => [name, limitOptions[name].defaultValue * unitSize[limitOptions[name].unit]]),
) as unknown as Limits;

/** `60 s`, `512 MiB`, `4096 KV pages held`: a limit's value in its option's unit (or bytes), and what it counts. */
function formatLimit(name: keyof Limits, value: number): string {
  const { unit, counts } = limitOptions[name];
  const amount = value / unitSize[unit];
  if (unit === 'count') return `${amount} ${counts}`;
  // A limit set in bytes through createHost need not be whole units.
  if (unit !== 's' && !Number.isInteger(amount)) return `${value} bytes ${counts}`;
  return `${amount} ${unit} ${counts}`;
}

/** `the limit of 1024 KiB per message, broadcast or key-value entry (--max-message-kb)`. */
export function describeLimit(name: keyof Limits, limits: Limits): string {
  return `the limit of ${formatLimit(name, limits[name])} (--${limitOptions[name].flag})`;
}

/** Why `value` (in `unit`s, or in bytes and milliseconds when `scaled`) is no value of limit `name`, if it is not. */
function invalid(name: keyof Limits, value: number, scaled: boolean): string | undefined {
  const { unit, most } = limitOptions[name];
  const scale = scaled ? unitSize[unit] : 1;
  const least = name === 'timeoutMs' ? 0 : 1;
  if (!Number.isSafeInteger(value) || value < least) return `a whole number ≥ ${least}`;
  if (most !== undefined && value > most * scale) return `at most ${most * scale}`;
  // A linear memory grows by 64 KiB pages.
  if (name === 'memoryBytes' && scaled && value % 2 ** 16 !== 0) return 'a multiple of 65536 (64 KiB)';
  return undefined;
}

/** The limits with `given` in place of the defaults, each checked. */
export function resolveLimits(given: Partial<Limits> = {}): Limits {
  const limits = { ...defaultLimits, ...given };
  for (const name of limitNames) {
    const expected = invalid(name, limits[name], true);
    if (expected !== undefined)
      throw new Error(`createHost: limits.${name} ${limits[name]}: expected ${expected}`);
  }
  return limits;
}

/** The `inferlib run` options of the limits, as `node:util`'s `parseArgs` takes them. */
export const limitOptionSpec = Object.fromEntries(
  limitNames.map((name) => [limitOptions[name].flag, { type: 'string' }]),
) as Record<string, { readonly type: 'string' }>;

/** The limit options with their help, for the help of `inferlib run`: `[--timeout S, time limit … (default 60)]`. */
export const limitOptionsHelp: readonly (readonly [option: string, help: string])[] = limitNames.map(
  (name) => {
    const { flag, unit, defaultValue, help } = limitOptions[name];
    return [`--${flag} ${unit === 's' ? 'S' : 'N'}`, `${help} (default ${defaultValue})`];
  },
);

/** The limits `inferlib run`'s options set (strings as parsed), each a whole number of its unit. */
export function limitsFromOptions(values: Readonly<Record<string, unknown>>): Partial<Limits> {
  const limits: Partial<Record<keyof Limits, number>> = {};
  for (const name of limitNames) {
    const { flag, unit } = limitOptions[name];
    const text = values[flag];
    if (typeof text !== 'string') continue;
    const value = text.trim() === '' ? Number.NaN : Number(text);
    const expected = invalid(name, value, false);
    if (expected !== undefined) throw new Error(`--${flag} ${text}: expected ${expected}`);
    limits[name] = value * unitSize[unit];
  }
  return limits;
}
