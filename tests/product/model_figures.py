"""Figures of the shipped models on a small fixed set of synthetic scenes (the data of
``test_product_default_model.py`` and ``test_product_lift_model.py``).

The expected figures live in ONE place, ``tests/product/model_figures.json``, with the sha256 of the
model file they were measured with. When a model is replaced, or the scene generator / renderer
changes (the scenes are made at test time from the library, never stored as pixels), re-measure and
commit the JSON with the change::

    nice -n 15 .venv/bin/python tests/product/model_figures.py            # print the figures
    nice -n 15 .venv/bin/python tests/product/model_figures.py --write    # and write the JSON

Scores: people matched to the truth by the official MuPoTS identity matcher (threshold
``40 px × width / 2048``, as ``hupor bench e2e``); ``found`` = matched / annotated, ``precision`` =
matched / people written, ``root_err_pct`` = median |Z_pred − Z_gt| / Z_gt of the matched pelvises
(%); ``pck_rel`` (all people) and ``mpjpe_rel_mm`` (matched) by the MuPoTS protocol
(:func:`hupor.bench.evaluate_predictions`, the figures of ``hupor bench e2e``).
"""

from __future__ import annotations

import argparse
import hashlib
import json
from pathlib import Path

import numpy as np

FIGURES = Path(__file__).with_name("model_figures.json")
DEFAULT_SCENES = {"seed": 9300, "scenes": 12, "width": 832, "height": 512, "min_people": 1, "max_people": 6}
PRECISION = "fp32"  # the figures' precision on every machine
LIFT_SCENES = {"seed": 9400, "scenes": 25, "width": 832, "height": 512, "max_people": 3}


def sha256(path: Path) -> str:
    return hashlib.sha256(Path(path).read_bytes()).hexdigest()


def score(records, preds, match_px: float) -> dict:
    """``preds``: per record ``(joints_2d (P,15,2) px, joints_3d (P,15,3) mm)``. People are matched with
    the official MuPoTS identity matcher (the ``found`` of ``hupor bench e2e``)."""
    from hupor.bench.evaluate import evaluate_predictions
    from hupor.eval.mupots import evaluate_frame
    from hupor.eval.mupots_core import ROOT, get_variant
    from hupor.eval.mupots_frames import align_predictions, as_gt_frames

    v = get_variant("smap15")
    gts = as_gt_frames(list(records), v)
    prs, _ = align_predictions(gts, list(preds), v)
    rel = []
    for gt, pr in zip(gts, prs):
        _, match, root_z = evaluate_frame(gt, pr, v, True, match_px)
        z = gt.joints_3d[match >= 0, ROOT, 2]
        rel += list(np.abs(root_z[match >= 0] - z) / z)
    matched, written = len(rel), sum(len(p[0]) for p in preds)
    annotated = sum(r.num_persons for r in records)
    ev = evaluate_predictions(records, preds, match_px)
    assert ev["all"]["matched"] == matched
    return {"annotated": annotated, "written": written, "matched": matched,
            "found": round(matched / annotated, 4), "precision": round(matched / max(written, 1), 4),
            "pck_rel": round(float(ev["all"]["pck_rel"]), 2),
            "pck_rel_matched": round(float(ev["matched"]["pck_rel"]), 2),
            "mpjpe_rel_mm": round(float(ev["matched"]["mpjpe_rel"]), 1),
            "root_err_pct": round(float(np.median(rel) * 100), 2) if rel else None}


def measure_default() -> dict:
    """The bundled default model on rendered scenes ``DEFAULT_SCENES``, in fp32 (``precision="auto"``
    picks bf16 on CPUs with AVX-512 BF16, which would make the figures depend on the machine)."""
    from hupor.bench.e2e import E2ESpec, render_scenes
    from hupor.predictor import Predictor, default_checkpoint

    spec = E2ESpec(**DEFAULT_SCENES)
    scenes = render_scenes(spec)
    pred = Predictor(precision=PRECISION)
    preds = []
    for img, rec in scenes:
        p = pred.predict_arrays([img], K=rec.intrinsics)[0]
        preds.append((p.joints_2d, p.joints_3d))
    out = score([r for _, r in scenes], preds, spec.match_px)
    return {"model_sha256": sha256(default_checkpoint()), "scenes": DEFAULT_SCENES, **out}


def measure_sample() -> dict:
    """The bundled default model on the bundled sample scene (fixed pixels, ``hupor demo --sample``),
    scored by the demo's ``scene_metrics``."""
    from hupor.cli.demo import make_scene, scene_metrics
    from hupor.predictor import Predictor

    img, rec, _ = make_scene(0, 0, sample=True)
    m = scene_metrics(Predictor(precision=PRECISION)(img, K=rec.intrinsics), rec)
    return {k: (round(m[k], 1) if isinstance(m[k], float) else m[k])
            for k in ("gt_people", "found", "matched", "mpjpe_rel_mm", "root_err_mm")}


def lift_scenes():
    from hupor.data.synth import SceneConfig, SkeletonScenes, load_motion_library

    s = LIFT_SCENES
    return list(SkeletonScenes(SceneConfig(width=s["width"], height=s["height"], max_people=s["max_people"]),
                               seed=s["seed"], length=s["scenes"], motion=load_motion_library()))


def measure_lift() -> tuple[dict, dict]:
    """The bundled lift model on clean COCO keypoints of skeleton scenes ``LIFT_SCENES`` (scored 0.9
    where labelled); also a flat person at the lifted root depth (the baseline it must beat)."""
    from hupor.cli.lift import default_lift_model
    from hupor.lift.coco import coco_to_mpi15
    from hupor.lift.lifter import Lifter
    from hupor.nets import load_bundle
    from hupor.skeleton import COCO17, from_mpi15

    lifter = Lifter(load_bundle(default_lift_model()))
    scenes = lift_scenes()
    preds, flat = [], []
    for rec in scenes:
        sc = np.where(rec.visibility >= 1, 0.9, 0.0)[..., None]
        kp = np.nan_to_num(from_mpi15(np.concatenate([rec.joints_2d, sc], -1), COCO17))
        j2d, s, det, _ = coco_to_mpi15(kp)
        poses = lifter.lift(j2d, det, s, rec.width, rec.height, rec.intrinsics)
        preds.append((poses.joints_2d, poses.joints_3d))
        flat.append((poses.joints_2d, rec.intrinsics.backproject(
            poses.joints_2d, np.repeat(poses.root_depth_mm[:, None], 15, 1))))
    match_px = 40.0 * LIFT_SCENES["width"] / 2048
    out = score(scenes, preds, match_px)
    base = score(scenes, flat, match_px)
    return {"model_sha256": sha256(default_lift_model()), "scenes": LIFT_SCENES, **out}, base


def main(argv=None) -> int:
    import torch

    torch.set_num_threads(1)
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--write", action="store_true", help=f"write {FIGURES.name}")
    args = ap.parse_args(argv)
    lift, flat = measure_lift()
    figures = {"default": measure_default(), "default_sample_scene": measure_sample(), "lift": lift,
               "lift_flat_baseline": {k: flat[k] for k in ("pck_rel_matched", "mpjpe_rel_mm")}}
    text = json.dumps(figures, indent=2) + "\n"
    print(text, end="")
    if args.write:
        FIGURES.write_text(text)
        print(f"wrote {FIGURES}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
