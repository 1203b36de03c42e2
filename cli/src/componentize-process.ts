/**
 * A process that runs componentize-js for `ComponentizeProcesses`, one request at a time. componentize-js
 * does most of its work synchronously (its wasm tools, and Wizer through `spawnSync`), so two builds in one
 * process run one after the other; each process is a core's worth.
 */
import { mkdir, writeFile } from 'node:fs/promises';
import { dirname } from 'node:path';
import { componentize } from '@bytecodealliance/componentize-js';
import { allowWitFileAccess, type ComponentizeReply, type ComponentizeRequest } from './componentize.ts';

allowWitFileAccess();

async function run(request: ComponentizeRequest): Promise<ComponentizeReply> {
  try {
    const { component } = await componentize({
      sourcePath: request.sourcePath,
      witPath: request.witPath,
      worldName: request.worldName,
      disableFeatures: [...request.disableFeatures],
    });
    await mkdir(dirname(request.wasm), { recursive: true });
    await writeFile(request.wasm, component);
    return { ok: true };
  } catch (error) {
    return { ok: false, message: error instanceof Error ? error.message : String(error) };
  }
}

process.on('message', (request: ComponentizeRequest) => {
  void run(request).then((reply) => process.send?.(reply));
});
