/**
 * `pnpm fuzz:structured [--runs N] [--seed S]`: the structured-generation properties of
 * packages/context/test/structured.test.ts (random schemas, prompts, samplers and seeds on the small
 * vocabulary, judged by ajv; regular expressions and choices), for long runs (default 10,000). A failure is
 * printed shrunk with the seed that replays it.
 */
import { parseArgs } from 'node:util';
import { startVitest } from 'vitest/node';

const { values } = parseArgs({
  options: { runs: { type: 'string', default: '10000' }, seed: { type: 'string' } },
});
const runs = Number(values.runs);
if (!Number.isInteger(runs) || runs < 1) throw new Error(`--runs ${values.runs} is not a positive count`);
if (values.seed !== undefined && !Number.isInteger(Number(values.seed))) {
  throw new Error(`--seed ${values.seed} is not a whole number`);
}
process.env.STRUCTURED_RUNS = String(runs);
if (values.seed !== undefined) process.env.STRUCTURED_SEED = values.seed;
const vitest = await startVitest('test', ['packages/context/test/structured.test.ts'], {
  run: true,
  testNamePattern: 'small vocabulary',
});
await vitest.close();
process.exit(vitest.state.getCountOfFailedTests() > 0 ? 1 : 0);
