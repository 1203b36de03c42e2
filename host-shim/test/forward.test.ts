import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { distribution, evaluateOneShot, referenceModel } from '../src/index.ts';
import { GrowingCache, newGuest, run, smallModel, u32 } from './fixture.ts';

const vocabSize = 48;
const oracle = referenceModel(vocabSize, 0);

/** Drives a growing KV cache by hand, as a context would. */
class PagedSequence extends GrowingCache {
  /** Runs `tokens` through one pass and returns the top-8 distribution and greedy token at its last input. */
  step(tokens: readonly number[]): { ids: number[]; probs: number[]; greedy: number } {
    const { forward, queue } = this.guest;
    const lastPageLength = this.grow(tokens.length);
    const pass = forward.createForwardPass(queue);
    forward.kvCache(pass, u32(this.pages), lastPageLength);
    forward.inputTokens(pass, u32(tokens), u32(tokens.map((_, index) => this.length + index)));
    forward.outputDistributions(pass, u32([tokens.length - 1]), 1, 8);
    forward.outputTokens(pass, u32([tokens.length - 1]), 0);
    const result = run(this.guest, pass);
    this.length += tokens.length;
    const [ids, probs] = result?.getDistributions()?.[0] ?? [[], []];
    return { ids: [...ids], probs: [...probs], greedy: result?.getTokens()?.[0] ?? -1 };
  }
}

const expectedAt = (tokens: readonly number[]) => {
  const logits = evaluateOneShot(oracle, tokens).at(-1) as Float32Array;
  const [ids, probs] = distribution(logits, 1, 8);
  return { ids, probs: [...Float32Array.from(probs)], greedy: distribution(logits, 0, 1)[0][0] ?? -1 };
};

describe('paged evaluation', () => {
  it('equals the one-shot reference for any page size and any split of the prompt', () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 1, max: 6 }),
        fc.array(fc.integer({ min: 0, max: 11 }), { minLength: 1, maxLength: 24 }),
        fc.array(fc.integer({ min: 1, max: 5 }), { minLength: 1, maxLength: 24 }),
        fc.integer({ min: 0, max: 6 }),
        (pageSize, prompt, chunkSizes, decodeSteps) => {
          const sequence = new PagedSequence(
            newGuest({ models: [smallModel(pageSize, vocabSize)] }),
            pageSize,
          );
          const tokens: number[] = [];
          let offset = 0;
          for (const size of chunkSizes) {
            if (offset >= prompt.length) break;
            const chunk = prompt.slice(offset, offset + size);
            offset += chunk.length;
            tokens.push(...chunk);
            expect(sequence.step(chunk)).toEqual(expectedAt(tokens));
          }
          if (offset < prompt.length) {
            tokens.push(...prompt.slice(offset));
            expect(sequence.step(prompt.slice(offset))).toEqual(expectedAt(tokens));
          }
          for (let step = 0; step < decodeSteps; step++) {
            const next = expectedAt(tokens).greedy;
            tokens.push(next);
            expect(sequence.step([next])).toEqual(expectedAt(tokens));
          }
        },
      ),
      { numRuns: 150 },
    );
  });

  it('copies the user turn and then ends it, with the built-in model', () => {
    const guest = newGuest();
    const tokenizer = guest.tokenize.getTokenizer(guest.runtime.getModel('qwen3-reference') as never);
    const prompt = tokenizer.tokenize(
      '<|im_start|>user\nThe cat sat on the mat.<|im_end|>\n<|im_start|>assistant\n',
    );
    const sequence = new PagedSequence(guest, 16);
    let next = sequence.step([...prompt]).greedy;
    const generated: number[] = [];
    while (generated.length < 40) {
      generated.push(next);
      if (tokenizer.detokenize(u32([next])) === '<|im_end|>') break;
      next = sequence.step([next]).greedy;
    }
    expect(tokenizer.detokenize(u32(generated))).toBe('The cat sat on the mat.<|im_end|>');
  });
});

describe('attention masks', () => {
  const setup = () => {
    const guest = newGuest({ models: [smallModel(4, vocabSize)] });
    const pages = [...guest.common.allocateResources(guest.queue, 0, 2)];
    const prefill = guest.forward.createForwardPass(guest.queue);
    guest.forward.kvCache(prefill, u32(pages), 1);
    guest.forward.inputTokens(prefill, u32([5, 6, 7, 5, 9]), u32([0, 1, 2, 3, 4]));
    guest.forward.outputTokens(prefill, u32([4]), 0);
    run(guest, prefill);
    return { guest, pages };
  };
  /** The distribution after a 5 at slot 5 seeing what `mask` lets it see; a second input follows, causal. */
  const decode = (mask: Uint32Array | undefined) => {
    const { guest, pages } = setup();
    const pass = guest.forward.createForwardPass(guest.queue);
    guest.forward.kvCache(pass, u32(pages), 3);
    guest.forward.inputTokens(pass, u32([5, 8]), u32([5, 6]));
    if (mask !== undefined) guest.forward.attentionMask(pass, [mask, u32([7])]);
    guest.forward.outputDistributions(pass, u32([0]), 1, 4);
    return run(guest, pass)?.getDistributions()?.[0];
  };

  it('an explicit causal mask equals no mask; hiding a slot changes the prediction', () => {
    const causal = decode(undefined);
    expect(decode(u32([6]))).toEqual(causal);
    // Hide slot 4 (token 9, which followed the latest earlier 5): the model must copy from the first 5 instead.
    const hidden = decode(u32([4, 1, 1]));
    expect(hidden).not.toEqual(causal);
    expect(causal?.[0][0]).toBe(9);
    expect(hidden?.[0][0]).toBe(6);
  });

  it('refuses a mask that hides slots from a one-input pass, which Pie would ignore when it runs the pass as decode', () => {
    const { guest, pages } = setup();
    const pass = (mask: Uint32Array) => {
      const made = guest.forward.createForwardPass(guest.queue);
      guest.forward.kvCache(made, u32(pages), 2);
      guest.forward.inputTokens(made, u32([5]), u32([5]));
      guest.forward.attentionMask(made, [mask]);
      guest.forward.outputTokens(made, u32([0]), 0);
      return made;
    };
    expect(() => pass(u32([4, 1, 1])).execute()).toThrow(
      /^inferlet:core\/forward\.attention-mask: mask \[4, 1, 1\] hides KV slots from the pass's one input; Pie ignores/,
    );
    // A causal mask is what decode does anyway.
    expect(run(guest, pass(u32([6])))?.getTokens()).toEqual(u32([9]));
  });

  it('equals the one-shot evaluation of exactly the visible tokens', () => {
    const masked = decode(u32([1, 1, 4]));
    const logits = oracle.logits({
      input: { token: 5, position: 5 },
      visible: [
        { token: 5, position: 0 },
        { token: 7, position: 2 },
        { token: 5, position: 3 },
        { token: 9, position: 4 },
        { token: 5, position: 5 },
      ],
      adapter: undefined,
    });
    const [ids, probs] = distribution(logits, 1, 4);
    expect(masked).toEqual([u32(ids), Float32Array.from(probs)]);
  });
});
