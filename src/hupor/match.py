"""Person matching: one-to-one pairs between the rows (ground-truth people, or tracks) and the columns
(predicted people) of a cost matrix, lower cost = better pair, with the policy as an argument.

* ``"gt_order"``: rows in order; each takes the cheapest still-unmatched column it may match (the
  first on ties). The MuPoTS kit's ``mpii_multiperson_get_identity_matching.m``
  (``eval.mupots_core.match_identities``, cost = −score, ``max_cost=0``).
* ``"nearest"``: greedy nearest-first: the cheapest pair first (ties in row-major order), each row
  and column used once (RefineNet pairs, ``bench.real`` OKS matching with cost = −OKS).
* ``"hungarian"``: the most pairs, then the least total cost (``scipy.optimize.linear_sum_assignment``
  with the pairs that may not match priced out) (the demo, tracking, the grouping oracle).

A pair may match when its cost is finite (NaN and ±inf never match), below ``max_cost`` (strict, when
given) and ``allowed[r, c]`` (when given). ``joint_errors`` is the per-joint error of matched people.
"""

from __future__ import annotations

import numpy as np

from .errors import HuporError

POLICIES = ("gt_order", "nearest", "hungarian")
_FILL = 1e9          # the price of a pair that may not match (the callers' value before this module)


def _allowed(cost: np.ndarray, max_cost: float | None, allowed: np.ndarray | None) -> np.ndarray:
    ok = np.isfinite(cost)
    if max_cost is not None:
        with np.errstate(invalid="ignore"):
            ok &= cost < max_cost
    if allowed is not None:
        allowed = np.asarray(allowed, bool)
        if allowed.shape != cost.shape:
            raise HuporError(f"match: allowed has shape {allowed.shape}, the cost matrix {cost.shape}")
        ok &= allowed
    return ok


def match(cost, policy: str, max_cost: float | None = None, allowed=None) -> tuple[np.ndarray, np.ndarray]:
    """One-to-one matches of ``cost`` (R, C) under ``policy`` (see the module docstring).

    Returns ``(rows, cols)``, two (K,) int64 arrays: pair k is row ``rows[k]`` with column ``cols[k]``,
    in the order the policy makes them (``gt_order``: rows ascending; ``nearest``: cheapest first;
    ``hungarian``: rows ascending)."""
    c = np.asarray(cost, dtype=np.float64)
    if c.ndim != 2:
        raise HuporError(f"match: the cost matrix must be 2-D (rows, cols), got shape {c.shape}")
    if policy not in POLICIES:
        raise HuporError(f"match: unknown policy {policy!r}; known: {', '.join(POLICIES)}")
    ok = _allowed(c, max_cost, allowed)
    rows, cols = [], []
    if not ok.any():
        pass
    elif policy == "gt_order":
        free = np.ones(c.shape[1], bool)
        for r in range(c.shape[0]):
            cand = ok[r] & free
            if cand.any():
                j = int(np.argmin(np.where(cand, c[r], np.inf)))
                rows.append(r)
                cols.append(j)
                free[j] = False
    elif policy == "nearest":
        flat = np.flatnonzero(ok)
        used_r, used_c = np.zeros(c.shape[0], bool), np.zeros(c.shape[1], bool)
        for f in flat[np.argsort(c.ravel()[flat], kind="stable")]:
            r, j = divmod(int(f), c.shape[1])
            if not (used_r[r] or used_c[j]):
                used_r[r] = used_c[j] = True
                rows.append(r)
                cols.append(j)
    else:
        from scipy.optimize import linear_sum_assignment

        fill = max(_FILL, 2.0 * np.abs(c[ok]).sum() + 1.0)  # more than any set of allowed pairs costs
        r, j = linear_sum_assignment(np.where(ok, c, fill))
        keep = ok[r, j]
        rows, cols = r[keep].tolist(), j[keep].tolist()
    return np.asarray(rows, dtype=np.int64), np.asarray(cols, dtype=np.int64)


def match_index(cost, policy: str, max_cost: float | None = None, allowed=None) -> np.ndarray:
    """:func:`match` as an (R,) int64 array: the column matched to each row, −1 where none."""
    rows, cols = match(cost, policy, max_cost, allowed)
    out = np.full(np.shape(cost)[0], -1, dtype=np.int64)
    out[rows] = cols
    return out


def joint_errors(pred, gt, root: int | None = None) -> np.ndarray:
    """Per-joint Euclidean errors (N, J) of matched poses ``pred``, ``gt`` (N, J, D) (mm for 3D), each
    pose first made relative to its joint ``root`` when given. NaN where either joint is NaN."""
    pred, gt = np.asarray(pred), np.asarray(gt)
    if pred.shape != gt.shape or pred.ndim != 3:
        raise HuporError(f"joint_errors: pred {pred.shape} and gt {gt.shape} must be the same (N, J, D)")
    if root is not None:
        pred = pred - pred[:, root:root + 1]
        gt = gt - gt[:, root:root + 1]
    return np.linalg.norm(pred - gt, axis=-1)
