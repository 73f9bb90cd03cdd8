"""Where the decoder's time goes as the crowd grows: per-stage CPU time for 3 / 10 / 20 people.

Usage: .venv/bin/python benchmarks/decode_stages.py [--scenes 5] [--repeat 100] [--seed 1]

Same scenes and maps as the speed part of benchmarks/codec_roundtrip.py (random people, level-3 GT
maps, 128x208 maps, one thread). Each stage of ``hupor.codec.decode`` is timed on its own (median CPU
time of ``--repeat`` runs, averaged over ``--scenes`` scenes per crowd size); "lift to 3D" is relative
depths, root-depth rules and back-projection; "rest" is the whole decode minus the timed stages (glue,
root ordering, and the cost of running the stages one after another on a cold cache). The last column is
the cost of each extra person between 3 and 20 people, so the stages that scale with the crowd stand out.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent))

from _scenes import gt_root_depth_maps, random_scene  # noqa: E402
from codec_roundtrip import F_NET, LB, K, timed  # noqa: E402

from hupor.codec import Codec, DecodeParams  # noqa: E402
from hupor.codec.decode import _sample, lift_people  # noqa: E402
from hupor.codec.group import group_people  # noqa: E402
from hupor.codec.paf import candidate_pairs, pair_scores  # noqa: E402
from hupor.codec.peaks import find_peaks  # noqa: E402
from hupor.errors import require_finite  # noqa: E402

CROWDS = (3, 10, 20)


def stage_times(codec: Codec, maps: np.ndarray, rd: np.ndarray, repeat: int) -> dict:
    """ms per stage for one scene's maps (57, h, w) and root-depth maps (7, h, w)."""
    sk, cp, p = codec.skeleton, codec.params, DecodeParams()
    nj, limbs = sk.num_joints, np.asarray(sk.limbs, dtype=np.int64)
    heat_thr = p.peak_threshold * cp.heatmap_peak
    out = {"decode (whole)": timed(lambda: codec.decode(maps, rd, LB, K), repeat)}
    out["input checks"] = timed(lambda: (require_finite("maps", maps), require_finite("rd", rd)), repeat)
    out["peaks (NMS + refine)"] = timed(
        lambda: find_peaks(maps[:nj], heat_thr, p.refine_radius, p.max_peaks, p.refine), repeat)
    pk = find_peaks(maps[:nj], heat_thr, p.refine_radius, p.max_peaks, p.refine)
    pk.score = np.clip(pk.score / cp.heatmap_peak, 0.0, 1.0)
    out["candidate pairs"] = timed(lambda: candidate_pairs(pk, limbs), repeat)
    limb, ia, ib, offsets = candidate_pairs(pk, limbs)
    out["PAF pair scores"] = timed(lambda: pair_scores(maps, nj + 3 * limb, cp.paf_scale, pk.xy, ia, ib),
                                   repeat)
    score, length = pair_scores(maps, nj + 3 * limb, cp.paf_scale, pk.xy, ia, ib)
    sl = pk.of(sk.root)
    roots = np.arange(sl.start, sl.stop)[: p.max_people]
    root_z = _sample(rd, np.full(len(roots), list(sk.torso).index(sk.root)), pk.xy[roots])
    order = np.argsort(root_z, kind="stable")
    out["grouping"] = timed(lambda: group_people(pk, score, length, offsets, roots[order], root_z[order],
                                                 sk, cp.stride, p.bone_slack), repeat)
    assign = group_people(pk, score, length, offsets, roots[order], root_z[order], sk, cp.stride, p.bone_slack)
    out["lift to 3D"] = timed(lambda: lift_people(sk, cp, maps, rd, pk, assign, LB, K, p), repeat)
    out["rest"] = out["decode (whole)"] - sum(v for k, v in out.items() if k != "decode (whole)")
    out["(candidate pairs: count)"] = float(len(ia))
    return out


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--scenes", type=int, default=5)
    ap.add_argument("--repeat", type=int, default=100)
    ap.add_argument("--seed", type=int, default=1)
    args = ap.parse_args()
    import torch

    torch.set_num_threads(1)
    codec = Codec()
    rng = np.random.default_rng(args.seed)
    mean = {}
    for n in CROWDS:
        rows = []
        for _ in range(args.scenes):
            sc = random_scene(rng, n, focal_net=F_NET)
            t = codec.encode(sc.joints_net, sc.joints_3d, sc.visibility, F_NET, levels=(3,),
                             subsets=("all",))
            rows.append(stage_times(codec, t.maps["all"][0], gt_root_depth_maps(sc), args.repeat))
        mean[n] = {k: float(np.mean([r[k] for r in rows])) for k in rows[0]}
    lo, hi = CROWDS[0], CROWDS[-1]
    print(f"decode stages, ms (median CPU time of {args.repeat} runs, mean of {args.scenes} scenes, one thread)")
    print(f"| stage | {' | '.join(f'{n} people' for n in CROWDS)} | µs per extra person ({lo}→{hi}) |")
    print("|---|" + "---|" * (len(CROWDS) + 1))
    for k in mean[lo]:
        if k.startswith("("):
            print(f"| {k} | " + " | ".join(f"{mean[n][k]:.0f}" for n in CROWDS) + " | |")
            continue
        per = (mean[hi][k] - mean[lo][k]) / (hi - lo) * 1e3
        print(f"| {k} | " + " | ".join(f"{mean[n][k]:.3f}" for n in CROWDS) + f" | {per:+.1f} |")
    print(f"decode({hi}) / decode({lo}) = {mean[hi]['decode (whole)'] / mean[lo]['decode (whole)']:.2f}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
