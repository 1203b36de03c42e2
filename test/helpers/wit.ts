import { readFile } from 'node:fs/promises';
import { componentWit } from '@bytecodealliance/jco';

/** The `import` and `export` names of a component's world, from the component's own WIT. */
export async function worldOf(wasmPath: string): Promise<{ imports: string[]; exports: string[] }> {
  const wit: string = await componentWit(await readFile(wasmPath));
  const names = (kind: 'import' | 'export') =>
    [...wit.matchAll(new RegExp(`^\\s*${kind}\\s+([^;]+);`, 'gm'))].map((match) => (match[1] ?? '').trim());
  return { imports: names('import'), exports: names('export') };
}
