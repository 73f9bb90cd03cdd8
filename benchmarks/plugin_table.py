"""The Supp. Table 2 analogue: 2D plug-in bundles scored with the CrowdPose protocol on a synthetic
CrowdPose-format test set (docs/results.md).

    .venv/bin/hupor synth --out runs/cp-test --scenes 200 --seed 9800 --size 256x160 --crowdpose
    .venv/bin/python benchmarks/plugin_table.py --test runs/cp-test \
        --bundles base=runs/hh/bundle.pt hg=runs/hh-hg/bundle.pt dsed=runs/hh-dsed/bundle.pt [--multi-scale]

Prints, per bundle and test (single scale; with ``--multi-scale`` also scales 0.5, 1, 2): AP, AP50,
AP75, AP^E, AP^M, AP^H (faster-coco-eval ``keypoints_crowd``, :func:`hupor.eval.keypoint_ap`), the
people predicted and the median network ms per image. ``--json FILE`` writes the numbers.
``--grouping truth`` (HigherHRNet bundles) groups the network's own heatmap peaks by the ground truth
(:mod:`hupor.bench.grouping`, a diagnostic): what the heatmaps would score with a perfect grouping;
``--truth-maps heat|paf|both`` (HigherHRNet, PAF grouping) decodes the ground-truth heatmaps or PAF
fields in place of the network's (a diagnostic: which of the two fails);
``--threshold T`` overrides the decoder's peak threshold (choose it on a tuning set, not the test set);
``--paf-stats`` adds, for HigherHRNet bundles, how well the PAF branch follows the true (visible) limbs
(:func:`hupor.bench.grouping.paf_agreement`: mean ⟨û, PAF⟩ on the limbs, mean |PAF| off them) and how
good the heatmap peaks are (:func:`hupor.bench.grouping.peak_stats`: median distance from a visible
joint to the nearest peak of its type, the fraction within 3 px, peaks per visible joint).
"""

from __future__ import annotations

import argparse
import json
import time
from pathlib import Path

import numpy as np

KEYS = ("AP", "AP50", "AP75", "AP_easy", "AP_medium", "AP_hard")


def score(bundle: str, test: Path, scales=(1.0,), grouping: str | None = None, paf_test=None,
          paf_stats: bool = False, threshold: float | None = None, truth_maps: str | None = None) -> dict:
    """AP figures of one bundle on the test folder (``annotations.json`` + ``crowdpose.json``)."""
    from hupor.eval.keypoint_ap import coco_results, keypoint_ap
    from hupor.eval.predictions import parse_image
    from hupor.media import read_image
    from hupor.predictor import Predictor
    from hupor.records import RecordSet

    gt = json.loads((test / "crowdpose.json").read_text())
    recs = RecordSet.load(test / "annotations.json")
    pr = Predictor(bundle)
    pr.method.scales = tuple(scales)
    current = []
    if threshold is not None:
        pr.method.threshold = float(threshold)
    if grouping == "truth" and pr.method.name == "higherhrnet":
        pr.method.decode = _truth_decode(pr.method, current)
    elif truth_maps and pr.method.name == "higherhrnet":
        pr.method.grouping = "paf"
        pr.method.decode = _truth_maps_decode(pr.method, pr.codec_params, current, truth_maps)
    elif grouping and pr.method.name == "higherhrnet":
        pr.method.grouping = grouping
    if paf_test and pr.method.name == "higherhrnet":
        pr.method.paf_point_thr, pr.method.paf_keep_ratio = paf_test
    preds, ms, agree = [], [], []
    for rec in recs:
        img = read_image(recs.image_path(rec))
        current[:] = [rec]
        t0 = time.perf_counter()
        p = pr.predict_arrays([img], paths=[rec.path], K=rec.intrinsics)[0]
        ms.append(1000 * (time.perf_counter() - t0))
        preds.append(parse_image(p.to_json(pr.skeleton, pr.model_info), rec.path))
        if paf_stats and pr.method.name == "higherhrnet":
            agree.append(_paf_agreement(pr, rec, img))
    stats = keypoint_ap(gt, coco_results(preds, "crowdpose", gt), "crowdpose")
    extra = {}
    if agree:
        dist = np.concatenate([a[2] for a in agree])
        extra = {"paf_on_limb": float(np.nanmean([a[0] for a in agree])),
                 "paf_off_limb": float(np.mean([a[1] for a in agree])),
                 "peak_median_px": float(np.median(dist)), "peak_within_3px": float(np.mean(dist < 3)),
                 "peaks_per_joint": sum(a[3] for a in agree) / max(1, sum(a[4] for a in agree))}
    return {**{k: stats[k] for k in KEYS}, "people": int(sum(len(p.scores) for p in preds)),
            "ms": float(np.median(ms)), "scales": list(scales), **extra}


def _true_joints(rec, joints: str, letterbox) -> tuple[np.ndarray, np.ndarray]:
    """A record's people in the plug-in joint set: (N, J, 2) network-input px (NaN = unlabelled), (N, J) v."""
    from hupor.skeleton import JOINT_SETS, from_mpi15

    kp = from_mpi15(np.concatenate([rec.joints_2d, rec.visibility[..., None].astype(np.float64)], -1),
                    JOINT_SETS[joints])
    net = letterbox.to_net(kp[..., :2].reshape(-1, 2)).reshape(kp.shape[:2] + (2,))
    return net, np.nan_to_num(kp[..., 2])


def _paf_agreement(pr, rec, img) -> tuple:
    """One image: the HigherHRNet PAF branch's output against the visible limbs' unit vectors, and the
    heatmap peaks against the visible joints: (on limb, off limb, peak distances px, peaks, visible joints)."""
    import torch

    from hupor.bench.grouping import paf_agreement, peak_stats
    from hupor.camera import Letterbox
    from hupor.nets import preprocess
    from hupor.plugins.ae import peak_heat
    from hupor.plugins.config import LIMBS
    from hupor.plugins.data import paf2d_targets

    cp = pr.codec_params
    lb = Letterbox.fit(img.shape[1], img.shape[0], cp.net_w, cp.net_h)
    with torch.inference_mode():
        out = pr.method.bundle.detector(preprocess(lb.apply(img)[None]))
    net, vis = _true_joints(rec, pr.method.joints, lb)
    target = paf2d_targets(np.nan_to_num(net), vis == 2, LIMBS[pr.method.joints], 4, cp.net_w, cp.net_h)
    on, off = paf_agreement(out.pafs[0].numpy(), target)
    heat = peak_heat(out.heatmaps[0].clamp(0, 1).numpy(), out.heatmaps_hi[0].clamp(0, 1).numpy())
    dist, count = peak_stats(heat, net, vis == 2, pr.method.threshold)
    return on, off, dist, count, int((vis == 2).sum())


def _truth_decode(method, current: list):
    """A decode for ``method`` (HigherHRNet) that groups its peaks by the record in ``current``."""
    from hupor.bench.grouping import group_by_truth
    from hupor.methods.plugin2d import poses_2d
    from hupor.plugins.ae import peak_heat

    def decode(raw, letterbox, intrinsics):
        net, vis = _true_joints(current[0], method.joints, letterbox)
        return poses_2d(*group_by_truth(peak_heat(raw["heat_lo"], raw["heat_hi"]), net, vis >= 1, method.threshold),
                        letterbox)

    return decode


def _truth_maps_decode(method, cp, current: list, which: str):
    """A PAF-grouping decode for ``method`` (HigherHRNet) on the maps of
    :func:`hupor.bench.grouping.swap_in_truth` for the record in ``current``."""
    from hupor.bench.grouping import swap_in_truth
    from hupor.methods.plugin2d import poses_2d
    from hupor.plugins.config import LIMBS
    from hupor.plugins.pafgroup import decode_higher_paf

    def decode(raw, letterbox, intrinsics):
        net, vis = _true_joints(current[0], method.joints, letterbox)
        maps = swap_in_truth(which, raw["heat_lo"], raw["heat_hi"], raw["pafs"], net, vis >= 1,
                             LIMBS[method.joints], cp.net_w, cp.net_h)
        return poses_2d(*decode_higher_paf(maps[0], maps[2], maps[1], LIMBS[method.joints], method.threshold,
                                           keep_ratio=method.paf_keep_ratio, point_thr=method.paf_point_thr),
                        letterbox)

    return decode


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--test", required=True, help="a 'hupor synth --crowdpose' folder")
    ap.add_argument("--bundles", nargs="+", required=True, metavar="NAME=PATH")
    ap.add_argument("--multi-scale", action="store_true", help="also test at scales 0.5, 1, 2")
    ap.add_argument("--json", help="write the figures here")
    ap.add_argument("--grouping", choices=("ae", "paf", "truth"),
                    help="HigherHRNet bundles: override the grouping (truth: by the ground truth, a diagnostic)")
    ap.add_argument("--paf-test", type=float, nargs=2, metavar=("POINT_THR", "KEEP_RATIO"),
                    help="HigherHRNet PAF grouping: the line-integral test (default 0.05 0.8)")
    ap.add_argument("--threshold", type=float,
                    help="the decoder's peak threshold (default: the bundle's decode.peak_threshold)")
    ap.add_argument("--truth-maps", choices=("heat", "paf", "both"),
                    help="HigherHRNet bundles, PAF grouping: replace the network's heatmaps, PAF fields or both "
                         "by the ground truth (a diagnostic)")
    ap.add_argument("--paf-stats", action="store_true",
                    help="HigherHRNet bundles: also measure the PAF branch along the true limbs")
    args = ap.parse_args()
    import torch

    torch.set_num_threads(1)
    rows = []
    tests = [(1.0,)] + ([(0.5, 1.0, 2.0)] if args.multi_scale else [])
    for scales in tests:
        for item in args.bundles:
            name, path = item.split("=", 1)
            r = score(path, Path(args.test), scales, args.grouping, args.paf_test, args.paf_stats, args.threshold,
                      args.truth_maps)
            rows.append({"name": name, "bundle": path, **r})
    print("| test | model | " + " | ".join(KEYS) + " | people | ms |\n|" + "---|" * (len(KEYS) + 4))
    for r in rows:
        test = "single-scale" if r["scales"] == [1.0] else "multi-scale"
        print(f"| {test} | {r['name']} | " + " | ".join(f"{100 * r[k]:.1f}" for k in KEYS)
              + f" | {r['people']} | {r['ms']:.0f} |"
              + (f" PAF on limbs {r['paf_on_limb']:.3f}, off {r['paf_off_limb']:.4f}; peaks: median error"
                 f" {r['peak_median_px']:.1f} px, {100 * r['peak_within_3px']:.0f} % within 3 px,"
                 f" {r['peaks_per_joint']:.1f} per visible joint" if "paf_on_limb" in r else ""))
    if args.json:
        from hupor.fileio import write_json_atomic

        write_json_atomic(args.json, rows)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
