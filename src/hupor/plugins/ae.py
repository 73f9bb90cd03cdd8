"""HigherHRNet's targets, associative-embedding loss and grouping decoder (Newell et al. 2017,
Cheng et al. 2020), written from the papers.

* **Targets** (:func:`higher_targets`): Gaussian heatmaps of the labelled joints (v ≥ 1: the base
  network sees every labelled joint; the plug-in's first stage uses v = 2 only, ``visible_only``) at
  1/4 and 1/2 of the input (σ 2 output px at both, as the paper), and each person's joint pixels at
  1/4 for the tags.
* **Loss** (:func:`ae_loss`): pull = mean over people of the squared distance of their joints' tags
  to the person's mean tag; push = mean over pairs of people of ``exp(−(mean_a − mean_b)²/2)``
  (Newell's Gaussian form, as HigherHRNet's code).
* **Decoder** (:func:`decode_higher`): the heatmap at 1/2 is the mean of the 1/2 prediction and the
  upsampled 1/4 one, the tags are upsampled to 1/2; per joint the top peaks (``hupor.codec.find_peaks``)
  are matched to the people so far by tag distance (Hungarian, cost = distance rounded to 0.01 ·
  100 − score; a pair farther than ``tag_threshold`` starts a new person), joints in the order of
  the joint set (body centre first). Output: keypoints in network-input px.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import torch
import torch.nn.functional as F

from ..codec.encode import gaussian_heatmaps
from ..codec.grid import net_to_out, nearest_pixel, out_to_net
from ..codec.peaks import find_peaks
from ..errors import HuporError


@dataclass
class HigherTargets:
    """``heat_lo`` (J, H/4, W/4), ``heat_hi`` (J, H/2, W/2) in [0, 1]; ``joints`` (N, J, 3) int64
    row, col at 1/4 and 1 where the joint is labelled and inside the map (tag positions)."""

    heat_lo: np.ndarray
    heat_hi: np.ndarray
    joints: np.ndarray


def higher_targets(joints_net: np.ndarray, visibility: np.ndarray, net_w: int, net_h: int,
                   sigma: float = 2.0, visible_only: bool = False) -> HigherTargets:
    """Targets of one image: ``joints_net`` (N, J, 2) network-input px, ``visibility`` (N, J)."""
    xy = np.asarray(joints_net, np.float64)
    vis = np.asarray(visibility)
    if xy.ndim != 3 or xy.shape[-1] != 2 or vis.shape != xy.shape[:2]:
        raise HuporError(f"higher_targets: joints (N, J, 2) and visibility (N, J), got {xy.shape}, {vis.shape}")
    n, j = vis.shape
    use = (vis == 2) if visible_only else (vis >= 1)
    maps = {}
    for stride in (4, 2):
        uv = net_to_out(xy, stride)
        k = np.nonzero(use)
        maps[stride] = gaussian_heatmaps(uv[k], k[1], j, sigma, net_h // stride, net_w // stride)
    px = nearest_pixel(net_to_out(xy, 4))
    inside = (px[..., 0] >= 0) & (px[..., 0] < net_w // 4) & (px[..., 1] >= 0) & (px[..., 1] < net_h // 4)
    joints = np.stack([px[..., 1], px[..., 0], (use & inside).astype(np.int64)], -1)
    return HigherTargets(maps[4], maps[2], joints)


def ae_loss(tags: torch.Tensor, joints: list[np.ndarray]) -> tuple[torch.Tensor, torch.Tensor]:
    """``tags`` (B, T, h, w) with T = J (a tag map per joint) or 1; ``joints``: per image (N, J, 3)
    row, col, valid (:attr:`HigherTargets.joints`). Returns (pull, push), each averaged over images."""
    pulls, pushes = [], []
    for b, jt in enumerate(joints):
        jt = np.asarray(jt)
        means, pull = [], tags.new_zeros(())
        for person in jt:
            ok = person[:, 2] > 0
            if not ok.any():
                continue
            ch = np.flatnonzero(ok) if tags.shape[1] > 1 else np.zeros(int(ok.sum()), np.int64)
            t = tags[b, torch.as_tensor(ch), torch.as_tensor(person[ok, 0]), torch.as_tensor(person[ok, 1])]
            m = t.mean()
            pull = pull + ((t - m) ** 2).mean()
            means.append(m)
        if not means:
            pulls.append(tags.new_zeros(()))
            pushes.append(tags.new_zeros(()))
            continue
        pulls.append(pull / len(means))
        mv = torch.stack(means)
        k = len(means)
        if k < 2:
            pushes.append(tags.new_zeros(()))
        else:
            diff = mv[:, None] - mv[None, :]
            push = torch.exp(-0.5 * diff ** 2).sum() - k            # without the diagonal
            pushes.append(push / (k * (k - 1)))
    return torch.stack(pulls).mean(), torch.stack(pushes).mean()


def peak_heat(heat_lo: np.ndarray, heat_hi: np.ndarray) -> np.ndarray:
    """The heatmaps the decoders find peaks in: the mean of the 1/2 maps (J, 2h, 2w) and the
    bilinearly upsampled 1/4 maps (J, h, w)."""
    lo = torch.as_tensor(np.asarray(heat_lo, np.float32))[None]
    size = tuple(np.asarray(heat_hi).shape[-2:])
    return 0.5 * (np.asarray(heat_hi, np.float32)
                  + F.interpolate(lo, size=size, mode="bilinear", align_corners=False)[0].numpy())


def decode_higher(heat_lo: np.ndarray, tags: np.ndarray, heat_hi: np.ndarray, threshold: float = 0.1,
                  tag_threshold: float = 1.0, max_peaks: int = 30, order=None) -> tuple[np.ndarray, np.ndarray]:
    """One image: ``heat_lo`` (J, h, w), ``tags`` (T, h, w), ``heat_hi`` (J, 2h, 2w) →
    ``keypoints`` (N, J, 3) x, y network-input px and score (0 where absent), ``scores`` (N,) the
    mean score over the joint set. ``order``: the joint order of the grouping (default 0..J−1)."""
    from scipy.optimize import linear_sum_assignment

    heat = peak_heat(heat_lo, heat_hi)
    size = heat.shape[-2:]
    tag = F.interpolate(torch.as_tensor(np.asarray(tags, np.float32))[None], size=size, mode="bilinear",
                        align_corners=False)[0].numpy()
    nj = heat.shape[0]
    peaks = find_peaks(heat, threshold, max_peaks=max_peaks)
    people: list[dict] = []   # {"joints": (J, 3), "tags": [values]}
    for jj in (range(nj) if order is None else order):
        sl = peaks.of(jj)
        xy, sc = peaks.xy[sl], peaks.score[sl]
        if len(xy) == 0:
            continue
        px = nearest_pixel(xy)
        t = tag[jj if tag.shape[0] > 1 else 0, px[:, 1].clip(0, size[0] - 1), px[:, 0].clip(0, size[1] - 1)]
        if people:
            means = np.array([np.mean(p["tags"]) for p in people])
            dist = np.abs(t[:, None] - means[None])
            cost = np.round(dist, 2) * 100 - sc[:, None]
            rows, cols = linear_sum_assignment(cost)
            taken = set()
            for r, c in zip(rows, cols):
                if dist[r, c] < tag_threshold and people[c]["joints"][jj, 2] == 0:
                    people[c]["joints"][jj] = (*xy[r], sc[r])
                    people[c]["tags"].append(float(t[r]))
                    taken.add(r)
            fresh = [r for r in range(len(xy)) if r not in taken]
        else:
            fresh = range(len(xy))
        for r in fresh:
            joints = np.zeros((nj, 3))
            joints[jj] = (*xy[r], sc[r])
            people.append({"joints": joints, "tags": [float(t[r])]})
    if not people:
        return np.zeros((0, nj, 3)), np.zeros(0)
    kp = np.stack([p["joints"] for p in people])
    found = kp[..., 2] > 0
    kp[..., :2] = np.where(found[..., None], out_to_net(kp[..., :2], 2), 0.0)
    return kp, kp[..., 2].sum(1) / nj
