"""Front/back probe accuracy per input size (``hupor.bench.probe``; docs/training.md, the learning issue).

Renders scenes of the default mix at 832x512 once (train: seed SEED, test: seed SEED + 1), cuts the
people at each network-input width and trains the probe CNN on each.

    .venv/bin/python benchmarks/front_probe.py [--scenes 500] [--test-scenes 150] [--widths 256 512 832]
        [--seed 9700] [--steps 1500] [--json F] [--sheet F.png]
"""

from __future__ import annotations

import argparse

import numpy as np
import torch


def _row(crops: np.ndarray, n: int = 8) -> np.ndarray:
    """The first ``n`` crops side by side, gray where there are fewer."""
    from hupor.bench.probe import CROP_H, CROP_W

    tiles = list(crops[:n]) + [np.full((CROP_H, CROP_W, 3), 128, np.uint8)] * (n - min(n, len(crops)))
    return np.concatenate(tiles, 1)


def main() -> None:
    from hupor.bench.e2e import E2ESpec, render_scenes
    from hupor.bench.probe import person_crops, train_probe
    from hupor.skeleton import MPI15

    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--scenes", type=int, default=500)
    ap.add_argument("--test-scenes", type=int, default=150)
    ap.add_argument("--widths", type=int, nargs="+", default=[256, 512, 832])
    ap.add_argument("--seed", type=int, default=9700)
    ap.add_argument("--steps", type=int, default=1500)
    ap.add_argument("--json")
    ap.add_argument("--sheet", help="write a PNG of test crops per width (faces camera / away)")
    a = ap.parse_args()
    torch.set_num_threads(1)
    train = render_scenes(E2ESpec(seed=a.seed, scenes=a.scenes))
    test = render_scenes(E2ESpec(seed=a.seed + 1, scenes=a.test_scenes))
    rows, sheets = [], []
    print("| input width | train / test people | probe accuracy | chance (majority) |\n|---|---|---|---|")
    for w in a.widths:
        def cut(scenes):
            parts = [person_crops(img, rec, w, MPI15) for img, rec in scenes]
            return np.concatenate([p[0] for p in parts]), np.concatenate([p[1] for p in parts])

        (tx, ty), (vx, vy) = cut(train), cut(test)
        r = {"width": w, **train_probe(tx, ty, vx, vy, steps=a.steps)}
        rows.append(r)
        print(f"| {w} | {r['train']} / {r['test']} | {100 * r['accuracy']:.1f} % | {100 * r['chance']:.1f} % |",
              flush=True)
        sheets.append(np.concatenate([_row(vx[vy]), _row(vx[~vy])], 0))
    if a.json:
        from hupor.fileio import write_json_atomic

        write_json_atomic(a.json, rows)
    if a.sheet:
        import cv2

        from hupor.fileio import write_atomic

        sheet = np.concatenate(sheets, 0)
        write_atomic(a.sheet, lambda p: cv2.imwrite(str(p), sheet))   # the temporary keeps the .png suffix


if __name__ == "__main__":
    main()
