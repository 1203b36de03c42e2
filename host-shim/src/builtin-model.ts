import type { ModelSpec } from './models.ts';

/**
 * A ChatML chat template in the manner of the Qwen 3 family, written for the host-shim: system, user,
 * assistant (with `reasoning_content` in a think block and tool calls) and tool messages, and the
 * assistant header as generation prompt.
 */
export const qwen3StyleTemplate = `{%- for message in messages %}
{%- if message.role == "assistant" %}
{{- "<|im_start|>assistant\\n" }}
{%- if message.reasoning_content is defined and message.reasoning_content %}
{{- "<think>\\n" + message.reasoning_content + "\\n</think>\\n\\n" }}
{%- endif %}
{{- message.content }}
{%- if message.tool_calls is defined %}
{%- for call in message.tool_calls %}
{{- "\\n<tool_call>\\n{\\"name\\": " + (call.name | tojson) + ", \\"arguments\\": " + (call.arguments | tojson) + "}\\n</tool_call>" }}
{%- endfor %}
{%- endif %}
{{- "<|im_end|>\\n" }}
{%- elif message.role == "tool" %}
{{- "<|im_start|>user\\n<tool_response>\\n" + message.content + "\\n</tool_response><|im_end|>\\n" }}
{%- else %}
{{- "<|im_start|>" + message.role + "\\n" + message.content + "<|im_end|>\\n" }}
{%- endif %}
{%- endfor %}
{%- if add_generation_prompt %}
{{- "<|im_start|>assistant\\n" }}
{%- endif %}`;

/** The model a host serves when no models are given. */
export const builtinModel: ModelSpec = {
  name: 'qwen3-reference',
  traits: ['input-text', 'output-text', 'tokenize'],
  description:
    "Qwen 3's real tokenizer, chat format and stop tokens, with the host-shim's reference copy model: it echoes the user's message, then ends the turn",
  promptTemplate: qwen3StyleTemplate,
  stopTokens: ['<|im_end|>', '<|endoftext|>'],
  kvPageSize: 16,
};
