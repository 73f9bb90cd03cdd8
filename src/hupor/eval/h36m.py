"""Human3.6M: MPJPE (protocol #1) and PA-MPJPE (protocol #2, similarity Procrustes with scale), per action.

Definitions follow VideoPose3D ``common/loss.py`` (``mpjpe``, ``p_mpjpe``; data-and-eval.md §4): both
poses are translated so their pelvis is at the origin, the error is the mean over joints of the
Euclidean distance (mm), averaged over frames; the pelvis is one of the joints (error 0, as in MOON).
PA-MPJPE aligns each predicted frame to the GT with the optimal scale, rotation (no reflection) and
translation first. ``scale=False`` gives MOON's rigid alignment (not the standard PA-MPJPE).
17-joint H36M order: pelvis, r_hip, r_knee, r_ankle, l_hip, l_knee, l_ankle, spine, thorax, nose,
head, l_sho, l_elb, l_wri, r_sho, r_elb, r_wri. Test subjects S9 and S11.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from pathlib import Path

import numpy as np

from ..errors import HuporError
from ..skeleton import H36M17, from_mpi15

ROOT = 0


def mpjpe(pred: np.ndarray, gt: np.ndarray, root: int | None = ROOT) -> np.ndarray:
    """Per-frame MPJPE (F,) in mm of (F, J, 3) poses, root-aligned at joint ``root`` (None: as given)."""
    pred, gt = np.asarray(pred, np.float64), np.asarray(gt, np.float64)
    if root is not None:
        pred = pred - pred[:, root:root + 1]
        gt = gt - gt[:, root:root + 1]
    return np.linalg.norm(pred - gt, axis=-1).mean(-1)


def procrustes_align(pred: np.ndarray, gt: np.ndarray, scale: bool = True) -> np.ndarray:
    """Align each (J, 3) frame of ``pred`` (F, J, 3) to ``gt`` by ``a · pred · R + t`` minimising the
    squared error; R is a proper rotation (reflections removed), ``a`` = 1 when ``scale`` is False."""
    X, Y = np.asarray(gt, np.float64), np.asarray(pred, np.float64)
    mx, my = X.mean(1, keepdims=True), Y.mean(1, keepdims=True)
    X0, Y0 = X - mx, Y - my
    nx = np.sqrt((X0 ** 2).sum((1, 2), keepdims=True))
    ny = np.sqrt((Y0 ** 2).sum((1, 2), keepdims=True))
    nx, ny = np.where(nx > 0, nx, 1.0), np.where(ny > 0, ny, 1.0)
    H = np.matmul((X0 / nx).transpose(0, 2, 1), Y0 / ny)              # (F, 3, 3)
    U, s, Vt = np.linalg.svd(H)
    V = Vt.transpose(0, 2, 1)
    R = np.matmul(V, U.transpose(0, 2, 1))
    sign = np.sign(np.linalg.det(R))
    sign = np.where(sign == 0, 1.0, sign)
    V[:, :, -1] *= sign[:, None]
    s[:, -1] *= sign
    R = np.matmul(V, U.transpose(0, 2, 1))
    a = (s.sum(-1)[:, None, None] * nx / ny) if scale else np.ones_like(nx)
    t = mx - a * np.matmul(my, R)
    return a * np.matmul(Y, R) + t


def pa_mpjpe(pred: np.ndarray, gt: np.ndarray, scale: bool = True) -> np.ndarray:
    """Per-frame PA-MPJPE (F,) in mm (no root alignment needed: the similarity includes translation)."""
    return mpjpe(procrustes_align(pred, gt, scale), gt, root=None)


@dataclass
class H36mResult:
    """Errors in mm. ``actions``: per action {frames, mpjpe, pa_mpjpe}; ``action_mean``: unweighted
    mean over actions (the usual "Average" column); ``frame_mean``: over all frames."""

    actions: dict
    action_mean: dict
    frame_mean: dict
    frames: int
    missing: int
    joints: list[str]
    notes: list[str] = field(default_factory=list)

    def to_dict(self) -> dict:
        return dict(asdict(self), protocol="h36m")


def evaluate_h36m(gt_3d, pred_3d, actions, root: int = ROOT) -> H36mResult:
    """gt_3d, pred_3d (F, 17, 3) mm in H36M order (camera frame); ``actions`` (F,) names.

    Frames whose prediction is entirely NaN are missing: left out and counted. Joints that are NaN in
    some evaluated frame (e.g. spine and nose, which MPI15 predictions lack) are left out of every
    frame and the joints used are listed in the result.
    """
    gt = np.asarray(gt_3d, np.float64)
    pred = np.asarray(pred_3d, np.float64)
    actions = [str(a) for a in actions]
    if gt.ndim != 3 or gt.shape[2] != 3 or pred.shape != gt.shape or len(actions) != len(gt):
        raise HuporError(f"h36m: need GT and predictions of shape F x J x 3 and F action names, got "
                         f"{gt.shape}, {pred.shape} and {len(actions)} names")
    if not np.isfinite(gt).all():
        raise HuporError("h36m: ground truth holds non-finite values")
    present = ~np.isnan(pred).all((1, 2))
    missing = int((~present).sum())
    gt, pred = gt[present], pred[present]
    actions = [a for a, p in zip(actions, present) if p]
    if not len(gt):
        raise HuporError("h36m: no frame has a prediction")
    joints = np.isfinite(pred).all((0, 2))
    if not joints[root]:
        raise HuporError("h36m: the pelvis (root) is missing from the predictions")
    names = list(H36M17.joints) if gt.shape[1] == 17 else [str(j) for j in range(gt.shape[1])]
    notes = []
    if not joints.all():
        notes.append(f"joints left out (not predicted): {', '.join(n for n, k in zip(names, joints) if not k)}")
    if missing:
        notes.append(f"{missing} frames without a prediction were left out")
    g, p = gt[:, joints], pred[:, joints]
    r = int(np.flatnonzero(joints).tolist().index(root))
    e1, e2 = mpjpe(p, g, r), pa_mpjpe(p, g)
    per = {}
    arr = np.array(actions)
    for a in sorted(set(actions)):
        m = arr == a
        per[a] = {"frames": int(m.sum()), "mpjpe": float(e1[m].mean()), "pa_mpjpe": float(e2[m].mean())}
    amean = {"mpjpe": float(np.mean([v["mpjpe"] for v in per.values()])),
             "pa_mpjpe": float(np.mean([v["pa_mpjpe"] for v in per.values()]))}
    fmean = {"mpjpe": float(e1.mean()), "pa_mpjpe": float(e2.mean())}
    return H36mResult(per, amean, fmean, int(len(g)), missing, [n for n, k in zip(names, joints) if k], notes)


def _gt_frames(gt_path, subjects, stride, cameras):
    """(paths, gt 3D (F,17,3), gt pelvis 2D (F,2), actions) from the json release or canonical records."""
    from ..fileio import read_json
    from ..records import RecordSet

    gt_path = Path(gt_path)
    if gt_path.is_dir():
        from ..data.convert.h36m import read_h36m_release

        fr = read_h36m_release(gt_path, subjects, stride, cameras)
        j3 = np.array(fr.joints_cam).reshape(-1, 17, 3)
        pel = np.array([K.project(j[0]) for K, j in zip(fr.intrinsics, j3)]).reshape(-1, 2)
        return fr.paths, j3, pel, fr.actions
    rs = RecordSet.from_json(read_json(gt_path), str(gt_path))
    paths, j3s, pels, acts = [], [], [], []
    for r in rs.records:
        if r.num_persons != 1 or not r.has_3d:
            continue
        if subjects is not None and r.meta.get("subject") is not None and int(r.meta["subject"]) not in subjects:
            continue
        full = r.meta.get("h36m17_3d_mm")
        j3 = np.asarray(full, np.float64) if full is not None else from_mpi15(r.joints_3d[0], H36M17)
        paths.append(r.path)
        j3s.append(j3)
        pels.append(r.joints_2d[0, 2])
        acts.append(str(r.meta.get("action", "all")))
    return paths, np.array(j3s).reshape(-1, 17, 3), np.array(pels).reshape(-1, 2), acts


def evaluate_h36m_files(pred_path, gt_path, subjects=(9, 11), stride: int = 64, cameras=None,
                        progress: bool = False) -> H36mResult:
    """hupor prediction files against the json release folder (frames ``frame_idx % stride == 0`` of
    ``subjects``) or a canonical records json. Per image, the predicted person whose 2D pelvis is
    nearest the GT pelvis is scored; MPI15 → H36M leaves spine and nose out."""
    from .predictions import match_paths, read_predictions

    if isinstance(stride, bool) or not isinstance(stride, int) or stride < 1:
        raise HuporError(f"stride must be an integer >= 1, got {stride!r}")
    paths, gt3, gt_pel, acts = _gt_frames(gt_path, subjects, stride, cameras)
    if not paths:
        raise HuporError(f"{gt_path}: no ground-truth frames for subjects {subjects}")
    preds = read_predictions(pred_path, progress)
    pairs, unmatched = match_paths(paths, [p.path for p in preds], [p.source or p.path for p in preds])
    out = np.full(gt3.shape, np.nan)
    for k, g in pairs.items():
        p = preds[k]
        if p.joints_3d.shape[0] == 0:
            continue
        if p.joints_3d.shape[1] != 15:
            raise HuporError(f"{p.path}: expected 15 MPI15 joints, got {p.joints_3d.shape[1]}")
        d = np.linalg.norm(p.joints_2d[:, 2] - gt_pel[g], axis=-1)
        d = np.where(np.isfinite(d), d, np.inf)
        out[g] = from_mpi15(p.joints_3d[int(np.argmin(d))], H36M17)
    if not pairs:
        raise HuporError(f"no prediction matches a ground-truth image (e.g. {preds[0].path if preds else 'none'} "
                         f"vs {paths[0]})")
    res = evaluate_h36m(gt3, out, acts)
    if unmatched:
        res.notes.append(f"{len(unmatched)} prediction images have no ground truth and were ignored")
    every = f"stride {stride}" if Path(gt_path).is_dir() else "every record (stride applies to the release folder only)"
    res.notes.append(f"subjects {list(subjects) if subjects else 'all'}, {every}")
    return res
