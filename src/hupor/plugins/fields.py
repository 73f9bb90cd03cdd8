"""PifPaf's fields (Kreiss et al. 2019), written from the paper: targets, loss and the greedy decoder.

Grid: field cell (r, c) has its centre at output coordinate (c, r) (``hupor.codec.grid``); vectors,
spreads b and scales σ are in output px (stride 8 by default, :class:`~.pifpaf.PifPaf`).

* **Targets** (:func:`pifpaf_targets`). PIF: each labelled joint claims the cells whose centres lie
  within ``pif_radius`` of it (2 px: the paper's 4×4 region); per cell confidence 1, the vector to
  the joint and the joint's scale σ = max(0.5, k_j·√area) (k_j the OKS sigma of the joint set, area
  the person's joint box in output px²). PAF: each limb with both joints labelled claims the cells
  within ``paf_width`` of its segment, with the two vectors to its joints. Where people's regions
  overlap, the nearest person claims the cell. The PAF confidence is the limb's, not the person's.
* **Loss** (:func:`pifpaf_loss`): binary cross-entropy on both confidences over all cells, the
  Laplace loss ``|v − v̂|₂ / b + log b`` on the vectors of claimed cells (b predicted), L1 on
  log σ; each summed and divided by batch × fields.
* **Decoder** (:func:`decode_pifpaf`): the high-resolution confidence map of each joint is the
  PIF's vote ``Σ c · exp(−|x − (p + v)|² / 2σ²)`` (cells with c ≥ ``vote_threshold``, ``upscale``×
  the field's resolution, divided by the number of cells a joint claims, π·radius²); seeds are the PIF votes
  by score, and from each seed the person grows greedily, best connection first: for a limb from
  a known joint, the PAF cell whose source vector ends nearest it (weight c·exp(−d/b)) proposes the
  other joint, which snaps to the high-resolution map's maximum near the proposal (score
  √(weight · map value)). A seed next to a joint already taken is skipped.
"""

from __future__ import annotations

import heapq
from dataclasses import dataclass

import numpy as np
import torch
import torch.nn.functional as F

from ..codec.grid import net_to_out, out_to_net
from ..errors import HuporError


@dataclass
class PifPafTargets:
    """``pif_c`` (J, h, w) {0, 1}; ``pif_vec`` (J, 2, h, w); ``pif_scale`` (J, h, w) output px (0 off
    the claimed cells); ``paf_c`` (L, h, w); ``paf_vec`` (L, 2, 2, h, w): vectors to joint a, b."""

    pif_c: np.ndarray
    pif_vec: np.ndarray
    pif_scale: np.ndarray
    paf_c: np.ndarray
    paf_vec: np.ndarray

    def as_fields(self) -> dict[str, np.ndarray]:
        """The targets as exact decoder inputs (spreads b = 1)."""
        return {"pif_c": self.pif_c, "pif_vec": self.pif_vec, "pif_scale": np.maximum(self.pif_scale, 0.5),
                "paf_c": self.paf_c, "paf_vec": self.paf_vec, "paf_b": np.ones(self.paf_c.shape[:1] + (2,)
                                                                              + self.paf_c.shape[1:])}


def _grid(h: int, w: int) -> np.ndarray:
    r, c = np.mgrid[0:h, 0:w]
    return np.stack([c, r], -1).astype(np.float64)          # (h, w, 2) cell centres, x first


def _segment_distance(p: np.ndarray, a: np.ndarray, b: np.ndarray) -> np.ndarray:
    ab = b - a
    t = np.clip(((p - a) @ ab) / max(float(ab @ ab), 1e-9), 0.0, 1.0)
    return np.linalg.norm(p - (a + t[..., None] * ab), axis=-1)


def pifpaf_targets(joints_net: np.ndarray, visibility: np.ndarray, net_w: int, net_h: int, stride: int,
                   limbs, sigmas, pif_radius: float = 2.0, paf_width: float = 1.5,
                   visible_only: bool = False) -> PifPafTargets:
    """Targets of one image: ``joints_net`` (N, J, 2) network-input px, ``visibility`` (N, J) in
    {0, 1, 2}; ``limbs`` (L, 2) joint pairs; ``sigmas`` (J,) OKS sigmas. ``visible_only``: v = 2 only."""
    xy = np.asarray(joints_net, np.float64)
    vis = np.asarray(visibility)
    if xy.ndim != 3 or xy.shape[-1] != 2 or vis.shape != xy.shape[:2] or len(sigmas) != xy.shape[1]:
        raise HuporError(f"pifpaf_targets: joints (N, J, 2), visibility (N, J), J sigmas; got {xy.shape}, "
                         f"{vis.shape}, {len(sigmas)}")
    n, j = vis.shape
    h, w = net_h // stride, net_w // stride
    use = ((vis == 2) if visible_only else (vis >= 1)) & np.isfinite(xy).all(-1)
    uv = net_to_out(np.nan_to_num(xy), stride)
    grid = _grid(h, w)
    pif_c, pif_scale = np.zeros((j, h, w)), np.zeros((j, h, w))
    pif_vec = np.zeros((j, 2, h, w))
    best = np.full((j, h, w), np.inf)
    for p in range(n):
        if not use[p].any():
            continue
        box = uv[p][use[p]]
        area = max(float(np.prod(box.max(0) - box.min(0))), 1.0)
        for k in np.flatnonzero(use[p]):
            d = np.linalg.norm(grid - uv[p, k], axis=-1)
            claim = (d < pif_radius) & (d < best[k])
            best[k][claim] = d[claim]
            pif_c[k][claim] = 1.0
            pif_vec[k][:, claim] = (uv[p, k] - grid[claim]).T
            pif_scale[k][claim] = max(0.5, float(sigmas[k]) * np.sqrt(area))
    limbs = np.asarray(limbs, np.int64).reshape(-1, 2)
    paf_c = np.zeros((len(limbs), h, w))
    paf_vec = np.zeros((len(limbs), 2, 2, h, w))
    best = np.full((len(limbs), h, w), np.inf)
    for p in range(n):
        for li, (a, b) in enumerate(limbs):
            if not (use[p, a] and use[p, b]):
                continue
            d = _segment_distance(grid, uv[p, a], uv[p, b])
            claim = (d < paf_width) & (d < best[li])
            best[li][claim] = d[claim]
            paf_c[li][claim] = 1.0
            paf_vec[li, 0][:, claim] = (uv[p, a] - grid[claim]).T
            paf_vec[li, 1][:, claim] = (uv[p, b] - grid[claim]).T
    return PifPafTargets(pif_c, pif_vec, pif_scale, paf_c, paf_vec)


def collate_targets(targets: list[PifPafTargets]) -> dict[str, torch.Tensor]:
    """Stack per-image targets into float32 tensors (B, ...) with the same keys."""
    return {k: torch.as_tensor(np.stack([getattr(t, k) for t in targets]), dtype=torch.float32)
            for k in ("pif_c", "pif_vec", "pif_scale", "paf_c", "paf_vec")}


def _laplace(pred: torch.Tensor, target: torch.Tensor, log_b: torch.Tensor, mask: torch.Tensor) -> torch.Tensor:
    """Σ over masked cells of ``|pred − target|₂ / b + log b``; pred/target (..., 2, h, w)."""
    log_b = log_b.clamp(-3.0, 5.0)
    d = (pred - target).pow(2).sum(-3).add(1e-9).sqrt()
    return ((d * torch.exp(-log_b) + log_b) * mask).sum()


def pifpaf_loss(pif: torch.Tensor, paf: torch.Tensor, t: dict[str, torch.Tensor]) -> dict[str, torch.Tensor]:
    """``pif`` (B, J, 5, h, w) and ``paf`` (B, L, 7, h, w) raw network outputs (:class:`~.pifpaf.PifPafOutput`),
    ``t`` from :func:`collate_targets`. Returns the named terms and ``"total"``."""
    b, j = pif.shape[:2]
    nl = paf.shape[1]
    if pif.shape[-2:] != t["pif_c"].shape[-2:] or t["pif_c"].shape[:2] != (b, j) or t["paf_c"].shape[:2] != (b, nl):
        raise HuporError(f"pifpaf loss: fields {tuple(pif.shape)} / {tuple(paf.shape)} do not match the "
                         f"targets {tuple(t['pif_c'].shape)} / {tuple(t['paf_c'].shape)}")
    bce = F.binary_cross_entropy_with_logits
    pm, am = t["pif_c"], t["paf_c"]
    terms = {
        "pif_conf": bce(pif[:, :, 0], pm, reduction="sum") / (b * j),
        "pif_vec": _laplace(pif[:, :, 1:3], t["pif_vec"], pif[:, :, 3], pm) / (b * j),
        "pif_scale": ((pif[:, :, 4] - t["pif_scale"].clamp(min=1e-3).log()).abs() * pm).sum() / (b * j),
        "paf_conf": bce(paf[:, :, 0], am, reduction="sum") / (b * nl),
        "paf_vec": (_laplace(paf[:, :, 1:3], t["paf_vec"][:, :, 0], paf[:, :, 5], am)
                    + _laplace(paf[:, :, 3:5], t["paf_vec"][:, :, 1], paf[:, :, 6], am)) / (b * nl),
    }
    terms["total"] = sum(terms.values())
    return terms


def pif_hr(pif_c: np.ndarray, pif_vec: np.ndarray, pif_scale: np.ndarray, upscale: int = 4,
           vote_threshold: float = 0.1, pif_radius: float = 2.0) -> np.ndarray:
    """High-resolution confidence maps (J, h·upscale, w·upscale) from one image's PIF (readable
    fields, output px). Map pixel (R, C) sits at output coordinate (C / upscale, R / upscale).
    Not clipped (a joint claiming more cells than average peaks a little above 1: clipping would make
    a plateau and bias the refinement); :func:`decode_pifpaf` clips the values it reads."""
    j, h, w = pif_c.shape
    H, W = h * upscale, w * upscale
    out = np.zeros((j, H, W))
    claimed = np.pi * pif_radius ** 2          # cells a joint claims, on average
    k, r, c = np.nonzero(pif_c >= vote_threshold)
    if k.size == 0:
        return out
    px = (c + pif_vec[k, 0, r, c]) * upscale
    py = (r + pif_vec[k, 1, r, c]) * upscale
    sig = np.maximum(pif_scale[k, r, c], 0.5) * upscale
    rad = int(np.clip(np.ceil(3 * sig.max()), 1, 4 * upscale))
    d = np.arange(-rad, rad + 1)
    cx = np.rint(px).astype(np.int64)[:, None, None] + d[None, None, :]
    cy = np.rint(py).astype(np.int64)[:, None, None] + d[None, :, None]
    g = np.exp(-((cx - px[:, None, None]) ** 2 + (cy - py[:, None, None]) ** 2) / (2 * sig[:, None, None] ** 2))
    v = pif_c[k, r, c][:, None, None] * g / claimed
    ok = (cx >= 0) & (cx < W) & (cy >= 0) & (cy < H) & (g > 0.01)
    kk = np.broadcast_to(k[:, None, None], ok.shape)
    np.add.at(out, (kk[ok], np.broadcast_to(cy, ok.shape)[ok], np.broadcast_to(cx, ok.shape)[ok]), v[ok])
    return out


def _snap(hr: np.ndarray, x: np.ndarray, upscale: int, radius: int) -> tuple[np.ndarray, float]:
    """Best pixel of one high-res map within ``radius`` hr px of output coordinate x (map value ×
    a Gaussian of the distance, σ = one output px, so the nearest of equal peaks wins), refined to
    the value-weighted mean of its 5×5 window; returns (output coordinate, map value)."""
    H, W = hr.shape
    cx, cy = int(np.rint(x[0] * upscale)), int(np.rint(x[1] * upscale))
    y0, y1, x0, x1 = max(cy - radius, 0), min(cy + radius + 1, H), max(cx - radius, 0), min(cx + radius + 1, W)
    if y0 >= y1 or x0 >= x1:
        return x, 0.0
    gy, gx = np.mgrid[y0:y1, x0:x1]
    near = np.exp(-((gx - x[0] * upscale) ** 2 + (gy - x[1] * upscale) ** 2) / (2.0 * upscale ** 2))
    win = hr[y0:y1, x0:x1] * near
    r, c = np.unravel_index(int(win.argmax()), win.shape)
    r, c = r + y0, c + x0
    val = min(float(hr[r, c]), 1.0)
    ry0, ry1, rx0, rx1 = max(r - 2, 0), min(r + 3, H), max(c - 2, 0), min(c + 3, W)
    patch = hr[ry0:ry1, rx0:rx1]
    s = patch.sum()
    if s <= 0:
        return x, 0.0
    gy, gx = np.mgrid[ry0:ry1, rx0:rx1]
    return np.array([(gx * patch).sum() / s, (gy * patch).sum() / s]) / upscale, val


def decode_pifpaf(fields: dict[str, np.ndarray], limbs, stride: int, upscale: int = 4,
                  seed_threshold: float = 0.2, keypoint_threshold: float = 0.05, vote_threshold: float = 0.1,
                  min_joints: int = 3, max_seeds: int = 200, hr: np.ndarray | None = None
                  ) -> tuple[np.ndarray, np.ndarray]:
    """One image's readable fields (:func:`~.pifpaf.fields` of one batch item, as numpy, or
    :meth:`PifPafTargets.as_fields`) → ``keypoints`` (N, J, 3) x, y network-input px and score (0
    where absent), ``scores`` (N,) the mean joint score over J. ``hr``: confidence maps (J, h·upscale,
    w·upscale) to use instead of the PIF's (the plug-in reasoner's output): the seeds are then their
    peaks, and proposals snap to them."""
    from ..codec.peaks import find_peaks

    pc, pv, ps = fields["pif_c"], fields["pif_vec"], fields["pif_scale"]
    ac, av, ab = fields["paf_c"], fields["paf_vec"], fields["paf_b"]
    nj, h, w = pc.shape
    limbs = np.asarray(limbs, np.int64).reshape(-1, 2)
    if hr is None:
        hr = pif_hr(pc, pv, ps, upscale, vote_threshold)
        k, r, c = np.nonzero(pc >= seed_threshold)
        seed_xy = np.stack([c + pv[k, 0, r, c], r + pv[k, 1, r, c]], -1)
        seed_val = np.array([_snap(hr[kk], p, upscale, 1)[1] for kk, p in zip(k, seed_xy)]) * pc[k, r, c]
    else:
        peaks = find_peaks(hr, seed_threshold, radius=2)
        k, seed_xy, seed_val = peaks.channel, peaks.xy / upscale, peaks.score
        r = np.clip(np.rint(seed_xy[:, 1]).astype(np.int64), 0, h - 1)
        c = np.clip(np.rint(seed_xy[:, 0]).astype(np.int64), 0, w - 1)
    order = np.argsort(-seed_val, kind="stable")[:max_seeds]
    paf_cells = [np.nonzero(ac[li] >= vote_threshold) for li in range(len(limbs))]
    people: list[np.ndarray] = []
    for s in order:
        jj = int(k[s])
        xy, val = _snap(hr[jj], seed_xy[s], upscale, 1)
        if val < keypoint_threshold or _taken(people, jj, xy, ps[jj, r[s], c[s]]):
            continue
        person = np.zeros((nj, 3))
        person[jj] = (*xy, val)
        _grow(person, limbs, paf_cells, ac, av, ab, hr, upscale, keypoint_threshold)
        if (person[:, 2] > 0).sum() >= min_joints:
            people.append(person)
    if not people:
        return np.zeros((0, nj, 3)), np.zeros(0)
    kp = np.stack(people)
    found = kp[..., 2] > 0
    kp[..., :2] = np.where(found[..., None], out_to_net(kp[..., :2], stride), 0.0)
    return kp, kp[..., 2].sum(1) / nj


def _taken(people, j: int, xy: np.ndarray, scale: float) -> bool:
    """A seed within max(1, scale) output px of joint j of a person already decoded."""
    return any(p[j, 2] > 0 and np.linalg.norm(p[j, :2] - xy) < max(1.0, float(scale)) for p in people)


def _grow(person, limbs, paf_cells, ac, av, ab, hr, upscale, threshold) -> None:
    """Greedy growth of one person (J, 3) output coordinates in place, best connection first."""
    heap: list = []

    def push(j):
        for li, (a, b) in enumerate(limbs):
            for src, dst, si, di in ((a, b, 0, 1), (b, a, 1, 0)):
                if src == j and person[dst, 2] == 0:
                    rr, cc = paf_cells[li]
                    if rr.size == 0:
                        continue
                    ends = np.stack([cc + av[li, si, 0, rr, cc], rr + av[li, si, 1, rr, cc]], -1)
                    dist = np.linalg.norm(ends - person[src, :2], axis=-1)
                    wgt = ac[li, rr, cc] * np.exp(-dist / np.maximum(ab[li, si, rr, cc], 1e-3))
                    best = int(wgt.argmax())
                    if wgt[best] * person[src, 2] <= 0:
                        continue
                    prop = np.array([cc[best] + av[li, di, 0, rr[best], cc[best]],
                                     rr[best] + av[li, di, 1, rr[best], cc[best]]])
                    heapq.heappush(heap, (-float(wgt[best]), li, int(dst), tuple(prop)))

    for j in np.flatnonzero(person[:, 2] > 0):
        push(int(j))
    while heap:
        wgt, _, dst, prop = heapq.heappop(heap)
        if person[dst, 2] > 0:
            continue
        xy, val = _snap(hr[dst], np.array(prop), upscale, 2 * upscale)
        score = float(np.sqrt(-wgt * val))
        if score < threshold:
            continue
        person[dst] = (*xy, score)
        push(dst)
