import type { PassTime } from './instance.ts';

/**
 * One instance's forward passes summed up for a person: the prefill (passes before the first whose sampled
 * tokens the guest read), the time to the first sampled token, and the steady time per token after it. Measured from the
 * instance's first pass, with the simulated device time included. `undefined` when no pass sampled a token.
 */
export function describePassTimes(passes: readonly PassTime[], instanceId: string): string | undefined {
  const own = passes.filter((pass) => pass.instanceId === instanceId);
  const firstOutput = own.findIndex((pass) => pass.tokensRead > 0);
  const start = own[0]?.startedAt;
  const first = own[firstOutput];
  if (start === undefined || first === undefined) return undefined;
  const ms = (value: number): string => `${value.toFixed(1)} ms`;
  const prefill = own.slice(0, firstOutput);
  const parts = [];
  if (prefill.length > 0) {
    const inputs = prefill.reduce((sum, pass) => sum + pass.inputs, 0);
    parts.push(`prefill ${inputs} tokens in ${ms((prefill.at(-1)?.readyAt ?? start) - start)}`);
  }
  parts.push(`first token at ${ms(first.readyAt - start)}`);
  const steady = own.slice(firstOutput + 1).filter((pass) => pass.tokensRead > 0);
  const last = steady.at(-1);
  if (last !== undefined) {
    const tokens = steady.reduce((sum, pass) => sum + pass.tokensRead, 0);
    const perToken = (last.readyAt - first.readyAt) / tokens;
    parts.push(`then ${tokens} tokens at ${perToken.toFixed(2)} ms/token`);
  }
  return `[host-shim: ${parts.join('; ')}]`;
}
