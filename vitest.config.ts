import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    projects: [
      {
        test: {
          name: 'unit',
          include: [
            'packages/*/test/**/*.test.ts',
            'host-shim/test/**/*.test.ts',
            'scripts/test/**/*.test.ts',
          ],
        },
      },
      {
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
