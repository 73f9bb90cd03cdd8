"""``hupor demo``: render a synthetic scene of overlapping people, predict, compare with its ground truth.

The scene comes from the synthetic-data renderer (``hupor.data.synth``, needs pybullet's motion
clips: ``pip install hupor[data]``). Without pybullet, or with ``--sample``, the demo uses the bundled
sample ``hupor/assets/demo_scene.jpg`` + ``demo_scene.json`` (made once with
``render_scene(SceneConfig(min_people=4, max_people=4), seed=5)``).

Writes to ``--out``: ``scene.png`` (input), ``scene.gt.json`` (ground truth, hupor-records),
``scene.json`` (prediction, hupor-poses), ``scene.overlay.jpg``, ``scene.gt_overlay.jpg`` and
``scene.3d.png``; prints a table comparing prediction and ground truth. Predicted and true people are
matched one-to-one by pelvis 2D distance (Hungarian, at most 10 % of the image height).
"""

from __future__ import annotations

import argparse
from pathlib import Path

import numpy as np

from .predict import add_min_score

ASSET_IMAGE = "demo_scene.jpg"
ASSET_RECORDS = "demo_scene.json"


def register(subparsers) -> argparse.ArgumentParser:
    p = subparsers.add_parser("demo", help="predict on a synthetic crowded scene and compare with its ground truth",
                              description="Render a synthetic scene of overlapping people, predict, and "
                                          "compare with its ground truth.")
    p.add_argument("--out", default="hupor-demo", help="output folder (default hupor-demo)")
    p.add_argument("--seed", type=int, default=5, help="scene seed (default 5)")
    p.add_argument("--people", type=int, default=4, help="people in the scene (default 4)")
    p.add_argument("--sample", action="store_true", help="use the bundled sample scene instead of rendering one")
    p.add_argument("--checkpoint", help="model bundle (.pt); default: the bundled model")
    p.add_argument("--device", default="cpu", help="cpu, cuda, cuda:N or mps (default cpu)")
    p.add_argument("--flip", action="store_true", help="flip test")
    p.add_argument("--threads", type=int, default=1, help="CPU threads for torch (default 1, see hupor predict)")
    add_min_score(p)
    p.set_defaults(func=run)
    return p


def make_scene(seed: int, people: int, sample: bool):
    """``(image_bgr, ImageRecord, description)``: a rendered scene, or the bundled sample."""
    from ..errors import HuporError
    from ..records import RecordSet

    if not sample:
        try:
            from ..data.synth.generate import render_scene
            from ..data.synth.scene import SceneConfig

            img, rec = render_scene(SceneConfig(min_people=people, max_people=people), seed=seed,
                                    path="scene.png")
            return img, rec, f"synthetic scene, seed {seed}, {people} people"
        except (HuporError, ImportError) as exc:
            note = f" (renderer unavailable: {exc})"
    else:
        note = ""
    from ..media import read_image
    from ..predictor import ASSETS

    rs = RecordSet.load(ASSETS / ASSET_RECORDS)
    rec = rs.records[0]
    img = read_image(rs.image_path(rec))
    rec.path = "scene.png"
    return img, rec, f"bundled sample scene{note}"


def gt_prediction(rec, intrinsics_source: str = "K"):
    """The ground truth as a :class:`Prediction` (state from visibility: 2 visible, 1 occluded, 0 missing)."""
    from ..schema import MISSING, OCCLUDED_INFERRED, VISIBLE, Prediction

    v = rec.visibility
    state = np.where(v == 2, VISIBLE, np.where(v == 1, OCCLUDED_INFERRED, MISSING)).astype(np.int8)
    j2 = np.where((state == MISSING)[..., None], np.nan, rec.joints_2d)
    j3 = np.where((state == MISSING)[..., None], np.nan, rec.joints_3d)
    n = rec.num_persons
    return Prediction(rec.path, rec.width, rec.height, rec.intrinsics, intrinsics_source, j2, j3,
                      (state != MISSING).astype(float), state, rec.joints_3d[:, 2, 2], np.ones(n))


def scene_metrics(pred, rec, root: int = 2, max_dist_frac: float = 0.1) -> dict:
    """Compare a prediction with the scene's ground truth.

    People are matched by pelvis 2D distance (:func:`hupor.match.match`, ``hungarian``, over all
    distances; the pairs at ``max_dist_frac`` × image height or more are dropped afterwards).
    ``mpjpe_rel_mm``: mean over matched people and joints present in both (GT v > 0, prediction not
    missing) of the root-relative 3D error; ``root_err_mm``: mean |Z_pred − Z_gt| of the pelvis;
    ``state_acc``: fraction of those joints whose predicted state (visible / inferred) agrees with the
    ground-truth visibility (2 / 1).
    """
    from ..match import joint_errors, match
    from ..schema import MISSING, VISIBLE

    out = {"gt_people": rec.num_persons, "found": pred.num_persons, "matched": 0,
           **{f"pred_{k}": v for k, v in pred.state_counts().items()},
           "gt_visible": int((rec.visibility == 2).sum()), "gt_occluded": int((rec.visibility == 1).sum()),
           "mpjpe_rel_mm": float("nan"), "root_err_mm": float("nan"), "state_acc": float("nan")}
    if pred.num_persons == 0 or rec.num_persons == 0:
        return out
    p_root = np.nan_to_num(pred.joints_2d[:, root], nan=1e9)
    dist = np.linalg.norm(p_root[:, None] - rec.joints_2d[None, :, root], axis=-1)
    dist[:, rec.visibility[:, root] == 0] = 1e9
    pi, gi = match(dist, "hungarian")  # finite costs (1e9 for a missing root): every pair may match
    ok = dist[pi, gi] < max_dist_frac * rec.height
    pi, gi = pi[ok], gi[ok]
    out["matched"] = int(len(pi))
    if not len(pi):
        return out
    p3, g3 = pred.joints_3d[pi], rec.joints_3d[gi]
    both = (pred.joint_state[pi] != MISSING) & (rec.visibility[gi] > 0)
    err = joint_errors(p3, g3, root)
    out["mpjpe_rel_mm"] = float(err[both].mean()) if both.any() else float("nan")
    out["root_err_mm"] = float(np.abs(pred.root_depth_mm[pi] - g3[:, root, 2]).mean())
    agree = (pred.joint_state[pi] == VISIBLE) == (rec.visibility[gi] == 2)
    out["state_acc"] = float(agree[both].mean()) if both.any() else float("nan")
    return out


def format_table(m: dict) -> str:
    def f(x, unit=""):
        return "n/a" if x != x else f"{x:.0f}{unit}" if unit else f"{x:.2f}"

    rows = [
        ("people found / in ground truth", f"{m['found']} / {m['gt_people']} ({m['matched']} matched)"),
        ("joints visible / inferred / missing", f"{m['pred_visible']} / {m['pred_occluded_inferred']} / "
                                                f"{m['pred_missing']}"),
        ("ground truth joints visible / occluded", f"{m['gt_visible']} / {m['gt_occluded']}"),
        ("MPJPE root-relative (matched)", f(m["mpjpe_rel_mm"], " mm")),
        ("root depth error (matched)", f(m["root_err_mm"], " mm")),
        ("joint state agrees with ground truth", f(m["state_acc"])),
    ]
    width = max(len(k) for k, _ in rows)
    return "\n".join(f"  {k:<{width}}  {v}" for k, v in rows)


def run(args) -> int:
    import cv2

    from ..device import check_device
    from ..errors import HuporError
    from ..fileio import check_output_dir, write_atomic
    from ..predictor import Predictor, check_min_score
    from ..records import RecordSet
    from ..schema import write_poses
    from ..viz.overlay import save_overlay
    from ..viz.plot3d import save_plot_3d

    from ..codec.params import DecodeParams
    from ..memory import DEMO_BYTES_PER_PERSON, check_memory

    most = DecodeParams().max_people  # the decoder returns at most this many people: more cannot be compared
    if not 1 <= args.people <= most:
        raise HuporError(f"--people must be in [1, {most}] (the decoder's max_people), got {args.people}")
    check_memory(DEMO_BYTES_PER_PERSON * args.people, f"--people {args.people}")
    if args.threads < 1:
        raise HuporError(f"--threads must be >= 1, got {args.threads}")
    if args.min_score is not None:
        check_min_score(args.min_score, "--min-score")
    check_output_dir(args.out, "--out")
    check_device(args.device)
    import torch

    torch.set_num_threads(args.threads)
    out = Path(args.out)
    img, rec, what = make_scene(args.seed, args.people, args.sample)
    print(f"scene: {what} ({rec.width}x{rec.height}, fx {rec.intrinsics.fx:.0f} px)")
    predictor = Predictor(args.checkpoint, device=args.device, flip_test=args.flip, min_score=args.min_score)
    pred = predictor(img, K=rec.intrinsics)
    pred.path = "scene.png"

    def write_png(tmp):
        ok, buf = cv2.imencode(".png", img)
        if not ok:
            raise HuporError(f"{out / 'scene.png'}: cannot encode image")
        buf.tofile(str(tmp))

    write_atomic(out / "scene.png", write_png)
    RecordSet([rec], predictor.skeleton, dataset="hupor-demo").save(out / "scene.gt.json")
    write_poses(out / "scene.json", pred.to_json(predictor.skeleton, predictor.model_info))
    save_overlay(out / "scene.overlay.jpg", img, pred, predictor.skeleton)
    save_overlay(out / "scene.gt_overlay.jpg", img, gt_prediction(rec), predictor.skeleton)
    save_plot_3d(out / "scene.3d.png", pred, predictor.skeleton,
                 title=f"prediction: {pred.num_persons} people (mm, camera frame)")
    m = scene_metrics(pred, rec)
    print(f"model: {predictor.model_info['name']} ({predictor.model_info['checkpoint']}); "
          f"network {pred.timings_ms['network']:.0f} ms, decode {pred.timings_ms['decode']:.0f} ms")
    print(format_table(m))
    print(f"wrote {out}/scene.json, scene.overlay.jpg (solid: visible, hollow/dashed: inferred), "
          f"scene.gt_overlay.jpg, scene.3d.png")
    return 0
