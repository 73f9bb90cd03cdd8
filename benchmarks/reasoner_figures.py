"""The supplement's reasoning figures, generated from our models (docs/results.md).

    .venv/bin/python benchmarks/reasoner_figures.py --reasoner runs/bench-s2/dsed-1234-s0/reasoner.pt \
        --bundle src/hupor/assets/default.pt --seed 3000 --out docs/figures

* **Fig. 4** (``reasoner_fig4.png``): for one test scene of table (a) (the benchmark's test split,
  128×96, stride 2), one channel of the DSED teacher's and student's encoder blocks 1 and 2 (stage 1;
  the channel where the two differ most), beside the visible input heatmaps with the visible joints
  as filled and the occluded joints as empty circles.
* **Fig. 7** (``reasoner_fig7.png``): for three occluded joints of one rendered scene (the default
  occlusion mix, 832×512), the bundle's detector heatmap and its reasoner's heatmap of that joint
  side by side, the joint's true position circled.
"""

from __future__ import annotations

import argparse
from pathlib import Path

import numpy as np


def _circles(ax, xy, vis, scale=1.0):
    for (x, y), v in zip(xy * scale, vis):
        if v == 2:
            ax.plot(x, y, "o", ms=4, mfc="lime", mec="k", mew=0.5)
        elif v == 1:
            ax.plot(x, y, "o", ms=6, mfc="none", mec="red", mew=1.2)


def fig4(reasoner_path: str, seed: int, out: Path) -> Path:
    import matplotlib.pyplot as plt
    import torch

    from hupor.bench.definition import BenchSpec, _encode, prepare_scenes, split_scenes
    from hupor.data.synth import load_motion_library
    from hupor.train.export import load_part

    _, net = load_part(reasoner_path, "reasoner")
    spec = BenchSpec.at_size(128, 96, stride=net.stride, test_seed=seed)
    recs = list(split_scenes(spec, "test", motion=load_motion_library()))
    rec = max(recs[:40], key=lambda r: int((r.visibility == 1).sum()))
    scene = prepare_scenes(spec, [rec])[0]
    teacher = _encode(spec, spec.codec(), rec, net.skeleton, "all")[0].maps["all"][0]
    with torch.inference_mode():
        o = net(torch.from_numpy(scene.input57)[None], torch.from_numpy(teacher)[None], use_teacher=False)
    pairs = o.distill[0][:2]
    fig, axes = plt.subplots(2, 3, figsize=(10, 5.2))
    j = net.skeleton.num_joints
    s = spec.stride
    xy = (rec.joints_2d - (s - 1) / 2) / s
    for row, (t, st) in enumerate(pairs):
        t, st = t[0].numpy(), st[0].numpy()
        ch = int(np.abs(t - st).reshape(len(t), -1).mean(1).argmax())
        for col, (img, name) in enumerate(((scene.input57[:j].max(0), "visible input (max over joints)"),
                                           (t[ch], f"teacher, block {row + 1}, channel {ch}"),
                                           (st[ch], f"student, block {row + 1}, channel {ch}"))):
            ax = axes[row, col]
            ax.imshow(img, cmap="magma")
            f = img.shape[-1] / scene.input57.shape[-1]
            for p in range(rec.num_persons):
                _circles(ax, xy[p], rec.visibility[p], f)
            ax.set_title(name, fontsize=8)
            ax.axis("off")
    fig.suptitle(f"DSED encoder features, test scene {rec.meta.get('index')} (seed {seed}): "
                 "filled = visible, empty = occluded joints", fontsize=9)
    fig.tight_layout()
    path = out / "reasoner_fig4.png"
    fig.savefig(path, dpi=110)
    plt.close(fig)
    return path


def fig7(bundle_path: str, seed: int, out: Path) -> Path:
    import matplotlib.pyplot as plt

    from hupor.camera import Letterbox
    from hupor.data.synth import SceneConfig, load_motion_library, render_scene
    from hupor.methods import method_from_bundle
    from hupor.nets import load_bundle

    b = load_bundle(bundle_path)
    m = method_from_bundle(b)
    p = m.codec_params
    lib = load_motion_library()
    best = None
    for i in range(30):
        img, rec = render_scene(SceneConfig(), seed, i, lib)
        if best is None or (rec.visibility == 1).sum() > (best[1].visibility == 1).sum():
            best = (img, rec)
    img, rec = best
    lb = Letterbox.fit(rec.width, rec.height, p.net_w, p.net_h)
    raw = m.infer(lb.apply(img)[None])[0]
    reasoned = raw["maps57"][:b.skeleton.num_joints] / p.heatmap_peak
    uv = (lb.to_net(rec.joints_2d.reshape(-1, 2)).reshape(-1, 15, 2) - (p.stride - 1) / 2) / p.stride
    occ = np.argwhere(rec.visibility == 1)
    rng = np.random.default_rng(seed)
    picks = occ[rng.choice(len(occ), size=min(3, len(occ)), replace=False)]
    fig, axes = plt.subplots(len(picks), 2, figsize=(7, 2.4 * len(picks)), squeeze=False)
    for row, (pp, jj) in enumerate(picks):
        for col, (mp, name) in enumerate(((raw["det_heat"][jj], "detector (visible only)"),
                                          (reasoned[jj], "+ reasoner"))):
            ax = axes[row, col]
            ax.imshow(mp, cmap="magma", vmin=0, vmax=max(0.05, float(reasoned[jj].max())))
            ax.plot(*uv[pp, jj], "o", ms=9, mfc="none", mec="cyan", mew=1.2)
            ax.set_title(f"{b.skeleton.joints[jj]} of person {pp}: {name}, max {mp.max():.2f}", fontsize=8)
            ax.axis("off")
    fig.suptitle(f"occluded joints, rendered scene {rec.meta.get('index')} (seed {seed}), {Path(bundle_path).name}",
                 fontsize=9)
    fig.tight_layout()
    path = out / "reasoner_fig7.png"
    fig.savefig(path, dpi=110)
    plt.close(fig)
    return path


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--reasoner", required=True, help="a table (a) DSED reasoner (reasoner.pt)")
    ap.add_argument("--bundle", default="src/hupor/assets/default.pt")
    ap.add_argument("--seed", type=int, default=3000, help="test seed of the scenes shown")
    ap.add_argument("--out", default="docs/figures")
    args = ap.parse_args()
    import torch

    torch.set_num_threads(1)
    out = Path(args.out)
    out.mkdir(parents=True, exist_ok=True)
    print(fig4(args.reasoner, args.seed, out))
    print(fig7(args.bundle, args.seed, out))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
