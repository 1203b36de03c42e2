import { describe, expect, it } from 'vitest';
import type { PassTime } from '../src/instance.ts';
import { describePassTimes } from '../src/timing.ts';

const pass = (
  instanceId: string,
  inputs: number,
  outputs: number,
  tokensRead: number,
  startedAt: number,
  readyAt: number,
) =>
  ({
    instanceId,
    inputs,
    outputs,
    tokensRead,
    ms: readyAt - startedAt,
    startedAt,
    readyAt,
  }) satisfies PassTime;

describe('describePassTimes', () => {
  it("splits one instance's passes into prefill, first token and steady time per token", () => {
    const passes = [
      pass('a', 40, 0, 0, 100, 110),
      pass('other', 5, 1, 1, 105, 300),
      pass('a', 3, 0, 0, 110, 112),
      pass('a', 1, 1, 1, 112, 115),
      pass('a', 1, 1, 1, 115, 117),
      pass('a', 2, 2, 2, 117, 121),
    ];
    expect(describePassTimes(passes, 'a')).toBe(
      '[host-shim: prefill 43 tokens in 12.0 ms; first token at 15.0 ms; then 3 tokens at 2.00 ms/token]',
    );
  });

  it('counts the time between turns for the next prompt, not for the tokens generated', () => {
    const passes = [
      pass('a', 10, 1, 1, 0, 10),
      pass('a', 1, 1, 1, 10, 12),
      pass('a', 1, 1, 1, 12, 14),
      // The app waits for its user, then fills the next message.
      pass('a', 8, 1, 1, 100, 110),
      pass('a', 1, 1, 1, 110, 112),
    ];
    expect(describePassTimes(passes, 'a')).toBe(
      '[host-shim: 2 prompts 18 tokens in 106.0 ms; first token at 10.0 ms; then 3 tokens at 2.00 ms/token]',
    );
  });

  it('leaves out what did not happen, and says nothing when no token was sampled', () => {
    expect(describePassTimes([pass('a', 1, 1, 1, 0, 4)], 'a')).toBe('[host-shim: first token at 4.0 ms]');
    expect(describePassTimes([pass('a', 9, 1, 0, 0, 4)], 'a')).toBeUndefined();
    expect(describePassTimes([], 'a')).toBeUndefined();
  });
});
