import { Context } from 'inferlib:context/inference';
import { check, completeStructured, seedSampling } from 'inferlib:context/structured';
import { Model } from 'inferlib:model/models';
import { sampler } from '@inferlib/context-bindings';
import { main, UsageError, withOptions } from '@inferlib/run-bindings';

const personSchema = JSON.stringify({
  type: 'object',
  properties: {
    name: { type: 'string', maxLength: 64 },
    age: { type: 'integer', minimum: 0, maximum: 150 },
    email: { type: 'string', format: 'email', maxLength: 64 },
  },
  required: ['name', 'age'],
  additionalProperties: false,
});

const command = {
  summary: `json-extract: extracts what a JSON Schema asks for from a text, as JSON that always validates.
Returns the JSON the model wrote, parsed and written again with two-space indents.`,
  options: {
    prompt: { kind: 'text', short: 'p', help: 'the text to extract from' },
    schema: {
      kind: 'text',
      short: 's',
      default: personSchema,
      help: 'the JSON Schema, as JSON text (from a file: --schema "$(cat schema.json)"); default: a person',
    },
    maxTokens: { kind: 'count', default: 256, min: 1, help: 'at most N tokens of JSON' },
    temperature: {
      kind: 'number',
      default: 0,
      help: 'sample at T instead of taking the likeliest token (0: greedy)',
    },
    seed: { kind: 'text', help: "seed of the sampling, a whole number (default: the host's randomness)" },
  },
} as const;

/** A u64 seed, as `seed-sampling` takes it. */
function seedOf(text: string): bigint {
  if (!/^\d+$/.test(text) || BigInt(text) >= 2n ** 64n)
    throw new UsageError(`--seed ${JSON.stringify(text)}: expected a whole number ≥ 0 (below 2^64)`);
  return BigInt(text);
}

export const run = main(
  withOptions(command, ({ options }) => {
    if (options.prompt === undefined)
      throw new UsageError('no text to extract from: give it with --prompt; see --help');
    const seed = options.seed === undefined ? undefined : seedOf(options.seed);
    const constraint = { tag: 'json-schema', val: options.schema } as const;
    // A schema the library cannot honour is refused before the model runs, naming the keyword and its place.
    check(constraint);
    const model = Model.getAuto();
    const context = new Context(model);
    context.fillSystem(`Extract the information as JSON that matches this JSON Schema:\n${options.schema}`);
    context.fillUser(options.prompt);
    if (seed !== undefined) seedSampling(context, seed);
    const chosen =
      options.temperature === 0
        ? sampler.greedy()
        : sampler.multinomial({ temperature: options.temperature });
    const { text, finish } = completeStructured(context, chosen, constraint, options.maxTokens);
    context[Symbol.dispose]();
    model[Symbol.dispose]();
    if (finish === 'max-tokens') {
      throw new Error(
        `the JSON was cut at ${options.maxTokens} tokens before it was complete (raise --max-tokens): ${text}`,
      );
    }
    return JSON.stringify(JSON.parse(text), null, 2);
  }),
);
