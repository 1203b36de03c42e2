import { defineConfig } from 'vitest/config';
import { linkForVitest } from './scripts/lib/linking.ts';

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
          include: ['test/**/*.test.ts'],
          // Transpiling a 12 MB component takes seconds; the tests themselves are quick.
          testTimeout: 120_000,
          hookTimeout: 180_000,
        },
      },
    ],
  },
});
