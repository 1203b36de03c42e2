/** The shared conformance data of Pie's chat templates, when `../shared` is present. */
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { repoRoot } from '../../../scripts/lib/paths.ts';
import type { CaseMessage } from './conversation.ts';

export interface ConformanceCase {
  readonly id: string;
  readonly messages: readonly CaseMessage[];
  readonly add_generation_prompt: boolean;
  readonly begin_of_sequence: boolean;
}

export interface Conformance {
  readonly templates: readonly { readonly name: string; readonly template: string }[];
  readonly cases: readonly ConformanceCase[];
  /** Template name, case id: the expected rendering, or an expected error. */
  readonly expected: Record<string, Record<string, string | { readonly error: string }>>;
}

/** `shared/` lies beside the repository's folder. */
export const conformanceDir = join(repoRoot, '..', 'shared', 'conformance', 'chat');

export function loadConformance(): Conformance | undefined {
  if (!existsSync(join(conformanceDir, 'templates.json'))) return undefined;
  const read = (name: string) => JSON.parse(readFileSync(join(conformanceDir, name), 'utf8'));
  return {
    templates: read('templates.json').templates,
    cases: read('cases.public.json'),
    expected: read('expected.public.json'),
  };
}
