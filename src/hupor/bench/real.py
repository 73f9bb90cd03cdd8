"""Scoring predictions on the shared real labelled set (``../shared/real-eval/``, its README):
``hupor bench real`` and ``benchmarks/real_eval.py``.

The set (``gt.json``): ``2d`` photos (COCO; 12 limb joints ``[x, y, v]`` px per labelled person, COCO
area) and ``3d`` frames (Human3.6M, one person each: ``K``, 12 joints in mm in the camera frame and
their 2D px). Scores, all on the 12 limb joints (l/r shoulder, elbow, wrist, hip, knee, ankle):

* 2D (photos and frames): OKS with COCO's sigmas over the labelled joints (area: the given COCO area;
  on the frames, the area of the 12 joints' box), predictions matched one-to-one greedily by OKS;
  **recall** = labelled people matched at OKS ≥ 0.5, **mean OKS** of those matches;
  **precision** = matched / written over fully labelled images (``all_labelled`` photos and the
  one-person frames); **written per person** = people written / people labelled on those images.
* 3D (frames): a frame is **found** when a written person matches its person at OKS ≥ 0.5; then
  **MPJPE_rel** (mm, after aligning the mid-hip points), **PA-MPJPE** (mm, Procrustes with scale) and
  the **mid-hip depth error** ``|Z − Z_gt| / Z_gt``, averaged over the found frames.

A missing predicted joint (NaN) counts as infinitely far in OKS and is left out of the 3D errors
(a found person lacking a hip has no mid-hip and no 3D error; it is counted in ``no_midhip``).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from ..errors import HuporError
from ..fileio import read_json
from ..match import match

LIMB12 = ("l_shoulder", "r_shoulder", "l_elbow", "r_elbow", "l_wrist", "r_wrist",
          "l_hip", "r_hip", "l_knee", "r_knee", "l_ankle", "r_ankle")
#: COCO's keypoint sigmas for the 12 joints, in LIMB12 order
SIGMAS = np.array([.079, .079, .072, .072, .062, .062, .107, .107, .087, .087, .089, .089])
HIPS = (6, 7)


@dataclass
class Item:
    """One labelled image: ``kp`` (P, 12, 3) x, y px and v; ``area`` (P,) px²; ``all_labelled``;
    3D frames also ``K`` (3, 3) and ``joints_3d`` (12, 3) mm."""

    image: str
    kp: np.ndarray
    area: np.ndarray
    all_labelled: bool
    K: np.ndarray | None = None
    joints_3d: np.ndarray | None = None


def load_real_set(root) -> list[Item]:
    """``root/gt.json`` → items (photos first, then the 3D frames); malformed entries raise
    HuporError naming the entry and field."""
    root = Path(root)
    gt = read_json(root / "gt.json")
    if not isinstance(gt, dict) or tuple(gt.get("limb12", ())) != LIMB12:
        raise HuporError(f"{root / 'gt.json'}: 'limb12' must list the 12 joints {LIMB12}")
    items = []
    for i, e in enumerate(gt.get("2d", [])):
        where = f"{root / 'gt.json'} 2d[{i}]"
        try:
            kp = np.array([p["kp"] for p in e["persons"]], np.float64).reshape(-1, 12, 3)
            area = np.array([p["area"] for p in e["persons"]], np.float64)
            items.append(Item(str(e["image"]), kp, area, bool(e.get("all_labelled", False))))
        except (KeyError, TypeError, ValueError) as exc:
            raise HuporError(f"{where}: malformed entry ({exc})") from None
    for i, e in enumerate(gt.get("3d", [])):
        where = f"{root / 'gt.json'} 3d[{i}]"
        try:
            uv = np.array(e["joints_2d_px"], np.float64).reshape(12, 2)
            xyz = np.array(e["joints_3d_mm"], np.float64).reshape(12, 3)
            K = np.array(e["K"], np.float64).reshape(3, 3)
        except (KeyError, TypeError, ValueError) as exc:
            raise HuporError(f"{where}: malformed entry ({exc})") from None
        box = uv.max(0) - uv.min(0)
        kp = np.concatenate([uv, np.full((12, 1), 2.0)], 1)[None]
        items.append(Item(str(e["image"]), kp, np.array([box[0] * box[1]]), True, K, xyz))
    return items


def oks(pred_xy: np.ndarray, gt_kp: np.ndarray, area: float) -> float:
    """COCO OKS of one prediction (12, 2) px (NaN = missing) against one labelled person (12, 3)."""
    lab = gt_kp[:, 2] > 0
    if not lab.any():
        return 0.0
    d2 = ((np.asarray(pred_xy, np.float64) - gt_kp[:, :2]) ** 2).sum(1)
    e = d2 / (2.0 * (2.0 * SIGMAS) ** 2 * (area + np.spacing(1)))
    return float(np.where(np.isfinite(e), np.exp(-np.nan_to_num(e, nan=np.inf)), 0.0)[lab].mean())


def greedy_match(scores: np.ndarray, min_score: float = 0.5) -> list[tuple[int, int, float]]:
    """One-to-one matches (gt, pred, score) from a (G, P) score matrix, best pair first (ties in row-major
    order, :func:`hupor.match.match` ``nearest`` on −score), each ≥ ``min_score``; NaN never matches."""
    s = np.array(scores, np.float64).reshape(np.shape(scores))
    with np.errstate(invalid="ignore"):
        rows, cols = match(-s, "nearest", allowed=s >= min_score)
    return [(int(g), int(p), float(s[g, p])) for g, p in zip(rows, cols)]


def procrustes_error(pred: np.ndarray, gt: np.ndarray) -> float:
    """Mean joint error (mm) after the similarity transform (rotation, scale, translation) that best
    maps ``pred`` (J, 3) onto ``gt`` (J, 3)."""
    mp, mg = pred.mean(0), gt.mean(0)
    p, g = pred - mp, gt - mg
    u, s, vt = np.linalg.svd(p.T @ g)
    d = np.sign(np.linalg.det(u @ vt))
    D = np.diag([1.0, 1.0, d])
    R = u @ D @ vt
    scale = (s * np.diag(D)).sum() / max((p ** 2).sum(), 1e-12)
    return float(np.linalg.norm(scale * p @ R - g, axis=1).mean())


@dataclass
class RealScores:
    recall: float
    mean_oks: float
    precision: float
    written_per_person: float
    frames_found: int
    frames: int
    mpjpe_rel_mm: float
    pa_mpjpe_mm: float
    depth_error: float
    labelled: int
    matched: int
    no_midhip: int = 0
    per_image: list = field(default_factory=list)

    def row(self) -> dict:
        d = dict(self.__dict__)
        d.pop("per_image")
        return d


def _nanmean(v) -> float:
    return float(np.mean(v)) if len(v) else float("nan")


def score_real(items: list[Item], preds: dict) -> RealScores:
    """``preds[image] = (joints_2d (N, 12, 2) px, joints_3d (N, 12, 3) mm or None)`` in LIMB12 order
    (:func:`limb12_from_prediction`); an image missing from ``preds`` counts as no people written."""
    labelled = matched = written_full = matched_full = labelled_full = 0
    oks_matched, per_image = [], []
    mpjpe, pa, depth = [], [], []
    found = frames = no_mid = 0
    for it in items:
        xy, xyz = preds.get(it.image, (np.zeros((0, 12, 2)), None))
        xy = np.asarray(xy, np.float64).reshape(-1, 12, 2)
        S = np.array([[oks(p, g, a) for p in xy] for g, a in zip(it.kp, it.area)]).reshape(len(it.kp), len(xy))
        m = greedy_match(S)
        labelled += len(it.kp)
        matched += len(m)
        oks_matched += [s for _, _, s in m]
        if it.all_labelled:
            written_full += len(xy)
            matched_full += len(m)
            labelled_full += len(it.kp)
        per_image.append({"image": it.image, "labelled": len(it.kp), "written": len(xy), "matched": len(m),
                          "oks": [round(s, 3) for _, _, s in m]})
        if it.joints_3d is None:
            continue
        frames += 1
        if not m or xyz is None:
            continue
        found += 1
        pred = np.asarray(xyz, np.float64).reshape(-1, 12, 3)[m[0][1]]
        gt = it.joints_3d
        if not np.isfinite(pred[list(HIPS)]).all():
            no_mid += 1
            continue
        ok = np.isfinite(pred).all(1)
        pm, gm = pred[list(HIPS)].mean(0), gt[list(HIPS)].mean(0)
        mpjpe.append(float(np.linalg.norm((pred - pm)[ok] - (gt - gm)[ok], axis=1).mean()))
        pa.append(procrustes_error(pred[ok], gt[ok]))
        depth.append(abs(pm[2] - gm[2]) / gm[2])
        per_image[-1].update(mpjpe_rel_mm=round(mpjpe[-1], 1), pa_mpjpe_mm=round(pa[-1], 1),
                             depth_error=round(depth[-1], 4))
    return RealScores(
        recall=matched / max(labelled, 1), mean_oks=_nanmean(oks_matched),
        precision=matched_full / written_full if written_full else float("nan"),
        written_per_person=written_full / max(labelled_full, 1), frames_found=found, frames=frames,
        mpjpe_rel_mm=_nanmean(mpjpe), pa_mpjpe_mm=_nanmean(pa), depth_error=_nanmean(depth),
        labelled=labelled, matched=matched, no_midhip=no_mid, per_image=per_image)


def limb12_from_prediction(pred, skeleton) -> tuple[np.ndarray, np.ndarray | None]:
    """A :class:`hupor.schema.Prediction` → ``(joints_2d (N, 12, 2), joints_3d (N, 12, 3) or None)``
    in LIMB12 order, from any skeleton naming those joints (MPI15, COCO-17, CrowdPose-14)."""
    names = list(skeleton.joints)
    missing = [j for j in LIMB12 if j not in names]
    if missing:
        raise HuporError(f"skeleton {skeleton.name}: has no joints {missing} to score")
    idx = [names.index(j) for j in LIMB12]
    xy = np.asarray(pred.joints_2d, np.float64)[:, idx]
    xyz = None if getattr(pred, "dims", 3) == 2 else np.asarray(pred.joints_3d, np.float64)[:, idx]
    return xy, xyz


def predict_real_set(predictor, items: list[Item], root) -> tuple[dict, list[float], list[float]]:
    """Run ``predictor`` (a :class:`hupor.Predictor`) on every image of the set (3D frames with their
    calibrated K) → ``(preds for score_real, wall seconds per image, CPU seconds of this process per
    image)``; a warm-up call on the first image is not timed."""
    import time

    from ..media import read_image

    preds, secs, cpu = {}, [], []
    for i, it in enumerate(items):
        img = read_image(Path(root) / "images" / it.image)
        if i == 0:
            predictor.predict_arrays([img], K=it.K)
        t, c = time.perf_counter(), time.process_time()
        p = predictor.predict_arrays([img], paths=[it.image], K=it.K)[0]
        secs.append(time.perf_counter() - t)
        cpu.append(time.process_time() - c)
        preds[it.image] = limb12_from_prediction(p, predictor.skeleton)
    return preds, secs, cpu


def format_row(name: str, s: RealScores, median_s: float | None = None, median_cpu: float | None = None) -> str:
    """One printed line of scores (and the median wall / CPU seconds per image when given)."""
    t = f" | {median_s:.2f} s/img" if median_s is not None else ""
    t += f" ({median_cpu:.2f} s CPU)" if median_cpu is not None else ""
    return (f"{name}: 2D recall {s.recall:.2f} ({s.matched}/{s.labelled}) | mean OKS {s.mean_oks:.2f} | "
            f"precision {s.precision:.2f} | written/person {s.written_per_person:.2f} | 3D found "
            f"{s.frames_found}/{s.frames} | MPJPE_rel {s.mpjpe_rel_mm:.0f} mm | PA-MPJPE {s.pa_mpjpe_mm:.0f} mm | "
            f"mid-hip depth {100 * s.depth_error:.1f} %{t}")
