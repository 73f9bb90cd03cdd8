"""Network speed of the official HUPOR model classes against hupor's ``paper`` config, same process.

Official: ``model/smap.py`` ``SMAP`` (3-stage detector) → maps57 → ``model/infernet_C.py`` ``InferNet``
(2-stage DSED, student path), built from an ``easydict`` config. hupor: the ``paper`` config's
detector + reasoner through ``HuporMethod.forward`` with each ``--variants`` runtime:precision
(``torch:fp32``, ``folded:fp32``, ``onnx:fp32``, ``onnx:int8``, ``folded:bf16``; int8 is quantized in
memory, calibrated on synthetic scenes: ``hupor.methods.precision``).
Both randomly initialised (the time does not depend on the weights), eval mode, ``torch.inference_mode``,
batch 1, one random 832×512 input, ``--threads`` torch / ORT threads. One warm-up round, then
``--repeats`` rounds in which the variants run alternately (so load changes hit all alike); medians.

The official code is never copied into this project. Fetch it outside the checkout and point at it::

    git clone https://github.com/qihao067/HUPOR /tmp/hupor_official      # or any other copy
    .venv/bin/pip install easydict                                      # the official config type only
    .venv/bin/python benchmarks/official_speed.py --official-dir /tmp/hupor_official [--repeats 2]
        [--variants torch:fp32 onnx:fp32 onnx:int8]

Prints the ms per frame of each variant, the speed-ups over the official code, and last one JSON line.
"""

from __future__ import annotations

import argparse
import json
import statistics
import sys
import time
from pathlib import Path


def official_nets(official_dir: Path, net_w: int, net_h: int, det_stages: int = 3, rea_stages: int = 2):
    """The official ``SMAP`` and ``InferNet`` (eval mode), imported from ``official_dir``."""
    from easydict import EasyDict

    if not (official_dir / "model" / "smap.py").is_file():
        sys.exit(f"{official_dir}: no model/smap.py; fetch the official code first (see --help)")
    sys.path.insert(0, str(official_dir))
    from model.infernet_C import InferNet
    from model.smap import SMAP

    def cfg(stages):
        return EasyDict({"MODEL": {"STAGE_NUM": stages, "UPSAMPLE_CHANNEL_NUM": 256},
                         "DATASET": {"KEYPOINT": {"NUM": 15}, "PAF": {"NUM": 14}},
                         "OUTPUT_SHAPE": (net_h // 4, net_w // 4),
                         "LOSS": {"OHKM": True, "TOPK": 8, "COARSE_TO_FINE": True}})

    return SMAP(cfg(det_stages)).eval(), InferNet(cfg(rea_stages)).eval()


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--official-dir", type=Path, required=True, help="a copy of github.com/qihao067/HUPOR")
    ap.add_argument("--repeats", type=int, default=3, help="timed rounds (default 3)")
    ap.add_argument("--threads", type=int, default=1, help="torch / ORT threads (default 1)")
    ap.add_argument("--size", default="832x512", help="input WxH (default 832x512)")
    ap.add_argument("--variants", nargs="+", default=["torch:fp32", "folded:fp32", "onnx:fp32", "onnx:int8"],
                    help="hupor runtime:precision pairs to time (folded:bf16 too: ~50x slower on CPUs "
                         "without native bf16)")
    args = ap.parse_args(argv)
    import torch

    from hupor.bench.forward import median, random_bundle
    from hupor.methods import HuporMethod
    from hupor.nets import det_to_maps57
    from hupor.train.config import load_experiment

    torch.set_num_threads(args.threads)
    net_w, net_h = (int(v) for v in args.size.lower().split("x"))
    torch.manual_seed(0)
    smap, infer = official_nets(args.official_dir, net_w, net_h)
    exp = load_experiment("paper", [f"input.net_w={net_w}", f"input.net_h={net_h}"])
    bundle = random_bundle(exp.model, 4, (net_w, net_h))
    x = torch.randn(1, 3, net_h, net_w)

    def official():
        with torch.inference_mode():
            maps2d, z, root = smap(x)
            return infer(det_to_maps57(maps2d, z)), root

    variants = {"official": official}
    for v in args.variants:
        rt, _, pr = v.partition(":")
        t0 = time.perf_counter()
        method = HuporMethod(bundle, runtime=rt, precision=pr or "fp32")
        name = f"hupor_{method.runtime}" + ("" if method.precision == "fp32" else f"_{method.precision}")
        print(f"{name}: ready in {time.perf_counter() - t0:.1f} s", flush=True)
        variants[name] = lambda m=method: m.forward(x)
    times: dict[str, list[float]] = {k: [] for k in variants}
    for r in range(args.repeats + 1):  # round 0 warms up
        for name, fn in variants.items():
            t0 = time.perf_counter()
            fn()
            ms = 1000.0 * (time.perf_counter() - t0)
            if r:
                times[name].append(ms)
            print(f"round {r}{' (warm-up)' if not r else ''}: {name} {ms:.0f} ms", flush=True)
    med = {k: median(v) for k, v in times.items()}
    fastest = min((k for k in med if k != "official"), key=med.get)
    print(f"\n{net_w}x{net_h}, batch 1, {args.threads} thread(s), median of {args.repeats} alternating rounds "
          f"(torch {torch.__version__})")
    for k, v in med.items():
        print(f"{k:14s} {v:9.0f} ms   {med['official'] / v:5.2f}x official   (runs: "
              f"{', '.join(f'{t:.0f}' for t in times[k])})")
    print(f"fastest hupor runtime: {fastest}, {med['official'] / med[fastest]:.2f}x the official speed")
    print(json.dumps({"size": f"{net_w}x{net_h}", "threads": args.threads, "repeats": args.repeats,
                      "ms": med, "speedup": {k: med["official"] / v for k, v in med.items()},
                      "fastest": fastest, "spread_ms": {k: statistics.pstdev(v) for k, v in times.items()}}))
    return 0


if __name__ == "__main__":
    sys.exit(main())
