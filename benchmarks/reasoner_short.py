"""Short DSED run on skeleton-only synthetic scenes vs the "copy the input" baseline.

Trains the cpu-tiny reasoner for a few minutes of CPU on on-the-fly ``SkeletonScenes`` (visible maps
at a random level in, all-joint maps out), then measures on held-out scenes (another seed, no
augmentation, input level 4) the occluded-joint heatmap error (``hupor.train.modules.
occluded_heatmap_error``: squared error of the heatmaps, normalised to peak 1, weighted by the
occluded-only label heatmaps) of the model and of the residual without learning (output = input).

    .venv/bin/python benchmarks/reasoner_short.py [--steps 150] [--out runs/reasoner_short]
"""

from __future__ import annotations

import argparse
import time

import torch
from torch.utils.data import default_collate


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--steps", type=int, default=150)
    ap.add_argument("--batch", type=int, default=4)
    ap.add_argument("--lr", type=float, default=2e-3)
    ap.add_argument("--val", type=int, default=64, help="held-out scenes")
    ap.add_argument("--threads", type=int, default=2)
    ap.add_argument("--out", default="runs/reasoner_short")
    args = ap.parse_args()
    torch.set_num_threads(args.threads)

    from hupor.train.config import load_experiment
    from hupor.train.data import build_data
    from hupor.train.modules import ReasonerModule
    from hupor.train.run import run_stage

    cfg = load_experiment("cpu-tiny", [
        f"train.reasoner.steps={args.steps}", f"train.reasoner.batch_size={args.batch}",
        f"train.reasoner.lr={args.lr}", "train.reasoner.warmup_steps=10", f"train.threads={args.threads}",
        f"train.checkpoint_every={args.steps}", f"data.synth.val_length={args.val}", "data.synth.val_seed=777"])
    t0 = time.process_time()
    w0 = time.time()
    res = run_stage("reasoner", cfg, args.out)
    cpu_s, wall_s = time.process_time() - t0, time.time() - w0

    module = ReasonerModule(cfg)
    module.reasoner.load_state_dict(torch.load(res.weights, weights_only=True)["state_dict"])
    module.eval()
    val = build_data("reasoner", cfg).val
    sums = {"occ_hm_err": 0.0, "occ_hm_err_copy": 0.0, "all": 0.0}
    n = 0
    with torch.no_grad():
        for i in range(0, len(val), 16):
            batch = default_collate([val[k] for k in range(i, min(i + 16, len(val)))])
            out = module.evaluate(batch)
            b = len(batch["input"])
            for k in sums:
                sums[k] += float(out[k]) * b
            n += b
    m = {k: v / n for k, v in sums.items()}
    print(f"reasoner short run: {args.steps} steps x batch {args.batch} on skeleton-only scenes "
          f"({cpu_s:.0f} s CPU, {wall_s:.0f} s wall)")
    print(f"held-out scenes: {n} (seed 777, input level 4, no augmentation)")
    print(f"occluded-joint heatmap error  model: {m['occ_hm_err']:.5f}   copy-the-input: "
          f"{m['occ_hm_err_copy']:.5f}   ratio: {m['occ_hm_err'] / m['occ_hm_err_copy']:.3f}")
    print(f"student-path 'all' loss (lower is better): {m['all']:.3f}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
