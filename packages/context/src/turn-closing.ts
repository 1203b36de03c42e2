/**
 * The text that closes an assistant turn the model generated, as the chat template closes an assistant
 * message. A generated turn ends with the model's end-of-turn token (`<|im_end|>`), but the template closes
 * the message with more (`<|im_end|>\n`): without the rest, the next message would follow a turn the
 * template never renders (`<|im_end|><|im_start|>user`).
 */

import { aroundContent } from './around-content.ts';

/** Per model name, the template's text after an assistant message's content. */
const closingOfModel = new Map<string, string>();

/**
 * What to append after `generated` (the text of the turn so far) to close it as `renderAssistant` (which
 * renders one assistant message, no generation prompt) closes a message: the template's closing minus the
 * part the generated text already ends with. Empty when the template changes the content so that its
 * closing cannot be told apart.
 */
export function turnClosing(
  modelName: string,
  generated: string,
  renderAssistant: (content: string) => string,
): string {
  let closing = closingOfModel.get(modelName);
  if (closing === undefined) {
    closing = aroundContent(renderAssistant)?.[1] ?? '';
    closingOfModel.set(modelName, closing);
  }
  for (let overlap = Math.min(closing.length, generated.length); overlap > 0; overlap--) {
    if (generated.endsWith(closing.slice(0, overlap))) return closing.slice(overlap);
  }
  return closing;
}
