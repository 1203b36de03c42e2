import { describeContextScenarios } from './helpers/context-scenarios.ts';

// The composed build of context-pld is checked by text-completion-pld's tests (test/text-completion.test.ts);
// its scenarios run once, on the single-engine build, where they cost a fifth of the time.
describeContextScenarios('bundled', 'context-client-pld');
