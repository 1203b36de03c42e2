/**
 * JSON text to template values, as Python's `json.loads` gives them: a number written with a fraction or an
 * exponent stays a float (`JsonFloat`, so `tojson` writes `1.0` back as `1.0`), an integer too large for a
 * double stays exact (a `bigint`), and object members keep their order (`JsonObject`; a plain object would
 * put integer-like keys first). A number beyond a double's range is not JSON, as for serde_json (Pie's
 * parser), rather than Python's infinity.
 */

/** A JSON string literal: no raw control characters (U+0000–U+001F), only JSON's escapes. */
// biome-ignore lint/suspicious/noControlCharactersInRegex: JSON forbids exactly these characters raw in a string.
const jsonString = /^"(?:[^"\\\u0000-\u001f]|\\(?:["\\/bfnrt]|u[0-9a-fA-F]{4}))*"/;
const literals = [
  ['true', true],
  ['false', false],
  ['null', null],
] as const;

export class JsonFloat {
  constructor(readonly value: number) {}
}

export class JsonObject {
  constructor(readonly entries: readonly (readonly [string, unknown])[]) {}
}

export type JsonValue = null | boolean | number | bigint | string | JsonFloat | JsonObject | JsonValue[];

/** Parses `text`, which must be one JSON value; anything else throws a `SyntaxError` naming the offset. */
export function parseJson(text: string): JsonValue {
  let at = 0;
  const fail = (what: string): never => {
    throw new SyntaxError(`invalid JSON at offset ${at}: ${what}`);
  };
  const skipSpace = () => {
    while (at < text.length && ' \t\n\r'.includes(text[at] ?? '')) at++;
  };
  const expect = (literal: string) => {
    if (!text.startsWith(literal, at)) fail(`expected ${literal}`);
    at += literal.length;
  };
  const parseString = (): string => {
    const match = jsonString.exec(text.slice(at));
    if (match === null) return fail('bad string');
    at += match[0].length;
    return JSON.parse(match[0]) as string;
  };
  const parseValue = (): JsonValue => {
    skipSpace();
    const char = text[at];
    if (char === '{') {
      at++;
      const entries: [string, unknown][] = [];
      skipSpace();
      if (text[at] === '}') {
        at++;
        return new JsonObject(entries);
      }
      for (;;) {
        skipSpace();
        const key = parseString();
        skipSpace();
        expect(':');
        entries.push([key, parseValue()]);
        skipSpace();
        if (text[at] === '}') {
          at++;
          return new JsonObject(entries);
        }
        expect(',');
      }
    }
    if (char === '[') {
      at++;
      const items: JsonValue[] = [];
      skipSpace();
      if (text[at] === ']') {
        at++;
        return items;
      }
      for (;;) {
        items.push(parseValue());
        skipSpace();
        if (text[at] === ']') {
          at++;
          return items;
        }
        expect(',');
      }
    }
    if (char === '"') return parseString();
    for (const [literal, value] of literals) {
      if (text.startsWith(literal, at)) {
        at += literal.length;
        return value;
      }
    }
    const number = /^-?(?:0|[1-9]\d*)(\.\d+)?([eE][+-]?\d+)?/.exec(text.slice(at));
    if (number === null) return fail('unexpected character');
    const value = Number(number[0]);
    if (!Number.isFinite(value)) return fail(`number ${number[0]} is out of range`);
    at += number[0].length;
    if (number[1] !== undefined || number[2] !== undefined) return new JsonFloat(value);
    return Number.isSafeInteger(value) ? value : BigInt(number[0]);
  };
  const value = parseValue();
  skipSpace();
  if (at !== text.length) fail('unexpected text after the value');
  return value;
}
