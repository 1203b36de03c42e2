import { describeContextScenarios } from './helpers/context-scenarios.ts';

// The context-client's scenarios on its single-engine build in StarlingMonkey, the engine apps can choose
// besides the default QuickJS (context.bundled.test.ts): the same tokens, the same messages.
describeContextScenarios('starlingmonkey');
