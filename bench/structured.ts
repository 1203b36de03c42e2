/**
 * The bench's structured-generation section: the library's own time per constrained step beside plain
 * generation's (in-process, single-engine, composed, interleaved), forward passes per generated token with
 * jump-forward, the vocabulary's one-time cost, and compiling a 30-property schema.
 */
import { Grammar } from '@inferlib/grammar';
import {
  builtinModel,
  createHost,
  type Instance,
  type LoadedComponent,
  type ModelSpec,
  qwen3Tokenizer,
  runInferlet,
} from '@inferlib/host-shim';
import { loadInProcessLibrary } from './in-process.ts';
import { type Figure, measure, since, single } from './measure.ts';

/** A typical extraction schema: strings, a bounded integer, a format, an enum array, a nested object. */
export const customerSchema = {
  type: 'object',
  properties: {
    name: { type: 'string', maxLength: 60 },
    age: { type: 'integer', minimum: 0, maximum: 130 },
    email: { type: 'string', format: 'email' },
    plan: { enum: ['free', 'team', 'enterprise'] },
    tags: { type: 'array', items: { type: 'string', maxLength: 20 }, maxItems: 5 },
    address: {
      type: 'object',
      properties: { city: { type: 'string' }, country: { type: 'string', pattern: '^[A-Z]{2}$' } },
      required: ['city', 'country'],
      additionalProperties: false,
    },
    active: { type: 'boolean' },
  },
  required: ['name', 'age', 'email', 'plan', 'tags', 'address', 'active'],
  additionalProperties: false,
};

/** What the scripted model wants to write: valid under `customerSchema`. */
const answer =
  '{"name": "Ada Lovelace", "age": 36, "email": "ada@example.com", "plan": "enterprise", "tags": ["math", "engines", "poetry"], "address": {"city": "London", "country": "GB"}, "active": true}';

/**
 * A model that knows what it wants to write, as a trained one would: the token that goes on with `answer`
 * from the text generated after the prompt leads by far (the end of turn once it is written), a few others
 * follow. Its logits cost the host little, and the host's time is not the library's anyway.
 */
export function scriptedModel(): ModelSpec {
  const tokenizer = qwen3Tokenizer();
  const [endOfTurn = 0] = tokenizer.encode('<|im_end|>');
  const [assistant = 0] = tokenizer.encode('assistant');
  const vocabSize = tokenizer.vocabSize;
  return {
    ...builtinModel,
    name: 'bench-scripted',
    languageModel: () => ({
      vocabSize,
      logits({ visible }) {
        const logits = new Float32Array(vocabSize);
        const tokens = visible.map(({ token }) => token);
        const start = tokens.lastIndexOf(assistant) + 2;
        const written = start >= 2 ? tokenizer.decode(tokens.slice(start)) : '';
        const rest = answer.startsWith(written) ? answer.slice(written.length) : '';
        const next = rest === '' ? endOfTurn : (tokenizer.encode(rest)[0] ?? endOfTurn);
        logits[next] = 12;
        for (let other = 1; other <= 4; other++) logits[(next * 31 + other * 7919) % vocabSize] = 6 - other;
        return logits;
      },
    }),
  };
}

/**
 * The library's time per step of the generations on `instance`: the main thread's time from one forward
 * pass's `execute` returning to the next one's starting (candidate checks, the matcher, the bindings), less
 * the host's own calls in between (`tokenize` for jump-forward: the host-shim's tokenizer is JavaScript, Pie's
 * is Rust; and not the host's pass): the median over the steps after the first.
 */
function timeSteps(instance: Instance): () => number {
  const forward = instance.imports['inferlet:core/forward'] as {
    ForwardPass: { prototype: { execute(): unknown } };
  };
  const tokenize = instance.imports['inferlet:core/tokenize'] as {
    Tokenizer: { prototype: { tokenize(text: string): unknown } };
  };
  const pass = forward.ForwardPass.prototype;
  const execute = pass.execute;
  const tokenizer = tokenize.Tokenizer.prototype;
  const encode = tokenizer.tokenize;
  const gaps: number[] = [];
  let endedAt: number | undefined;
  let hostTime = 0;
  pass.execute = function timed(this: unknown) {
    const startedAt = performance.now();
    if (endedAt !== undefined) gaps.push((startedAt - endedAt - hostTime) * 1000);
    hostTime = 0;
    try {
      return execute.call(this);
    } finally {
      // The host's pass leaves megabytes of garbage (logits and probabilities over 151,936 tokens): collected
      // here, in the host's time, it does not pause the library's step (`pnpm bench` runs with --expose-gc).
      // A minor collection takes that young garbage in milliseconds; a full one per pass made the section
      // take over 25 minutes.
      collectGarbage?.({ type: 'minor' });
      endedAt = performance.now();
    }
  };
  tokenizer.tokenize = function timed(this: unknown, text: string) {
    const startedAt = performance.now();
    try {
      return encode.call(this, text);
    } finally {
      hostTime += performance.now() - startedAt;
    }
  };
  return () => {
    const steps = gaps.slice(1).sort((a, b) => a - b);
    return steps[Math.floor(steps.length / 2)] ?? Number.NaN;
  };
}

const collectGarbage = (globalThis as { gc?: (options: { type: 'minor' }) => void }).gc;

const median = (values: readonly number[]): { median: number; min: number; max: number } => {
  const sorted = [...values].sort((a, b) => a - b);
  return {
    median: sorted[Math.floor(sorted.length / 2)] ?? Number.NaN,
    min: sorted[0] ?? Number.NaN,
    max: sorted.at(-1) ?? Number.NaN,
  };
};

export async function structuredGeneration(clients: {
  readonly composed: LoadedComponent;
  readonly 'single-engine, QuickJS': LoadedComponent;
  readonly 'single-engine, StarlingMonkey': LoadedComponent;
}): Promise<Figure[]> {
  const section = 'structured';
  const model = scriptedModel();
  const schema = JSON.stringify(customerSchema);
  const maxTokens = 256;
  /**
   * Generations per instance, whose steps are timed together: in Node enough that most steps run warm
   * (JIT-compiled, as in a long-running inferlet); in a component, where the engine interprets, fewer.
   */
  const generationsOf = { inProcess: 12, component: 4 };
  let copies = 0;
  /** Each generation is a prompt's pass, then its own: the same answer every time. */
  const passesPerToken = (passes: number, generations: number, tokens: number) =>
    (passes / generations - 1) / tokens;
  /** One run of a variant: the library time per step, forward passes per generated token, the first's extra time. */
  type Run = (constrained: boolean) => Promise<{ perStep: number; passesPerToken: number; firstMs: number }>;
  const inComponent =
    (client: LoadedComponent): Run =>
    async (constrained) => {
      const host = createHost({ models: [model] });
      const instance = host.createInstance({
        args: [
          'structured-bench',
          constrained ? schema : '',
          String(maxTokens),
          String(generationsOf.component),
        ],
      });
      const steps = timeSteps(instance);
      const outcome = await runInferlet(client, instance);
      if (!outcome.ok) throw new Error(outcome.error);
      const [first, last] = JSON.parse(outcome.returnValue ?? '') as { ms: number; tokens: number }[];
      return {
        perStep: steps(),
        passesPerToken: passesPerToken(
          host.passTimes.length,
          generationsOf.component,
          last?.tokens ?? Number.NaN,
        ),
        firstMs: (first?.ms ?? 0) - (last?.ms ?? 0),
      };
    };
  const variants: Record<string, Run> = {
    'in-process': async (constrained) => {
      const host = createHost({ models: [model] });
      const instance = host.createInstance();
      const steps = timeSteps(instance);
      const library = await loadInProcessLibrary(instance.imports, copies++);
      const libraryModel = library.Model.getAuto();
      const generate = () => {
        const context = new library.Context(libraryModel);
        context.fillUser('Describe the customer as JSON.');
        context.flush();
        const started = performance.now();
        const { tokens } = constrained
          ? library.completeStructured(
              context,
              { tag: 'greedy' },
              { tag: 'json-schema', val: schema },
              maxTokens,
            )
          : library.complete(
              context,
              { tag: 'greedy' },
              { maxTokens, eosSequences: libraryModel.eosTokens(), stopStrings: [] },
            );
        context[Symbol.dispose]();
        return { ms: since(started), tokens: tokens.length };
      };
      const first = generate();
      let last = first;
      for (let generation = 1; generation < generationsOf.inProcess; generation++) last = generate();
      return {
        perStep: steps(),
        passesPerToken: passesPerToken(host.passTimes.length, generationsOf.inProcess, last.tokens),
        firstMs: first.ms - last.ms,
      };
    },
    'single-engine, QuickJS': inComponent(clients['single-engine, QuickJS']),
    'single-engine, StarlingMonkey': inComponent(clients['single-engine, StarlingMonkey']),
    composed: inComponent(clients.composed),
  };
  const runs = 5;
  const samples = new Map<string, { perStep: number; passesPerToken: number; firstMs: number }[]>();
  for (const constrained of [false, true]) {
    for (const run of Object.values(variants)) await run(constrained); // warm-up
  }
  for (let index = 0; index < runs; index++) {
    for (const constrained of [false, true]) {
      for (const [name, run] of Object.entries(variants)) {
        const key = `${name} ${constrained ? 'structured' : 'plain'}`;
        samples.set(key, [...(samples.get(key) ?? []), await run(constrained)]);
      }
    }
  }
  const figures: Figure[] = [];
  const of = (
    key: string,
    pick: (sample: { perStep: number; passesPerToken: number; firstMs: number }) => number,
  ) => median((samples.get(key) ?? []).map(pick));
  const targets: Record<string, string> = { 'in-process': '≤ 30 µs' };
  for (const name of Object.keys(variants)) {
    for (const kind of ['plain', 'structured']) {
      figures.push({
        section,
        name: `${name}, ${kind} generation: library time per step`,
        ...of(`${name} ${kind}`, (sample) => sample.perStep),
        unit: 'µs',
        runs,
        ...(kind === 'structured' && targets[name] !== undefined ? { target: targets[name] } : {}),
      });
    }
  }
  const inProcess = of('in-process structured', (sample) => sample.perStep).median;
  for (const name of ['single-engine, QuickJS', 'single-engine, StarlingMonkey', 'composed']) {
    figures.push({
      ...single(
        section,
        `structured step: ${name} / in-process`,
        of(`${name} structured`, (s) => s.perStep).median / inProcess,
        '×',
      ),
      ...(name.startsWith('single-engine') ? { target: '≤ 10×' } : {}),
    });
  }
  figures.push({
    section,
    name: 'forward passes per generated token, jump-forward (without: 1, every token a pass)',
    ...of('in-process structured', (sample) => sample.passesPerToken),
    unit: 'passes',
    runs,
  });
  for (const name of Object.keys(variants)) {
    figures.push({
      section,
      name: `${name}: first structured generation's extra time over the last (the vocabulary, once per model; cold code)`,
      ...of(`${name} structured`, (sample) => sample.firstMs),
      unit: 'ms',
      runs,
    });
  }
  const wide = {
    type: 'object',
    properties: Object.fromEntries(
      Array.from({ length: 30 }, (_, index) => [
        `field_${index}`,
        [
          { type: 'string', maxLength: 40 },
          { type: 'integer', minimum: 0 },
          { enum: ['a', 'b', 'c'] },
          { type: 'string', format: 'date' },
          { type: 'array', items: { type: 'number' } },
        ][index % 5],
      ]),
    ),
    required: Array.from({ length: 30 }, (_, index) => `field_${index}`).filter(
      (_, index) => index % 2 === 0,
    ),
    additionalProperties: false,
  };
  let compiles = 0;
  figures.push(
    await measure(
      section,
      'compile a 30-property schema, in-process',
      'ms',
      () => {
        // A schema not compiled before (grammars are kept by their text).
        const text = JSON.stringify({ ...wide, $comment: String(compiles++) });
        const started = performance.now();
        Grammar.compile({ tag: 'json-schema', val: text }).matcher().forced();
        return since(started);
      },
      { warmups: 3, runs: 20 },
      '≤ 20 ms',
    ),
  );
  return figures;
}
