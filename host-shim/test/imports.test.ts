import { readdirSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { hostExportNames } from '../../cli/src/linking.ts';
import { repoRoot } from '../../scripts/lib/paths.ts';
import { createHost } from '../src/index.ts';

/** Every host interface the guest types declare, as jco keys it: `inferlet:core/forward`. */
const hostInterfaces = readdirSync(join(repoRoot, 'packages', 'inferlet-bindings', 'generated', 'types'))
  .map((file) => file.replace(/\.d\.ts$/, '').replace(/^([a-z]+)-([a-z]+)-(.*)$/, '$1:$2/$3'))
  // wasi:io's streams and errors come from preview2-shim, which the host-shim passes through untouched.
  .filter((iface) => iface.startsWith('inferlet:') || iface === 'wasi:io/poll');

describe('the import object', () => {
  it('has every function and resource of every host interface', () => {
    const { imports } = createHost().createInstance();
    expect(hostInterfaces).toContain('inferlet:zo/evolve');
    for (const iface of hostInterfaces) {
      const provided = imports[iface] as Record<string, unknown> | undefined;
      expect(provided, iface).toBeDefined();
      for (const name of hostExportNames(iface))
        expect(typeof provided?.[name], `${iface}.${name}`).toBe('function');
    }
  });
});
