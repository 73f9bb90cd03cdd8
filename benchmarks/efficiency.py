"""Efficiency table in the style of the supplement's Table 1: time and peak memory for 3 and 20 people,
split into network (detector + DSED, batch 1) and decode (``Codec.decode``), for the cpu-tiny and the
paper configurations, on this machine's CPU.

Each configuration is measured in a fresh subprocess (so its peak RSS is its own):

* network: randomly initialised detector + reasoner from the config at its ``codec.stride``
  (``hupor.bench.experiment.experiment_networks``; eval mode, ``inference_mode``);
  the time does not depend on the weights or on the image content; ``--reps`` timed runs after one
  warm-up, median reported. Memory: the process's peak RSS (``ru_maxrss``) after the runs, and its
  increase over the RSS before the networks were built (weights + activations).
* decode (``Codec.decode`` with the config's ``decode:`` section): maps of a synthetic scene with
  exactly N people in frame (``hupor.data.synth.SkeletonScenes``, 2–10 m), the "all" maps57 at level
  4 as a reasoner would ideally output them, and the visible-only root-depth map of
  ``hupor.bench.gt_root_depth`` (``hupor.bench.experiment.scene_maps``); median of ``--reps`` decodes; memory =
  the ``tracemalloc`` peak of one decode (numpy buffers included).

    .venv/bin/python benchmarks/efficiency.py [--configs cpu-tiny cpu-s2 paper] [--threads 1] [--json out.json]
"""

from __future__ import annotations

import argparse
import json
import platform
import resource
import statistics
import subprocess
import sys
import time


def _rss_mb() -> float:
    with open("/proc/self/status") as f:
        for line in f:
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) / 1024.0
    return float("nan")


def worker(config: str, threads: int, reps: int, people: list[int]) -> dict:
    import torch

    torch.set_num_threads(threads)
    import tracemalloc

    from hupor.bench.experiment import experiment_networks, scene_maps
    from hupor.codec import Codec
    from hupor.nets import det_to_maps57
    from hupor.train.config import load_experiment

    exp = load_experiment(config)  # with its codec: (stride) and decode: sections
    inp, cp = exp.input, exp.codec_params
    rss_before = _rss_mb()
    _, det, rea, _ = experiment_networks(exp)
    n_det = sum(p.numel() for p in det.parameters())
    n_rea_inf = sum(p.numel() for p in rea.students.parameters()) + sum(p.numel() for p in rea.decoders.parameters())
    x = torch.randn(1, 3, inp.net_h, inp.net_w)
    t_det, t_rea = [], []
    with torch.inference_mode():
        for r in range(reps + 1):
            t0 = time.perf_counter()
            m2, z, rd = det.infer(x)
            t1 = time.perf_counter()
            rea.infer(det_to_maps57(m2, z))
            t2 = time.perf_counter()
            if r:
                t_det.append(t1 - t0)
                t_rea.append(t2 - t1)
    peak_net = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024.0
    codec = Codec(params=cp)
    dec = {}
    for n in people:
        rec, maps, rdm, lb = scene_maps(cp, n)
        times = []
        for r in range(max(reps, 5) + 1):
            t0 = time.perf_counter()
            poses = codec.decode(maps, rdm, lb, rec.intrinsics, exp.decode)
            if r:
                times.append(time.perf_counter() - t0)
        tracemalloc.start()
        codec.decode(maps, rdm, lb, rec.intrinsics, exp.decode)
        peak = tracemalloc.get_traced_memory()[1] / 2**20
        tracemalloc.stop()
        dec[str(n)] = {"decode_ms": 1e3 * statistics.median(times), "decode_peak_mb": peak,
                       "people_decoded": int(len(poses.joints_2d))}
    return {"config": config, "input": f"{inp.net_w}x{inp.net_h}", "stride": cp.stride,
            "detector_stride": det.stride, "threads": threads, "reps": reps,
            "params_detector_M": n_det / 1e6, "params_reasoner_inference_M": n_rea_inf / 1e6,
            "detector_ms": 1e3 * statistics.median(t_det), "reasoner_ms": 1e3 * statistics.median(t_rea),
            "rss_before_mb": rss_before, "peak_rss_mb": peak_net, "net_rss_increase_mb": peak_net - rss_before,
            "decode": dec}


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--configs", nargs="+", default=["cpu-tiny", "paper"])
    ap.add_argument("--threads", type=int, default=1)
    ap.add_argument("--reps", type=int, default=0, help="timed runs (default: 10 cpu-tiny, 3 otherwise)")
    ap.add_argument("--people", type=int, nargs="+", default=[3, 20])
    ap.add_argument("--json", default="")
    ap.add_argument("--worker", default="", help=argparse.SUPPRESS)
    args = ap.parse_args()
    if args.worker:
        print(json.dumps(worker(args.worker, args.threads, args.reps, args.people)))
        return 0
    results = []
    for cfg in args.configs:
        reps = args.reps or (10 if cfg == "cpu-tiny" else 3)
        cmd = [sys.executable, __file__, "--worker", cfg, "--threads", str(args.threads), "--reps", str(reps),
               "--people", *map(str, args.people)]
        proc = subprocess.run(cmd, capture_output=True, text=True, check=False)
        if proc.returncode:
            print(proc.stderr[-2000:], file=sys.stderr)
            return 1
        results.append(json.loads(proc.stdout.strip().splitlines()[-1]))
    with open("/proc/loadavg") as f:
        load = f.read().split()[:3]
    print(f"machine: {platform.processor() or platform.machine()}, {platform.platform()}, "
          f"torch threads {args.threads}, load average {' '.join(load)} (shared machine)")
    print("| config | input (stride) | params det / DSED-inf (M) | people | network ms (det + DSED) | decode ms "
          "| total ms | network peak RSS MB (increase) | decode peak MB | people decoded |")
    print("|---|---|---|---|---|---|---|---|---|---|")
    for r in results:
        net = r["detector_ms"] + r["reasoner_ms"]
        for n, d in r["decode"].items():
            print(f"| {r['config']} | {r['input']} ({r['stride']}) | {r['params_detector_M']:.1f} / "
                  f"{r['params_reasoner_inference_M']:.1f} | {n} | {net:.0f} ({r['detector_ms']:.0f} + "
                  f"{r['reasoner_ms']:.0f}) | {d['decode_ms']:.1f} | {net + d['decode_ms']:.0f} | "
                  f"{r['peak_rss_mb']:.0f} ({r['net_rss_increase_mb']:.0f}) | {d['decode_peak_mb']:.1f} | "
                  f"{d['people_decoded']} of {n} |")
    if args.json:
        from hupor.fileio import write_json_atomic

        write_json_atomic(args.json, {"load_average": load, "threads": args.threads, "results": results})
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
