import { type ChildProcess, fork } from 'node:child_process';
import { _setPreopens } from '@bytecodealliance/preview2-shim/filesystem';
import { ownExtension } from './project.ts';

/**
 * componentize-js and jco run wasm-tools under preview2-shim, which grants no file-system access by
 * default: reading a WIT folder then fails with "os error 44". Grant the whole file system, as a
 * native CLI would have.
 */
export function allowWitFileAccess(): void {
  // The package's types are those of its browser build, which takes file data instead of host paths.
  (_setPreopens as (preopens: Record<string, string>) => void)({ '/': '/' });
}

/** componentize-js features; each costs imports and start-up work, so a module keeps only what it uses. */
export const componentizeFeatures = ['stdio', 'random', 'clocks', 'http', 'fetch-event'] as const;
export type ComponentizeFeature = (typeof componentizeFeatures)[number];

/** One componentize-js run; the component is written to `wasm`. */
export interface ComponentizeRequest {
  readonly sourcePath: string;
  readonly witPath: string;
  readonly worldName: string;
  readonly disableFeatures: readonly ComponentizeFeature[];
  readonly wasm: string;
}

export type ComponentizeReply = { readonly ok: true } | { readonly ok: false; readonly message: string };

/**
 * componentize-js runs in child processes (`componentize-process.ts`), reused from one component to the next:
 * in one process, two runs would take turns on one core.
 */
export class ComponentizeProcesses {
  readonly #idle: ChildProcess[] = [];
  readonly #busy = new Set<ChildProcess>();

  async run(request: ComponentizeRequest): Promise<void> {
    // Run from the sources, the child inherits this process's loader flags (tsx), so it runs TypeScript too.
    const child = this.#idle.pop() ?? fork(new URL(`./componentize-process${ownExtension}`, import.meta.url));
    this.#busy.add(child);
    const reply = await new Promise<ComponentizeReply>((resolve) => {
      const onExit = (code: number | null, signal: string | null) =>
        resolve({ ok: false, message: `componentize-js's process ended (${signal ?? `exit code ${code}`})` });
      child.once('exit', onExit);
      child.once('message', (message: ComponentizeReply) => {
        child.off('exit', onExit);
        resolve(message);
      });
      child.send(request);
    });
    this.#busy.delete(child);
    if (!reply.ok) {
      child.kill();
      throw new Error(reply.message);
    }
    this.#idle.push(child);
  }

  /** Lets the idle processes end and stops those still running (after another build failed). */
  close(): void {
    for (const child of this.#idle.splice(0)) child.disconnect();
    for (const child of this.#busy) child.kill();
    this.#busy.clear();
  }
}
