import { Context } from 'inferlib:context/inference';
import { check, completeStructured, seedSampling } from 'inferlib:context/structured';
import { Model } from 'inferlib:model/models';
import { main } from '@inferlib/run-bindings';

const usage = `json-extract: extracts what a JSON Schema asks for from a text, as JSON that always validates.

  -p, --prompt TEXT      the text to extract from
  -s, --schema JSON      the JSON Schema, as JSON text (from a file: --schema "$(cat schema.json)");
                         default: a person's name, age and e-mail address
      --max-tokens N     at most N tokens of JSON (default 256)
      --temperature T    sample at T instead of taking the likeliest token (default 0: greedy)
      --seed S           seed of the sampling (default: the host's randomness)
  -h, --help             this text

Returns the JSON the model wrote, parsed and written again with two-space indents.`;

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

interface Options {
  readonly prompt: string;
  readonly schema: string;
  readonly maxTokens: number;
  readonly temperature: number;
  readonly seed: bigint | undefined;
}

function options(args: readonly string[]): Options | undefined {
  const names: Record<string, string> = { '-p': '--prompt', '-s': '--schema' };
  const values = new Map<string, string>();
  for (let index = 0; index < args.length; index++) {
    const arg = args[index] ?? '';
    if (arg === '-h' || arg === '--help') return undefined;
    const name = names[arg] ?? arg;
    if (!['--prompt', '--schema', '--max-tokens', '--temperature', '--seed'].includes(name)) {
      throw new Error(`unknown argument ${JSON.stringify(arg)}; see --help`);
    }
    const value = args[++index];
    if (value === undefined) throw new Error(`${arg} needs a value`);
    values.set(name, value);
  }
  const number = (name: string, fallback: number, least: number) => {
    const text = values.get(name);
    const value = text === undefined ? fallback : Number(text);
    if (!Number.isFinite(value) || value < least)
      throw new Error(`${name} ${text}: expected a number ≥ ${least}`);
    return value;
  };
  const seed = values.get('--seed');
  if (seed !== undefined && !/^\d+$/.test(seed))
    throw new Error(`--seed ${seed}: expected a whole number ≥ 0`);
  const prompt = values.get('--prompt');
  if (prompt === undefined) throw new Error('no text to extract from: give it with --prompt; see --help');
  return {
    prompt,
    schema: values.get('--schema') ?? personSchema,
    maxTokens: Math.floor(number('--max-tokens', 256, 1)),
    temperature: number('--temperature', 0, 0),
    seed: seed === undefined ? undefined : BigInt(seed),
  };
}

export const run = main((args) => {
  const chosen = options(args);
  if (chosen === undefined) return usage;
  const constraint = { tag: 'json-schema', val: chosen.schema } as const;
  // A schema the library cannot honour is refused before the model runs, naming the keyword and its place.
  check(constraint);
  const model = Model.getAuto();
  const context = new Context(model);
  context.fillSystem(`Extract the information as JSON that matches this JSON Schema:\n${chosen.schema}`);
  context.fillUser(chosen.prompt);
  if (chosen.seed !== undefined) seedSampling(context, chosen.seed);
  const sampler =
    chosen.temperature === 0
      ? ({ tag: 'greedy' } as const)
      : ({ tag: 'multinomial', val: chosen.temperature } as const);
  const { text, finish } = completeStructured(context, sampler, constraint, chosen.maxTokens);
  context[Symbol.dispose]();
  model[Symbol.dispose]();
  if (finish === 'max-tokens') {
    throw new Error(
      `the JSON was cut at ${chosen.maxTokens} tokens before it was complete (raise --max-tokens): ${text}`,
    );
  }
  return JSON.stringify(JSON.parse(text), null, 2);
});
