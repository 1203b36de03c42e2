"""Records every forward pass Pie's worker runs, one JSON line per batch, for verify_tokens.py.

Wraps `Runtime._run_step(inputs, sampling_metadata)` (pie_worker/runtime.py), which gets a whole batch as
the model sees it, and writes, for each batch:
- `page_size`, `single_token`: the page size, and whether Pie ran the batch as decode (every request one
  input token), in which case the model applies no mask;
- `tokens`, `positions`, `qo_indptr`, `kv_page_indices`, `kv_page_indptr`, `kv_last_page_lens`: the inputs
  and page table, as Pie passes them to the model;
- `attend`: for each input, the cache entries its mask lets it see, as `[start, end)` ranges;
- `outputs`: for each output Pie computed, the input it is for, the sampler (`type`: 0 = distribution,
  1 = multinomial, 2 = top-p, 3 = top-k, 4 = min-p, 5 = top-k-top-p), its parameters, and the token
  drawn or the distribution returned.
"""

import json

import numpy as np


def _ranges(row: np.ndarray) -> list[list[int]]:
    edges = np.flatnonzero(np.diff(np.concatenate([[False], row, [False]]).astype(np.int8)))
    return edges.reshape(-1, 2).tolist()


def describe(page_size: int, inputs: dict, sampling_metadata: dict, results: dict) -> dict:
    qo_indptr = inputs["qo_indptr"].tolist()
    kv_page_indptr = inputs["kv_page_indptr"].tolist()
    kv_last_page_lens = inputs["kv_last_page_lens"].tolist()
    mask = inputs["custom_mask"].cpu().numpy()
    attend, offset = [], 0
    for request in range(len(qo_indptr) - 1):
        pages = kv_page_indptr[request + 1] - kv_page_indptr[request]
        entries = (pages - 1) * page_size + kv_last_page_lens[request]
        for _ in range(qo_indptr[request], qo_indptr[request + 1]):
            attend.append(_ranges(mask[offset : offset + entries]))
            offset += entries
    outputs = []
    indices = sampling_metadata.get("indices_for_logits") or []
    if indices:
        sampler_of = {i: kind for kind, members in sampling_metadata["sampler_groups"].items() for i in members}
        for i, index in enumerate(indices):
            output = {
                "input": index,
                "type": sampler_of[i],
                "temperature": float(sampling_metadata["temperatures"][i]),
                "top_k": int(sampling_metadata["top_k"][i]),
                "top_p": float(sampling_metadata["top_p"][i]),
                "min_p": float(sampling_metadata["min_p"][i]),
            }
            if sampler_of[i] == 0:
                # Pie computes none for a top-k of 0.
                ids, probs = results["dists"][i] or ([], [])
                output |= {"ids": ids, "probs": probs}
            else:
                output["token"] = results["tokens"][i]
            outputs.append(output)
    return {
        "page_size": page_size,
        "single_token": bool(inputs["single_token_inference_mode"]),
        "tokens": inputs["token_ids"].tolist(),
        "positions": inputs["position_ids"].tolist(),
        "qo_indptr": qo_indptr,
        "kv_page_indices": inputs["kv_page_indices"].tolist(),
        "kv_page_indptr": kv_page_indptr,
        "kv_last_page_lens": kv_last_page_lens,
        "attend": attend,
        "outputs": outputs,
    }


def record_passes(runtime_class, path: str) -> None:
    run_step = runtime_class._run_step
    log = open(path, "a", buffering=1)  # one line per batch, complete when the batch's results are

    def recorded(self, inputs, sampling_metadata):
        results = run_step(self, inputs, sampling_metadata)
        log.write(json.dumps(describe(self.config.kv_page_size, inputs, sampling_metadata, results)) + "\n")
        return results

    runtime_class._run_step = recorded
