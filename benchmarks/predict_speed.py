"""Per-frame prediction time (network vs decoder) and memory at 3 and 20 people.

    python benchmarks/predict_speed.py                      # cpu-tiny and paper, 2 threads
    python benchmarks/predict_speed.py --configs cpu-tiny --frames 5

Inputs are synthetic scenes (``hupor.data.synth``) with the requested number of people (832x512).
Networks have random weights (timing does not depend on the weights) at the config's output stride,
with its decoder settings (``hupor.bench.experiment.save_random_bundle`` stores the whole experiment
config in the bundle), so their maps hold no real people; the decoder is therefore timed twice:

* ``decode(gt)``: ``Predictor.postprocess`` (decode + RefineNet + joint states) on maps that the codec
  renders from the scene's ground truth at the network's output size: realistic maps with N people.
  This is the number whose growth with N matters.
* ``decode(rnd)``: the same stage on the random network's own maps (for reference).

``total = network + decode(gt)``. The scenes are timed interleaved and the best frame is reported
(the network median too; the decoder runs 10 times per frame): on a shared machine the minimum
is the least disturbed figure. The machine's load average is printed with each configuration. Each config runs in its own process so ``max RSS`` (peak resident
memory of that process: model, images, maps) is not mixed between configs; ``decode peak`` is the
tracemalloc peak of one ``postprocess`` call on the 20-person maps.
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import subprocess
import sys
import tempfile
import time
import tracemalloc

import numpy as np


def scene(n: int, seed0: int = 0):
    """A rendered 832x512 scene with exactly ``n`` people (tries a few seeds; wider depth range)."""
    from hupor.data.synth.generate import render_scene
    from hupor.data.synth.mocap import load_motion_library
    from hupor.data.synth.scene import SceneConfig

    motion = load_motion_library()
    cfg = SceneConfig(min_people=n, max_people=n, depth_range_mm=(2000.0, 14000.0), min_separation_mm=450.0)
    best = None
    for seed in range(seed0, seed0 + 20):
        img, rec = render_scene(cfg, seed=seed, motion=motion)
        if best is None or rec.num_persons > best[1].num_persons:
            best = (img, rec)
        if rec.num_persons == n:
            break
    return best


def gt_maps(predictor, rec):
    """(all57, root_depth (T,h,w), detector heatmaps (J,h,w) in [0,1], letterbox) rendered from ``rec``."""
    from hupor.camera import Letterbox
    from hupor.codec import Codec
    from hupor.codec.grid import net_to_out

    p = predictor.codec_params
    lb = Letterbox.fit(rec.width, rec.height, p.net_w, p.net_h)
    uv = lb.to_net(rec.joints_2d)
    f_net = rec.intrinsics.fx * lb.scale
    t = Codec(predictor.skeleton, p).encode(uv, rec.joints_3d, rec.visibility, f_net, levels=(3,), subsets=("vis", "all"))
    all57, vis57 = t.maps["all"][0], t.maps["vis"][0]
    h, w = all57.shape[1:]
    rows, cols = np.mgrid[0:h, 0:w]  # output pixel centres (hupor.codec.grid)
    uv_out = net_to_out(uv, p.stride)
    torso = list(predictor.skeleton.torso)
    rd = np.zeros((len(torso), h, w), np.float32)
    for c, jt in enumerate(torso):  # every pixel takes the nearest person's value (a trained net's look)
        d = (cols[None] - uv_out[:, jt, 0, None, None]) ** 2 + (rows[None] - uv_out[:, jt, 1, None, None]) ** 2
        rd[c] = (rec.joints_3d[:, jt, 2] / 10.0 / f_net)[np.argmin(d, axis=0)]
    return all57, rd, vis57[:predictor.skeleton.num_joints] / p.heatmap_peak, lb


def worker(config: str, frames: int, threads: int, people: list[int]) -> dict:
    import torch

    torch.set_num_threads(threads)
    torch.manual_seed(0)
    from hupor.bench.experiment import save_random_bundle
    from hupor.predictor import Predictor
    from hupor.train.config import load_experiment

    exp = load_experiment(config)  # with its codec: (stride) and decode: sections, stored in the bundle
    inp = exp.input
    with tempfile.TemporaryDirectory() as tmp:
        predictor = Predictor(save_random_bundle(os.path.join(tmp, "random.pt"), exp))
    out = {"config": config, "input": [inp.net_w, inp.net_h], "stride": predictor.codec_params.stride,
           "threads": threads, "frames": frames, "rows": []}
    scenes = []
    for n in people:
        img, rec = scene(n)
        scenes.append((img, rec, gt_maps(predictor, rec)))
    for img, rec, (all57, rd, heat, lb) in scenes:  # warm-up
        predictor.predict_arrays([img], K=rec.intrinsics)
        predictor.postprocess(all57, rd, heat, lb, rec.intrinsics, "K")
    times = [{"net": [], "rnd": [], "gt": []} for _ in scenes]
    found = [0] * len(scenes)
    for _ in range(frames):  # scenes interleaved, so load from other processes hits them alike
        for k, (img, rec, (all57, rd, heat, lb)) in enumerate(scenes):
            r = predictor.predict_arrays([img], K=rec.intrinsics)[0]
            times[k]["net"].append(r.timings_ms["network"])
            times[k]["rnd"].append(r.timings_ms["decode"])
            for _ in range(10):  # the decoder is cheap: more repetitions for a stable best time
                t0 = time.perf_counter()
                found[k] = predictor.postprocess(all57, rd, heat, lb, rec.intrinsics, "K").num_persons
                times[k]["gt"].append(1000 * (time.perf_counter() - t0))
    for k, (img, rec, (all57, rd, heat, lb)) in enumerate(scenes):
        tracemalloc.start()
        predictor.postprocess(all57, rd, heat, lb, rec.intrinsics, "K")
        peak = tracemalloc.get_traced_memory()[1]
        tracemalloc.stop()
        t = times[k]
        out["rows"].append({"people": rec.num_persons, "decoded": found[k],
                            "network_ms": min(t["net"]), "network_median_ms": float(np.median(t["net"])),
                            "decode_gt_ms": min(t["gt"]), "decode_rnd_ms": min(t["rnd"]),
                            "decode_peak_mb": peak / 2**20})
    out["max_rss_mb"] = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    out["load_avg"] = os.getloadavg()[0]
    return out


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--configs", nargs="+", default=["cpu-tiny", "paper"])
    ap.add_argument("--frames", type=int, default=None, help="timed frames per scene (default: 5 tiny, 2 others)")
    ap.add_argument("--threads", type=int, default=2)
    ap.add_argument("--people", type=int, nargs="+", default=[3, 20])
    ap.add_argument("--worker", help=argparse.SUPPRESS)
    args = ap.parse_args()
    if args.worker:
        frames = args.frames or (5 if args.worker == "cpu-tiny" else 3)
        print(json.dumps(worker(args.worker, frames, args.threads, args.people)))
        return 0
    print(f"predict_speed: per-frame ms (best of the timed frames; network median in brackets), "
          f"{args.threads} threads, random weights, synthetic scenes")
    print(f"{'config':<9} {'input/str':>10} {'people':>6} {'decoded':>7} {'network':>18} {'decode(gt)':>10} "
          f"{'total':>8} {'decode(rnd)':>11} {'dec.peak MB':>11}")
    for cfg in args.configs:
        cmd = [sys.executable, __file__, "--worker", cfg, "--threads", str(args.threads), "--people",
               *map(str, args.people)] + (["--frames", str(args.frames)] if args.frames else [])
        res = subprocess.run(cmd, capture_output=True, text=True)
        if res.returncode:
            print(f"{cfg}: failed\n{res.stderr[-2000:]}")
            continue
        r = json.loads(res.stdout.strip().splitlines()[-1])
        totals = []
        for row in r["rows"]:
            total = row["network_ms"] + row["decode_gt_ms"]
            totals.append((row["people"], total, row["decode_gt_ms"]))
            print(f"{cfg:<9} {r['input'][0]:>4}x{r['input'][1]:<3}/{r['stride']} {row['people']:>6} "
                  f"{row['decoded']:>7} "
                  f"{row['network_ms']:>8.1f} [{row['network_median_ms']:>7.1f}] {row['decode_gt_ms']:>10.1f} {total:>8.1f} "
                  f"{row['decode_rnd_ms']:>11.1f} {row['decode_peak_mb']:>11.2f}")
        if len(totals) >= 2:
            (n0, t0, d0), (n1, t1, d1) = totals[0], totals[-1]
            print(f"{cfg:<9} T({n1})/T({n0}) total {t1 / t0:.2f}, decode(gt) {d1 / d0:.2f}; "
                  f"max RSS {r['max_rss_mb']:.0f} MB; {r['frames']} timed frames per scene; "
                  f"machine load average {r['load_avg']:.1f} on {os.cpu_count()} cores")
    return 0


if __name__ == "__main__":
    sys.exit(main())
