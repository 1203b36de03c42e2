"""Makes the tiny random-weight Qwen 3 of `pnpm pie-check --real-model` in a Hugging Face cache, deterministically.

Usage (by scripts/pie-check/main.ts, in the check's venv):
    python make_tiny_qwen3.py HF_HOME REPO TOKENIZER_JSON
Prints the snapshot folder. An unchanged model (same script, same tokenizer) is kept, not made again.

The model is Qwen 3's architecture at toy size with the real Qwen 3 tokenizer and vocabulary, so that the
library's inferlets run on it unchanged. Its weights are drawn so that a check by argmax is meaningful:
- weights ~ N(0, 0.5²), so logits are far from flat and the likeliest token is clear;
- the rows of special tokens (and of the unused ids above them) are scaled down, so that the model never
  picks one and generation runs to its limit;
- the LM head is the embedding (`tie_word_embeddings`), as Pie's Qwen 3 path computes it.
"""

import hashlib
import json
import shutil
import sys
from pathlib import Path

import torch
from safetensors.torch import save_file

SEED = 20261204
WEIGHT_STD = 0.5
SPECIAL_ROW_SCALE = 0.01
ROPE_THETA = 1_000_000.0
CONFIG = {
    "architectures": ["Qwen3ForCausalLM"],
    "model_type": "qwen3",
    "vocab_size": 151_936,
    "hidden_size": 64,
    "intermediate_size": 128,
    "num_hidden_layers": 2,
    "num_attention_heads": 4,
    "num_key_value_heads": 2,
    "head_dim": 32,
    "hidden_act": "silu",
    "max_position_embeddings": 4096,
    "rms_norm_eps": 1e-6,
    # Pie's loader reads `rope_theta` at the top level only (default 1e6); transformers 5 reads it from
    # `rope_parameters`. Both, so that neither falls back to a default.
    "rope_theta": ROPE_THETA,
    "rope_parameters": {"rope_type": "default", "rope_theta": ROPE_THETA},
    "tie_word_embeddings": True,
    "attention_bias": False,
    "attention_dropout": 0.0,
    "use_sliding_window": False,
    "sliding_window": None,
    "max_window_layers": 2,
    "bos_token_id": 151_643,
    "eos_token_id": 151_645,
    "dtype": "float32",
}


def first_special_id(tokenizer: dict) -> int:
    """The lowest id among the tokenizer's added tokens: Pie treats every one of them as special."""
    return min(token["id"] for token in tokenizer["added_tokens"])


def make_weights(config: dict, special_from: int, seed: int = SEED) -> dict[str, torch.Tensor]:
    """Every tensor of a Qwen3ForCausalLM with `config`, drawn in a fixed order from one seeded generator."""
    generator = torch.Generator().manual_seed(seed)
    hidden, heads, kv_heads = config["hidden_size"], config["num_attention_heads"], config["num_key_value_heads"]
    head_dim, mlp = config["head_dim"], config["intermediate_size"]
    shapes = {"model.embed_tokens.weight": (config["vocab_size"], hidden), "model.norm.weight": (hidden,)}
    for layer in range(config["num_hidden_layers"]):
        prefix = f"model.layers.{layer}"
        shapes |= {
            f"{prefix}.input_layernorm.weight": (hidden,),
            f"{prefix}.post_attention_layernorm.weight": (hidden,),
            f"{prefix}.self_attn.q_norm.weight": (head_dim,),
            f"{prefix}.self_attn.k_norm.weight": (head_dim,),
            f"{prefix}.self_attn.q_proj.weight": (heads * head_dim, hidden),
            f"{prefix}.self_attn.k_proj.weight": (kv_heads * head_dim, hidden),
            f"{prefix}.self_attn.v_proj.weight": (kv_heads * head_dim, hidden),
            f"{prefix}.self_attn.o_proj.weight": (hidden, heads * head_dim),
            f"{prefix}.mlp.gate_proj.weight": (mlp, hidden),
            f"{prefix}.mlp.up_proj.weight": (mlp, hidden),
            f"{prefix}.mlp.down_proj.weight": (hidden, mlp),
        }
    weights = {}
    for name in sorted(shapes):
        noise = torch.randn(shapes[name], generator=generator)
        # Norm weights near one (not exactly, so that a norm applied with the wrong weight shows).
        weights[name] = 1 + 0.1 * noise if name.endswith("norm.weight") else WEIGHT_STD * noise
    weights["model.embed_tokens.weight"][special_from:] *= SPECIAL_ROW_SCALE
    return weights


def main() -> int:
    hf_home, repo, tokenizer_path = Path(sys.argv[1]), sys.argv[2], Path(sys.argv[3])
    tokenizer_bytes = tokenizer_path.read_bytes()
    digest = hashlib.sha256(Path(__file__).read_bytes() + tokenizer_bytes).hexdigest()[:16]
    snapshots = hf_home / "hub" / f"models--{repo.replace('/', '--')}" / "snapshots"
    snapshot = snapshots / digest
    if (snapshot / "model.safetensors").exists():
        print(snapshot)
        return 0
    # Pie takes the first snapshot it finds: only this one may remain.
    shutil.rmtree(snapshots, ignore_errors=True)
    snapshot.mkdir(parents=True)
    (snapshot / "tokenizer.json").write_bytes(tokenizer_bytes)
    (snapshot / "config.json").write_text(json.dumps(CONFIG, indent=2))
    weights = make_weights(CONFIG, first_special_id(json.loads(tokenizer_bytes)))
    save_file(weights, str(snapshot / "model.safetensors.partial"), metadata={"format": "pt"})
    (snapshot / "model.safetensors.partial").rename(snapshot / "model.safetensors")
    print(snapshot)
    return 0


if __name__ == "__main__":
    sys.exit(main())
