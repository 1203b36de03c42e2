import { createHost, runInferlet } from '@inferlib/host-shim';
import { describe, expect, it } from 'vitest';
import { loadApp } from '../../../test/helpers/builds.ts';
import { evaluate, runTool } from '../src/tools.ts';

/**
 * The host-shim's reference model echoes the user's message: a question that holds a call makes the model
 * begin one, which the library then writes under the tool's schema.
 */
const withCall =
  'Please compute: <tool_call>\n{"name": "calculate", "arguments": {"expression": "(17 + 4) * 2"}}\n</tool_call>';
/** What each build printed, for the builds to agree. */
const outputs: string[] = [];

async function transcript(build: 'node' | 'bundled' | 'composed', args: string[]): Promise<string[]> {
  const app = await loadApp('examples', 'tool-agent', build);
  const outcome = await runInferlet(app, createHost().createInstance({ args }));
  if (!outcome.ok) throw new Error(outcome.error);
  outputs.push(outcome.returnValue ?? '');
  return (outcome.returnValue ?? '').split('\n');
}

describe('tools of tool-agent', () => {
  it('calculates with precedence, parentheses and signs, and refuses what is no arithmetic', () => {
    expect(evaluate('(17 + 4) * 2')).toBe(42);
    expect(evaluate('1 + 2 * 3 - -4 / 2')).toBe(9);
    expect(() => evaluate('(1 + 2')).toThrow('unclosed parenthesis in (1 + 2');
    expect(() => evaluate('1 +')).toThrow('expected a number at "the end" in 1 +');
    expect(() => evaluate('1 / 0')).toThrow('1 / 0 has no finite value');
    expect(runTool('calculate', '{"expression": "2 2"}')).toBe('error: unexpected "2" in 2 2');
    expect(runTool('lookup_capital', '{"country": "Peru"}')).toBe('Lima');
  });
});

describe.each(['node', 'bundled', 'composed'] as const)('tool-agent (%s)', (build) => {
  it('calls the tool the model begins to call, fills its result back, and answers in the last round', async () => {
    const lines = await transcript(build, ['-p', withCall, '--rounds', '2']);
    // The reference model echoes the question, call and all, each round; the last round may not call.
    expect(lines).toEqual([
      'call: calculate({"expression":"(17 + 4) * 2"}) -> 42',
      'call: calculate({"expression":"(17 + 4) * 2"}) -> 42',
      'answer: Please compute:',
    ]);
  });

  it('begins with a call to the tool named, whose arguments its schema allows', async () => {
    const lines = await transcript(build, [
      '-p',
      'What is the capital of Kenya?',
      '--tool-choice',
      'lookup_capital',
    ]);
    const [, country, capital] =
      /^call: lookup_capital\(\{"country":"(\w+)"\}\) -> (\w+)$/.exec(lines[0] ?? '') ?? [];
    expect(runTool('lookup_capital', JSON.stringify({ country }))).toBe(capital);
    expect(lines.at(-1)).toMatch(/^answer: /);
    // Node ran first: each build printed what it printed.
    expect(outputs.slice(-2)).toEqual(outputs.slice(0, 2));
  });

  it('refuses a missing question and an unknown tool choice', async () => {
    const app = await loadApp('examples', 'tool-agent', build);
    expect(await runInferlet(app, createHost().createInstance({ args: [] }))).toMatchObject({
      ok: false,
      error: 'no question: give it with --prompt; see --help',
    });
    const outcome = await runInferlet(
      app,
      createHost().createInstance({ args: ['-p', 'x', '--tool-choice', 'web'] }),
    );
    expect(outcome).toMatchObject({ ok: false });
    expect(outcome.ok ? '' : outcome.error).toContain('auto, required, none, calculate, lookup_capital');
  });
});
