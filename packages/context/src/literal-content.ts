import type { Tokenizer } from 'inferlib:model/models';
import { pushAll } from '@inferlib/support';
import { aroundContent } from './around-content.ts';

/**
 * Message content is text. The host tokenizer turns the text of any control token (`<|im_end|>`) into
 * that token wherever it appears, so a user who types it could end their turn and forge a system one.
 * The content of `fill-system`, `fill-user` and `fill-assistant` is therefore tokenized with every control
 * token's text cut in two after its first character: each piece is tokenized on its own, the text stays
 * the same, and no control token can form. `fill` is the way to ask for control tokens.
 *
 * Every Pie template's markup has the shape `<…>` or `[INST]`. Such text is a control token when the
 * tokenizer makes it one token even glued between letters, which merges of ordinary text never survive.
 */
const markupShape = /<[^\s<>]+>|\[\/?[A-Z_]+\]/g;

/** Per model name, whether each markup-shaped text seen so far is a control token. */
const controlTokensOfModel = new Map<string, Map<string, boolean>>();

export interface TokenizingModel {
  readonly name: string;
  readonly tokenizer: Tokenizer;
}

/** Whether `text` is the text of one of `model`'s control tokens (asked of the tokenizer once per text). */
export function isControlToken(text: string, model: TokenizingModel): boolean {
  let known = controlTokensOfModel.get(model.name);
  if (known === undefined) {
    known = new Map();
    controlTokensOfModel.set(model.name, known);
  }
  let control = known.get(text);
  if (control === undefined) {
    const probe = model.tokenizer.tokenize(`a${text}a`);
    control = probe.length === 3 && model.tokenizer.detokenize(probe.subarray(1, 2)) === text;
    known.set(text, control);
  }
  return control;
}

/** Whether the whole of `text` has the shape of a control token's text (`<|im_end|>`, `[INST]`). */
export const isMarkupShaped = (text: string): boolean =>
  [...text.matchAll(markupShape)].some((match) => match[0] === text);

/** Where to cut `text` so that no control token can form: after the first character of each one's text. */
function controlCuts(text: string, model: TokenizingModel): number[] {
  const cuts: number[] = [];
  for (const match of text.matchAll(markupShape)) {
    if (isControlToken(match[0], model)) cuts.push(match.index + 1);
  }
  return cuts;
}

/** The tokens of `text` cut at `cuts` (offsets into it), each piece tokenized on its own. */
function tokenizePieces(text: string, cuts: readonly number[], tokenizer: Tokenizer): number[] {
  const tokens: number[] = [];
  let pieceStart = 0;
  for (const cut of cuts) {
    pushAll(tokens, tokenizer.tokenize(text.slice(pieceStart, cut)));
    pieceStart = cut;
  }
  pushAll(tokens, tokenizer.tokenize(text.slice(pieceStart)));
  return tokens;
}

/** The tokens of `text` as plain text: the text of a control token in it stays text. */
export function tokenizeLiteral(text: string, model: TokenizingModel): number[] {
  return tokenizePieces(text, controlCuts(text, model), model.tokenizer);
}

/**
 * The tokens of one message rendered by `render`, with every control-token text inside its `content` kept
 * as plain text.
 */
export function tokenizeMessage(
  render: (content: string) => string,
  content: string,
  model: TokenizingModel,
): ArrayLike<number> {
  const rendered = render(content);
  const cuts = controlCuts(content, model);
  if (cuts.length === 0) return model.tokenizer.tokenize(rendered);
  // Where the content sits: the template's text around a placeholder must be the text around the content.
  const around = aroundContent(render);
  if (around === undefined || rendered !== `${around[0]}${content}${around[1]}`) {
    throw new Error(
      `the text holds a control token's text, which cannot be kept literal because the chat template changes the text: ${JSON.stringify(content)}`,
    );
  }
  const contentStart = around[0].length;
  return tokenizePieces(
    rendered,
    cuts.map((cut) => contentStart + cut),
    model.tokenizer,
  );
}
