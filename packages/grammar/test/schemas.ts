/**
 * Random JSON Schemas from the subset the grammar supports, and ajv (a well-kept validator, not ours) as
 * the judge of what they allow.
 */
import { Ajv2020 } from 'ajv/dist/2020.js';
import addFormats from 'ajv-formats';
import fc from 'fast-check';

export type Schema = Record<string, unknown>;

/** ajv for draft 2020-12 with the formats, strict about nothing but the schema's own keywords. */
export function validator(): (schema: Schema, value: unknown) => boolean {
  const ajv = new Ajv2020({ strict: false, allErrors: false, validateFormats: true });
  (addFormats as unknown as (ajv: Ajv2020) => void)(ajv);
  return (schema, value) => {
    // As JSON text, as the grammar gets it: fast-check's dictionaries have no prototype, which ajv's enum
    // comparison would hold against an equal parsed object.
    const validate = ajv.compile(JSON.parse(JSON.stringify(schema)) as Schema);
    return validate(value) as boolean;
  };
}

const names = fc.constantFrom('name', 'age', 'id', 'tags', 'a', 'é', 'with space', 'quote"d');
/** Patterns a random walk completes (a walk rarely types three digits in a row). */
const patterns = fc.constantFrom(
  '^[a-z]+$',
  '\\d',
  '^a',
  'b$',
  '^(yes|no)$',
  '^[A-Z][a-z]*( [A-Z][a-z]*)*$',
  'x',
);
const formatNames = fc.constantFrom('date', 'date-time', 'email', 'uuid', 'time', 'ipv4');
const smallCount = fc.integer({ min: 0, max: 4 });
const optional = <T>(arbitrary: fc.Arbitrary<T>) => fc.option(arbitrary, { nil: undefined });

/** Removes the keys whose value is `undefined`. */
const defined = (record: Record<string, unknown>): Schema =>
  Object.fromEntries(Object.entries(record).filter(([, value]) => value !== undefined));

const stringSchema = fc.oneof(
  fc
    .record({ minLength: optional(smallCount), maxLength: optional(fc.integer({ min: 0, max: 8 })) })
    .map((bounds) => defined({ type: 'string', ...bounds })),
  fc
    .record({ pattern: patterns, maxLength: optional(fc.integer({ min: 1, max: 12 })) })
    .map((rest) => defined({ type: 'string', ...rest })),
  formatNames.map((format) => ({ type: 'string', format })),
);

const bound = fc.oneof(fc.integer({ min: -1000, max: 1000 }), fc.constantFrom(0.5, -2.25, 0.1, 1e-3, 99.99));
const numberSchema = fc
  .record({
    type: fc.constantFrom('integer', 'number'),
    minimum: optional(bound),
    maximum: optional(bound),
    exclusiveMinimum: optional(bound),
  })
  .map(defined);

/** JSON values whose strings a walk can type (its alphabet). */
const jsonValue = fc.letrec<{ value: unknown }>((tie) => ({
  value: fc.oneof(
    { depthSize: 'small' },
    fc.constantFrom(null, true, false),
    fc.integer({ min: -99, max: 99 }),
    fc.double({ min: -10, max: 10, noNaN: true }),
    fc.string({ unit: fc.constantFrom('a', 'b', 'Z', ' ', '"', 'é'), maxLength: 4 }),
    fc.array(tie('value'), { maxLength: 3 }),
    fc.dictionary(fc.string({ unit: fc.constantFrom('a', 'b', 'Z'), maxLength: 3 }), tie('value'), {
      maxKeys: 3,
    }),
  ),
})).value;

const literalSchema = fc.oneof(
  fc.constantFrom(
    { type: 'boolean' },
    { type: 'null' },
    { type: ['string', 'null'] },
    { type: 'string', nullable: true },
  ),
  fc.array(jsonValue, { minLength: 1, maxLength: 4 }).map((values) => ({ enum: values })),
  jsonValue.map((value) => ({ const: value })),
);

export const schema: fc.Arbitrary<Schema> = fc.letrec<{ any: Schema }>((tie) => ({
  any: fc.oneof(
    { depthSize: 'small', withCrossShrink: true },
    stringSchema,
    numberSchema,
    literalSchema,
    fc
      .record({
        properties: fc.dictionary(names, tie('any'), { maxKeys: 4 }),
        requiredMask: fc.array(fc.boolean(), { maxLength: 4 }),
        additionalProperties: fc.oneof(
          fc.constant(undefined),
          fc.constant(false),
          fc.constant(true),
          tie('any'),
        ),
      })
      .map(({ properties, requiredMask, additionalProperties }) =>
        defined({
          type: 'object',
          properties,
          required: Object.keys(properties).filter((_, index) => requiredMask[index]),
          additionalProperties,
        }),
      ),
    fc
      .record({
        items: tie('any'),
        minItems: optional(fc.integer({ min: 0, max: 2 })),
        maxItems: optional(fc.integer({ min: 0, max: 4 })),
      })
      .map((array) => defined({ type: 'array', ...array })),
    fc
      .record({
        prefixItems: fc.array(tie('any'), { minLength: 1, maxLength: 3 }),
        items: fc.constantFrom(false, undefined),
      })
      .map((array) => defined({ type: 'array', ...array })),
    fc.array(tie('any'), { minLength: 1, maxLength: 3 }).map((options) => ({ anyOf: options })),
  ),
})).any;

/** A recursive schema: a tree whose nodes have children. */
export const treeSchema: Schema = {
  $defs: {
    node: {
      type: 'object',
      properties: {
        label: { type: 'string', maxLength: 3 },
        children: { type: 'array', items: { $ref: '#/$defs/node' }, maxItems: 2 },
      },
      required: ['label'],
      additionalProperties: false,
    },
  },
  $ref: '#/$defs/node',
};
