import { defineConfig } from 'vitest/config';
import { linkForVitest } from './cli/src/linking.ts';

export default defineConfig({
  // The library's `inferlib:*` imports run its sources in Node, bound to a host-shim instance.
  plugins: [linkForVitest()],
  test: {
    // Test files are CPU-bound (transpiling, interpreted components): one per core.
    maxWorkers: 2,
    projects: [
      {
        extends: true,
        test: {
          name: 'unit',
          // Loading Qwen 3's 151,669-token vocabulary takes seconds on a busy machine.
          testTimeout: 30_000,
          include: [
            'packages/*/test/**/*.test.ts',
            'host-shim/test/**/*.test.ts',
            'scripts/test/**/*.test.ts',
          ],
        },
      },
      {
        extends: true,
        test: {
          name: 'components',
          include: ['test/**/*.test.ts', 'examples/*/test/**/*.test.ts'],
          // Transpiling a composition (86 MB) takes seconds on an idle machine and can take a minute on a
          // busy one, beside the other test worker; the tests themselves are quick.
          testTimeout: 300_000,
          hookTimeout: 600_000,
        },
      },
    ],
  },
});
