/**
 * `tojson` as the reference engine (minijinja) writes it: compact separators, object keys sorted by code
 * point, non-ASCII kept, and `<`, `>`, `&`, `'` escaped as `\u003c`, `\u003e`, `\u0026`, `\u0027` so that
 * the output is safe inside HTML; floats as Python writes them (`1e-07`), as the reference renderer does.
 */
import { floatRepr } from './python.ts';

/** The shape of @huggingface/jinja's runtime values that serialization reads. */
export interface RuntimeValue {
  readonly type: string;
  readonly value: unknown;
}

const htmlEscapes: Record<string, string> = {
  '<': '\\u003c',
  '>': '\\u003e',
  '&': '\\u0026',
  "'": '\\u0027',
};

const quote = (text: string): string =>
  JSON.stringify(text).replace(/[<>&']/g, (char) => htmlEscapes[char] ?? char);

/** Orders strings by Unicode code point (JavaScript's `<` orders by UTF-16 unit, which differs above U+FFFF). */
export function compareCodePoints(a: string, b: string): number {
  const left = [...a];
  const right = [...b];
  for (let index = 0; index < Math.min(left.length, right.length); index++) {
    const difference = (left[index]?.codePointAt(0) ?? 0) - (right[index]?.codePointAt(0) ?? 0);
    if (difference !== 0) return difference;
  }
  return left.length - right.length;
}

function formatFloat(value: number): string {
  if (!Number.isFinite(value)) throw new Error(`tojson: cannot serialize ${value}`);
  return floatRepr(value);
}

/** Serializes a runtime value; `indent` (spaces) pretty-prints as serde_json does. */
export function toJson(input: RuntimeValue, indent?: number, depth = 0): string {
  const newline = indent === undefined ? '' : `\n${' '.repeat(indent * (depth + 1))}`;
  const closing = indent === undefined ? '' : `\n${' '.repeat(indent * depth)}`;
  const keySeparator = indent === undefined ? ':' : ': ';
  switch (input.type) {
    case 'NullValue':
    case 'UndefinedValue':
      return 'null';
    case 'BooleanValue':
      return input.value ? 'true' : 'false';
    case 'IntegerValue':
      return String(input.value);
    case 'FloatValue':
      return formatFloat(input.value as number);
    case 'StringValue':
      return quote(input.value as string);
    case 'ArrayValue': {
      const items = input.value as RuntimeValue[];
      if (items.length === 0) return '[]';
      return `[${items.map((item) => newline + toJson(item, indent, depth + 1)).join(',')}${closing}]`;
    }
    case 'ObjectValue':
    case 'NamespaceValue': {
      const entries = [...(input.value as Map<string, RuntimeValue>)].sort(([a], [b]) =>
        compareCodePoints(a, b),
      );
      if (entries.length === 0) return '{}';
      const members = entries.map(
        ([key, value]) => `${newline}${quote(key)}${keySeparator}${toJson(value, indent, depth + 1)}`,
      );
      return `{${members.join(',')}${closing}}`;
    }
    default:
      throw new Error(`tojson: cannot serialize a ${input.type}`);
  }
}
