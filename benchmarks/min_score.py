"""What ``--min-score`` (``Predictor(min_score=...)``) trades: people predicted and found, and the
end-to-end scores, for each person-score threshold, on rendered scenes of the default mix.

    python benchmarks/min_score.py --bundle B --seed 9200 --scenes 60 --values 0 0.02 0.05 0.1

The scenes are predicted once with every decoded person (``min_score`` 0); each threshold then keeps
the people whose score is at least its value (what the predictor does), and the kept people are
scored with ``hupor.bench.evaluate_predictions`` (the MuPoTS protocol of ``hupor bench e2e``).
``predicted`` counts the people written per image set, ``found`` the annotated people matched.
"""

from __future__ import annotations

import argparse

import numpy as np
import torch


def main() -> None:
    from hupor.bench.e2e import E2ESpec, render_scenes
    from hupor.bench.evaluate import evaluate_predictions
    from hupor.predictor import Predictor

    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--bundle", help="model bundle (default: the bundled model)")
    ap.add_argument("--seed", type=int, default=9200)
    ap.add_argument("--scenes", type=int, default=60)
    ap.add_argument("--values", nargs="+", type=float, default=[0.0, 0.02, 0.05, 0.1])
    args = ap.parse_args()
    torch.set_num_threads(1)
    spec = E2ESpec(seed=args.seed, scenes=args.scenes)
    scenes = render_scenes(spec)
    pred = Predictor(args.bundle)
    preds = [pred.predict_arrays([img], K=rec.intrinsics)[0] for img, rec in scenes]
    records = [rec for _, rec in scenes]
    annotated = sum(len(r.joints_2d) for r in records)
    print(f"{args.scenes} scenes, seed {args.seed}, {annotated} people annotated")
    print("| min_score | predicted | found / annotated | all PCK_rel | all PCK_abs | all PCK_occ | "
          "matched PCK_rel | matched MPJPE_rel mm |")
    print("|---|---|---|---|---|---|---|---|")
    for v in args.values:
        masks = [p.person_scores >= v for p in preds]
        kept = [(p.joints_2d[k], p.joints_3d[k]) for p, k in zip(preds, masks)]
        s = evaluate_predictions(records, kept, spec.match_px)
        a, m = s["all"], s["matched"]
        n = sum(int(k.sum()) for k in masks)
        mp = "–" if m["mpjpe_rel"] is None or not np.isfinite(m["mpjpe_rel"]) else f"{m['mpjpe_rel']:.0f}"
        print(f"| {v:g} | {n} | {a['matched']} / {a['instances']} ({100 * a['matched'] / max(a['instances'], 1):.0f} %) "
              f"| {a['pck_rel']:.1f} | {a['pck_abs']:.1f} | {a['pck_occ']:.1f} | {m['pck_rel']:.1f} | {mp} |",
              flush=True)


if __name__ == "__main__":
    main()
