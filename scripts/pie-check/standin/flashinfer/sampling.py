"""flashinfer.sampling's samplers over probabilities, in PyTorch (see the package's docstring).

Each takes `probs` `[batch, vocabulary]` (rows summing to 1) and a threshold per row (a tensor) or for all
rows (a number), keeps the tokens its rule allows, and draws one of them in proportion to its probability
with torch's default generator (Pie seeds it). Only what Pie's `sample_common` passes is implemented.
"""

import torch


def _per_row(threshold, rows: int) -> torch.Tensor:
    if isinstance(threshold, torch.Tensor):
        return threshold.reshape(-1).expand(rows) if threshold.numel() == 1 else threshold.reshape(rows)
    return torch.full((rows,), threshold)


def _draw(probs: torch.Tensor, keep: torch.Tensor) -> torch.Tensor:
    kept = probs.float() * keep
    return torch.multinomial(kept / kept.sum(dim=-1, keepdim=True), 1).squeeze(1).to(torch.int32)


def _top_k_keep(probs: torch.Tensor, top_k) -> torch.Tensor:
    """The `k` likeliest tokens of each row (ties at the k-th probability kept too)."""
    k = _per_row(top_k, probs.shape[0]).long()
    if bool((k < 1).any()):
        raise ValueError(f"top_k_sampling_from_probs: top_k {k.tolist()} below 1")
    kth = probs.sort(dim=-1, descending=True).values.gather(1, (k.clamp(max=probs.shape[1]) - 1)[:, None])
    return probs >= kth


def _top_p_keep(probs: torch.Tensor, top_p) -> torch.Tensor:
    """The likeliest tokens of each row whose probabilities first reach `top_p` together."""
    p = _per_row(top_p, probs.shape[0]).to(probs.dtype)
    ordered, order = probs.sort(dim=-1, descending=True)
    mass_before = ordered.cumsum(dim=-1) - ordered
    return torch.zeros_like(probs, dtype=torch.bool).scatter(1, order, mass_before < p[:, None])


def _refuse(call: str, indices, generator, seed, offset) -> None:
    if any(option is not None for option in (indices, generator, seed, offset)):
        raise NotImplementedError(f"flashinfer stand-in: {call}: indices, generator, seed and offset are not implemented")


def sampling_from_probs(probs, indices=None, deterministic=True, generator=None, check_nan=False, seed=None, offset=None):
    _refuse("sampling_from_probs", indices, generator, seed, offset)
    return _draw(probs, probs > 0)


def top_k_sampling_from_probs(probs, top_k, indices=None, deterministic=True, generator=None, check_nan=False, seed=None, offset=None):
    _refuse("top_k_sampling_from_probs", indices, generator, seed, offset)
    return _draw(probs, _top_k_keep(probs, top_k))


def top_p_sampling_from_probs(probs, top_p, indices=None, deterministic=True, generator=None, check_nan=False, seed=None, offset=None):
    _refuse("top_p_sampling_from_probs", indices, generator, seed, offset)
    return _draw(probs, _top_p_keep(probs, top_p))


def min_p_sampling_from_probs(probs, min_p, indices=None, deterministic=True, generator=None, check_nan=False, seed=None, offset=None):
    """Keeps the tokens at least `min_p` times as likely as the likeliest."""
    _refuse("min_p_sampling_from_probs", indices, generator, seed, offset)
    scale = _per_row(min_p, probs.shape[0]).to(probs.dtype)
    return _draw(probs, probs >= scale[:, None] * probs.max(dim=-1, keepdim=True).values)


def top_k_top_p_sampling_from_probs(
    probs,
    top_k,
    top_p,
    indices=None,
    filter_apply_order="top_k_first",
    deterministic=True,
    generator=None,
    check_nan=False,
    seed=None,
    offset=None,
):
    """Top-k first; top-p then applies to the kept tokens' probabilities, renormalized."""
    _refuse("top_k_top_p_sampling_from_probs", indices, generator, seed, offset)
    if filter_apply_order != "top_k_first":
        raise NotImplementedError(f"flashinfer stand-in: filter_apply_order {filter_apply_order!r} is not implemented")
    top_k_probs = probs * _top_k_keep(probs, top_k)
    top_k_probs = top_k_probs / top_k_probs.sum(dim=-1, keepdim=True)
    return _draw(probs, _top_p_keep(top_k_probs, top_p) & (top_k_probs > 0))
