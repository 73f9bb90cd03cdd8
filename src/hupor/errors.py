"""The one exception type that users can cause.

Every error that bad input can trigger (a corrupt image, a malformed annotation, NaN maps, wrong
intrinsics, an unknown config key) is raised as :class:`HuporError` with a one-line message that names
the file, field or argument at fault. The CLI prints the message without a traceback.
"""

from __future__ import annotations

import numpy as np


class HuporError(ValueError):
    """A user-facing error: the message names the thing at fault."""


def require_finite(name: str, array) -> None:
    """Raise :class:`HuporError` if ``array`` (numpy or torch) holds NaN or inf values."""
    try:
        import torch

        if isinstance(array, torch.Tensor):
            if not bool(torch.isfinite(array).all()):
                n_bad = int((~torch.isfinite(array)).sum())
                raise HuporError(f"{name}: {n_bad} non-finite values (NaN or inf)")
            return
    except ImportError:  # pragma: no cover - torch is a core dependency
        pass
    arr = np.asarray(array)
    if arr.dtype.kind in "fc" and not np.isfinite(arr).all():
        n_bad = int((~np.isfinite(arr)).sum())
        raise HuporError(f"{name}: {n_bad} non-finite values (NaN or inf)")


def require_shape(name: str, array, shape: tuple) -> None:
    """Raise :class:`HuporError` unless ``array.shape`` matches ``shape`` (``None`` = any size)."""
    got = tuple(np.shape(array))
    ok = len(got) == len(shape) and all(s is None or s == g for s, g in zip(shape, got))
    if not ok:
        want = "x".join("*" if s is None else str(s) for s in shape)
        raise HuporError(f"{name}: expected shape {want}, got {'x'.join(map(str, got)) or 'scalar'}")
