"""Synthetic scene speed and statistics.

Prints rendered scenes/s per core (images + labels, JPEG written to disk, one process), skeleton-only
scenes/s (SkeletonScenes), both as CPU-time rates (scenes per CPU second of this process, robust on
a shared machine) and wall-clock rates, and a statistics table over a number of scenes.

    .venv/bin/python benchmarks/synth_speed.py [--size 416x256] [--max-people 8] [--render 100]
                                               [--skeleton 1000] [--stats 500]
"""

from __future__ import annotations

import argparse
import tempfile
import time

import numpy as np
import torch

from hupor.data.synth import SceneConfig, SkeletonScenes, generate, load_motion_library
from hupor.records import OCCLUSION_CAUSES


def timed(fn):
    c0, w0 = time.process_time(), time.perf_counter()
    out = fn()
    return out, time.process_time() - c0, time.perf_counter() - w0


def main() -> None:
    torch.set_num_threads(1)
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--size", default="416x256")
    ap.add_argument("--max-people", type=int, default=8)
    ap.add_argument("--render", type=int, default=100, help="rendered scenes to time")
    ap.add_argument("--skeleton", type=int, default=1000, help="skeleton-only scenes to time")
    ap.add_argument("--stats", type=int, default=500, help="scenes for the statistics table")
    ap.add_argument("--seed", type=int, default=0)
    args = ap.parse_args()
    w, h = (int(v) for v in args.size.split("x"))
    cfg = SceneConfig(width=w, height=h, max_people=args.max_people)
    lib = load_motion_library()

    with tempfile.TemporaryDirectory() as tmp:
        generate(tmp + "/warm", 2, args.seed, cfg)  # imports, caches
        _, cpu, wall = timed(lambda: generate(tmp + "/ds", args.render, args.seed, cfg, workers=1))
    print(f"rendered scenes ({w}x{h}, 1-{args.max_people} people, JPEG + labels, 1 process): "
          f"{args.render / cpu:.1f} scenes/s per CPU-second, {args.render / wall:.1f} scenes/s wall "
          f"(goal >= 20)")

    ds = SkeletonScenes(cfg, args.seed, max(args.skeleton, args.stats), motion=lib)
    _ = [ds[i] for i in range(20)]
    _, cpu, wall = timed(lambda: [ds[i] for i in range(args.skeleton)])
    print(f"skeleton-only scenes (labels from ray casts): {args.skeleton / cpu:.0f} scenes/s per "
          f"CPU-second, {args.skeleton / wall:.0f} scenes/s wall (goal >= 500)")

    counts, causes, vis, pelvis_z, joint_z, scenes_person_occ = [], np.zeros(len(OCCLUSION_CAUSES)), np.zeros(3), [], [], 0
    for i in range(args.stats):
        rec = ds[i]
        counts.append(rec.num_persons)
        causes += np.bincount(rec.cause.ravel(), minlength=len(OCCLUSION_CAUSES))
        vis += np.bincount(rec.visibility.ravel(), minlength=3)
        pelvis_z += rec.joints_3d[:, 2, 2].tolist()
        joint_z += rec.joints_3d[rec.visibility > 0][:, 2].tolist()
        scenes_person_occ += bool((rec.cause == OCCLUSION_CAUSES.index("person")).any())
    counts = np.array(counts)
    total = causes.sum()
    print(f"\nstatistics over {args.stats} scenes (seed {args.seed}, {w}x{h}, 1-{args.max_people} people)")
    print("| quantity | value |\n|---|---|")
    print(f"| people per image (in frame) | mean {counts.mean():.2f}, median {np.median(counts):.0f}, "
          f"min {counts.min()}, max {counts.max()} |")
    hist = np.bincount(counts, minlength=args.max_people + 1)
    print("| people histogram 0..max | " + " ".join(str(x) for x in hist) + " |")
    for c, name in enumerate(OCCLUSION_CAUSES):
        label = "visible (v=2)" if name == "none" else ("out of frame (v=0)" if name == "truncated" else f"occluded by {name} (v=1)")
        print(f"| joints {label} | {100 * causes[c] / total:.1f} % |")
    labelled = vis[1] + vis[2]
    print(f"| occluded among in-frame joints | {100 * vis[1] / labelled:.1f} % |")
    print(f"| scenes with a person-occluded joint | {100 * scenes_person_occ / args.stats:.1f} % |")
    pz = np.array(pelvis_z) / 1000
    jz = np.array(joint_z) / 1000
    print(f"| pelvis depth (m) | min {pz.min():.2f}, median {np.median(pz):.2f}, max {pz.max():.2f} |")
    print(f"| in-frame joint depth (m) | min {jz.min():.2f}, max {jz.max():.2f} |")


if __name__ == "__main__":
    main()
