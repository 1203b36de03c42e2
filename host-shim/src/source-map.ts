/**
 * A stack printed by a component, mapped back to the sources it was bundled from: `pnpm build` writes the
 * bundle's source map beside the component (`<component>.wasm.map`), and the host-shim rewrites the frames of
 * that script in what the guest writes to stderr (`app.js:7441:21` → `examples/app/src/component.ts:12:5`).
 */
import { existsSync, readFileSync } from 'node:fs';
import { SourceMap } from 'node:module';
import { dirname, relative, resolve } from 'node:path';

/** Where the source map of a component is kept. */
export const sourceMapPath = (wasm: string): string => `${wasm}.map`;

/** Rewrites the frames of one script in a text; what it cannot map stays as it is. */
export type StackMapper = (text: string) => string;

/** What is read of a source map before Node's `SourceMap` takes it: the script it is for. */
interface SourceMapPayload {
  readonly file?: string;
}

/** A frame's position: a path ending in a script name (after `/`, `:` or `@`), a line and a column. */
const framePosition = /[^\s()@]*?([^\s()@/:]+\.js):(\d+):(\d+)/g;

/** A source map read: the script it is for and its positions, or `undefined` when there is none to use. */
function readSourceMap(path: string): { script: string; map: SourceMap } | undefined {
  try {
    const payload = JSON.parse(readFileSync(path, 'utf8')) as SourceMapPayload;
    if (payload.file === undefined) return undefined;
    return {
      script: payload.file,
      map: new SourceMap(payload as ConstructorParameters<typeof SourceMap>[0]),
    };
  } catch {
    return undefined;
  }
}

/**
 * The mapper of `wasm`'s source map, if it has one; paths are given relative to `cwd`. The map (megabytes for
 * an app with the library linked in) is read at the first frame to map, not at load: most runs print none.
 */
export function loadStackMapper(wasm: string, cwd = process.cwd()): StackMapper | undefined {
  const path = sourceMapPath(wasm);
  if (!existsSync(path)) return undefined;
  let read: ReturnType<typeof readSourceMap> | null = null;
  const folder = dirname(path);
  return (text) =>
    text.replace(framePosition, (frame, name: string, line: string, column: string) => {
      if (read === null) read = readSourceMap(path);
      if (read === undefined || name !== read.script) return frame;
      // Stack positions count from 1; a source map's from 0.
      const entry = read.map.findEntry(Number(line) - 1, Number(column) - 1) as {
        originalSource?: string;
        originalLine?: number;
        originalColumn?: number;
      };
      if (entry.originalSource === undefined || entry.originalLine === undefined) return frame;
      const source = relative(cwd, resolve(folder, entry.originalSource.replace(/^file:\/\//, '')));
      return `${source}:${entry.originalLine + 1}:${(entry.originalColumn ?? 0) + 1}`;
    });
}
