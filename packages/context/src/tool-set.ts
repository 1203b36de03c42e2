/** The tools a conversation offers (`inferlib:context/tools.set-tools`), checked, and how they are rendered. */
import { check } from 'inferlib:grammar/matcher';
import { messageOf } from './checks.ts';
import type { Tool, TurnSyntax } from './turn-syntax.ts';

export interface ToolSet {
  /** The JSON array as the user gave it: the template's `tools` variable. */
  readonly json: string;
  readonly tools: readonly Tool[];
  /** The system message text that describes them, for a template that renders no `tools`. */
  readonly systemPrompt: string | undefined;
}

/** What OpenAI and Hugging Face accept as a function name. */
const toolName = /^[A-Za-z0-9_-]{1,64}$/;

const isObject = (value: unknown): value is Record<string, unknown> =>
  typeof value === 'object' && value !== null && !Array.isArray(value);

/** The tools of `json`, checked; each error names `call`, the tool's index and what is wrong. */
export function parseTools(call: string, json: string): { tools: Tool[]; definitions: string[] } {
  let parsed: unknown;
  try {
    parsed = JSON.parse(json);
  } catch (error) {
    throw new Error(`${call}: tools are not JSON (${messageOf(error)})`);
  }
  if (!Array.isArray(parsed))
    throw new Error(`${call}: tools must be a JSON array, not ${json.slice(0, 40)}`);
  const names = new Set<string>();
  const tools = parsed.map((item: unknown, index): Tool => {
    const at = `${call}: tools[${index}]`;
    if (!isObject(item) || item.type !== 'function' || !isObject(item.function)) {
      throw new Error(`${at} is not {"type": "function", "function": {…}}`);
    }
    const { name, parameters } = item.function;
    if (typeof name !== 'string' || !toolName.test(name)) {
      throw new Error(`${at}.function.name ${JSON.stringify(name)} is not 1 to 64 of a-z A-Z 0-9 _ -`);
    }
    if (names.has(name)) throw new Error(`${at}.function.name ${JSON.stringify(name)} is there twice`);
    names.add(name);
    const schema = parameters ?? { type: 'object', properties: {} };
    if (!isObject(schema) || schema.type !== 'object') {
      throw new Error(`${at}.function.parameters must be a JSON Schema with "type": "object"`);
    }
    const text = JSON.stringify(closed(schema));
    try {
      check({ tag: 'json-schema', val: text });
    } catch (error) {
      throw new Error(`${at}.function.parameters: ${messageOf(error)}`);
    }
    return { name, parameters: text };
  });
  return { tools, definitions: parsed.map((item) => JSON.stringify(item)) };
}

/** Subschema lists and maps a schema holds, each a schema (JSON Schema 2020-12's applicators). */
const schemaLists = ['anyOf', 'oneOf', 'prefixItems'] as const;
const schemaMaps = ['properties', '$defs', 'definitions'] as const;
const schemaValues = ['items', 'not', 'additionalProperties', 'then', 'else', 'if'] as const;

/**
 * `schema` with `"additionalProperties": false` in every object schema that says nothing of other properties,
 * as xgrammar's strict mode (vLLM's default) and OpenAI's strict function calling take a tool's parameters:
 * a constrained call holds the arguments declared, not any key a model may invent. Branches of `allOf` are
 * left open, since each would refuse the others' properties.
 */
function closed(schema: unknown, inAllOf = false): unknown {
  if (!isObject(schema)) return schema;
  const copy: Record<string, unknown> = { ...schema };
  for (const key of schemaLists) {
    const list = copy[key];
    if (Array.isArray(list)) copy[key] = list.map((each) => closed(each));
  }
  if (Array.isArray(copy.allOf)) copy.allOf = copy.allOf.map((each) => closed(each, true));
  for (const key of schemaMaps) {
    const map = copy[key];
    if (isObject(map))
      copy[key] = Object.fromEntries(Object.entries(map).map(([name, each]) => [name, closed(each)]));
  }
  for (const key of schemaValues) if (key in copy) copy[key] = closed(copy[key]);
  const isObjectSchema = copy.type === 'object' || 'properties' in copy;
  const saysOthers = ['additionalProperties', 'patternProperties', 'unevaluatedProperties'].some(
    (key) => key in copy,
  );
  if (isObjectSchema && !saysOthers && !inAllOf) copy.additionalProperties = false;
  return copy;
}

/** How a template that renders no `tools` gets them: described in the system message, with the call syntax. */
export function toolsSystemPrompt(definitions: readonly string[], syntax: TurnSyntax): string {
  return [
    '# Tools',
    '',
    'You may call one or more functions to assist with the user query. The functions, as JSON signatures:',
    '<tools>',
    ...definitions,
    '</tools>',
    '',
    'To call a function, write:',
    syntax.callExample,
  ].join('\n');
}
