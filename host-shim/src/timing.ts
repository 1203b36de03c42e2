import type { PassTime } from './instance.ts';

/**
 * One instance's forward passes summed up for a person: its prompts (passes with inputs they sample nothing
 * at: every turn's prompt, not only the first), the time to the first sampled token, and the steady time per
 * token of the passes that decode (each timed from the previous pass's result, so the time between turns
 * counts for the next prompt, not for the tokens). Measured from the instance's first pass, with the
 * simulated device time included. `undefined` when no pass sampled a token.
 */
export function describePassTimes(passes: readonly PassTime[], instanceId: string): string | undefined {
  const own = passes.filter((pass) => pass.instanceId === instanceId);
  const firstOutput = own.findIndex((pass) => pass.tokensRead > 0);
  const start = own[0]?.startedAt;
  const first = own[firstOutput];
  if (start === undefined || first === undefined) return undefined;
  const ms = (value: number): string => `${value.toFixed(1)} ms`;
  /** How long a pass took as the run saw it: from the previous pass's result (or the start) to its own. */
  const took = (index: number): number => (own[index]?.readyAt ?? start) - (own[index - 1]?.readyAt ?? start);
  const isPrompt = (pass: PassTime): boolean => pass.inputs > pass.outputs;
  let promptTokens = 0;
  let promptTime = 0;
  let turns = 0;
  let tokens = 0;
  let decodeTime = 0;
  own.forEach((pass, index) => {
    if (isPrompt(pass) || index < firstOutput) {
      if (index === 0 || (own[index - 1]?.tokensRead ?? 0) > 0) turns++;
      promptTokens += pass.inputs;
      promptTime += took(index);
    } else if (index > firstOutput && pass.tokensRead > 0) {
      tokens += pass.tokensRead;
      decodeTime += took(index);
    }
  });
  const parts = [];
  if (promptTokens > 0) {
    parts.push(`${turns > 1 ? `${turns} prompts` : 'prefill'} ${promptTokens} tokens in ${ms(promptTime)}`);
  }
  parts.push(`first token at ${ms(first.readyAt - start)}`);
  if (tokens > 0) parts.push(`then ${tokens} tokens at ${(decodeTime / tokens).toFixed(2)} ms/token`);
  return `[host-shim: ${parts.join('; ')}]`;
}
