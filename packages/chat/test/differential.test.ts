/**
 * The chat library against the Jinja2 oracle of the shared conformance data, on random conversations under
 * every Pie template (`pnpm fuzz:chat --runs N` runs the same property longer), and the disagreements found
 * so far as fixed cases.
 */
import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  ChatOracle,
  checkConversation,
  conversation,
  type DifferentialCase,
  loadTemplates,
  oracleUnavailable,
  type Rendering,
  renderWithLibrary,
} from './differential.ts';
import regressions from './differential-regressions.json' with { type: 'json' };

/** Conversations per run; each is rendered under every template (9 of them: 2,700 cases). */
const conversations = 300;

const templates = loadTemplates();
const unavailable = templates === undefined ? 'the conformance data is not present' : oracleUnavailable();
const cases = regressions as readonly (DifferentialCase & { note: string; expected: Rendering })[];

describe.skipIf(unavailable !== undefined)(
  `chat library against the Jinja2 oracle${unavailable === undefined ? '' : ` (skipped: ${unavailable})`}`,
  () => {
    let oracle: ChatOracle;
    beforeAll(() => {
      oracle = new ChatOracle();
    });
    afterAll(() => oracle.close());

    it(`renders ${conversations} random conversations under every template as the oracle does`, async () => {
      if (templates === undefined) return;
      await fc.assert(
        fc.asyncProperty(conversation, (generated) => checkConversation(oracle, templates, generated)),
        { numRuns: conversations },
      );
    }, 120_000);

    it('agrees with the oracle on each recorded regression case', async () => {
      if (templates === undefined) return;
      expect(await oracle.render(cases, templates)).toEqual(cases.map((entry) => entry.expected));
    });
  },
);

describe.skipIf(templates === undefined)('chat library on the recorded regression cases', () => {
  it.each(cases)('$template: $note', (entry) => {
    const template = templates?.get(entry.template);
    expect(template, entry.template).toBeDefined();
    const rendering = renderWithLibrary(template ?? '', entry);
    if ('output' in entry.expected) expect(rendering).toEqual(entry.expected);
    else expect(rendering).toHaveProperty('error');
  });
});
