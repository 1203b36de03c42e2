"""Loaded by every Python process of `pnpm pie-check` (this folder is on PYTHONPATH only there).

Pie's worker (pie/manager.py, `_ipc_worker_process`) calls `torch.cuda.set_device(device)` for a single
device even when that device is `cpu`, which fails on a machine without CUDA. This makes the call a no-op
for non-CUDA devices; a `cuda` device still goes to the real function. The patch is applied when torch is
first imported (the worker is a spawned process, so it must happen at interpreter start-up).
"""

import importlib.abc
import sys


def _patch(torch):
    real = torch.cuda.set_device

    def set_device(device):
        if str(device).startswith("cuda") or isinstance(device, int):
            return real(device)
        return None

    torch.cuda.set_device = set_device


class _PatchTorchOnImport(importlib.abc.MetaPathFinder):
    def find_spec(self, name, path=None, target=None):
        if name != "torch":
            return None
        sys.meta_path.remove(self)
        spec = importlib.util.find_spec("torch")
        loader = spec.loader
        exec_module = loader.exec_module

        def exec_and_patch(module):
            exec_module(module)
            _patch(module)

        loader.exec_module = exec_and_patch
        return spec


import importlib.util  # noqa: E402

sys.meta_path.insert(0, _PatchTorchOnImport())
