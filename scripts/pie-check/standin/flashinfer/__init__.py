"""A pure-PyTorch stand-in for the part of flashinfer that Pie's Qwen 3 path calls, for `pnpm pie-check --real-model`.

Pie's `pie_worker/model/qwen3.py` (at f60cdb4e9) runs every layer through flashinfer's CUDA kernels; on a
machine without CUDA this package takes the name `flashinfer` (its folder comes first on PYTHONPATH) and
computes the same results on the CPU, following flashinfer's documented semantics:

- a paged KV cache is one tensor `[pages, 2, page_size, kv_heads, head_dim]` (layout NHD; `[:, 0]` keys,
  `[:, 1]` values); request `b` owns pages `kv_indices[kv_indptr[b]:kv_indptr[b + 1]]`, the last holding
  `kv_last_page_len[b]` entries;
- RoPE rotates the first and second halves of each head (not interleaved);
- prefill attention takes a flattened boolean mask, row-major `[qo_len, kv_len]` per request, True where a
  query may attend; it wins over `causal`. Decode attention takes no mask: its one query sees the whole cache.

Anything else flashinfer offers raises. `PIE_CHECK_MUTATION` breaks one computation on purpose, to show that
the check fails when the model is wrong (see MUTATIONS).
"""

import os

import torch

MUTATIONS = {
    "rope-theta": "RoPE uses twice the model's theta",
    "prefill-ignores-mask": "prefill attention ignores its mask: every query sees every cache entry",
    "decode-drops-newest": "decode attention leaves out the newest cache entry",
}
MUTATION = os.environ.get("PIE_CHECK_MUTATION", "")
if MUTATION and MUTATION not in MUTATIONS:
    raise ValueError(f"PIE_CHECK_MUTATION={MUTATION!r}: expected one of {', '.join(MUTATIONS)}")


def _unsupported(call: str, what: str) -> NotImplementedError:
    return NotImplementedError(f"flashinfer stand-in: {call}: {what} is not implemented")


def get_seq_lens(kv_indptr: torch.Tensor, kv_last_page_len: torch.Tensor, page_size: int) -> torch.Tensor:
    """Entries in each request's cache: its full pages and the last one's length."""
    return torch.clamp(kv_indptr[1:] - kv_indptr[:-1] - 1, min=0) * page_size + kv_last_page_len


def get_batch_indices_positions(append_indptr: torch.Tensor, seq_lens: torch.Tensor, nnz: int):
    """For each appended entry, its request and its index in that request's cache (the appended ones are last)."""
    counts = append_indptr[1:] - append_indptr[:-1]
    batch_indices = torch.repeat_interleave(torch.arange(len(counts)), counts.long())
    if len(batch_indices) != nnz:
        raise ValueError(f"get_batch_indices_positions: append_indptr holds {len(batch_indices)} entries, nnz is {nnz}")
    within = torch.arange(nnz) - append_indptr[batch_indices]
    positions = seq_lens[batch_indices] - counts[batch_indices] + within
    return batch_indices.to(torch.int32), positions.to(torch.int32)


def _check_layout(call: str, paged_kv_cache, kv_layout: str) -> None:
    if kv_layout != "NHD":
        raise _unsupported(call, f"kv_layout {kv_layout!r}")
    if not isinstance(paged_kv_cache, torch.Tensor) or paged_kv_cache.dim() != 5:
        raise _unsupported(call, "a KV cache other than one 5-D tensor")


def _slots(kv_indices, kv_indptr, requests, entries: torch.Tensor, page_size: int):
    """The (page, offset) of cache entries, each of its request (one for all, or one per entry)."""
    pages = kv_indices[kv_indptr[requests] + torch.div(entries, page_size, rounding_mode="floor")]
    return pages.long(), (entries % page_size).long()


def append_paged_kv_cache(
    append_key,
    append_value,
    batch_indices,
    positions,
    paged_kv_cache,
    kv_indices,
    kv_indptr,
    kv_last_page_len,
    kv_layout="NHD",
) -> None:
    """Writes each entry's key and value at its position in its request's pages."""
    _check_layout("append_paged_kv_cache", paged_kv_cache, kv_layout)
    pages, offsets = _slots(kv_indices, kv_indptr, batch_indices.long(), positions.long(), paged_kv_cache.shape[2])
    paged_kv_cache[pages, 0, offsets] = append_key.to(paged_kv_cache.dtype)
    paged_kv_cache[pages, 1, offsets] = append_value.to(paged_kv_cache.dtype)


def apply_rope_pos_ids_inplace(q, k, pos_ids, rotary_dim=None, interleave=False, rope_scale=1, rope_theta=1e4) -> None:
    """Rotates each head's halves by angles `position / rope_scale * rope_theta ** (-2i / head_dim)`."""
    head_dim = q.shape[-1]
    if interleave:
        raise _unsupported("apply_rope_pos_ids_inplace", "interleave=True")
    if rotary_dim not in (None, head_dim):
        raise _unsupported("apply_rope_pos_ids_inplace", f"rotary_dim {rotary_dim} below head_dim {head_dim}")
    theta = rope_theta * 2 if MUTATION == "rope-theta" else rope_theta
    half = head_dim // 2
    inverse_frequency = 1.0 / (theta ** (torch.arange(half, dtype=torch.float32) * 2 / head_dim))
    angles = (pos_ids.to(torch.float32) / rope_scale)[:, None] * inverse_frequency[None, :]
    cos, sin = angles.cos()[:, None, :], angles.sin()[:, None, :]
    for x in (q, k):
        first, second = x[..., :half].float(), x[..., half:].float()
        x.copy_(torch.cat([first * cos - second * sin, second * cos + first * sin], dim=-1))


def _check_plain(call: str, pos_encoding_mode: str, window_left: int, logits_soft_cap) -> None:
    """Refuses what flashinfer's attention offers beyond plain softmax attention (Pie's Qwen 3 path uses none)."""
    if pos_encoding_mode != "NONE":
        raise _unsupported(call, f"pos_encoding_mode {pos_encoding_mode!r}")
    if window_left != -1:
        raise _unsupported(call, "a sliding window")
    if logits_soft_cap:
        raise _unsupported(call, "logits_soft_cap")


def _attend(q, keys, values, allowed, sm_scale) -> torch.Tensor:
    """Softmax attention of queries `[n, qo_heads, d]` over entries `[m, kv_heads, d]`; `allowed` is `[n, m]`."""
    if not bool(allowed.any(dim=1).all()):
        raise _unsupported("attention", "a query that may attend to no cache entry")
    group = q.shape[1] // keys.shape[1]
    keys = keys.repeat_interleave(group, dim=1)
    values = values.repeat_interleave(group, dim=1)
    scores = torch.einsum("nhd,mhd->hnm", q.float(), keys.float()) * sm_scale
    scores = scores.masked_fill(~allowed[None, :, :], float("-inf"))
    return torch.einsum("hnm,mhd->nhd", scores.softmax(dim=-1), values.float()).to(q.dtype)


class _PagedAttention:
    """What the two wrappers share: the planned page table, and gathering one request's cache."""

    def __init__(self, float_workspace_buffer, kv_layout="NHD", use_cuda_graph=False, **buffers):
        if kv_layout != "NHD":
            raise _unsupported(type(self).__name__, f"kv_layout {kv_layout!r}")
        if use_cuda_graph or any(buffer is not None for buffer in buffers.values()):
            raise _unsupported(type(self).__name__, "CUDA graphs and their buffers")
        self.planned = None

    def _plan_pages(self, indptr, indices, last_page_len, num_qo_heads, num_kv_heads, page_size):
        if num_qo_heads % num_kv_heads != 0:
            raise ValueError(f"{type(self).__name__}.plan: {num_qo_heads} query heads for {num_kv_heads} KV heads")
        return {
            "indptr": indptr.long(),
            "indices": indices.long(),
            "seq_lens": get_seq_lens(indptr, last_page_len, page_size).long(),
            "page_size": page_size,
        }

    def _cache_of(self, paged_kv_cache, request: int):
        _check_layout(f"{type(self).__name__}.run", paged_kv_cache, "NHD")
        plan = self.planned
        pages, offsets = _slots(
            plan["indices"], plan["indptr"], request, torch.arange(int(plan["seq_lens"][request])), plan["page_size"]
        )
        return paged_kv_cache[pages, 0, offsets], paged_kv_cache[pages, 1, offsets]

    def _plan_for(self, call: str):
        if self.planned is None:
            raise RuntimeError(f"{type(self).__name__}.{call}: plan() first")
        return self.planned


class BatchPrefillWithPagedKVCacheWrapper(_PagedAttention):
    def plan(
        self,
        qo_indptr,
        paged_kv_indptr,
        paged_kv_indices,
        paged_kv_last_page_len,
        num_qo_heads,
        num_kv_heads,
        head_dim_qk,
        page_size,
        custom_mask=None,
        causal=False,
        sm_scale=None,
        q_data_type=None,
        head_dim_vo=None,
        packed_custom_mask=None,
        pos_encoding_mode="NONE",
        window_left=-1,
        logits_soft_cap=None,
    ) -> None:
        call = "BatchPrefillWithPagedKVCacheWrapper.plan"
        _check_plain(call, pos_encoding_mode, window_left, logits_soft_cap)
        if head_dim_vo not in (None, head_dim_qk):
            raise _unsupported(call, "head_dim_vo other than head_dim_qk")
        if packed_custom_mask is not None:
            raise _unsupported(call, "packed_custom_mask")
        plan = self._plan_pages(
            paged_kv_indptr, paged_kv_indices, paged_kv_last_page_len, num_qo_heads, num_kv_heads, page_size
        )
        qo_indptr = qo_indptr.long()
        mask_size = int(((qo_indptr[1:] - qo_indptr[:-1]) * plan["seq_lens"]).sum())
        if custom_mask is not None and custom_mask.numel() != mask_size:
            raise ValueError(f"{call}: custom_mask has {custom_mask.numel()} entries, qo_len * kv_len sum to {mask_size}")
        plan.update(
            qo_indptr=qo_indptr,
            custom_mask=None if custom_mask is None else custom_mask.bool(),
            causal=causal,
            sm_scale=sm_scale if sm_scale is not None else head_dim_qk**-0.5,
        )
        self.planned = plan

    def run(self, q, paged_kv_cache) -> torch.Tensor:
        plan = self._plan_for("run")
        out = torch.empty_like(q)
        mask_start = 0
        for request in range(len(plan["seq_lens"])):
            start, end = int(plan["qo_indptr"][request]), int(plan["qo_indptr"][request + 1])
            queries, entries = end - start, int(plan["seq_lens"][request])
            if plan["custom_mask"] is not None:
                allowed = plan["custom_mask"][mask_start : mask_start + queries * entries].view(queries, entries)
                mask_start += queries * entries
            elif plan["causal"]:
                # Query i is the cache's entry `entries - queries + i`: it sees that entry and those before.
                allowed = torch.arange(entries)[None, :] <= (entries - queries + torch.arange(queries))[:, None]
            else:
                allowed = torch.ones(queries, entries, dtype=torch.bool)
            if MUTATION == "prefill-ignores-mask":
                allowed = torch.ones(queries, entries, dtype=torch.bool)
            keys, values = self._cache_of(paged_kv_cache, request)
            out[start:end] = _attend(q[start:end], keys, values, allowed, plan["sm_scale"])
        return out


class BatchDecodeWithPagedKVCacheWrapper(_PagedAttention):
    def plan(
        self,
        indptr,
        indices,
        last_page_len,
        num_qo_heads,
        num_kv_heads,
        head_dim,
        page_size,
        pos_encoding_mode="NONE",
        q_data_type=None,
        sm_scale=None,
        window_left=-1,
        logits_soft_cap=None,
    ) -> None:
        _check_plain("BatchDecodeWithPagedKVCacheWrapper.plan", pos_encoding_mode, window_left, logits_soft_cap)
        self.planned = self._plan_pages(indptr, indices, last_page_len, num_qo_heads, num_kv_heads, page_size)
        self.planned["sm_scale"] = sm_scale if sm_scale is not None else head_dim**-0.5

    def run(self, q, paged_kv_cache) -> torch.Tensor:
        plan = self._plan_for("run")
        if q.shape[0] != len(plan["seq_lens"]):
            raise ValueError(f"BatchDecodeWithPagedKVCacheWrapper.run: {q.shape[0]} queries for {len(plan['seq_lens'])} requests")
        out = torch.empty_like(q)
        for request in range(len(plan["seq_lens"])):
            keys, values = self._cache_of(paged_kv_cache, request)
            allowed = torch.ones(1, len(keys), dtype=torch.bool)
            if MUTATION == "decode-drops-newest" and len(keys) > 1:
                allowed[0, -1] = False
            out[request : request + 1] = _attend(q[request : request + 1], keys, values, allowed, plan["sm_scale"])
        return out
