import { describeContextScenarios } from './helpers/context-scenarios.ts';

describeContextScenarios('bundled', 'context-client-pld');
