import { inferlib } from '@inferlib/cli/vitest';
import { defineConfig } from 'vitest/config';

export default defineConfig({
  // The library's `inferlib:*` imports run its sources in Node, bound to a host-shim instance.
  plugins: [inferlib()],
  // Loading the built-in model's 151,669-token vocabulary takes seconds on a busy machine.
  test: { testTimeout: 60_000 },
});
