"""Rows of the real labelled set (``../shared/real-eval``) for the photo paths (``hupor.bench.real``).

    .venv/bin/python benchmarks/real_eval.py [--root ../shared/real-eval] [--rows blazepose synthetic ...]
        [--json out.json]

Rows: ``blazepose`` (the default real-photo path: tiles 256 + HOG boxes → lifter), ``blazepose-notile``
(whole frame only), ``blazepose-nohog`` (no HOG boxes), ``synthetic`` (the bundled synthetic-domain
networks). One thread. Prints one line per row (the scores, then s per image, wall and CPU of this
process: median over the set).
"""

from __future__ import annotations

import argparse
import json
from pathlib import Path

ROWS = {"blazepose": dict(tile=256, hog=True), "blazepose-notile": dict(tile=0, hog=True),
        "blazepose-nohog": dict(tile=256, hog=False), "synthetic": None}


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--root", default=str(Path(__file__).resolve().parents[2] / "shared" / "real-eval"))
    ap.add_argument("--rows", nargs="+", default=["blazepose", "synthetic"], choices=sorted(ROWS))
    ap.add_argument("--lift-model", help="lift bundle (default: the bundled lift.pt)")
    ap.add_argument("--json", help="write the rows (with per-image details) here")
    args = ap.parse_args()

    import numpy as np
    import torch

    torch.set_num_threads(1)
    import cv2

    cv2.setNumThreads(1)
    from hupor.bench.real import format_row, load_real_set, predict_real_set, score_real
    from hupor.photos import photo_predictor
    from hupor.predictor import Predictor

    items = load_real_set(args.root)
    out = {}
    for row in args.rows:
        kw = ROWS[row]
        pred = Predictor() if kw is None else photo_predictor(lift_model=args.lift_model, **kw)
        preds, secs, cpu = predict_real_set(pred, items, args.root)
        sc = score_real(items, preds)
        print(format_row(row, sc, float(np.median(secs)), float(np.median(cpu))), flush=True)
        clean = {k: (None if isinstance(v, float) and not np.isfinite(v) else v) for k, v in sc.row().items()}
        out[row] = {**clean, "median_s": float(np.median(secs)), "median_cpu_s": float(np.median(cpu)),
                    "per_image": sc.per_image}
    if args.json:
        from hupor.fileio import write_json_atomic

        write_json_atomic(args.json, out)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
