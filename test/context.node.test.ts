import { describeContextScenarios } from './helpers/context-scenarios.ts';

describeContextScenarios('node');
