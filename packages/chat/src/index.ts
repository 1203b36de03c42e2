/** `inferlib:chat/formatter` and `inferlib:chat/templates`, in-process: what a bundler alias of those imports resolves to. */
export { ChatFormatter, type ToolCall } from './formatter.ts';
export { ChatTemplate } from './templates.ts';
