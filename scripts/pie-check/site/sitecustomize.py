"""Loaded by every Python process of `pnpm pie-check` (this folder is on PYTHONPATH only there).

Pie's worker is a spawned process, so what it needs on a machine without CUDA must happen at interpreter
start-up, as each module it concerns is first imported:

- `torch`: Pie's worker (pie/manager.py, `_ipc_worker_process`) calls `torch.cuda.set_device(device)` for a
  single device even when that device is `cpu`, which fails without CUDA. The call becomes a no-op for
  non-CUDA devices; a `cuda` device still goes to the real function.
- `pie_worker.model.common`: without Apple's MPS it samples through a Triton kernel (`safe_scaled_softmax`),
  which needs CUDA; Pie's own PyTorch fallback, `_safe_scaled_softmax_impl_torch`, takes its place.
- `pie_worker.runtime`, when `PIE_CHECK_PASS_LOG` names a file: every forward pass is recorded there
  (pass_log.py), for the check against transformers.
"""

import importlib.abc
import importlib.util
import os
import sys


def _cpu_set_device(torch):
    real = torch.cuda.set_device

    def set_device(device):
        if str(device).startswith("cuda") or isinstance(device, int):
            return real(device)
        return None

    torch.cuda.set_device = set_device


def _torch_softmax(common):
    common.safe_scaled_softmax = common._safe_scaled_softmax_impl_torch


def _record_passes(runtime):
    import pass_log

    pass_log.record_passes(runtime.Runtime, os.environ["PIE_CHECK_PASS_LOG"])


PATCHES = {"torch": _cpu_set_device, "pie_worker.model.common": _torch_softmax}
if os.environ.get("PIE_CHECK_PASS_LOG"):
    PATCHES["pie_worker.runtime"] = _record_passes


class _PatchOnImport(importlib.abc.MetaPathFinder):
    """Runs a module's patch right after the module is first executed."""

    def find_spec(self, name, path=None, target=None):
        patch = PATCHES.pop(name, None)
        if patch is None:
            return None
        spec = importlib.util.find_spec(name)
        exec_module = spec.loader.exec_module

        def exec_and_patch(module):
            exec_module(module)
            patch(module)

        spec.loader.exec_module = exec_and_patch
        return spec


sys.meta_path.insert(0, _PatchOnImport())
