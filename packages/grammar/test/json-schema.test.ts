import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { check, Grammar } from '../src/index.ts';
import { type Schema, schema, treeSchema, validator } from './schemas.ts';
import { completion, seeded, walk } from './walk.ts';

const valid = validator();

/** The grammar of `value`'s schema; `undefined` when the grammar finds no value matches it. */
function compiled(value: Schema): Grammar | undefined {
  try {
    return Grammar.compile({ tag: 'json-schema', val: JSON.stringify(value) });
  } catch (error) {
    if (error === 'json-schema: no text matches the constraint') return undefined;
    throw error;
  }
}

const errorOf = (value: unknown): string => {
  try {
    check({ tag: 'json-schema', val: JSON.stringify(value) });
    return 'accepted';
  } catch (thrown) {
    return String(thrown);
  }
};

/** `text` read whole, or why not. */
function reads(grammar: Grammar, text: string): 'complete' | 'prefix' | 'refused' {
  const matcher = grammar.matcher();
  if (!matcher.advanceText(text)) return 'refused';
  return matcher.isComplete() ? 'complete' : 'prefix';
}

describe('JSON Schema constraints, judged by ajv', () => {
  it('write only valid JSON: random schemas, random texts', () => {
    let checked = 0;
    fc.assert(
      fc.property(schema, fc.integer(), (value, seed) => {
        const grammar = compiled(value);
        if (grammar === undefined) return;
        const random = seeded(seed);
        for (let attempt = 0; attempt < 3; attempt++) {
          const matcher = grammar.matcher();
          const start = walk(matcher, random, 100).text;
          const rest = completion(matcher, random);
          expect(rest, `no completion of ${start} under ${JSON.stringify(value)}`).toBeDefined();
          const text = start + rest;
          expect(valid(value, JSON.parse(text)), `${text} under ${JSON.stringify(value)}`).toBe(true);
          checked++;
        }
      }),
      { numRuns: 300 },
    );
    expect(checked).toBeGreaterThan(500);
  });

  it('complete every prefix they allow into a valid value', () => {
    fc.assert(
      fc.property(schema, fc.integer(), (value, seed) => {
        const grammar = compiled(value);
        if (grammar === undefined) return;
        const random = seeded(seed);
        const matcher = grammar.matcher();
        const prefix = walk(matcher, random, random.below(40), 0).text;
        const rest = completion(matcher, random);
        expect(rest, `no completion of ${prefix} under ${JSON.stringify(value)}`).toBeDefined();
        expect(valid(value, JSON.parse(prefix + rest)), `${prefix}${rest}`).toBe(true);
      }),
      { numRuns: 300 },
    );
  });

  it('follow recursion through $ref', () => {
    const grammar = compiled(treeSchema) as Grammar;
    expect(
      reads(grammar, '{"label": "a", "children": [{"label": "b"}, {"label": "c", "children": []}]}'),
    ).toBe('complete');
    expect(reads(grammar, '{"label": "a", "children": [{"label": "b", "x"')).toBe('refused');
    const random = seeded(7);
    for (let run = 0; run < 50; run++) {
      const { text } = walk(grammar.matcher(), random, 300);
      expect(valid(treeSchema, JSON.parse(text))).toBe(true);
    }
  });

  it('write properties in order, the required ones always, extra ones after and never twice', () => {
    const person = {
      type: 'object',
      properties: { name: { type: 'string' }, nick: { type: 'string' }, age: { type: 'integer' } },
      required: ['name', 'age'],
    };
    const grammar = compiled(person) as Grammar;
    expect(grammar.matcher().forced()).toEqual({ text: '{"name": "', ends: false });
    expect(reads(grammar, '{"name": "A", "age": 3}')).toBe('complete');
    expect(reads(grammar, '{"name": "A", "nick": "B", "age": 3, "more": [1]}')).toBe('complete');
    expect(reads(grammar, '{"age"')).toBe('refused');
    expect(reads(grammar, '{"name": "A", "age": 3, "nick"')).toBe('refused');
    expect(reads(grammar, '{"name": "A", "age": 3, "x": 1, "x"')).toBe('refused');
    expect(reads(grammar, '{"name": "A", "age": 3, "x": 1, "xy"')).toBe('prefix');
    expect(reads(grammar, '{"name": "A"}')).toBe('refused');
    const closed = compiled({ ...person, required: ['name'], additionalProperties: false }) as Grammar;
    const matcher = closed.matcher();
    matcher.advanceText('{"name": "A", "age": 3');
    // More digits may follow; a string ends with its quote.
    expect(matcher.forced().text).toBe('');
    matcher.advanceText('}');
    expect(matcher.isComplete()).toBe(true);
    const afterNick = closed.matcher();
    afterNick.advanceText('{"name": "A", "nick": "B"');
    expect(afterNick.forced().text).toBe('');
    afterNick.advanceText(', ');
    expect(afterNick.forced().text).toBe('"age": ');
  });

  it('jump over what is the only way on: keys, separators, the rest of a unique enum value', () => {
    const grammar = compiled({
      type: 'object',
      properties: { colour: { enum: ['red', 'green', 'grey'] }, done: { const: true } },
      required: ['colour', 'done'],
      additionalProperties: false,
    }) as Grammar;
    const matcher = grammar.matcher();
    expect(matcher.forced().text).toBe('{"colour": "');
    matcher.advanceText('{"colour": "');
    expect(matcher.forced().text).toBe('');
    matcher.advanceText('gre');
    expect(matcher.forced().text).toBe('');
    matcher.advanceText('e');
    expect(matcher.forced()).toEqual({ text: 'n", "done": true}', ends: true });
  });

  it('write strings as JSON.stringify does: escapes for quotes, backslashes and controls only', () => {
    const grammar = compiled({ type: 'string' }) as Grammar;
    expect(reads(grammar, '"a\\"b\\\\c\\n\\u0001é😀"')).toBe('complete');
    expect(reads(grammar, '"\\/"')).toBe('refused');
    expect(reads(grammar, '"\\u0041"')).toBe('refused');
    expect(reads(grammar, '"\\u001F"')).toBe('refused');
    expect(reads(grammar, '"\\u001f"')).toBe('complete');
    expect(reads(grammar, '"\\u000a"')).toBe('refused');
    expect(reads(grammar, '"a\nb"')).toBe('refused');
    const bounded = compiled({ type: 'string', minLength: 2, maxLength: 3 }) as Grammar;
    expect(reads(bounded, '"😀"')).toBe('refused');
    expect(reads(bounded, '"😀\\n"')).toBe('complete');
    expect(reads(bounded, '"abcd')).toBe('refused');
  });

  it('keep numbers within their bounds exactly', () => {
    const integer = compiled({ type: 'integer', minimum: -5, exclusiveMaximum: 120 }) as Grammar;
    expect(reads(integer, '119')).toBe('complete');
    expect(reads(integer, '120')).toBe('refused');
    expect(reads(integer, '12')).toBe('complete');
    expect(reads(integer, '-6')).toBe('refused');
    expect(reads(integer, '-0')).toBe('complete');
    expect(reads(integer, '1.5')).toBe('refused');
    const number = compiled({ type: 'number', minimum: 0.1, maximum: 0.25 }) as Grammar;
    expect(reads(number, '0.1')).toBe('complete');
    expect(reads(number, '0.25')).toBe('complete');
    expect(reads(number, '0.251')).toBe('refused');
    expect(reads(number, '0.09')).toBe('refused');
    expect(reads(number, '0.2e1')).toBe('refused');
    expect(reads(compiled({ type: 'number' }) as Grammar, '-12.5e+3')).toBe('complete');
    expect(errorOf({ type: 'integer', minimum: 3, maximum: 2 })).toBe(
      'json-schema: no text matches the constraint',
    );
    expect(errorOf({ type: 'integer', maximum: 2 ** 60 })).toBe(
      'json-schema: /maximum: maximum 1152921504606847000 is beyond 2^53, where integers are not exact',
    );
  });

  it('write formats valid under their definitions: real calendar days, leap years', () => {
    const date = compiled({ type: 'string', format: 'date' }) as Grammar;
    expect(reads(date, '"2024-02-29"')).toBe('complete');
    expect(reads(date, '"2023-02-29"')).toBe('refused');
    expect(reads(date, '"2000-02-29"')).toBe('complete');
    expect(reads(date, '"1900-02-29"')).toBe('refused');
    expect(reads(date, '"2023-04-31"')).toBe('refused');
    expect(
      reads(compiled({ type: 'string', format: 'date-time' }) as Grammar, '"2023-04-30T23:59:59.5+05:30"'),
    ).toBe('complete');
    expect(
      reads(
        compiled({ type: 'string', format: 'uuid' }) as Grammar,
        '"123e4567-e89b-12d3-a456-426614174000"',
      ),
    ).toBe('complete');
  });

  it('refuse what they cannot honour, naming the keyword and its JSON pointer', () => {
    expect(errorOf({ type: 'object', properties: { a: { not: {} } } })).toBe(
      'json-schema: /properties/a/not: the keyword not is not supported',
    );
    expect(errorOf({ type: 'string', format: 'hostname' })).toMatch(
      /^json-schema: \/format: the format "hostname" is not supported \(supported: date, /,
    );
    expect(errorOf({ type: 'integer', multipleOf: 2 })).toBe(
      'json-schema: /multipleOf: the keyword multipleOf is not supported',
    );
    expect(errorOf({ type: 'strin' })).toMatch(/^json-schema: \/type: "strin" is no JSON Schema type/);
    expect(errorOf({ oneOf: [{ type: 'integer' }, { type: 'number' }] })).toMatch(
      /^json-schema: \/oneOf: oneOf subschemas 0 and 1 may both match a value/,
    );
    expect(errorOf({ oneOf: [{ type: 'integer' }, { type: 'string' }] })).toBe('accepted');
    expect(errorOf({ $ref: 'https://example.com/s.json' })).toMatch(/^json-schema: \/\$ref: \$ref "https:/);
    expect(errorOf({ $defs: { a: { anyOf: [{ $ref: '#/$defs/a' }] } }, $ref: '#/$defs/a' })).toBe(
      'json-schema: /$defs/a/anyOf/0/$ref: $ref "#/$defs/a" loops back to itself before any text is written',
    );
    expect(errorOf({ $ref: '#/$defs/missing' })).toBe(
      'json-schema: /$ref: $ref "#/$defs/missing" points to nothing',
    );
    expect(errorOf({ type: 'string', pattern: '(?<=a)b' })).toMatch(
      /^json-schema: \/pattern: the group \(\?<= at position 0 is not supported/,
    );
    expect(
      errorOf({
        type: 'object',
        properties: { a: { type: 'string' } },
        required: ['b'],
        additionalProperties: false,
      }),
    ).toBe('json-schema: no text matches the constraint');
    const notJson = (() => {
      try {
        check({ tag: 'json-schema', val: '{"type": ' });
        return 'accepted';
      } catch (thrown) {
        return String(thrown);
      }
    })();
    expect(notJson).toMatch(/^json-schema: the schema is not JSON: /);
  });
});
