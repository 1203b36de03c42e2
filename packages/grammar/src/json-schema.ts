/**
 * JSON Schema to grammar. What a keyword means is JSON Schema's (draft 2020-12, with the older spellings
 * real schemas still use: `definitions`, `items` as a list with `additionalItems`, boolean `exclusiveMinimum`,
 * OpenAPI's `nullable`); a keyword the grammar cannot honour is an error naming it and its JSON pointer,
 * never ignored. Annotations (`title`, `description`, `default`, `examples`, …, `x-*`) are ignored.
 *
 * What the grammar writes is a subset of what the schema allows, one way per value: properties in the
 * schema's order (any but the required may be left out; extra ones, where allowed, after them), JSON on one
 * line with `, ` and `: ` between items, strings escaped as `JSON.stringify` escapes them, numbers in the
 * forms of `numbers.ts`.
 */
import { Automaton } from './automaton.ts';
import { anyChar, type CharSet } from './charset.ts';
import { formats } from './formats.ts';
import { codePoints, type GrammarNode, literal, type Property, type Trie } from './grammar.ts';
import { type Bounds, NumberRules, numberStart } from './numbers.ts';
import { parseRegex, type RegexNode } from './regex.ts';

type Json = null | boolean | number | string | Json[] | { [key: string]: Json };
type Schema = boolean | { readonly [keyword: string]: Json };

const annotations = new Set([
  '$schema',
  '$comment',
  'title',
  'description',
  'default',
  'examples',
  'deprecated',
  'readOnly',
  'writeOnly',
  '$defs',
  'definitions',
]);

const jsonTypes = ['null', 'boolean', 'object', 'array', 'number', 'integer', 'string'] as const;
type JsonType = (typeof jsonTypes)[number];

/** The keywords each type honours; any keyword outside every list (and not an annotation) is refused. */
const keywordsOfType: Record<JsonType, readonly string[]> = {
  null: [],
  boolean: [],
  object: ['properties', 'required', 'additionalProperties'],
  array: ['items', 'prefixItems', 'additionalItems', 'minItems', 'maxItems'],
  number: ['minimum', 'maximum', 'exclusiveMinimum', 'exclusiveMaximum'],
  integer: ['minimum', 'maximum', 'exclusiveMinimum', 'exclusiveMaximum'],
  string: ['minLength', 'maxLength', 'pattern', 'format'],
};
const generalKeywords = new Set([
  'type',
  'nullable',
  'enum',
  'const',
  'anyOf',
  'oneOf',
  'allOf',
  '$ref',
  '$id',
]);
const typeKeywords = new Set(Object.values(keywordsOfType).flat());

export class SchemaError extends Error {
  constructor(pointer: string, message: string) {
    super(`${pointer === '' ? '/' : pointer}: ${message}`);
  }
}

const escapePointer = (token: string): string => token.replace(/~/g, '~0').replace(/\//g, '~1');

/** JSON on one line with the grammar's separators, as the grammar writes it. */
export function writeJson(value: Json): string {
  if (Array.isArray(value)) return `[${value.map(writeJson).join(', ')}]`;
  if (value !== null && typeof value === 'object') {
    return `{${Object.entries(value)
      .map(([key, item]) => `${JSON.stringify(key)}: ${writeJson(item)}`)
      .join(', ')}}`;
  }
  return JSON.stringify(value);
}

function typeOfValue(value: Json): JsonType {
  if (value === null) return 'null';
  if (Array.isArray(value)) return 'array';
  if (typeof value === 'number') return Number.isInteger(value) ? 'integer' : 'number';
  return typeof value as 'boolean' | 'string' | 'object';
}

/** The trie of `texts`, each ending with its index. */
export function trieOf(texts: readonly string[]): Trie {
  interface Building {
    readonly children: Map<number, Building>;
    value: number | undefined;
  }
  const root: Building = { children: new Map(), value: undefined };
  texts.forEach((text, index) => {
    let at = root;
    for (const codePoint of codePoints(text)) {
      let child = at.children.get(codePoint);
      if (child === undefined) {
        child = { children: new Map(), value: undefined };
        at.children.set(codePoint, child);
      }
      at = child;
    }
    at.value ??= index;
  });
  return root;
}

const nothing: GrammarNode = { kind: 'alternatives', options: [] };

/** `pattern`: the content contains a match anywhere, as `RegExp.prototype.test` finds one. */
function searchOf(pattern: RegexNode): RegexNode {
  const anything: RegexNode = {
    kind: 'repeat',
    item: { kind: 'chars', set: anyChar as CharSet },
    min: 0,
    max: Infinity,
  };
  return { kind: 'sequence', items: [anything, pattern, anything] };
}

class Compiler {
  readonly #root: Schema;
  /** Compiled `$ref` targets by pointer (a reference while being compiled). */
  readonly #targets = new Map<string, Extract<GrammarNode, { kind: 'reference' }>>();
  readonly #anyValue: GrammarNode;

  constructor(root: Schema) {
    this.#root = root;
    this.#anyValue = anyJsonValue();
  }

  compile(): GrammarNode {
    return this.#schema(this.#root, '', new Set(['']));
  }

  /**
   * `schema` at `pointer`. `unguarded` holds the `$ref` targets entered since the text last moved on: one
   * of them again would be a loop that reads nothing.
   */
  #schema(schema: Json | undefined, pointer: string, unguarded: ReadonlySet<string>): GrammarNode {
    if (schema === true) return this.#anyValue;
    if (schema === false) return nothing;
    if (schema === null || typeof schema !== 'object' || Array.isArray(schema)) {
      throw new SchemaError(pointer, `a schema is an object or a boolean, not ${JSON.stringify(schema)}`);
    }
    for (const keyword of Object.keys(schema)) {
      if (annotations.has(keyword) || keyword.startsWith('x-')) continue;
      if (!generalKeywords.has(keyword) && !typeKeywords.has(keyword)) {
        throw new SchemaError(
          `${pointer}/${escapePointer(keyword)}`,
          `the keyword ${keyword} is not supported`,
        );
      }
    }
    if ('$id' in schema && pointer !== '') {
      throw new SchemaError(`${pointer}/$id`, '$id inside a schema is not supported (references are local)');
    }
    const constraints = Object.keys(schema).filter(
      (keyword) => !annotations.has(keyword) && !keyword.startsWith('x-') && keyword !== '$id',
    );
    for (const combinator of ['$ref', 'anyOf', 'oneOf', 'allOf'] as const) {
      if (!(combinator in schema)) continue;
      const others = constraints.filter((keyword) => keyword !== combinator);
      if (others.length > 0) {
        throw new SchemaError(
          `${pointer}/${escapePointer(others[0] as string)}`,
          `${others[0]} beside ${combinator} is not supported; move it into the ${combinator === '$ref' ? 'referenced schema' : 'subschemas'}`,
        );
      }
      return this.#combinator(combinator, schema[combinator], pointer, unguarded);
    }
    const types = this.#types(schema, pointer);
    if ('enum' in schema || 'const' in schema) return this.#values(schema, types, pointer, constraints);
    const options = types.map((type) => this.#typed(type, schema, pointer));
    return options.length === 1 ? (options[0] as GrammarNode) : { kind: 'alternatives', options };
  }

  #combinator(
    combinator: '$ref' | 'anyOf' | 'oneOf' | 'allOf',
    value: Json | undefined,
    pointer: string,
    unguarded: ReadonlySet<string>,
  ): GrammarNode {
    const at = `${pointer}/${combinator}`;
    if (combinator === '$ref') {
      if (typeof value !== 'string') throw new SchemaError(at, '$ref must be a string');
      return this.#reference(value, at, unguarded);
    }
    if (!Array.isArray(value) || value.length === 0) {
      throw new SchemaError(at, `${combinator} must be a non-empty array of schemas`);
    }
    if (combinator === 'allOf') {
      if (value.length > 1) {
        throw new SchemaError(at, 'allOf with more than one schema is not supported; merge them into one');
      }
      return this.#schema(value[0], `${at}/0`, unguarded);
    }
    const options = value.map((option, index) => this.#schema(option, `${at}/${index}`, unguarded));
    if (combinator === 'oneOf') this.#checkDisjoint(value, at);
    return { kind: 'alternatives', options };
  }

  /**
   * oneOf means exactly one: the grammar writes a value of any one subschema, so no two may share a value.
   * Two subschemas are known apart when their types do not meet, or when both are objects that require a
   * property with a `const` or `enum` and no value in common (a discriminator).
   */
  #checkDisjoint(options: readonly Json[], at: string): void {
    const resolved = options.map((option) => this.#resolve(option));
    for (let a = 0; a < resolved.length; a++) {
      for (let b = a + 1; b < resolved.length; b++) {
        if (!disjoint(resolved[a], resolved[b])) {
          throw new SchemaError(
            at,
            `oneOf subschemas ${a} and ${b} may both match a value, which oneOf forbids; use anyOf if either will do, or tell them apart by type or by a required property's const`,
          );
        }
      }
    }
  }

  /** `schema`, or what its `$ref` points to (one level deep, for telling subschemas apart). */
  #resolve(schema: Json): Json {
    if (
      schema !== null &&
      typeof schema === 'object' &&
      !Array.isArray(schema) &&
      typeof schema.$ref === 'string'
    ) {
      return this.#lookUp(schema.$ref, '') ?? schema;
    }
    return schema;
  }

  #lookUp(ref: string, at: string): Json | undefined {
    if (!ref.startsWith('#')) return undefined;
    let target: Json | undefined = this.#root as Json;
    const path = ref.slice(1);
    if (path !== '' && !path.startsWith('/')) {
      throw new SchemaError(
        at,
        `$ref ${JSON.stringify(ref)}: only JSON pointers within the document are supported`,
      );
    }
    for (const raw of path === '' ? [] : path.slice(1).split('/')) {
      const token = decodeURIComponent(raw).replace(/~1/g, '/').replace(/~0/g, '~');
      if (target === null || typeof target !== 'object') return undefined;
      target = Array.isArray(target) ? target[Number(token)] : target[token];
    }
    return target;
  }

  #reference(ref: string, at: string, unguarded: ReadonlySet<string>): GrammarNode {
    if (!ref.startsWith('#')) {
      throw new SchemaError(
        at,
        `$ref ${JSON.stringify(ref)}: only references within the document (#…) are supported`,
      );
    }
    const pointer = ref.slice(1);
    if (unguarded.has(pointer)) {
      throw new SchemaError(
        at,
        `$ref ${JSON.stringify(ref)} loops back to itself before any text is written`,
      );
    }
    const known = this.#targets.get(pointer);
    if (known !== undefined) return known;
    const target = this.#lookUp(ref, at);
    if (target === undefined) throw new SchemaError(at, `$ref ${JSON.stringify(ref)} points to nothing`);
    const reference: Extract<GrammarNode, { kind: 'reference' }> = {
      kind: 'reference',
      target: { node: undefined },
    };
    this.#targets.set(pointer, reference);
    reference.target.node = this.#schema(target, pointer, new Set([...unguarded, pointer]));
    return reference;
  }

  #types(schema: { readonly [keyword: string]: Json }, pointer: string): JsonType[] {
    const declared = schema.type;
    let types: JsonType[];
    if (declared === undefined) types = jsonTypes.filter((type) => type !== 'integer');
    else {
      const list = Array.isArray(declared) ? declared : [declared];
      for (const type of list) {
        if (!jsonTypes.includes(type as JsonType)) {
          throw new SchemaError(
            `${pointer}/type`,
            `${JSON.stringify(type)} is no JSON Schema type (${jsonTypes.join(', ')})`,
          );
        }
      }
      types = list as JsonType[];
      // A number may be an integer: listing both is listing number.
      if (types.includes('number')) types = types.filter((type) => type !== 'integer');
    }
    if (schema.nullable === true && !types.includes('null')) types = [...types, 'null'];
    else if ('nullable' in schema && typeof schema.nullable !== 'boolean') {
      throw new SchemaError(`${pointer}/nullable`, 'nullable must be true or false');
    }
    return [...new Set(types)];
  }

  /** `enum` or `const`: the values, of the schema's types, written as the grammar writes JSON. */
  #values(
    schema: { readonly [keyword: string]: Json },
    types: readonly JsonType[],
    pointer: string,
    constraints: readonly string[],
  ): GrammarNode {
    const keyword = 'const' in schema ? 'const' : 'enum';
    const other = constraints.find((name) => !['enum', 'const', 'type', 'nullable'].includes(name));
    if (other !== undefined) {
      throw new SchemaError(
        `${pointer}/${escapePointer(other)}`,
        `${other} beside ${keyword} is not supported`,
      );
    }
    const listed = keyword === 'const' ? [schema.const as Json] : schema.enum;
    if (!Array.isArray(listed) || listed.length === 0) {
      throw new SchemaError(`${pointer}/enum`, 'enum must be a non-empty array');
    }
    let values = listed.filter((value) => {
      const type = typeOfValue(value);
      return types.includes(type) || (type === 'integer' && types.includes('number'));
    });
    if ('enum' in schema && 'const' in schema) {
      const constant = writeJson(schema.const as Json);
      values = values.filter((value) => writeJson(value) === constant);
    }
    return { kind: 'literals', trie: trieOf(values.map(writeJson)) };
  }

  #typed(type: JsonType, schema: { readonly [keyword: string]: Json }, pointer: string): GrammarNode {
    switch (type) {
      case 'null':
        return literal('null');
      case 'boolean':
        return { kind: 'literals', trie: trieOf(['true', 'false']) };
      case 'string':
        return this.#string(schema, pointer);
      case 'number':
      case 'integer':
        return this.#number(type === 'integer', schema, pointer);
      case 'array':
        return this.#array(schema, pointer);
      case 'object':
        return this.#object(schema, pointer);
    }
  }

  #count(schema: { readonly [keyword: string]: Json }, keyword: string, pointer: string): number | undefined {
    const value = schema[keyword];
    if (value === undefined) return undefined;
    if (typeof value !== 'number' || !Number.isInteger(value) || value < 0) {
      throw new SchemaError(
        `${pointer}/${keyword}`,
        `${keyword} must be a whole number ≥ 0, not ${JSON.stringify(value)}`,
      );
    }
    return value;
  }

  #string(schema: { readonly [keyword: string]: Json }, pointer: string): GrammarNode {
    const minLength = this.#count(schema, 'minLength', pointer) ?? 0;
    const maxLength = this.#count(schema, 'maxLength', pointer) ?? Infinity;
    const { pattern, format } = schema;
    if (pattern !== undefined && format !== undefined) {
      throw new SchemaError(
        `${pointer}/format`,
        'format beside pattern is not supported; fold the format into the pattern',
      );
    }
    let content: Automaton | undefined;
    if (pattern !== undefined) {
      if (typeof pattern !== 'string')
        throw new SchemaError(`${pointer}/pattern`, 'pattern must be a string');
      content = new Automaton(searchOf(this.#regex(pattern, `${pointer}/pattern`)));
    } else if (format !== undefined) {
      const source = typeof format === 'string' ? formats[format] : undefined;
      if (source === undefined) {
        throw new SchemaError(
          `${pointer}/format`,
          `the format ${JSON.stringify(format)} is not supported (supported: ${Object.keys(formats).join(', ')})`,
        );
      }
      content = new Automaton(parseRegex(source));
    }
    return { kind: 'string', content, minLength, maxLength };
  }

  #regex(source: string, at: string): RegexNode {
    try {
      return parseRegex(source);
    } catch (error) {
      throw new SchemaError(at, error instanceof Error ? error.message : String(error));
    }
  }

  #number(integer: boolean, schema: { readonly [keyword: string]: Json }, pointer: string): GrammarNode {
    const bound = (keyword: string): number | undefined => {
      const value = schema[keyword];
      if (value === undefined || typeof value === 'boolean') return undefined;
      if (typeof value !== 'number' || !Number.isFinite(value)) {
        throw new SchemaError(
          `${pointer}/${keyword}`,
          `${keyword} must be a number, not ${JSON.stringify(value)}`,
        );
      }
      if (integer && Math.abs(value) > Number.MAX_SAFE_INTEGER) {
        throw new SchemaError(
          `${pointer}/${keyword}`,
          `${keyword} ${value} is beyond 2^53, where integers are not exact`,
        );
      }
      return value;
    };
    const bounds: { -readonly [K in keyof Bounds]: Bounds[K] } = {};
    const minimum = bound('minimum');
    const maximum = bound('maximum');
    const exclusiveMinimum = bound('exclusiveMinimum');
    const exclusiveMaximum = bound('exclusiveMaximum');
    if (minimum !== undefined) bounds.minimum = minimum;
    if (maximum !== undefined) bounds.maximum = maximum;
    // The 2020-12 form (a number) and the draft-4 form (true beside minimum/maximum).
    if (exclusiveMinimum !== undefined && (minimum === undefined || exclusiveMinimum >= minimum)) {
      bounds.minimum = exclusiveMinimum;
      bounds.exclusiveMinimum = true;
    } else if (schema.exclusiveMinimum === true) bounds.exclusiveMinimum = true;
    if (exclusiveMaximum !== undefined && (maximum === undefined || exclusiveMaximum <= maximum)) {
      bounds.maximum = exclusiveMaximum;
      bounds.exclusiveMaximum = true;
    } else if (schema.exclusiveMaximum === true) bounds.exclusiveMaximum = true;
    const rules = new NumberRules({ integer, bounds: Object.keys(bounds).length === 0 ? undefined : bounds });
    return rules.feasible(numberStart) ? { kind: 'number', rules } : nothing;
  }

  #array(schema: { readonly [keyword: string]: Json }, pointer: string): GrammarNode {
    const { items, prefixItems, additionalItems } = schema;
    let prefix: Json[] = [];
    let rest: Json | undefined = items;
    let restAt = `${pointer}/items`;
    if (prefixItems !== undefined) {
      if (!Array.isArray(prefixItems))
        throw new SchemaError(`${pointer}/prefixItems`, 'prefixItems must be an array');
      prefix = prefixItems;
    } else if (Array.isArray(items)) {
      prefix = items;
      rest = additionalItems;
      restAt = `${pointer}/additionalItems`;
    }
    const prefixAt = prefixItems !== undefined ? 'prefixItems' : 'items';
    const minItems = this.#count(schema, 'minItems', pointer) ?? 0;
    const maxItems = this.#count(schema, 'maxItems', pointer) ?? Infinity;
    return {
      kind: 'array',
      prefix: prefix.map((item, index) => this.#schema(item, `${pointer}/${prefixAt}/${index}`, new Set())),
      items: rest === undefined ? this.#anyValue : this.#schema(rest, restAt, new Set()),
      minItems,
      maxItems,
    };
  }

  #object(schema: { readonly [keyword: string]: Json }, pointer: string): GrammarNode {
    const { properties = {}, required = [], additionalProperties } = schema;
    if (properties === null || typeof properties !== 'object' || Array.isArray(properties)) {
      throw new SchemaError(`${pointer}/properties`, 'properties must be an object of schemas');
    }
    if (!Array.isArray(required) || required.some((name) => typeof name !== 'string')) {
      throw new SchemaError(`${pointer}/required`, 'required must be an array of property names');
    }
    const additional =
      additionalProperties === undefined
        ? this.#anyValue
        : this.#schema(additionalProperties, `${pointer}/additionalProperties`, new Set());
    const names = [
      ...Object.keys(properties),
      ...(required as string[]).filter((name) => !(name in properties)),
    ];
    const listed: Property[] = [...new Set(names)].map((name) => ({
      name,
      key: codePoints(JSON.stringify(name)),
      value:
        name in properties
          ? this.#schema(properties[name], `${pointer}/properties/${escapePointer(name)}`, new Set())
          : additional,
      required: required.includes(name),
    }));
    return { kind: 'object', properties: listed, additional, excluded: [], keyTries: new Map() };
  }
}

/** Any JSON value, as the grammar writes JSON. */
export function anyJsonValue(): GrammarNode {
  const value: Extract<GrammarNode, { kind: 'reference' }> = {
    kind: 'reference',
    target: { node: undefined },
  };
  value.target.node = {
    kind: 'alternatives',
    options: [
      { kind: 'object', properties: [], additional: value, excluded: [], keyTries: new Map() },
      { kind: 'array', prefix: [], items: value, minItems: 0, maxItems: Infinity },
      { kind: 'string', content: undefined, minLength: 0, maxLength: Infinity },
      { kind: 'number', rules: new NumberRules({ integer: false, bounds: undefined }) },
      { kind: 'literals', trie: trieOf(['true', 'false', 'null']) },
    ],
  };
  return value;
}

/** The written values a schema allows, when it lists them (`const`, `enum`). */
function listedValues(schema: Json): Set<string> | undefined {
  if (schema === null || typeof schema !== 'object' || Array.isArray(schema)) return undefined;
  if ('const' in schema) return new Set([writeJson(schema.const as Json)]);
  if (Array.isArray(schema.enum)) return new Set(schema.enum.map(writeJson));
  return undefined;
}

/** The types a schema allows (integer counted as number); `undefined` when it does not say. */
function typesOf(schema: Json): Set<string> | undefined {
  if (schema === null || typeof schema !== 'object' || Array.isArray(schema)) return undefined;
  const asNumber = (type: string) => (type === 'integer' ? 'number' : type);
  const values = listedValues(schema);
  if (values !== undefined)
    return new Set([...values].map((text) => asNumber(typeOfValue(JSON.parse(text) as Json))));
  if (schema.type === undefined) return undefined;
  const types = new Set(
    (Array.isArray(schema.type) ? schema.type : [schema.type]).map((type) => asNumber(String(type))),
  );
  if (schema.nullable === true) types.add('null');
  return types;
}

/** The values a schema's required property `name` is limited to, when it lists them. */
function requiredValues(schema: Json, name: string): Set<string> | undefined {
  if (schema === null || typeof schema !== 'object' || Array.isArray(schema)) return undefined;
  const { properties, required } = schema;
  if (!Array.isArray(required) || !required.includes(name)) return undefined;
  if (properties === null || typeof properties !== 'object' || Array.isArray(properties)) return undefined;
  return listedValues(properties[name] as Json);
}

const meet = (a: Set<string>, b: Set<string>): boolean => [...a].some((item) => b.has(item));

/** Whether no value can match both schemas, as far as their types, listed values and discriminators tell. */
function disjoint(a: Json | undefined, b: Json | undefined): boolean {
  if (a === false || b === false) return true;
  if (a === undefined || b === undefined) return false;
  const valuesA = listedValues(a);
  const valuesB = listedValues(b);
  if (valuesA !== undefined && valuesB !== undefined) return !meet(valuesA, valuesB);
  const typesA = typesOf(a);
  const typesB = typesOf(b);
  if (typesA !== undefined && typesB !== undefined && !meet(typesA, typesB)) return true;
  if (typesA?.size !== 1 || !typesA.has('object') || typesB?.size !== 1 || !typesB.has('object'))
    return false;
  const properties = (a as { properties?: Record<string, Json> }).properties ?? {};
  return Object.keys(properties).some((name) => {
    const namedA = requiredValues(a, name);
    const namedB = requiredValues(b, name);
    return namedA !== undefined && namedB !== undefined && !meet(namedA, namedB);
  });
}

/** The grammar of a JSON Schema given as JSON text; a `SchemaError` names what is wrong and where. */
export function compileJsonSchema(text: string): GrammarNode {
  let schema: Json;
  try {
    schema = JSON.parse(text) as Json;
  } catch (error) {
    throw new Error(`the schema is not JSON: ${error instanceof Error ? error.message : String(error)}`);
  }
  if (
    typeof schema !== 'boolean' &&
    (schema === null || typeof schema !== 'object' || Array.isArray(schema))
  ) {
    throw new SchemaError('', `a schema is an object or a boolean, not ${JSON.stringify(schema)}`);
  }
  return new Compiler(schema).compile();
}
