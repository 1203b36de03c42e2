/**
 * The vitest plugin of an inferlet project (`plugins: [inferlib()]` in its vitest config): the library's
 * `inferlib:*` imports run its sources in Node, bound to a host-shim instance, and `@inferlib/cli/testing` runs
 * through vitest's module graph, so that each instance it loads gets a fresh copy of the app and the library.
 */
import { linkForVitest } from './linking.ts';

export function inferlib() {
  return {
    ...linkForVitest(),
    config: () => ({ test: { server: { deps: { inline: [/[\\/]@inferlib[\\/]cli[\\/]/] } } } }),
  };
}
