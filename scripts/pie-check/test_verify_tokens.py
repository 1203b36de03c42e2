"""verify_tokens.py's parts: the replay of logged passes, the samplers' allowed sets, the distribution check,
and the evaluation that runs each sequence once.

Run by `pnpm pie-check --real-model` before the engine starts, in the check's venv:
    python -m unittest discover -s scripts/pie-check -p 'test_*.py'
"""

import unittest

import torch

from verify_tokens import Check, Sampler, Sequences, allowed, distribution_error, evaluate, replay


def first_of(request: dict, page_size: int) -> int:
    """The cache entry of a request's first input: its inputs are the last entries of its pages."""
    return (len(request["pages"]) - 1) * page_size + request["last"] - len(request["tokens"])


def batch(requests: list[dict], page_size: int = 2, single_token: bool = False, outputs=()) -> dict:
    """A logged pass; each request: `pages`, `last` (last page length), `tokens`, `positions`, and `attend`
    per input (causal when not given)."""
    qo, indptr = [0], [0]
    for request in requests:
        qo.append(qo[-1] + len(request["tokens"]))
        indptr.append(indptr[-1] + len(request["pages"]))
    return {
        "page_size": page_size,
        "single_token": single_token,
        "tokens": [t for r in requests for t in r["tokens"]],
        "positions": [p for r in requests for p in r["positions"]],
        "qo_indptr": qo,
        "kv_page_indices": [p for r in requests for p in r["pages"]],
        "kv_page_indptr": indptr,
        "kv_last_page_lens": [r["last"] for r in requests],
        "attend": [a for r in requests for a in r.get("attend", causal(first_of(r, page_size), len(r["tokens"])))],
        "outputs": [{"input": i, "type": 1, "temperature": 0.0, "top_k": 0, "top_p": 1.0, "min_p": 0.0, "token": 0} for i in outputs],
    }


def causal(first: int, count: int) -> list[list[list[int]]]:
    return [[[0, first + i + 1]] for i in range(count)]


PREFILL = batch([{"pages": [5, 9], "last": 1, "tokens": [10, 11, 12], "positions": [0, 1, 2], "attend": causal(0, 3)}])


class ReplayTest(unittest.TestCase):
    def replayed(self, *passes):
        sequences = Sequences()
        return sequences, [(output, sequences.tokens(key) if key >= 0 else None, problem) for _, output, key, problem in replay(list(passes), sequences)]

    def test_a_prefill_then_decode_steps_on_the_same_pages_are_one_sequence(self):
        decode = batch([{"pages": [5, 9], "last": 2, "tokens": [13], "positions": [3]}], single_token=True, outputs=[0])
        _, results = self.replayed(PREFILL, decode)
        self.assertEqual(results, [(decode["outputs"][0], [10, 11, 12, 13], None)])

    def test_an_input_sees_what_another_request_of_its_batch_writes(self):
        # A prefill and the first decode step, submitted without waiting and batched together, in either order.
        prefill = {"pages": [5, 9], "last": 1, "tokens": [10, 11, 12], "positions": [0, 1, 2]}
        step = {"pages": [5, 9], "last": 2, "tokens": [13], "positions": [3]}
        for requests in ([prefill, step], [step, prefill]):
            with self.subTest(first=requests[0]["tokens"]):
                together = batch(requests, outputs=[requests.index(step) * 3])
                _, results = self.replayed(together)
                self.assertEqual(results[0][1:], ([10, 11, 12, 13], None))

    def test_two_inputs_may_write_one_slot_only_with_the_same_entry(self):
        # A prefill that asked for a token at its last input, and a step recomputing that input, batched together.
        prefill = {"pages": [5, 9], "last": 1, "tokens": [10, 11, 12], "positions": [0, 1, 2]}
        for token, problem in ((12, None), (13, "writes the slot input 2 of the same batch writes")):
            with self.subTest(token=token):
                again = {"pages": [5, 9], "last": 1, "tokens": [token], "positions": [2]}
                _, results = self.replayed(batch([prefill, again], outputs=[3]))
                if problem is None:
                    self.assertEqual(results[0][1:], ([10, 11, 12], None))
                else:
                    self.assertIn(problem, results[0][2])

    def test_a_fork_sees_the_full_page_it_shares_and_its_own(self):
        fork = batch(
            [{"pages": [5, 7], "last": 2, "tokens": [20, 21], "positions": [2, 3], "attend": causal(2, 2)}], outputs=[1]
        )
        _, results = self.replayed(PREFILL, fork)
        self.assertEqual(results[0][1:], ([10, 11, 20, 21], None))

    def test_a_one_input_mask_that_hides_entries_is_a_problem_whether_pie_applied_it_or_not(self):
        hiding = {"pages": [5, 9], "last": 2, "tokens": [13], "positions": [3], "attend": [[[0, 1], [2, 4]]]}
        # Run as decode, the input saw every entry: the mask alone is the problem.
        _, results = self.replayed(PREFILL, batch([hiding], single_token=True, outputs=[0]))
        self.assertIn("hides entries", results[0][2])
        # Batched with a pass of more inputs, the mask applied: the input did not see entry 1.
        _, results = self.replayed(PREFILL, batch([hiding], outputs=[0]))
        self.assertIn("at position 2 as token 1", results[0][2])

    def test_what_is_not_a_plain_causal_sequence_is_a_problem(self):
        cases = {
            "never written": batch([{"pages": [5, 9], "last": 2, "tokens": [13], "positions": [3]}], single_token=True),
            "at position 4 as token 3": batch([{"pages": [5, 9], "last": 2, "tokens": [13], "positions": [4], "attend": [[[0, 4]]]}]),
            "at position 2 as token 1": batch(
                [{"pages": [5, 9], "last": 2, "tokens": [13], "positions": [3], "attend": [[[0, 1], [2, 4]]]}],
                outputs=[0],
            ),
            "does not see itself": batch([{"pages": [5, 9], "last": 2, "tokens": [13], "positions": [3], "attend": [[[0, 3]]]}]),
        }
        for expected, second in cases.items():
            with self.subTest(expected):
                passes = (second,) if expected == "never written" else (PREFILL, second)
                _, results = self.replayed(*passes)
                problems = [problem for _, _, problem in results if problem is not None]
                self.assertEqual(len(problems), 1)
                self.assertIn(expected, problems[0])

    def test_an_entry_computed_from_another_sequence_is_a_problem(self):
        # Page size 1: entry 1 of the third pass is page 13, which the second pass computed after token 30.
        one = lambda pages, tokens, first: batch(  # noqa: E731
            [{"pages": pages, "last": 1, "tokens": tokens, "positions": list(range(first, first + len(tokens))), "attend": causal(first, len(tokens))}],
            page_size=1,
        )
        _, results = self.replayed(one([10, 11], [1, 2], 0), one([12, 13], [30, 31], 0), one([10, 13, 14], [3], 2))
        self.assertEqual(len(results), 1)
        self.assertIn("computed from another sequence", results[0][2])


class AllowedTest(unittest.TestCase):
    logits = torch.log(torch.tensor([0.05, 0.4, 0.1, 0.3, 0.15]))

    def test_greedy_takes_the_best_or_a_tie(self):
        self.assertIsNone(allowed(self.logits, Sampler(1, 0.0), 1))
        self.assertIn("the best is 1", allowed(self.logits, Sampler(3, 0.0, top_k=5), 3))
        tied = torch.tensor([1.0, 1.0 - 1e-4, 0.0])
        self.assertIsNone(allowed(tied, Sampler(1, 0.0), 1))

    def test_each_sampler_allows_its_set(self):
        cases = {
            Sampler(1, 1.0): {0, 1, 2, 3, 4},
            Sampler(3, 1.0, top_k=2): {1, 3},
            Sampler(2, 1.0, top_p=0.5): {1, 3},
            Sampler(4, 1.0, min_p=0.3): {1, 3, 4},
            # Top 3 renormalized: 0.47, 0.35, 0.18; top-p 0.75 keeps the first two.
            Sampler(5, 1.0, top_k=3, top_p=0.75): {1, 3},
        }
        for sampler, expected in cases.items():
            with self.subTest(sampler):
                self.assertEqual({t for t in range(5) if allowed(self.logits, sampler, t) is None}, expected)

    def test_temperature_applies_before_the_cut(self):
        # At temperature 0.5 the probabilities sharpen: 0.4 and 0.3 become 0.59 and 0.33, so top-p 0.55 keeps one.
        self.assertEqual({t for t in range(5) if allowed(self.logits, Sampler(2, 0.5, top_p=0.55), t) is None}, {1})


class DistributionTest(unittest.TestCase):
    logits = torch.log(torch.tensor([0.05, 0.4, 0.1, 0.3, 0.15]))

    def test_the_top_k_within_tolerance_passes(self):
        error, largest = distribution_error(self.logits, 1.0, 2, [1, 3], [0.40004, 0.3])
        self.assertIsNone(error)
        self.assertAlmostEqual(largest, 4e-5, places=6)

    def test_a_wrong_probability_a_wrong_token_or_count_fails(self):
        self.assertIn("probability", distribution_error(self.logits, 1.0, 2, [1, 3], [0.41, 0.3])[0])
        self.assertIn("not among the top 2", distribution_error(self.logits, 1.0, 2, [1, 4], [0.4, 0.15])[0])
        self.assertIn("1 tokens, expected 2", distribution_error(self.logits, 1.0, 2, [1], [0.4])[0])


class EvaluateTest(unittest.TestCase):
    def test_each_sequence_runs_once_and_mismatches_are_named(self):
        sequences = Sequences()
        vocabulary = 7

        def logits_of(tokens):
            runs.append(tokens)
            # The next token is (sum of the tokens so far) mod 7.
            return torch.nn.functional.one_hot(torch.tensor(tokens).cumsum(0) % vocabulary, vocabulary).float()

        runs = []
        greedy = Sampler(1, 0.0)
        checks = [
            Check("a", "passes", "good", sequences.of([1, 2]), greedy, token=3),
            Check("a", "probe", "good prefix", sequences.of([1]), greedy, token=1),
            Check("b", "passes", "bad", sequences.of([1, 2, 3]), greedy, token=0),
            Check("b", "passes", "broken", -1, problem="a problem"),
        ]
        tallies, figures = evaluate(checks, sequences, logits_of)
        self.assertEqual(runs, [[1, 2, 3]])
        self.assertEqual(dict(tallies["a"].counts), {("passes", "tokens"): 1, ("probe", "tokens"): 1})
        self.assertEqual(tallies["a"].mismatches, [])
        self.assertEqual(dict(tallies["b"].counts), {("passes", "tokens"): 1})
        self.assertEqual(len(tallies["b"].mismatches), 2)
        self.assertIn("bad: greedy drew 0", tallies["b"].mismatches[1])
        self.assertEqual(figures["smallest greedy margin"], 1.0)


if __name__ == "__main__":
    unittest.main()
