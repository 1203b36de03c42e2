/**
 * `pnpm fuzz:chat [--runs N] [--seed S]`: the chat differential property of
 * packages/chat/test/differential.test.ts, for long runs (default 2,000 conversations, each under every
 * template). A disagreement is printed shrunk, ready to add to differential-regressions.json.
 */
import { parseArgs } from 'node:util';
import fc from 'fast-check';
import {
  ChatOracle,
  checkConversation,
  conversation,
  loadTemplates,
  oracleUnavailable,
} from '../packages/chat/test/differential.ts';

const { values } = parseArgs({
  options: { runs: { type: 'string', default: '2000' }, seed: { type: 'string' } },
});
const runs = Number(values.runs);
if (!Number.isInteger(runs) || runs < 1) throw new Error(`--runs ${values.runs} is not a positive count`);

const templates = loadTemplates();
const unavailable = templates === undefined ? 'the conformance data is not present' : oracleUnavailable();
if (templates === undefined || unavailable !== undefined) {
  console.error(`fuzz:chat cannot run: ${unavailable}`);
  process.exit(2);
}

const oracle = new ChatOracle();
const started = performance.now();
const details = await fc.check(
  fc.asyncProperty(conversation, (generated) => checkConversation(oracle, templates, generated)),
  { numRuns: runs, ...(values.seed === undefined ? {} : { seed: Number(values.seed) }) },
);
oracle.close();
const seconds = ((performance.now() - started) / 1000).toFixed(1);
if (details.failed) {
  console.error(fc.defaultReportMessage(details));
  process.exit(1);
}
console.log(
  `fuzz:chat: ${details.numRuns} conversations × ${templates.size} templates = ${details.numRuns * templates.size} renders agree with the oracle (${seconds} s, seed ${details.seed})`,
);
