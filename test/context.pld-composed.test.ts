import { describeContextScenarios } from './helpers/context-scenarios.ts';

describeContextScenarios('composed', 'context-client-pld');
