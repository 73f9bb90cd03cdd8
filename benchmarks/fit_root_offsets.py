"""Fit the root-depth cascade's Δ offsets (``decode.delta_*_mm``) on the motion-capture poses.

Samples ``--scenes`` skeleton scenes of the generator's default mix (camera-frame poses of the mocap
clips, random yaw, camera height and pitch) and prints, per rule, the mean and spread of
``Z_pelvis − Z_rule`` in mm (``hupor.codec.rootdepth.fit_root_offsets``), then the ``decode:`` lines
for an experiment YAML. Usage: ``python benchmarks/fit_root_offsets.py [--scenes 2000] [--seed 77]``.
"""

from __future__ import annotations

import argparse

import numpy as np

from hupor.codec.rootdepth import fit_root_offsets
from hupor.data.synth import SceneConfig, SkeletonScenes
from hupor.skeleton import MPI15


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--scenes", type=int, default=2000)
    ap.add_argument("--seed", type=int, default=77)
    args = ap.parse_args()
    scenes = SkeletonScenes(SceneConfig(width=256, height=160, max_people=6), seed=args.seed, length=args.scenes)
    joints = np.concatenate([scenes[i].joints_3d for i in range(len(scenes))])
    fit = fit_root_offsets(joints, MPI15)
    print(f"{len(joints)} people from {args.scenes} scenes (seed {args.seed})")
    print(f"{'rule':<20} {'mean mm':>8} {'std mm':>8}")
    for k, (m, s) in fit.items():
        print(f"{k:<20} {m:8.1f} {s:8.1f}")
    single = [round(fit[f"single_{MPI15.joints[j]}"][0], 1) for j in MPI15.torso]
    print("\ndecode:")
    print(f"  delta_shoulders_mm: {fit['shoulders'][0]:.1f}")
    print(f"  delta_diagonal_mm: {fit['diagonal'][0]:.1f}")
    print(f"  delta_neck_head_mm: {fit['neck_head'][0]:.1f}")
    print(f"  delta_single_mm: {single}")


if __name__ == "__main__":
    main()
