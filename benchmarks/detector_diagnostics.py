"""What a trained detector has learned, read at the ground truth (docs/training.md, "What the detector
has not learned"):

    .venv/bin/python benchmarks/detector_diagnostics.py --bundle src/hupor/assets/default.pt \
        --records runs/s6/synth-val/annotations.json [--images 40]

* **left / right**: for every pair of visible left and right joints of a person (shoulders, elbows,
  wrists, hips, knees, ankles) more than 2 output px apart, the detector's heatmap of the left joint
  at the left joint's true pixel ("own") against at the right joint's ("other side"), and vice
  versa. A detector that tells left from right has own ≫ other; 50 % "other ≥ own" is chance;
* **PAF-z**: on the pixels where the finest "vis" target holds a relative depth, the least-squares
  gain of the predicted z on the true one (1 = right, 0 = flat), their correlation and spreads (cm);
* **root depth**: the root-depth head read at the true torso-joint pixels, median |log(pred / true)|;
* **collapsed pairs** (``--collapse-scenes N``): the whole predictor (``Predictor``, intrinsics passed)
  on N rendered 832×512 scenes of seed ``--collapse-seed``; the share of each decoded person's
  left/right pairs, both decoded as visible, that lie within 3 network-input px of each other.

Images are letterboxed without augmentation, at the bundle's input size and output stride.
"""

from __future__ import annotations

import argparse

import numpy as np

PAIRS = ((3, 9), (4, 10), (5, 11), (6, 12), (7, 13), (8, 14))   # MPI15 left / right


def diagnose(bundle_path: str, records_path: str, images: int = 40) -> dict:
    import torch

    from hupor.codec import Codec
    from hupor.codec.grid import nearest_pixel, net_to_out
    from hupor.data.datasets import DetectorDataset, load_records
    from hupor.data.transforms import sample_transform, transform_joints
    from hupor.nets import load_bundle
    from hupor.nets.layout import maps57_to_det
    from hupor.nets.preprocess import MEAN_BGR, STD_BGR

    b = load_bundle(bundle_path)
    recs = load_records([records_path])
    codec = Codec(b.skeleton, b.codec_params())
    p = codec.params
    ds = DetectorDataset(recs, codec, None)
    mean = torch.tensor(MEAN_BGR, dtype=torch.float32).view(1, 3, 1, 1)
    std = torch.tensor(STD_BGR, dtype=torch.float32).view(1, 3, 1, 1)
    own, other, zp, zg, rp, rg = [], [], [], [], [], []
    with torch.inference_mode():
        for i in range(min(images, len(ds))):
            item = ds[(i, 0)]
            x = (item["image"][None].float() / 255.0 - mean) / std
            maps2d, z, root = b.detector.infer(x)
            heat = maps2d[0, :b.skeleton.num_joints].numpy()
            _, tz = maps57_to_det(item["maps"][None, -1], b.skeleton)
            on = tz != 0
            zp.append(z[on].numpy())
            zg.append(tz[on].numpy())
            rd = item["root_depth"].numpy()
            used = rd[..., 2] > 0
            t, k = np.nonzero(used)
            rp.append(root[0].numpy()[t, rd[t, k, 0].astype(int), rd[t, k, 1].astype(int)])
            rg.append(rd[t, k, 2])
            rec = recs[i]
            tr = sample_transform(rec.width, rec.height, p.net_w, p.net_h, None, np.random.default_rng(0), rec.has_3d)
            j2, _, vis = transform_joints(rec, tr, b.skeleton)
            px = nearest_pixel(net_to_out(np.nan_to_num(j2), p.stride))
            h, w = heat.shape[1:]
            for n in range(len(j2)):
                for a, c in PAIRS:
                    if vis[n, a] != 2 or vis[n, c] != 2 or np.abs(px[n, a] - px[n, c]).max() <= 2:
                        continue
                    if not all(0 <= px[n, q, 0] < w and 0 <= px[n, q, 1] < h for q in (a, c)):
                        continue
                    for s, o in ((a, c), (c, a)):
                        own.append(heat[s, px[n, s, 1], px[n, s, 0]])
                        other.append(heat[s, px[n, o, 1], px[n, o, 0]])
    own, other = np.array(own), np.array(other)
    zp, zg = np.concatenate(zp), np.concatenate(zg)
    rp, rg = np.concatenate(rp), np.concatenate(rg)
    return {"pairs": int(len(own)), "own": float(own.mean()), "other": float(other.mean()),
            "other_ge_own": float((other >= own).mean()),
            "z_pixels": int(len(zg)), "z_gain": float((zp * zg).sum() / (zg * zg).sum()),
            "z_corr": float(np.corrcoef(zp, zg)[0, 1]), "z_std_true_cm": float(zg.std()), "z_std_pred_cm": float(zp.std()),
            "root_points": int(len(rg)),
            "root_log_err": float(np.median(np.abs(np.log(np.clip(rp, 1e-6, None) / rg))))}


def collapsed_pairs(bundle_path: str, scenes: int, seed: int) -> tuple[int, int]:
    """(both-visible left/right pairs of decoded people, of them within 3 network px) on rendered scenes."""
    from hupor.data.synth import SceneConfig, load_motion_library, render_scene
    from hupor.predictor import Predictor

    pr = Predictor(bundle_path)
    lib = load_motion_library()
    tot = same = 0
    for i in range(scenes):
        img, rec = render_scene(SceneConfig(), seed, i, lib)
        p = pr.predict_arrays([img], K=rec.intrinsics)[0]
        px = 3.0 * rec.width / pr.codec_params.net_w
        for n in range(p.num_persons):
            for a, c in PAIRS:
                if p.joint_state[n, a] == 0 and p.joint_state[n, c] == 0:
                    tot += 1
                    same += bool(np.linalg.norm(p.joints_2d[n, a] - p.joints_2d[n, c]) < px)
    return tot, same


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--bundle", nargs="+", required=True)
    ap.add_argument("--records", required=True, help="records with images (e.g. a 'hupor synth' folder's annotations)")
    ap.add_argument("--images", type=int, default=40)
    ap.add_argument("--collapse-scenes", type=int, default=0, help="also count collapsed left/right pairs")
    ap.add_argument("--collapse-seed", type=int, default=9201)
    args = ap.parse_args()
    import torch

    torch.set_num_threads(1)
    print("| bundle | L/R pairs | own / other-side heat (of 255) | other ≥ own | PAF-z gain | z corr | "
          "z spread true / pred (cm) | root-depth median log err |\n|---|---|---|---|---|---|---|---|")
    for path in args.bundle:
        d = diagnose(path, args.records, args.images)
        print(f"| {path} | {d['pairs']} | {d['own']:.1f} / {d['other']:.1f} | {100 * d['other_ge_own']:.1f} % | "
              f"{d['z_gain']:.3f} | {d['z_corr']:.2f} | {d['z_std_true_cm']:.1f} / {d['z_std_pred_cm']:.2f} | "
              f"{d['root_log_err']:.3f} |")
    for path in args.bundle if args.collapse_scenes else []:
        tot, same = collapsed_pairs(path, args.collapse_scenes, args.collapse_seed)
        print(f"{path}: {same} of {tot} both-visible left/right pairs of decoded people within 3 network px "
              f"({100 * same / max(tot, 1):.1f} %; {args.collapse_scenes} scenes, seed {args.collapse_seed}, 832x512)")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
