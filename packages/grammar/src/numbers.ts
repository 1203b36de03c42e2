/**
 * JSON numbers as the grammar writes them, read one character at a time, with bounds that hold exactly: the
 * text is compared as the exact decimal it spells with the decimal of the bound, so that the double it
 * parses to is within the bound too (see `inclusiveBound`).
 *
 * The forms: `-?(0|[1-9][0-9]{0,15})`, then for a number `(\.[0-9]{1,16})?` and, when unbounded,
 * `([eE][+-]?[0-9]{1,2})?`. The digit limits keep every value finite and stop a runaway model.
 */
export const maxIntegerDigits = 16;
export const maxFractionDigits = 16;
export const maxExponentDigits = 2;

/** A fraction `numerator / denominator`. */
interface Fraction {
  readonly numerator: bigint;
  readonly denominator: bigint;
}

export interface Bounds {
  readonly minimum?: number;
  readonly maximum?: number;
  readonly exclusiveMinimum?: boolean;
  readonly exclusiveMaximum?: boolean;
}

/** The exact value of a decimal numeral as JavaScript writes a number (`0.1`, `-2.5e-7`). */
function decimalOf(numeral: string): Fraction {
  const match = /^(-?)(\d+)(?:\.(\d+))?(?:e([+-]?\d+))?$/.exec(numeral);
  if (match === null) throw new Error(`numbers: ${numeral} is no decimal numeral`);
  const [, sign = '', whole = '', fraction = '', exponent = '0'] = match;
  const shift = Number(exponent) - fraction.length;
  const digits = BigInt(`${sign}${whole}${fraction}`);
  return shift >= 0
    ? { numerator: digits * 10n ** BigInt(shift), denominator: 1n }
    : { numerator: digits, denominator: 10n ** BigInt(-shift) };
}

/** The double next to `value` towards `direction`. */
function nextDouble(value: number, direction: 1 | -1): number {
  if (value === 0) return direction * Number.MIN_VALUE;
  const view = new DataView(new ArrayBuffer(8));
  view.setFloat64(0, value);
  view.setBigUint64(0, view.getBigUint64(0) + (value > 0 === direction > 0 ? 1n : -1n));
  return view.getFloat64(0);
}

/**
 * The least (`direction` 1) or greatest (-1) decimal a text may spell so that the double it parses to is
 * within a bound. Parsing rounds monotonically, so a text at or beyond the shortest numeral of the bound
 * parses at or beyond the bound; an exclusive bound is the inclusive bound of the next double.
 */
function inclusiveBound(value: number, exclusive: boolean | undefined, direction: 1 | -1): Fraction {
  return decimalOf(String(exclusive ? nextDouble(value, direction) : value));
}

const floorDiv = (a: bigint, b: bigint): bigint => (a >= 0n ? a / b : -((-a + b - 1n) / b));
const ceilDiv = (a: bigint, b: bigint): bigint => -floorDiv(-a, b);

/** Bounds on a scaled grid: the integers `m` with `m / scale` within the bounds, as `[low, high]`. */
interface GridBounds {
  readonly low: bigint | undefined;
  readonly high: bigint | undefined;
}

function gridBounds(bounds: Bounds, scale: bigint): GridBounds {
  let low: bigint | undefined;
  let high: bigint | undefined;
  if (bounds.minimum !== undefined) {
    const { numerator, denominator } = inclusiveBound(bounds.minimum, bounds.exclusiveMinimum, 1);
    low = ceilDiv(numerator * scale, denominator);
  }
  if (bounds.maximum !== undefined) {
    const { numerator, denominator } = inclusiveBound(bounds.maximum, bounds.exclusiveMaximum, -1);
    high = floorDiv(numerator * scale, denominator);
  }
  return { low, high };
}

type Phase =
  | 'start'
  | 'sign'
  | 'zero'
  | 'integer'
  | 'point'
  | 'fraction'
  | 'e'
  | 'exponent-sign'
  | 'exponent';

export interface NumberForm {
  readonly integer: boolean;
  readonly bounds: Bounds | undefined;
}

const isDigit = (codePoint: number): boolean => codePoint >= 0x30 && codePoint <= 0x39;

/** The bounds of a number form on its grid: integers for an integer, 16 fraction digits for a number. */
export class NumberRules {
  readonly integer: boolean;
  readonly #scale: bigint;
  readonly #grid: GridBounds | undefined;
  /** `feasible` by state: the same prefixes come again and again (its arithmetic is on big integers). */
  readonly #feasible = new Map<string, boolean>();

  constructor({ integer, bounds }: NumberForm) {
    this.integer = integer;
    this.#scale = integer ? 1n : 10n ** BigInt(maxFractionDigits);
    this.#grid = bounds === undefined ? undefined : gridBounds(bounds, this.#scale);
  }

  get bounded(): boolean {
    return this.#grid !== undefined;
  }

  /** Whether some grid value `sign · m` with `m` in `[low, high]` is within the bounds. */
  reachable(negative: boolean, low: bigint, high: bigint): boolean {
    const grid = this.#grid;
    if (grid === undefined) return true;
    let from = low;
    let to = high;
    if (negative) {
      if (grid.high !== undefined && -grid.high > from) from = -grid.high;
      if (grid.low !== undefined && -grid.low < to) to = -grid.low;
    } else {
      if (grid.low !== undefined && grid.low > from) from = grid.low;
      if (grid.high !== undefined && grid.high < to) to = grid.high;
    }
    return from <= to;
  }

  /** The grid values a prefix may still become, as intervals of magnitudes. */
  magnitudes(state: NumberState): readonly (readonly [bigint, bigint])[] {
    const scale = this.#scale;
    const limit = 10n ** BigInt(maxIntegerDigits);
    switch (state.phase) {
      case 'start':
      case 'sign':
        return [[0n, limit * scale - 1n]];
      case 'zero':
        return [[0n, scale - 1n]];
      case 'integer': {
        const digits = BigInt(state.integerDigits);
        const intervals: [bigint, bigint][] = [];
        for (let more = 0; state.integerDigits.length + more <= maxIntegerDigits; more++) {
          const power = 10n ** BigInt(more);
          intervals.push([digits * power * scale, (digits + 1n) * power * scale - 1n]);
        }
        return intervals;
      }
      case 'point':
      case 'fraction': {
        const whole = BigInt(state.integerDigits) * scale;
        const unit = 10n ** BigInt(maxFractionDigits - state.fractionDigits.length);
        const fraction = state.fractionDigits === '' ? 0n : BigInt(state.fractionDigits) * unit;
        return [[whole + fraction, whole + fraction + unit - 1n]];
      }
      default:
        // Exponents are written only when unbounded.
        return [[0n, 0n]];
    }
  }

  feasible(state: NumberState): boolean {
    if (this.#grid === undefined) return true;
    const key = `${state.phase} ${state.negative} ${state.integerDigits}.${state.fractionDigits}`;
    let feasible = this.#feasible.get(key);
    if (feasible === undefined) {
      const signs = state.phase === 'start' ? [false, true] : [state.negative];
      feasible = signs.some((negative) =>
        this.magnitudes(state).some(([low, high]) => this.reachable(negative, low, high)),
      );
      if (this.#feasible.size >= 10_000) this.#feasible.clear();
      this.#feasible.set(key, feasible);
    }
    return feasible;
  }

  /** Whether the text so far is a whole number within the bounds. */
  complete(state: NumberState): boolean {
    if (!['zero', 'integer', 'fraction', 'exponent'].includes(state.phase)) return false;
    if (this.#grid === undefined) return true;
    const whole = BigInt(state.integerDigits === '' ? '0' : state.integerDigits) * this.#scale;
    const fraction =
      state.fractionDigits === ''
        ? 0n
        : BigInt(state.fractionDigits) * 10n ** BigInt(maxFractionDigits - state.fractionDigits.length);
    const value = whole + fraction;
    return this.reachable(state.negative, value, value);
  }
}

export interface NumberState {
  readonly phase: Phase;
  readonly negative: boolean;
  readonly integerDigits: string;
  readonly fractionDigits: string;
  readonly exponentDigits: number;
}

export const numberStart: NumberState = {
  phase: 'start',
  negative: false,
  integerDigits: '',
  fractionDigits: '',
  exponentDigits: 0,
};

/** The state after `codePoint`, before the bounds are applied; `undefined` when the form refuses it. */
export function readNumber(
  rules: NumberRules,
  state: NumberState,
  codePoint: number,
): NumberState | undefined {
  const char = String.fromCodePoint(codePoint);
  const digit = isDigit(codePoint);
  const decimals = !rules.integer;
  const exponents = decimals && !rules.bounded;
  switch (state.phase) {
    case 'start':
      if (char === '-') return { ...state, phase: 'sign', negative: true };
      return readNumber(rules, { ...state, phase: 'sign' }, codePoint);
    case 'sign':
      if (char === '0') return { ...state, phase: 'zero', integerDigits: '0' };
      if (digit) return { ...state, phase: 'integer', integerDigits: char };
      return undefined;
    case 'zero':
    case 'integer':
      if (digit && state.phase === 'integer' && state.integerDigits.length < maxIntegerDigits) {
        return { ...state, integerDigits: state.integerDigits + char };
      }
      if (char === '.' && decimals) return { ...state, phase: 'point' };
      if ((char === 'e' || char === 'E') && exponents) return { ...state, phase: 'e' };
      return undefined;
    case 'point':
      return digit ? { ...state, phase: 'fraction', fractionDigits: char } : undefined;
    case 'fraction':
      if (digit && state.fractionDigits.length < maxFractionDigits) {
        return { ...state, fractionDigits: state.fractionDigits + char };
      }
      if ((char === 'e' || char === 'E') && exponents) return { ...state, phase: 'e' };
      return undefined;
    case 'e':
      if (char === '+' || char === '-') return { ...state, phase: 'exponent-sign' };
      return digit ? { ...state, phase: 'exponent', exponentDigits: 1 } : undefined;
    case 'exponent-sign':
      return digit ? { ...state, phase: 'exponent', exponentDigits: 1 } : undefined;
    case 'exponent':
      return digit && state.exponentDigits < maxExponentDigits
        ? { ...state, exponentDigits: state.exponentDigits + 1 }
        : undefined;
  }
}

/** Every character that may come next in some number text, for the forced continuation. */
export const numberChars = '-0123456789.eE+';
