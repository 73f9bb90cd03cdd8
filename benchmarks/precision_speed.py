"""Per-frame network and decode time of the bundled model for each runtime / precision, one process.

One ``Predictor`` per variant (``runtime:precision``) is built and warmed up first (build time
printed: model load, ONNX export, int8 calibration + quantization). Then ``--rounds`` rounds: in each,
every variant predicts the same ``--images`` rendered 832×512 scenes (``hupor.data.synth``, default
occlusion mix, seed ``--seed``, intrinsics passed), variants interleaved image by image so load
changes hit all alike. Per variant: median network ms per frame (``timings_ms["network"]``: the
letterboxed batch through the networks, copies included), median decode ms (decoder + post-stages
+ output), the decode share ``decode / (network + decode)``, the speed-up over the first variant, and
the CPU time of the whole ``predict_arrays`` call (``time.thread_time``: with one thread torch and ONNX
Runtime compute in the calling thread, so this is what a frame costs on a free core even when the
machine is busy and wall times are inflated).

    .venv/bin/python benchmarks/precision_speed.py --rounds 3 --images 8
    .venv/bin/python benchmarks/precision_speed.py --variants torch:fp32 onnx:fp32 onnx:int8 folded:bf16

Prints a table and a JSON line. One torch / ORT thread unless ``--threads``.
"""

from __future__ import annotations

import argparse
import json
import sys
import time


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--bundle", help="model bundle (default: the bundled model)")
    ap.add_argument("--variants", nargs="+", default=["torch:fp32", "folded:fp32", "onnx:fp32", "onnx:int8"],
                    help="runtime:precision pairs (default torch:fp32 folded:fp32 onnx:fp32 onnx:int8)")
    ap.add_argument("--images", type=int, default=8, help="rendered scenes per round (default 8)")
    ap.add_argument("--rounds", type=int, default=3, help="rounds (default 3)")
    ap.add_argument("--seed", type=int, default=9400, help="scene seed (default 9400)")
    ap.add_argument("--threads", type=int, default=1, help="torch / ORT threads (default 1)")
    args = ap.parse_args(argv)
    import numpy as np
    import torch

    from hupor.bench.e2e import E2ESpec, render_scenes
    from hupor.predictor import Predictor

    torch.set_num_threads(args.threads)
    scenes = render_scenes(E2ESpec(seed=args.seed, scenes=args.images))
    preds = {}
    for v in args.variants:
        rt, _, pr = v.partition(":")
        t0 = time.perf_counter()
        p = Predictor(args.bundle, runtime=rt, precision=pr or "fp32")
        p.predict_arrays([scenes[0][0]], K=scenes[0][1].intrinsics)  # warm-up (first decode, ORT arenas)
        preds[v] = p
        print(f"{v}: built in {time.perf_counter() - t0:.1f} s "
              f"({p.model_info['runtime']} {p.model_info['precision']})", flush=True)
    net = {v: [] for v in preds}
    dec = {v: [] for v in preds}
    cpu = {v: [] for v in preds}
    for r in range(args.rounds):
        for img, rec in scenes:
            for v, p in preds.items():
                c0 = time.thread_time()
                t = p.predict_arrays([img], K=rec.intrinsics)[0].timings_ms
                cpu[v].append(1000.0 * (time.thread_time() - c0))
                net[v].append(t["network"])
                dec[v].append(t["decode"])
        print(f"round {r}: " + ", ".join(f"{v} {np.median(net[v][-len(scenes):]):.1f} ms" for v in preds),
              flush=True)
    cp = next(iter(preds.values())).codec_params
    first = args.variants[0]
    rows = {}
    print(f"\nbundle {args.bundle or 'default'}: input {cp.net_w}x{cp.net_h}, stride {cp.stride}; "
          f"{args.images} scenes x {args.rounds} rounds, {args.threads} thread(s), batch 1, medians")
    print("| variant | network ms | decode ms | decode share | network × first | CPU ms per frame |")
    print("|---|---|---|---|---|---|")
    for v in preds:
        n, d = float(np.median(net[v])), float(np.median(dec[v]))
        rows[v] = {"network_ms": n, "decode_ms": d, "decode_share": d / (n + d),
                   "speedup": float(np.median(net[first])) / n, "cpu_ms": float(np.median(cpu[v]))}
        print(f"| {v} | {n:.1f} | {d:.2f} | {100 * d / (n + d):.1f} % | {rows[v]['speedup']:.2f} | "
              f"{rows[v]['cpu_ms']:.1f} |")
    print(json.dumps({"size": f"{cp.net_w}x{cp.net_h}", "threads": args.threads, "images": args.images,
                      "rounds": args.rounds, "rows": rows}))
    return 0


if __name__ == "__main__":
    sys.exit(main())
