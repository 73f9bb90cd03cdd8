"""Frames per second of ``hupor predict`` on a folder of 832x512 images and on a video.

    .venv/bin/python benchmarks/predict_throughput.py                      # bundled model, all configs
    .venv/bin/python benchmarks/predict_throughput.py --bundle model.pt --rounds 5 --threads 1

Renders ``--images`` synthetic scenes (``hupor.data.synth.generate``, 832x512 JPEG, 2-8 people) into a
temporary folder and writes them, cycled to ``--frames`` frames, as an mp4v video (OpenCV VideoWriter).
Every configuration (runtime torch|onnx x torch/ORT threads x reader thread on/off x folder|video) runs
``hupor.cli.main.main(["predict", ...])`` in this process with JSON output to a temp folder; the rounds
alternate the configurations (A B C ... A B C ...) and the median frames/s over the rounds is reported,
so a busy machine disturbs all of them alike. The Predictor (model load, ONNX export) is built once per
(runtime, threads) and warmed up before the first round: frames/s is the steady state of reading,
letterbox, network, decode and writing the JSON. ``decode %`` is the median steady-state decode time
(``timings_ms["decode"]``) as a share of the frame time (1 / frames/s) on the folder.

``speedup`` is relative to ``torch, 1 thread, --no-prefetch`` (what ``hupor predict`` did before the
reader thread). Last line: JSON with every configuration's figures.
"""

from __future__ import annotations

import argparse
import contextlib
import io
import json
import os
import statistics
import sys
import tempfile
import time
from pathlib import Path


def make_media(root: Path, n_images: int, n_frames: int, seed: int) -> tuple[Path, Path]:
    import cv2

    from hupor.data.synth.generate import generate
    from hupor.data.synth.scene import SceneConfig

    generate(root / "synth", n_images, seed=seed, config=SceneConfig(width=832, height=512,
                                                                   min_people=2, max_people=8))
    folder = root / "synth" / "images"
    files = sorted(folder.glob("*.jpg"))
    video = root / "clip.mp4"
    writer = cv2.VideoWriter(str(video), cv2.VideoWriter_fourcc(*"mp4v"), 25.0, (832, 512))
    for i in range(n_frames):
        writer.write(cv2.imread(str(files[i % len(files)])))
    writer.release()
    return folder, video


class PredictorCache:
    """Stands in for ``hupor.predictor.Predictor`` during the runs: one warmed Predictor per
    (checkpoint, runtime, threads), and the per-frame timings of every call collected."""

    def __init__(self):
        import hupor.predictor as hp

        self.module, self.real, self.built, self.timings = hp, hp.Predictor, {}, []

    def __call__(self, checkpoint=None, runtime="torch", **kw):
        import numpy as np
        import torch

        key = (str(checkpoint), runtime, torch.get_num_threads(), tuple(sorted(kw.items())))
        if key not in self.built:
            pred = self.real(checkpoint, runtime=runtime, **kw)
            p = pred.codec_params
            blank = np.full((512, 832, 3), 127, np.uint8)
            for _ in range(3):  # warm-up: first calls pay allocations and one-off imports
                pred.predict_arrays([blank])
            real_predict = pred.predict_arrays

            def predict_arrays(*a, _f=real_predict, **k):
                out = _f(*a, **k)
                self.timings.extend(dict(o.timings_ms) for o in out)
                return out

            pred.predict_arrays = predict_arrays
            self.built[key] = pred
            print(f"  built {runtime} x{torch.get_num_threads()} ({p.net_w}x{p.net_h}, stride {p.stride})",
                  file=sys.stderr)
        return self.built[key]

    def __enter__(self):
        self.module.Predictor = self
        return self

    def __exit__(self, *exc):
        self.module.Predictor = self.real


def run_once(cache: PredictorCache, bundle, inp: Path, n: int, runtime: str, threads: int,
             prefetch: bool, batch: int, out: Path) -> tuple[float, list]:
    from hupor.cli.main import main

    argv = ["predict", str(inp), "--json-output", str(out), "--runtime", runtime, "--threads", str(threads),
            "--batch-size", str(batch)] + (["--checkpoint", str(bundle)] if bundle else []) + \
        ([] if prefetch else ["--no-prefetch"])
    cache.timings = []
    sink = io.StringIO()
    t0 = time.perf_counter()
    with contextlib.redirect_stdout(sink), contextlib.redirect_stderr(sink):
        rc = main(argv)
    dt = time.perf_counter() - t0
    if rc != 0:
        raise SystemExit(f"predict failed ({rc}): {' '.join(argv)}\n{sink.getvalue()[-2000:]}")
    return n / dt, cache.timings


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--bundle", help="model bundle (default: the bundled model)")
    ap.add_argument("--images", type=int, default=24, help="images in the folder (default 24)")
    ap.add_argument("--frames", type=int, default=48, help="frames in the video (default 48)")
    ap.add_argument("--rounds", type=int, default=3, help="alternating rounds (default 3)")
    ap.add_argument("--runtimes", nargs="+", default=["torch", "onnx"], choices=["torch", "folded", "onnx"])
    ap.add_argument("--threads", nargs="+", type=int, default=[1, 2])
    ap.add_argument("--batch", type=int, default=1, help="--batch-size of every run (default 1)")
    ap.add_argument("--inputs", nargs="+", default=["folder", "video"], choices=["folder", "video"])
    ap.add_argument("--seed", type=int, default=0)
    args = ap.parse_args()

    import torch

    from hupor.predictor import default_checkpoint

    bundle = Path(args.bundle) if args.bundle else default_checkpoint()
    print(f"bundle {bundle}; load average {os.getloadavg()[0]:.2f} on {os.cpu_count()} cores; "
          f"torch {torch.__version__}", flush=True)
    configs = [(inp, rt, th, pf) for inp in args.inputs for rt in args.runtimes for th in args.threads
               for pf in (False, True)]
    fps: dict = {c: [] for c in configs}
    decode_ms: dict = {c: [] for c in configs}
    net_ms: dict = {c: [] for c in configs}
    with tempfile.TemporaryDirectory(prefix="hupor-throughput-") as tmp, PredictorCache() as cache:
        root = Path(tmp)
        folder, video = make_media(root, args.images, args.frames, args.seed)
        sources = {"folder": (folder, args.images), "video": (video, args.frames)}
        for th in args.threads:  # build + warm every predictor before timing anything
            torch.set_num_threads(th)
            for rt in args.runtimes:
                cache(args.bundle, runtime=rt, device="cpu", input_size=None, flip_test=False)
        for r in range(args.rounds):
            for c in configs:
                inp, rt, th, pf = c
                f, timings = run_once(cache, args.bundle, *sources[inp], rt, th, pf, args.batch, root / "out")
                fps[c].append(f)
                decode_ms[c].append(statistics.median(t["decode"] for t in timings))
                net_ms[c].append(statistics.median(t["network"] for t in timings))
                print(f"  {inp} {rt} x{th} reader {'on' if pf else 'off'}: {f:.1f} frames/s", file=sys.stderr,
                      flush=True)
            print(f"round {r + 1}/{args.rounds} done (load {os.getloadavg()[0]:.2f})", file=sys.stderr, flush=True)
    base = {inp: statistics.median(fps[(inp, "torch", 1, False)]) if (inp, "torch", 1, False) in fps else None
            for inp in args.inputs}
    rows = []
    print(f"\n{'input':7} {'runtime':8} {'thr':>3} {'reader':>6} {'frames/s':>9} {'speedup':>8} "
          f"{'net ms':>7} {'dec ms':>7} {'dec %':>6}")
    for c in configs:
        inp, rt, th, pf = c
        f, d, n = (statistics.median(v[c]) for v in (fps, decode_ms, net_ms))
        share = 100.0 * d * f / 1000.0
        su = f / base[inp] if base[inp] else None
        rows.append({"input": inp, "runtime": rt, "threads": th, "prefetch": pf, "fps": round(f, 2),
                     "fps_runs": [round(x, 2) for x in fps[c]], "speedup": round(su, 3) if su else None,
                     "network_ms": round(n, 2), "decode_ms": round(d, 2), "decode_share": round(share / 100, 4)})
        print(f"{inp:7} {rt:8} {th:>3} {'on' if pf else 'off':>6} {f:9.1f} "
              f"{(f'{su:.2f}x' if su else '-'):>8} {n:7.1f} {d:7.2f} {share:5.1f}%")
    print(json.dumps({"bundle": str(bundle), "images": args.images, "frames": args.frames, "size": "832x512",
                      "rounds": args.rounds, "batch": args.batch, "load_average": round(os.getloadavg()[0], 2),
                      "results": rows}))


if __name__ == "__main__":
    main()
