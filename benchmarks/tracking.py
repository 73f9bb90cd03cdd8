"""Tracking and smoothing on a synthetic video: ID switches per 100 track-frames and 3D jitter (docs/video.md).

    python benchmarks/tracking.py [--seed 0] [--frames 90] [--people 4] [--size 832x512]
                                  [--depth-weight 0.1] [--json F]

The video is ``hupor.data.synth.sequence.Sequence`` (people walking across and behind each other,
fixed camera, 30 fps), rendered in memory. Two predictors run through ``Predictor(stages=[Tracker()])``
(then ``[Tracker(), Smoother()]``): the ground-truth-map **oracle** (``OracleMethod`` with
``records=``, so the ID figure measures the tracker alone) and the **bundled model**.

Matching (CLEAR-MOT style), per frame: a ground-truth person with at least 3 visible joints is a
target; its cost to a predicted person is the mean 2D distance over the joints both have, divided by
the target's 2D box diagonal; pairs under 0.5 may match. Last frame's (target, track) pairs that are
still under the threshold are kept, the rest is a Hungarian assignment. An **ID switch**: a target
matched to a track other than the one it was last matched to. Per 100 track-frames = 100 · switches /
matched target-frames. MOTA = 1 − (misses + false positives + switches) / targets.

Jitter: mean ‖x(t+1) − 2x(t) + x(t−1)‖ of the 3D joints (mm / frame²) over every predicted track's
three consecutive frames with the joint present in all three; the ground truth's own value (real
motion) and the 3D error (MPJPE, mm, absolute camera frame) of matched joints are given beside it.
"""

from __future__ import annotations

import argparse
import json
import time

import numpy as np

from hupor.data.synth import SceneConfig, load_motion_library
from hupor.data.synth.sequence import Sequence
from hupor.match import match
from hupor.methods import OracleMethod, Smoother, Tracker
from hupor.methods.track import person_size
from hupor.predictor import Predictor

THRESHOLD = 0.5


def match_frame(gt2d, gt_ok, pred2d, prev: dict, gt_ids, track_ids):
    """Matches {gt id: predicted index} of one frame; ``prev``: {gt id: track id} of earlier frames."""
    n, m = len(gt2d), len(pred2d)
    cost = np.full((n, m), np.inf)
    if n and m:
        size = person_size(np.where(gt_ok[..., None], gt2d, np.nan))
        for g in range(n):
            d = np.linalg.norm(pred2d - gt2d[g][None], axis=-1)
            d[:, ~gt_ok[g]] = np.nan
            cnt = np.isfinite(d).sum(1)
            mean = np.where(cnt > 0, np.nansum(d, 1) / np.maximum(cnt, 1), np.inf)
            cost[g] = np.where(mean / size[g] < THRESHOLD, mean / size[g], np.inf)
    out = {}
    for g in range(n):  # keep last correspondences that still hold
        tid = prev.get(int(gt_ids[g]))
        hit = [p for p in range(m) if track_ids[p] == tid and np.isfinite(cost[g, p])]
        if tid is not None and hit:
            out[g] = hit[0]
            cost[g, :] = np.inf
            cost[:, hit[0]] = np.inf
    out.update({int(r): int(c) for r, c in zip(*match(cost, "hungarian"))})  # finite costs may match
    return out


def jitter(series: dict) -> float:
    """Mean 3D acceleration (mm / frame²) over tracks {id: {frame: (J, 3)}}."""
    acc = []
    for frames in series.values():
        for t in frames:
            if t - 1 in frames and t + 1 in frames:
                a = np.linalg.norm(frames[t + 1] - 2 * frames[t] + frames[t - 1], axis=-1)
                acc.extend(a[np.isfinite(a)].tolist())
    return float(np.mean(acc)) if acc else float("nan")


def evaluate(preds, recs) -> dict:
    prev, switches, matched, targets, fp, err = {}, 0, 0, 0, 0, []
    series: dict = {}
    for pred, rec in zip(preds, recs):
        ok = rec.visibility == 2
        target = ok.sum(1) >= 3
        gt_ids = np.asarray(rec.meta["person_ids"])[target]
        tids = pred.track_ids.tolist()
        m = match_frame(rec.joints_2d[target], rec.visibility[target] >= 1, pred.joints_2d, prev, gt_ids, tids)
        targets += int(target.sum())
        fp += pred.num_persons - len(m)
        for g, p in m.items():
            gid = int(gt_ids[g])
            if gid in prev and prev[gid] != tids[p]:
                switches += 1
            prev[gid] = tids[p]
            matched += 1
            e = np.linalg.norm(pred.joints_3d[p] - rec.joints_3d[target][g], axis=-1)
            err.extend(e[np.isfinite(e)].tolist())
        for p, tid in enumerate(tids):
            series.setdefault(tid, {})[pred.frame] = pred.joints_3d[p]
    return {"targets": targets, "matched": matched, "id_switches": switches,
            "id_switches_per_100": 100.0 * switches / max(matched, 1),
            "mota": 1.0 - ((targets - matched) + fp + switches) / max(targets, 1),
            "tracks": len(series), "jitter_mm": jitter(series), "mpjpe_mm": float(np.mean(err)) if err else None}


def run(predictor_factory, images, recs, fps, depth_weight=0.1):
    out = {}
    for name, stages in (("raw", lambda: [Tracker(depth_weight=depth_weight)]),
                         ("smoothed", lambda: [Tracker(depth_weight=depth_weight), Smoother()])):
        pred = predictor_factory(stages())
        t0 = time.perf_counter()
        preds = [pred.predict_arrays([im], frames=[f], K=rec.intrinsics.K, records=[rec], fps=fps)[0]
                 for f, (im, rec) in enumerate(zip(images, recs))]
        out[name] = evaluate(preds, recs) | {"seconds": round(time.perf_counter() - t0, 1)}
    return out


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--frames", type=int, default=90)
    ap.add_argument("--people", type=int, default=4)
    ap.add_argument("--size", default="832x512")
    ap.add_argument("--depth-weight", type=float, default=0.1, help="Tracker depth_weight (cost per m)")
    ap.add_argument("--json", help="also write the figures here")
    args = ap.parse_args()
    w, h = (int(v) for v in args.size.split("x"))
    seq = Sequence(SceneConfig(width=w, height=h), load_motion_library(), args.seed, args.frames, people=args.people)
    rendered = [seq.render(t) for t in range(args.frames)]
    images, recs = [im for im, _ in rendered], [r for _, r in rendered]
    gt = {}
    for rec in recs:
        for gid, j3 in zip(rec.meta["person_ids"], rec.joints_3d):
            gt.setdefault(gid, {})[rec.meta["frame"]] = j3
    model = Predictor()
    results = {"video": {"seed": args.seed, "frames": args.frames, "people": args.people, "size": [w, h],
                         "fps": seq.fps, "gt_jitter_mm": jitter(gt)},
               "oracle": run(lambda st: Predictor(method=OracleMethod(model.codec_params), stages=st),
                             images, recs, seq.fps, args.depth_weight),
               "model": run(lambda st: Predictor(stages=st), images, recs, seq.fps, args.depth_weight)}
    print(f"video: {args.frames} frames, {args.people} people, seed {args.seed}, {w}x{h}, "
          f"ground-truth jitter {results['video']['gt_jitter_mm']:.2f} mm/frame²")
    print("| predictions | stage | targets | matched | ID switches | per 100 track-frames | MOTA | tracks "
          "| jitter mm/frame² | MPJPE mm |")
    print("|---|---|---|---|---|---|---|---|---|---|")
    for who in ("oracle", "model"):
        for stage, r in results[who].items():
            print(f"| {who} | {stage} | {r['targets']} | {r['matched']} | {r['id_switches']} | "
                  f"{r['id_switches_per_100']:.2f} | {r['mota']:.3f} | {r['tracks']} | {r['jitter_mm']:.2f} | "
                  f"{r['mpjpe_mm']:.0f} |")
    if args.json:
        with open(args.json, "w") as f:
            json.dump(results, f, indent=1)


if __name__ == "__main__":
    main()
