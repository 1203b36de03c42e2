/** The `inferlib:chat/formatter` interface, in-process: what a bundler alias of that import resolves to. */
export { ChatFormatter, type ToolCall } from './formatter.ts';
