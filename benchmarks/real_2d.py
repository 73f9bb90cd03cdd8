"""`hupor predict --2d blazepose` on OpenCV's sample footage: people found and time per image.

    .venv/bin/python benchmarks/real_2d.py [--data /usr/share/doc/opencv-doc/examples/data]
        [--frames 10] [--tile 256] [--no-hog] [--overlays docs/figures]

Needs ``hupor[real]`` (docs/lift.md) and Debian's ``opencv-doc`` package (the sample images and
``vtest.avi``). Images: messi5.jpg, basketball1.png, basketball2.png; video: ``--frames``
evenly spaced frames of vtest.avi (768×576 pedestrians; shared/docs/real-images.md counts 59 people
by eye in 10 such frames). Prints, per image, the people lifted and the 2D + lift time (wall, and
the CPU time of this one-thread process: on a shared machine the wall time includes waiting); with
``--overlays DIR`` writes ``real_NAME.jpg`` overlays (the ``hupor predict --image-output`` drawing).
"""

from __future__ import annotations

import argparse
import time
from pathlib import Path

import numpy as np


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--data", default="/usr/share/doc/opencv-doc/examples/data")
    ap.add_argument("--frames", type=int, default=10)
    ap.add_argument("--tile", type=int, default=256)
    ap.add_argument("--no-hog", action="store_true", help="without OpenCV's HOG person boxes")
    ap.add_argument("--overlays", default="", help="folder for real_NAME.jpg overlays")
    ap.add_argument("--names", nargs="*", default=["messi5.jpg", "basketball1.png", "vtest_0400"],
                    help="which images get an overlay")
    args = ap.parse_args()

    import cv2
    import torch

    torch.set_num_threads(1)
    cv2.setNumThreads(1)
    from hupor.cli.lift import default_lift_model
    from hupor.detect2d import BlazeConfig, BlazePose, TileConfig
    from hupor.methods.lift2d import Lift2DMethod
    from hupor.nets import load_bundle
    from hupor.predictor import Predictor
    from hupor.viz.overlay import draw_overlay

    data = Path(args.data)
    images = [(n, cv2.imread(str(data / n))) for n in ("messi5.jpg", "basketball1.png", "basketball2.png")]
    cap = cv2.VideoCapture(str(data / "vtest.avi"))
    n_frames = int(cap.get(cv2.CAP_PROP_FRAME_COUNT))
    want = set(np.linspace(0, n_frames - 1, args.frames).astype(int).tolist())
    for i in range(n_frames):
        ok, frame = cap.read()
        if not ok:
            break
        if i in want:
            images.append((f"vtest_{i:04d}", frame))
    pred = Predictor(method=Lift2DMethod(BlazePose(TileConfig(tile=args.tile), BlazeConfig(hog=not args.no_hog)), load_bundle(default_lift_model())))
    pred.predict_arrays([images[0][1]])  # warm-up (model load, first-call costs)
    print(f"tile {args.tile}{', no HOG' if args.no_hog else ''}: image | size | people lifted | ms wall (2D + lift) | ms CPU (this process)")
    video_people, video_ms, video_cpu = 0, [], []
    for name, img in images:
        t0, c0 = time.perf_counter(), time.process_time()
        out = pred.predict_arrays([img], paths=[name])[0]
        ms, cpu = 1000 * (time.perf_counter() - t0), 1000 * (time.process_time() - c0)
        print(f"{name} | {img.shape[1]}x{img.shape[0]} | {out.num_persons} | {ms:.0f} | {cpu:.0f}")
        if name.startswith("vtest"):
            video_people += out.num_persons
            video_ms.append(ms)
            video_cpu.append(cpu)
        if args.overlays and name in args.names:
            path = Path(args.overlays) / f"real_{Path(name).stem}.jpg"
            cv2.imwrite(str(path), draw_overlay(img, out, pred.skeleton), [cv2.IMWRITE_JPEG_QUALITY, 80])
    if video_ms:
        print(f"vtest.avi, {len(video_ms)} frames: {video_people} people lifted, median {np.median(video_ms):.0f} ms "
              f"wall, {np.median(video_cpu):.0f} ms CPU per frame")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
