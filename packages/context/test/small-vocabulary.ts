/**
 * A model with a small vocabulary made to test constrained generation hard and fast: every byte is a token
 * (so any text can be written, a character's UTF-8 split across tokens included), and the other tokens
 * span what a constraint separates (`": "`, `"}`, `", "`, a quote and a letter, digits and a point), end or
 * start inside a character, or are control tokens. The host-shim's reference model runs over it in a
 * fraction of the time Qwen 3's 151,669 tokens take.
 */
import { builtinModel, type ModelSpec, type Tokenizer } from '../../../host-shim/src/index.ts';

const controlTokens = ['<|im_end|>', '<|im_start|>', '<tool_call>'];

const pieces = [
  '{"',
  '"}',
  '":',
  '": "',
  '", "',
  ' "',
  '",',
  '},',
  '}]',
  '[{',
  '["',
  '"]',
  ', ',
  ': ',
  'true',
  'false',
  'null',
  'name',
  '"name',
  'age',
  'tags',
  'yes',
  'no',
  'maybe',
  '12',
  '-1',
  '0.',
  '.5',
  'e+',
  'the',
  ' and',
  'ab',
  'bc',
  'Ada',
  '\\n',
  '\\"',
  'é',
  'été',
  '😀',
  '中文',
  '\u00e9"',
  '2024-',
  '-02-',
  '29',
  'T12:',
  ':00Z',
  '@a.',
  'com',
  'user',
  'assistant',
  '\n',
];

/** Partial characters: the first bytes of `中` and of `😀`, the last bytes of `😀`. */
const partials = [Uint8Array.of(0xe4, 0xb8), Uint8Array.of(0xf0, 0x9f), Uint8Array.of(0x98, 0x80)];

export function smallTokenizer(): Tokenizer {
  const encoder = new TextEncoder();
  const bytes: Uint8Array[] = [];
  for (let byte = 0; byte < 256; byte++) bytes.push(Uint8Array.of(byte));
  for (const piece of pieces) bytes.push(encoder.encode(piece));
  bytes.push(...partials);
  const control = new Map(controlTokens.map((text, index) => [text, bytes.length + index]));
  for (const text of controlTokens) bytes.push(encoder.encode(text));
  // Longest match first over bytes, control tokens aside.
  const byLength = bytes
    .map((token, id) => ({ token, id }))
    .filter(({ id }) => id >= 256 && ![...control.values()].includes(id))
    .sort((a, b) => b.token.length - a.token.length);
  const encodeText = (text: string): number[] => {
    const data = encoder.encode(text);
    const ids: number[] = [];
    for (let at = 0; at < data.length; ) {
      const match = byLength.find(
        ({ token }) =>
          token.length <= data.length - at && token.every((byte, index) => data[at + index] === byte),
      );
      ids.push(match?.id ?? (data[at] as number));
      at += match?.token.length ?? 1;
    }
    return ids;
  };
  const splitter = new RegExp(controlTokens.map((text) => text.replace(/[|[\]]/g, '\\$&')).join('|'), 'g');
  return {
    vocabSize: bytes.length,
    encode(text) {
      const ids: number[] = [];
      let at = 0;
      for (const match of text.matchAll(splitter)) {
        ids.push(...encodeText(text.slice(at, match.index)), control.get(match[0]) as number);
        at = match.index + match[0].length;
      }
      ids.push(...encodeText(text.slice(at)));
      return ids;
    },
    decode(ids) {
      const parts = ids.map((id) => bytes[id] ?? new Uint8Array());
      const all = new Uint8Array(parts.reduce((sum, part) => sum + part.length, 0));
      let offset = 0;
      for (const part of parts) {
        all.set(part, offset);
        offset += part.length;
      }
      return new TextDecoder().decode(all);
    },
    vocabs: () => [bytes.map((_, id) => id), bytes],
  };
}

/** The built-in model's template and stop tokens over the small vocabulary. */
export const smallModel: ModelSpec = {
  ...builtinModel,
  name: 'small-reference',
  stopTokens: ['<|im_end|>'],
  tokenizer: smallTokenizer,
};
