"""The flashinfer stand-in against dense references: PyTorch's scaled_dot_product_attention over contiguous keys
and values, RoPE as complex rotation, and the samplers' allowed sets. Each mutation must break its computation.

Run by `pnpm pie-check --real-model` before the engine starts, in the check's venv:
    python -m unittest discover -s scripts/pie-check -p 'test_*.py'
"""

import sys
import unittest
from pathlib import Path

import torch
import torch.nn.functional as F

sys.path.insert(0, str(Path(__file__).parent / "standin"))
import flashinfer  # noqa: E402  the stand-in, found first
from flashinfer import sampling  # noqa: E402

QO_HEADS, KV_HEADS, HEAD_DIM, PAGE_SIZE, PAGES = 4, 2, 8, 4, 40


class Batch:
    """Requests with `cached` entries already in the cache and `appended` new ones, on scattered pages."""

    def __init__(self, cached: list[int], appended: list[int], seed: int = 0):
        generator = torch.Generator().manual_seed(seed)
        self.cached, self.appended = cached, appended
        self.lengths = [c + a for c, a in zip(cached, appended)]
        self.q = [torch.randn(n, QO_HEADS, HEAD_DIM, generator=generator) for n in self.lengths]
        self.k = [torch.randn(n, KV_HEADS, HEAD_DIM, generator=generator) for n in self.lengths]
        self.v = [torch.randn(n, KV_HEADS, HEAD_DIM, generator=generator) for n in self.lengths]
        page_order = torch.randperm(PAGES, generator=generator).tolist()
        pages = [[page_order.pop() for _ in range(-(-n // PAGE_SIZE))] for n in self.lengths]
        self.indices = torch.tensor([page for request in pages for page in request], dtype=torch.int32)
        self.indptr = torch.tensor([0, *torch.tensor([len(p) for p in pages]).cumsum(0).tolist()], dtype=torch.int32)
        self.last_page_len = torch.tensor([n - (len(p) - 1) * PAGE_SIZE for n, p in zip(self.lengths, pages)], dtype=torch.int32)
        self.cache = torch.full((PAGES, 2, PAGE_SIZE, KV_HEADS, HEAD_DIM), float("nan"))
        self._append(lambda request: range(0, cached[request]))
        self.qo_indptr = torch.tensor([0, *torch.tensor(appended).cumsum(0).tolist()], dtype=torch.int32)
        self._append(lambda request: range(cached[request], self.lengths[request]))

    def _append(self, entries_of) -> None:
        """Writes entries as Pie does: batch indices and positions from the append counts and the lengths after."""
        entries = [list(entries_of(request)) for request in range(len(self.lengths))]
        indptr = torch.tensor([0, *torch.tensor([len(e) for e in entries]).cumsum(0).tolist()], dtype=torch.int32)
        lengths_after = torch.tensor([e[-1] + 1 if e else 0 for e in entries], dtype=torch.int32)
        # A request with nothing to write still has its pages; its length only matters for its own entries.
        batch_indices, positions = flashinfer.get_batch_indices_positions(indptr, lengths_after, int(indptr[-1]))
        pick = lambda tensors: torch.cat([tensors[r][e] for r, e in enumerate(entries)])  # noqa: E731
        flashinfer.append_paged_kv_cache(
            pick(self.k), pick(self.v), batch_indices, positions, self.cache,
            self.indices, self.indptr, self.last_page_len,
        )

    def new_queries(self) -> torch.Tensor:
        return torch.cat([q[c:] for q, c in zip(self.q, self.cached)])

    def dense(self, allowed: list[torch.Tensor]) -> torch.Tensor:
        """The reference: each request's new queries over its contiguous keys and values."""
        outputs = []
        for request, mask in enumerate(allowed):
            q = self.q[request][self.cached[request]:].transpose(0, 1)
            k = self.k[request].transpose(0, 1).repeat_interleave(QO_HEADS // KV_HEADS, dim=0)
            v = self.v[request].transpose(0, 1).repeat_interleave(QO_HEADS // KV_HEADS, dim=0)
            outputs.append(F.scaled_dot_product_attention(q, k, v, attn_mask=mask).transpose(0, 1))
        return torch.cat(outputs)

    def causal(self) -> list[torch.Tensor]:
        return [
            torch.arange(n)[None, :] <= torch.arange(c, n)[:, None] for c, n in zip(self.cached, self.lengths)
        ]


def prefill(batch: Batch, custom_mask=None, causal=False) -> torch.Tensor:
    wrapper = flashinfer.BatchPrefillWithPagedKVCacheWrapper(torch.empty(1), "NHD")
    wrapper.plan(
        qo_indptr=batch.qo_indptr, paged_kv_indptr=batch.indptr, paged_kv_indices=batch.indices,
        paged_kv_last_page_len=batch.last_page_len, num_qo_heads=QO_HEADS, num_kv_heads=KV_HEADS,
        head_dim_qk=HEAD_DIM, page_size=PAGE_SIZE, custom_mask=custom_mask, causal=causal,
        q_data_type=torch.float32,
    )
    return wrapper.run(batch.new_queries(), batch.cache)


def decode(batch: Batch) -> torch.Tensor:
    wrapper = flashinfer.BatchDecodeWithPagedKVCacheWrapper(torch.empty(1), "NHD")
    wrapper.plan(
        indptr=batch.indptr, indices=batch.indices, last_page_len=batch.last_page_len,
        num_qo_heads=QO_HEADS, num_kv_heads=KV_HEADS, head_dim=HEAD_DIM, page_size=PAGE_SIZE,
        pos_encoding_mode="NONE", q_data_type=torch.float32,
    )
    return wrapper.run(batch.new_queries(), batch.cache)


def rope_reference(x: torch.Tensor, positions: torch.Tensor, theta: float) -> torch.Tensor:
    """Each pair (x[j], x[j + half]) turned as the complex number x[j] + i·x[j + half] by position·θ^(-2j/d)."""
    half = x.shape[-1] // 2
    angles = positions.double()[:, None] * theta ** (-torch.arange(half).double() * 2 / x.shape[-1])
    turned = torch.complex(x[..., :half].double(), x[..., half:].double()) * torch.polar(
        torch.ones_like(angles), angles
    )[:, None, :]
    return torch.cat([turned.real, turned.imag], dim=-1).float()


class Mutation:
    """Sets the stand-in's mutation for the duration of a `with`."""

    def __init__(self, name: str):
        self.name = name

    def __enter__(self):
        flashinfer.MUTATION = self.name

    def __exit__(self, *_):
        flashinfer.MUTATION = ""


class AttentionTest(unittest.TestCase):
    def assertClose(self, actual, expected):
        self.assertLess(float((actual - expected).abs().max()), 1e-5)

    def test_page_arithmetic_follows_flashinfers_documented_example(self):
        batch_indices, positions = flashinfer.get_batch_indices_positions(
            torch.tensor([0, 1, 3, 6, 10], dtype=torch.int32), torch.tensor([5, 5, 5, 5]), 10
        )
        self.assertEqual(batch_indices.tolist(), [0, 1, 1, 2, 2, 2, 3, 3, 3, 3])
        self.assertEqual(positions.tolist(), [4, 3, 4, 2, 3, 4, 1, 2, 3, 4])
        seq_lens = flashinfer.get_seq_lens(torch.tensor([0, 3, 4, 4]), torch.tensor([2, 4, 0]), 4)
        self.assertEqual(seq_lens.tolist(), [10, 4, 0])

    def test_prefill_with_a_custom_mask_is_dense_attention_under_that_mask(self):
        batch = Batch(cached=[0, 5, 9], appended=[7, 6, 1])
        generator = torch.Generator().manual_seed(1)
        # Causal, with random holes; each query keeps its own entry.
        masks = [m & (torch.rand(m.shape, generator=generator) < 0.7) for m in batch.causal()]
        for request, mask in enumerate(masks):
            mask[torch.arange(mask.shape[0]), batch.cached[request] + torch.arange(mask.shape[0])] = True
        flat = torch.cat([m.reshape(-1) for m in masks])
        self.assertClose(prefill(batch, custom_mask=flat), batch.dense(masks))

    def test_the_custom_mask_wins_over_causal_and_causal_applies_without_one(self):
        batch = Batch(cached=[3, 0], appended=[5, 8], seed=2)
        everything = [torch.ones(m.shape, dtype=torch.bool) for m in batch.causal()]
        flat = torch.cat([m.reshape(-1) for m in everything])
        self.assertClose(prefill(batch, custom_mask=flat, causal=True), batch.dense(everything))
        self.assertClose(prefill(batch, causal=True), batch.dense(batch.causal()))

    def test_decode_attends_to_the_whole_cache(self):
        batch = Batch(cached=[0, 4, 12, 3], appended=[1, 1, 1, 1], seed=3)
        self.assertClose(decode(batch), batch.dense(batch.causal()))

    def test_rope_turns_each_half_pair_by_its_angle(self):
        generator = torch.Generator().manual_seed(4)
        q = torch.randn(6, QO_HEADS, HEAD_DIM, generator=generator)
        k = torch.randn(6, KV_HEADS, HEAD_DIM, generator=generator)
        positions = torch.tensor([0, 1, 2, 7, 100, 300], dtype=torch.int32)
        expected_q, expected_k = rope_reference(q, positions, 1e6), rope_reference(k, positions, 1e6)
        flashinfer.apply_rope_pos_ids_inplace(q, k, positions, rope_theta=1e6)
        self.assertLess(float((q - expected_q).abs().max()), 1e-4)
        self.assertLess(float((k - expected_k).abs().max()), 1e-4)

    def test_each_mutation_breaks_its_computation(self):
        prefilled, decoded = Batch(cached=[0, 5], appended=[6, 1], seed=5), Batch(cached=[4, 9], appended=[1, 1])
        flat = torch.cat([m.reshape(-1) for m in prefilled.causal()])
        cases = {
            "prefill-ignores-mask": lambda: (prefill(prefilled, custom_mask=flat), prefilled.dense(prefilled.causal())),
            "decode-drops-newest": lambda: (decode(decoded), decoded.dense(decoded.causal())),
        }
        self.assertEqual(set(cases) | {"rope-theta"}, set(flashinfer.MUTATIONS))
        for name, outputs in cases.items():
            with self.subTest(name), Mutation(name):
                actual, expected = outputs()
                self.assertGreater(float((actual - expected).abs().max()), 1e-2)
        q, k = torch.ones(1, 1, HEAD_DIM), torch.ones(1, 1, HEAD_DIM)
        with Mutation("rope-theta"):
            flashinfer.apply_rope_pos_ids_inplace(q, k, torch.tensor([50]), rope_theta=1e6)
        self.assertGreater(float((q - rope_reference(torch.ones(1, 1, HEAD_DIM), torch.tensor([50]), 1e6)).abs().max()), 1e-2)

    def test_what_is_not_implemented_raises(self):
        batch = Batch(cached=[0], appended=[3])
        with self.assertRaises(NotImplementedError):
            flashinfer.apply_rope_pos_ids_inplace(batch.q[0], batch.k[0], torch.arange(3), interleave=True)
        with self.assertRaises(NotImplementedError):
            flashinfer.BatchDecodeWithPagedKVCacheWrapper(torch.empty(1), "HND")
        wrapper = flashinfer.BatchPrefillWithPagedKVCacheWrapper(torch.empty(1), "NHD")
        with self.assertRaises(NotImplementedError):
            wrapper.plan(
                batch.qo_indptr, batch.indptr, batch.indices, batch.last_page_len, QO_HEADS, KV_HEADS,
                HEAD_DIM, PAGE_SIZE, logits_soft_cap=30.0,
            )
        with self.assertRaises(NotImplementedError):
            sampling.top_k_top_p_sampling_from_probs(torch.ones(1, 4) / 4, 2, 0.5, filter_apply_order="joint")


class SamplingTest(unittest.TestCase):
    probs = torch.tensor([[0.05, 0.4, 0.1, 0.3, 0.15, 0.0], [0.6, 0.0, 0.0, 0.0, 0.0, 0.4]])

    def drawn(self, sample) -> list[set[int]]:
        torch.manual_seed(0)
        draws = torch.stack([sample() for _ in range(2000)], dim=1)
        return [set(row.tolist()) for row in draws]

    def test_each_sampler_draws_exactly_its_allowed_tokens(self):
        p = self.probs
        cases = {
            "sampling_from_probs": (lambda: sampling.sampling_from_probs(p), [{0, 1, 2, 3, 4}, {0, 5}]),
            "top_k": (lambda: sampling.top_k_sampling_from_probs(p, torch.tensor([2, 1])), [{1, 3}, {0}]),
            # The smallest set of likeliest tokens whose probabilities reach p: 0.4 + 0.3 ≥ 0.5.
            "top_p": (lambda: sampling.top_p_sampling_from_probs(p, 0.5), [{1, 3}, {0}]),
            "min_p": (lambda: sampling.min_p_sampling_from_probs(p, torch.tensor([0.3, 0.5])), [{1, 3, 4}, {0, 5}]),
            # Top 3 = {1, 3, 4} renormalized to 0.47, 0.35, 0.18: the first two reach 0.75.
            "top_k_top_p": (lambda: sampling.top_k_top_p_sampling_from_probs(p, 3, 0.75), [{1, 3}, {0, 5}]),
        }
        for name, (sample, allowed) in cases.items():
            with self.subTest(name):
                self.assertEqual(self.drawn(sample), allowed)

    def test_a_one_hot_row_gives_its_token_under_every_sampler(self):
        one_hot = F.one_hot(torch.tensor([3, 0]), 6).float()
        for sample in (
            lambda: sampling.sampling_from_probs(one_hot),
            lambda: sampling.top_k_sampling_from_probs(one_hot, 4),
            lambda: sampling.top_p_sampling_from_probs(one_hot, 0.9),
            lambda: sampling.min_p_sampling_from_probs(one_hot, 0.1),
            lambda: sampling.top_k_top_p_sampling_from_probs(one_hot, 2, 0.9),
        ):
            self.assertEqual(self.drawn(sample), [{3}, {0}])


if __name__ == "__main__":
    unittest.main()
