/** The `inferlib:grammar/matcher` interface, in-process: what a bundler alias of that import resolves to. */
export { check, Grammar, Matcher } from './matcher.ts';
