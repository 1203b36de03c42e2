import { createHost, runInferlet } from '@inferlib/host-shim';
import { describe, expect, it } from 'vitest';
import { validator } from '../../../packages/grammar/test/schemas.ts';
import { loadApp } from '../../../test/helpers/builds.ts';

const valid = validator();
const person = {
  type: 'object',
  properties: {
    name: { type: 'string', maxLength: 64 },
    age: { type: 'integer', minimum: 0, maximum: 150 },
    email: { type: 'string', format: 'email', maxLength: 64 },
  },
  required: ['name', 'age'],
  additionalProperties: false,
};
const order = {
  type: 'object',
  properties: {
    items: { type: 'array', items: { enum: ['tea', 'cake', 'scone'] }, minItems: 1, maxItems: 3 },
    table: { type: 'integer', minimum: 1, maximum: 12 },
    paid: { type: 'boolean' },
  },
  required: ['items', 'table', 'paid'],
  additionalProperties: false,
};

async function extract(build: 'node' | 'bundled' | 'composed', args: string[]) {
  const app = await loadApp('examples', 'json-extract', build);
  return runInferlet(app, createHost().createInstance({ args }));
}

/** What each build returned, for the builds to agree. */
const answers = new Map<string, string>();

describe.each(['node', 'bundled', 'composed'] as const)('json-extract (%s)', (build) => {
  it('returns JSON that validates, for the default schema and one given; the builds agree', async () => {
    for (const [name, schema, prompt] of [
      ['person', undefined, 'Ada Lovelace, 36, writes from ada@example.com.'],
      ['order', order, 'Two teas and a scone for table 4, paid by card.'],
    ] as const) {
      const args = ['-p', prompt, ...(schema === undefined ? [] : ['--schema', JSON.stringify(schema)])];
      const outcome = await extract(build, args);
      if (!outcome.ok) throw new Error(outcome.error);
      const value = JSON.parse(outcome.returnValue ?? '');
      expect(valid(schema ?? person, value), outcome.returnValue).toBe(true);
      const earlier = answers.get(name);
      if (earlier === undefined) answers.set(name, outcome.returnValue ?? '');
      else expect(outcome.returnValue).toBe(earlier);
    }
  });

  it('refuses a schema it cannot honour before the model runs, naming the keyword and its place', async () => {
    const schema = { type: 'object', properties: { tags: { type: 'array', uniqueItems: true } } };
    expect(await extract(build, ['-p', 'x', '--schema', JSON.stringify(schema)])).toMatchObject({
      ok: false,
      error:
        'inferlib:context/structured.check: json-schema: /properties/tags/uniqueItems: the keyword uniqueItems is not supported',
    });
    expect(await extract(build, ['-p', 'x', '--schema', '{"type": '])).toMatchObject({
      ok: false,
      error: expect.stringMatching(
        /^inferlib:context\/structured\.check: json-schema: the schema is not JSON: /,
      ),
    });
  });

  it('says when the JSON did not fit in --max-tokens', async () => {
    expect(await extract(build, ['-p', 'Ada, 36.', '--max-tokens', '3'])).toMatchObject({
      ok: false,
      error: expect.stringMatching(
        /^the JSON was cut at 3 tokens before it was complete \(raise --max-tokens\): \{"/,
      ),
    });
  });
});
