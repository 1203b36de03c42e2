/**
 * An inferlet's command line: typed options declared once, parsed from the client's arguments, with a
 * `--help` text made from the same declarations and errors that name the option and the value.
 */

/**
 * A mistake in the client's arguments: `main` reports its message alone, without the stack it prints for
 * an error in the app's code. Throw it for arguments your own code refuses.
 */
export class UsageError extends Error {}

interface Described {
  /** One letter: `-p` for `--prompt`. */
  readonly short?: string;
  /** What the option does, for `--help`. */
  readonly help: string;
}

/** What an option takes; each kind parses to the type its name says. */
export type OptionSpec = Described &
  (
    | { readonly kind: 'text'; readonly default?: string }
    /** Given any number of times; each value non-empty. */
    | { readonly kind: 'texts' }
    /** A finite number within `[min, max]` (defaults: 0 and no bound). */
    | { readonly kind: 'number'; readonly default?: number; readonly min?: number; readonly max?: number }
    /** A whole number ≥ `min` (default 0), below 2^32 (a u32). */
    | { readonly kind: 'count'; readonly default?: number; readonly min?: number }
    /** On when given; takes no value. */
    | { readonly kind: 'switch' }
    | { readonly kind: 'choice'; readonly choices: readonly string[]; readonly default?: string }
  );

export interface CommandSpec {
  /** The first line of `--help`: what the inferlet does. */
  readonly summary: string;
  /** The options by name, in camelCase: `maxTokens` is given as `--max-tokens`. */
  readonly options: Readonly<Record<string, OptionSpec>>;
  /** What arguments that are not options are, for `--help` (`LABEL…`); without it, none is taken. */
  readonly positionals?: string;
}

type ValueOf<S extends OptionSpec> = S extends { readonly kind: 'texts' }
  ? string[]
  : S extends { readonly kind: 'switch' }
    ? boolean
    : S extends { readonly kind: 'choice'; readonly choices: readonly (infer C)[] }
      ? S extends { readonly default: string }
        ? C
        : C | undefined
      : S extends { readonly kind: 'text' }
        ? S extends { readonly default: string }
          ? string
          : string | undefined
        : S extends { readonly default: number }
          ? number
          : number | undefined;

/** The parsed options of `spec`: each declared option, typed by its kind and whether it has a default. */
export type Options<S extends CommandSpec> = {
  -readonly [K in keyof S['options']]: ValueOf<S['options'][K]>;
};

/** What the client gave: the options, and the other arguments (all of them after `--`). */
export interface Parsed<S extends CommandSpec> {
  readonly options: Options<S>;
  readonly positionals: string[];
}

const flagOf = (name: string): string =>
  `--${name.replace(/[A-Z]/g, (letter) => `-${letter.toLowerCase()}`)}`;

const valueName = (spec: OptionSpec): string =>
  spec.kind === 'choice' ? 'NAME' : spec.kind === 'count' ? 'N' : spec.kind === 'number' ? 'X' : 'TEXT';

/** The `--help` text of `spec`. */
export function usage(spec: CommandSpec): string {
  const rows = Object.entries(spec.options).map(([name, option]) => {
    const short = option.short === undefined ? '   ' : `-${option.short},`;
    const takes = option.kind === 'switch' ? '' : ` ${valueName(option)}`;
    const fallback =
      'default' in option && option.default !== undefined
        ? ` (default ${JSON.stringify(option.default)})`
        : '';
    const again = option.kind === 'texts' ? '; may be given again' : '';
    const choices = option.kind === 'choice' ? `: ${option.choices.join(', ')}` : '';
    return [`${short} ${flagOf(name)}${takes}`, `${option.help}${choices}${fallback}${again}`] as const;
  });
  rows.push(['-h, --help', 'this text']);
  const width = Math.max(...rows.map(([left]) => left.length)) + 2;
  const lines = rows.map(([left, right]) => `  ${left.padEnd(width)}${right}`);
  const synopsis = spec.positionals === undefined ? '[OPTIONS]' : `[OPTIONS] ${spec.positionals}`;
  return [spec.summary, '', `Arguments: ${synopsis}`, ...lines].join('\n');
}

function parseValue(flag: string, option: OptionSpec, text: string): string | number {
  const expected = (what: string) => new UsageError(`${flag} ${JSON.stringify(text)}: expected ${what}`);
  switch (option.kind) {
    case 'text':
      return text;
    case 'texts':
      if (text === '') throw expected('a non-empty text');
      return text;
    case 'choice':
      if (!option.choices.includes(text)) throw expected(`one of ${option.choices.join(', ')}`);
      return text;
    case 'count': {
      const min = option.min ?? 0;
      const value = Number(text);
      if (!/^\d+$/.test(text.trim()) || value < min || value >= 2 ** 32) {
        throw expected(`a whole number ≥ ${min} (below 2^32)`);
      }
      return value;
    }
    case 'number': {
      const [min, max] = [option.min ?? 0, option.max ?? Number.POSITIVE_INFINITY];
      const value = Number(text);
      if (text.trim() === '' || !Number.isFinite(value) || value < min || value > max) {
        throw expected(
          max === Number.POSITIVE_INFINITY ? `a number ≥ ${min}` : `a number within [${min}, ${max}]`,
        );
      }
      return value;
    }
    case 'switch':
      throw new UsageError(`${flag} takes no value`);
  }
}

/**
 * Parses `args` by `spec`: `--name value`, `--name=value`, `-x value`, switches alone; `--` ends the options.
 * Returns `undefined` when `--help` (or `-h`) is given. A mistake throws an error naming the option and value.
 */
export function parseArguments<const S extends CommandSpec>(
  args: readonly string[],
  spec: S,
): Parsed<S> | undefined {
  const byFlag = new Map<string, [string, OptionSpec]>([['--help', ['help', { kind: 'switch', help: '' }]]]);
  byFlag.set('-h', byFlag.get('--help') as [string, OptionSpec]);
  for (const [name, option] of Object.entries(spec.options)) {
    for (const flag of [flagOf(name), ...(option.short === undefined ? [] : [`-${option.short}`])]) {
      // A mistake in the app's own declarations, not the client's.
      if (byFlag.has(flag)) throw new Error(`parseArguments: ${flag} is declared twice (or is --help's)`);
      byFlag.set(flag, [name, option]);
    }
  }
  const values: Record<string, unknown> = {};
  for (const [name, option] of Object.entries(spec.options)) {
    values[name] = option.kind === 'texts' ? [] : option.kind === 'switch' ? false : option.default;
  }
  const positionals: string[] = [];
  for (let index = 0; index < args.length; index++) {
    const arg = args[index] ?? '';
    if (arg === '--') {
      positionals.push(...args.slice(index + 1));
      break;
    }
    if (arg === '--help' || arg === '-h') return undefined;
    if (!arg.startsWith('-') || arg === '-' || /^-\d/.test(arg)) {
      positionals.push(arg);
      continue;
    }
    const equals = arg.startsWith('--') ? arg.indexOf('=') : -1;
    const flag = equals === -1 ? arg : arg.slice(0, equals);
    const found = byFlag.get(flag);
    if (found === undefined) throw new UsageError(`unknown option ${JSON.stringify(flag)}; see --help`);
    const [name, option] = found;
    const long = flagOf(name);
    if (option.kind === 'switch') {
      if (equals !== -1) throw new UsageError(`${long} takes no value`);
      values[name] = true;
      continue;
    }
    const text = equals === -1 ? args[++index] : arg.slice(equals + 1);
    if (text === undefined) throw new UsageError(`${long} needs a value (${valueName(option)})`);
    const value = parseValue(long, option, text);
    if (option.kind === 'texts') (values[name] as (string | number)[]).push(value);
    else values[name] = value;
  }
  if (spec.positionals === undefined && positionals.length > 0) {
    throw new UsageError(`unexpected argument ${JSON.stringify(positionals[0])}; see --help`);
  }
  return { options: values as Options<S>, positionals };
}

/**
 * The body of an inferlet that takes options: `--help` returns the usage text; otherwise `body` runs with
 * the parsed options. For `main`: `export const run = main(withOptions(spec, ({ options }) => …))`.
 */
export function withOptions<const S extends CommandSpec>(
  spec: S,
  body: (parsed: Parsed<S>) => Promise<string> | string,
): (args: string[]) => Promise<string> | string {
  return (args) => {
    const parsed = parseArguments(args, spec);
    return parsed === undefined ? usage(spec) : body(parsed);
  };
}
