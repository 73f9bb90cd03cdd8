"""``hupor bench real``: the photo path scored on a real labelled set (``hupor.bench.real``).

    hupor bench real [--root ../shared/real-eval] [--2d auto|blazepose|none] [--checkpoint B] [--tile PX]
                     [--json F]

Runs the model ``hupor predict`` would run (``--2d`` and ``--checkpoint`` as there) on every image
of the set (3D frames with their calibrated K) and prints one line of scores: 2D recall at OKS ≥ 0.5,
mean OKS of the matches, precision and people written per person on the fully labelled images, 3D
frames found, MPJPE_rel, PA-MPJPE and mid-hip depth error, seconds per image (median wall and CPU).
"""

from __future__ import annotations

from pathlib import Path


def add_parser(sub) -> None:
    """Adds ``real`` to the ``hupor bench`` sub-parsers."""
    r = sub.add_parser("real", help="the photo path on a real labelled set (../shared/real-eval)",
                       description=__doc__.split("\n\n")[0])
    r.add_argument("--root", default="../shared/real-eval", help="the set's folder (gt.json, images/)")
    r.add_argument("--2d", dest="detector_2d", choices=("auto", "blazepose", "mediapipe", "none"), default="auto",
                   help="as hupor predict --2d (default auto)")
    r.add_argument("--checkpoint", help="as hupor predict --checkpoint")
    r.add_argument("--tile", type=int, default=256, help="with --2d blazepose: tile side (default 256)")
    r.add_argument("--threads", type=int, default=1, help="torch threads (default 1)")
    r.add_argument("--json", dest="json_out", help="also write the scores and per-image details here (atomic)")
    r.set_defaults(func=run)


def run(args) -> int:
    import numpy as np
    import torch

    from ..bench.real import format_row, load_real_set, predict_real_set, score_real
    from ..errors import HuporError
    from ..fileio import check_output_file, write_json_atomic
    from ..photos import choose_2d, model_line, photo_predictor
    from ..predictor import Predictor

    if args.threads < 1:
        raise HuporError(f"--threads must be >= 1, got {args.threads}")
    torch.set_num_threads(args.threads)
    import cv2

    cv2.setNumThreads(args.threads)  # HOG and resizing: one thread too, for honest per-image times
    if args.json_out:
        check_output_file(args.json_out, "--json")
    root = Path(args.root)
    items = load_real_set(root)
    name = choose_2d(args.detector_2d, bool(args.checkpoint))
    predictor = (photo_predictor(tile=args.tile, lift_model=args.checkpoint) if name == "blazepose"
                 else Predictor(args.checkpoint))
    print(model_line(predictor, args.checkpoint if name != "blazepose" else None))
    preds, secs, cpu = predict_real_set(predictor, items, root)
    s = score_real(items, preds)
    median, median_cpu = (float(np.median(v)) if v else float("nan") for v in (secs, cpu))
    print(format_row(name or "networks", s, median, median_cpu))
    if args.json_out:
        row = {k: (None if isinstance(v, float) and not np.isfinite(v) else v) for k, v in s.row().items()}
        write_json_atomic(args.json_out, {**row, "median_s": median, "median_cpu_s": median_cpu,
                                          "per_image": s.per_image})
    return 0
