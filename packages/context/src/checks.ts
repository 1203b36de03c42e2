import type { SamplerConfig } from 'inferlib:context/inference';
import { countProblem, samplerProblem, temperatureProblem, topKProblem } from '@inferlib/support';

export const iface = 'inferlib:context/inference';

function refuse(call: string, problem: string | undefined): void {
  if (problem !== undefined) throw new Error(`${call}: ${problem}`);
}

/** Refuses a count no caller meant: negative, fractional, past a u32, or a negative one wrapped around. */
export function checkCount(call: string, name: string, value: number): void {
  refuse(call, countProblem(name, value));
}

/** Refuses a sampler value the host would trap on, before any pass is made. */
export function checkSampler(call: string, sampler: SamplerConfig): void {
  refuse(call, samplerProblem(sampler));
}

/** Refuses what `checkCount` refuses, and 0: a count of things the call must have at least one of. */
export function checkCountOfAtLeastOne(call: string, name: string, value: number): void {
  checkCount(call, name, value);
  if (value === 0) throw new Error(`${call}: ${name} 0: at least 1 is needed`);
}

/** `predict`'s values: what `output-distributions` takes. */
export function checkDistributionRequest(call: string, temperature: number, topK: number | undefined): void {
  refuse(call, temperatureProblem(temperature) ?? (topK === undefined ? undefined : topKProblem(topK)));
}

/**
 * Runs `body` as the export of a function whose WIT result is `result<_, string>`: an error it throws becomes
 * the `err`, thrown as its text (componentize-js's convention, and what an app in one engine catches), so that
 * a mistake is catchable in the app in every build.
 */
export function errAsText<T>(body: () => T): T {
  try {
    return body();
  } catch (error) {
    throw error instanceof Error ? error.message : error;
  }
}

/**
 * The text of an error: a string as thrown for a WIT `err` in one engine, the payload of jco's error for an
 * imported function's `err` in a composition, else the error's message.
 */
export function messageOf(error: unknown): string {
  if (typeof error === 'string') return error;
  // componentize-js's error for an imported `err` is no `Error` instance: known by its payload.
  if (typeof error === 'object' && error !== null && 'payload' in error) return String(error.payload);
  return error instanceof Error ? error.message : String(error);
}
