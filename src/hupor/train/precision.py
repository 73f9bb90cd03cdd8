"""``train.precision: auto``: the fastest training precision this machine runs well.

* a GPU (``accelerator`` gpu/cuda, or auto with CUDA present): ``bf16-mixed`` where the card supports
  bf16, else ``16-mixed``;
* a CPU with native bf16 arithmetic (the ``avx512_bf16`` or ``amx_bf16`` flag in /proc/cpuinfo):
  ``bf16-mixed`` (about 2× fp32 for the detector on an AVX-512 BF16 CPU, docs/training.md);
* any other CPU: ``32-true`` (without those instructions bf16 is emulated: 6–7× *slower* than fp32 on
  an AVX2 EPYC, measured in the same table).

Resolved when the Trainer is built; the run's config keeps ``auto``, so a run resumed on another machine
picks that machine's precision (the losses are fp32 either way, ``train.modules.fp32_loss``).
"""

from __future__ import annotations

from pathlib import Path

_BF16_FLAGS = ("avx512_bf16", "amx_bf16")


def cpu_flags(cpuinfo: str | Path = "/proc/cpuinfo") -> set[str]:
    """The CPU feature flags of the first processor entry (empty where the file is not there)."""
    try:
        text = Path(cpuinfo).read_text(errors="replace")
    except OSError:
        return set()
    for line in text.splitlines():
        if line.startswith("flags") and ":" in line:
            return set(line.split(":", 1)[1].split())
    return set()


def resolve_precision(precision: str, accelerator: str, cpuinfo: str | Path = "/proc/cpuinfo") -> str:
    """``precision`` unchanged unless it is ``auto`` (then the rule of the module docstring)."""
    if precision != "auto":
        return precision
    import torch

    gpu = accelerator in ("gpu", "cuda") or (accelerator == "auto" and torch.cuda.is_available())
    if gpu:
        return "bf16-mixed" if torch.cuda.is_available() and torch.cuda.is_bf16_supported() else "16-mixed"
    return "bf16-mixed" if cpu_flags(cpuinfo) & set(_BF16_FLAGS) else "32-true"
