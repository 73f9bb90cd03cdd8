"""Codec round trip and speed: encode GT "all" maps, decode them, compare with the GT.

Usage: .venv/bin/python benchmarks/codec_roundtrip.py [--scenes 50] [--level 3] [--seed 0]

Prints, for random scenes with 1–20 people (benchmarks/_scenes.py; "realistic" = no overlap control,
"light overlap" = people whose 2D boxes overlap by > 25 % are re-drawn): person recall (people whose
pelvis is inside the map), median 2D error (network-input px), root-relative MPJPE (mm), root depth
error (% of Z); then encode / decode times (832x512 input, 128x208 maps, one thread).
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent))

from _scenes import gt_root_depth_maps, random_scene, roundtrip_errors  # noqa: E402

from hupor.camera import Intrinsics, Letterbox  # noqa: E402
from hupor.codec import Codec, DecodeParams  # noqa: E402

K = Intrinsics(1500.0, 1500.0, 960.0, 540.0)
LB = Letterbox.fit(1920, 1080, 832, 512)
F_NET = K.fx * LB.scale


def accuracy(codec, rng, n_scenes, level, max_overlap, dparams):
    agg = {"n_gt": 0, "n_found": 0, "n_pred": 0, "err2d": [], "err3d": [], "root_rel": [], "root_rel_own": [],
           "joints_labelled": 0, "joints_detected": 0}
    for i in range(n_scenes):
        n = 1 + (i * 19) // max(n_scenes - 1, 1)  # 1 … 20 people
        sc = random_scene(rng, n, focal_net=F_NET, max_overlap=max_overlap)
        t = codec.encode(sc.joints_net, sc.joints_3d, sc.visibility, F_NET, levels=(level,),
                         subsets=("all",))
        rd = gt_root_depth_maps(sc)
        e = roundtrip_errors(sc, codec.decode(t.maps["all"][0], rd, LB, K, dparams), rd_maps=rd)
        for k in agg:
            agg[k] += e[k]
    rr = np.asarray(agg["root_rel"]) * 100
    print(f"  person recall        {agg['n_found']}/{agg['n_gt']} = {agg['n_found'] / max(agg['n_gt'], 1):.2%}"
          f"  (predictions {agg['n_pred']})")
    print(f"  joints detected      {agg['joints_detected']}/{agg['joints_labelled']} labelled joints "
          f"of found people ({agg['joints_detected'] / max(agg['joints_labelled'], 1):.2%})")
    print(f"  2D error (net px)    median {np.median(agg['err2d']):.3f}, mean {np.mean(agg['err2d']):.3f}, "
          f"p95 {np.percentile(agg['err2d'], 95):.3f}")
    print(f"  root-rel MPJPE (mm)  mean {np.mean(agg['err3d']):.2f}, median {np.median(agg['err3d']):.2f}")
    print(f"  root depth err (%Z)  median {np.median(rr):.4f}, max {rr.max():.4f}, "
          f"share ≤ 1 %: {(rr <= 1).mean():.2%}")
    ro = np.asarray(agg["root_rel_own"]) * 100
    print(f"    people whose GT pelvis depth pixel is not painted over by a nearer person ({len(ro)}): "
          f"max {ro.max():.4f} %, share ≤ 1 %: {(ro <= 1).mean():.2%}")


def timed(fn, repeat):
    """Median CPU time of this process (ms): robust to other jobs sharing the machine's cores."""
    fn()
    ts = []
    for _ in range(repeat):
        t0 = time.process_time()
        fn()
        ts.append(time.process_time() - t0)
    return float(np.median(ts)) * 1e3


def speed(codec, rng, level, repeat):
    dec = {}
    for n in (3, 10, 20):
        sc = random_scene(rng, n, focal_net=F_NET)
        t_enc = timed(lambda: codec.encode(sc.joints_net, sc.joints_3d, sc.visibility, F_NET,
                                           subsets=("all",)), repeat)
        t_enc3 = timed(lambda: codec.encode(sc.joints_net, sc.joints_3d, sc.visibility, F_NET), repeat)
        t = codec.encode(sc.joints_net, sc.joints_3d, sc.visibility, F_NET, levels=(level,),
                         subsets=("all",))
        maps, rd = t.maps["all"][0], gt_root_depth_maps(sc)
        dec[n] = timed(lambda: codec.decode(maps, rd, LB, K), repeat)
        print(f"  {n:2d} people: encode 5 levels x 1 subset {t_enc:6.2f} ms, x 3 subsets {t_enc3:6.2f} ms;"
              f" decode {dec[n]:6.2f} ms")
    print(f"  decode(20) / decode(3) = {dec[20] / dec[3]:.2f}")


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--scenes", type=int, default=50)
    ap.add_argument("--level", type=int, default=3)
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--repeat", type=int, default=50)
    args = ap.parse_args()
    try:
        import torch

        torch.set_num_threads(1)
    except ImportError:
        pass
    codec = Codec()
    print(f"codec round trip: {args.scenes} scenes, 1-20 people, level {args.level} 'all' maps, "
          f"GT root-depth maps (disk splats), 128x208 maps")
    for refine in ("mean", "gaussian"):
        for name, ov in (("realistic (no overlap control)", 1.0), ("light overlap (≤ 25 % box overlap)", 0.25)):
            print(f"{name}, refine={refine}:")
            accuracy(codec, np.random.default_rng(args.seed), args.scenes, args.level, ov,
                     DecodeParams(refine=refine))
    print(f"speed (median CPU time of {args.repeat} runs, one thread):")
    speed(codec, np.random.default_rng(args.seed + 1), args.level, args.repeat)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
