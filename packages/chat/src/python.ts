/**
 * How Jinja2 turns values into text: Python's `str` for output and `~`, Python's `repr` inside lists and
 * dicts (`[1, 'a', None]`, `{'k': True}`), and `%`-formatting for the `format` filter.
 */
import type { RuntimeValue } from './json.ts';

/**
 * Python's `repr` of a float, which `str`, `%s` and `json.dumps` write: the shortest digits that read back
 * the same (as JavaScript's), in positional form unless the decimal exponent is below -4 or above 15, where
 * Python writes `1e-05` and `1e+16` (JavaScript switches at other exponents and writes no leading zero).
 */
export function floatRepr(value: number): string {
  if (Number.isNaN(value)) return 'nan';
  if (!Number.isFinite(value)) return value > 0 ? 'inf' : '-inf';
  const sign = value < 0 || Object.is(value, -0) ? '-' : '';
  const [mantissa = '0', exponentText = '0'] = Math.abs(value).toExponential().split('e');
  const digits = mantissa.replace('.', '');
  const exponent = Number(exponentText);
  if (exponent < -4 || exponent > 15) {
    const fraction = digits.length > 1 ? `.${digits.slice(1)}` : '';
    const magnitude = String(Math.abs(exponent)).padStart(2, '0');
    return `${sign}${digits[0]}${fraction}e${exponent < 0 ? '-' : '+'}${magnitude}`;
  }
  if (exponent < 0) return `${sign}0.${'0'.repeat(-exponent - 1)}${digits}`;
  const integer = digits.slice(0, exponent + 1).padEnd(exponent + 1, '0');
  return `${sign}${integer}.${digits.slice(exponent + 1) || '0'}`;
}

/** Python's `repr` of a string: single quotes unless the text has `'` and no `"`. */
function stringRepr(text: string): string {
  const quote = text.includes("'") && !text.includes('"') ? '"' : "'";
  let body = '';
  for (const char of text) {
    const code = char.codePointAt(0) ?? 0;
    if (char === '\\') body += '\\\\';
    else if (char === quote) body += `\\${quote}`;
    else if (char === '\n') body += '\\n';
    else if (char === '\r') body += '\\r';
    else if (char === '\t') body += '\\t';
    else if (code < 0x20 || code === 0x7f) body += `\\x${code.toString(16).padStart(2, '0')}`;
    else body += char;
  }
  return `${quote}${body}${quote}`;
}

/** Python's `repr`, as Jinja2 shows values inside containers. */
export function pythonRepr(value: RuntimeValue): string {
  switch (value.type) {
    case 'StringValue':
      return stringRepr(value.value as string);
    case 'ArrayValue':
      return `[${(value.value as RuntimeValue[]).map(pythonRepr).join(', ')}]`;
    case 'TupleValue': {
      const items = (value.value as RuntimeValue[]).map(pythonRepr);
      return items.length === 1 ? `(${items[0]},)` : `(${items.join(', ')})`;
    }
    case 'ObjectValue':
    case 'KeywordArgumentsValue':
      return `{${[...(value.value as Map<string, RuntimeValue>)].map(([key, item]) => `${stringRepr(key)}: ${pythonRepr(item)}`).join(', ')}}`;
    default:
      return pythonStr(value);
  }
}

/** Python's `str`, as Jinja2 prints a value. */
export function pythonStr(value: RuntimeValue): string {
  switch (value.type) {
    case 'StringValue':
      return value.value as string;
    case 'NullValue':
      return 'None';
    case 'UndefinedValue':
      return '';
    case 'BooleanValue':
      return value.value ? 'True' : 'False';
    case 'IntegerValue':
      return String(value.value);
    case 'FloatValue':
      return floatRepr(value.value as number);
    case 'ArrayValue':
    case 'TupleValue':
    case 'ObjectValue':
    case 'KeywordArgumentsValue':
      return pythonRepr(value);
    default:
      return String(value.value);
  }
}

/** `format % arguments` for the conversions chat templates use: %s %r %d %i %f (with precision) and %%. */
export function percentFormat(format: string, args: readonly RuntimeValue[]): string {
  let next = 0;
  const take = (): RuntimeValue => {
    const arg = args[next++];
    if (arg === undefined) throw new Error('format: not enough arguments for format string');
    return arg;
  };
  const result = format.replace(
    /%(\.\d+)?([%srdif])/g,
    (_, precision: string | undefined, conversion: string) => {
      if (conversion === '%') return '%';
      const arg = take();
      switch (conversion) {
        case 's':
          return pythonStr(arg);
        case 'r':
          return pythonRepr(arg);
        case 'f':
          return Number(arg.value).toFixed(precision === undefined ? 6 : Number(precision.slice(1)));
        default: {
          const number = Number(arg.value);
          if (!Number.isFinite(number))
            throw new Error(`format: %${conversion} needs a number, got ${arg.type}`);
          return String(Math.trunc(number));
        }
      }
    },
  );
  if (next < args.length) throw new Error('format: not all arguments converted during string formatting');
  return result;
}
