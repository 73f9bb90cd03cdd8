"""The ablation table of the synthetic occlusion benchmark (docs/results.md).

Trains every reasoner row with the same budget (cpu-tiny, skeleton-only scenes, 256×160) for each run
seed, then scores on the heavy-occlusion test split with the MuPoTS-style metrics:

(a) reasoning in isolation: input = GT-rendered visible maps + a visible-only root-depth map
    (``hupor.bench.definition``), decoded with ``Codec.decode``;
(b) end to end (``--detector BUNDLE``): the rendered test images through the bundle's detector.

Rows run one after the other in this process; ``OUT/results.json`` is rewritten atomically after
every row, and rows already in it are skipped, so a killed run resumes where it stopped.

    .venv/bin/python benchmarks/ablations.py --out runs/bench [--steps 800] [--seeds 0 1] [--size 128 96]
        [--stride 4|2] [--curve-every N] [--detector src/hupor/assets/default.pt] [--only a|b]

``--curve-every N`` keeps a checkpoint every N steps of each trained row and scores every one of them
on the test split (rows ``curve/KEY/sSEED/STEP``): the learning curves against samples seen.
The ``a/oracle`` row decodes the test split's ground-truth maps of all joints (a perfect reasoner).
    .venv/bin/python benchmarks/ablations.py --out runs/bench --table      # print the tables
"""

from __future__ import annotations

import argparse
import json
import platform
import time
from pathlib import Path

import numpy as np

SD = ("model.reasoner.student_decode=1.0",)  # the inference path trained too (deviation, docs/networks.md)
REASONERS = [  # key, kind, supervised blocks, teacher input, extra overrides, label
    ("hg", "hg", (1, 2, 3, 4), "all", (), "+ Reason (Hg)"),
    ("dsed-1234", "dsed", (1, 2, 3, 4), "all", (), "+ Reason (DSED), S-1/2/3/4"),
    ("dsed-4", "dsed", (4,), "all", (), "DSED S-4"),
    ("dsed-14", "dsed", (1, 4), "all", (), "DSED S-1/4"),
    ("dsed-234", "dsed", (2, 3, 4), "all", (), "DSED S-2/3/4"),
    ("dsed-occ", "dsed", (1, 2, 3, 4), "occ", (), "DSED S-1/2/3/4, teacher fed occluded joints"),
    ("dsed-sd-1234", "dsed", (1, 2, 3, 4), "all", SD, "DSED S-1/2/3/4, student path decoded in training"),
    ("dsed-sd-4", "dsed", (4,), "all", SD, "DSED S-4, student path decoded in training"),
    ("dsed-sd-14", "dsed", (1, 4), "all", SD, "DSED S-1/4, student path decoded in training"),
    ("dsed-sd-234", "dsed", (2, 3, 4), "all", SD, "DSED S-2/3/4, student path decoded in training"),
    ("dsed-sd-none", "dsed", (), "all", SD, "DSED without distillation, student path decoded in training"),
    # supplement Table 6: both trained on one fixed set of rendered scenes (--render-scenes), maps only / + image
    ("rec-dsed-sd", "dsed", (1, 2, 3, 4), "all", SD, "DSED (student decoded) on rendered scenes, maps only"),
    ("rec-dsed-sd-img", "dsed", (1, 2, 3, 4), "all", SD + ("model.reasoner.image_input=true",),
     "DSED (student decoded) on rendered scenes, maps + image"),
]


def _load(path: Path) -> dict:
    return json.loads(path.read_text()) if path.is_file() else {}


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--out", default="runs/bench")
    ap.add_argument("--steps", type=int, default=800, help="reasoner training steps per row")
    ap.add_argument("--size", type=int, nargs=2, default=[128, 96], metavar=("W", "H"),
                    help="network input = scene size of part (a), px (multiples of 32)")
    ap.add_argument("--stride", type=int, choices=(2, 4), default=4, help="output stride of part (a)")
    ap.add_argument("--curve-every", type=int, default=0, metavar="N",
                    help="keep and score a checkpoint every N steps of each trained row (learning curves)")
    ap.add_argument("--batch", type=int, default=4)
    ap.add_argument("--render-scenes", type=int, default=6000,
                    help="rec-* rows (Table 6): rendered training scenes of the train split, reused by both rows")
    ap.add_argument("--refine-on", default="dsed-1234", choices=[r[0] for r in REASONERS], metavar="KEY",
                    help="the trained reasoner row whose decodes the RefineNet rows refine (rows refine-KEY-gcn/mlp)")
    ap.add_argument("--seeds", type=int, nargs="+", default=[0, 1])
    ap.add_argument("--test-scenes", type=int, default=200)
    ap.add_argument("--detector", default="", help="model bundle for the end-to-end rows (b)")
    ap.add_argument("--root-confidence", choices=("detector", "reasoner"), default=None,
                    help="part (b): override the bundle's decode.root_confidence (default: the bundle's)")
    ap.add_argument("--only", choices=["a", "b"], default=None)
    ap.add_argument("--rows", nargs="+", default=None, metavar="KEY",
                    help="part (a) subset: reasoner keys (hg dsed-1234 dsed-4 dsed-14 dsed-234 dsed-occ) "
                         "and/or oracle, none, root, root-hg, refine (default: all)")
    ap.add_argument("--table", action="store_true", help="print the tables from OUT/results.json")
    args = ap.parse_args()
    out = Path(args.out)
    if args.table:
        from hupor.bench.tables import render_tables

        print(render_tables(_load(out / "results.json")))
        return 0

    import torch

    torch.set_num_threads(1)
    from hupor.bench import BenchSpec, evaluate_predictions, prepare_scenes, split_scenes, split_stats
    from hupor.bench import runners
    from hupor.codec import DecodeParams
    from hupor.fileio import write_json_atomic

    out.mkdir(parents=True, exist_ok=True)
    spec = BenchSpec.at_size(*args.size, test_scenes=args.test_scenes, stride=args.stride)
    res_path = out / "results.json"
    results = _load(res_path)
    from hupor.bench.definition import same_definition

    if results.get("spec") and not same_definition(results["spec"], json.loads(json.dumps(spec.to_dict()))):
        raise SystemExit(f"{res_path} was made with another benchmark definition; use another --out")
    results.update(spec=spec.to_dict(), steps=args.steps, batch=args.batch, curve_every=args.curve_every,
                   machine={"platform": platform.platform(), "processor": platform.processor(),
                            "torch": torch.__version__, "threads": 1})
    results.setdefault("rows", {})
    rows = results["rows"]

    def save():
        write_json_atomic(res_path, results)

    t0 = time.time()
    test_ds = split_scenes(spec, "test")
    motion = test_ds.motion
    test_recs = [test_ds[i] for i in range(len(test_ds))]
    scenes = prepare_scenes(spec, test_recs)
    results["test_stats"] = split_stats(test_recs)
    codec = spec.codec()
    print(f"test split: {results['test_stats']} ({time.time() - t0:.0f} s)", flush=True)
    save()

    def score(key: str, preds, extra: dict | None = None, recs=None, match_px=None):
        m = evaluate_predictions(recs or test_recs, preds, match_px or spec.match_px)
        rows[key] = {**m, **(extra or {}), "done_utc": time.strftime("%H:%M:%S", time.gmtime())}
        save()
        mm, aa = m["matched"], m["all"]

        def f(v, d=1):
            return "-" if v is None else f"{v:.{d}f}"

        print(f"[{time.time() - t0:6.0f}s] {key:28s} matched PCK_rel {f(mm['pck_rel'])} PCK_occ {f(mm['pck_occ'])} "
              f"MPJPE_rel {f(mm['mpjpe_rel'], 0)} | all PCK_rel {f(aa['pck_rel'])} PCK_abs {f(aa['pck_abs'])} "
              f"({aa['matched']}/{aa['instances']})", flush=True)

    nets: dict[tuple[str, int], object] = {}

    def reasoner(key: str, seed: int):
        if (key, seed) not in nets:
            _, kind, blocks, teacher, extra, _ = next(r for r in REASONERS if r[0] == key)
            if key.startswith("rec-"):   # rendered records instead of skeleton scenes (images for image_input)
                tr = runners.rendered_split(spec, "train", args.render_scenes, out / f"render-train-s{seed}", seed)
                va = runners.rendered_split(spec, "val", spec.val_scenes, out / "render-val")
                extra = (*extra, "data.reasoner_source=records", f"data.train=[{tr}]", f"data.val=[{va}]")
            cfg = runners.reasoner_config(spec, kind, blocks, seed, args.steps, args.batch, teacher_input=teacher,
                                          extra=extra,
                                          checkpoint_every=args.curve_every)
            net, info = runners.train_reasoner(cfg, out / f"{key}-s{seed}")
            if info:
                results.setdefault("train", {})[f"{key}/s{seed}"] = info
                save()
            nets[(key, seed)] = net
        return nets[(key, seed)]

    def curve(key: str, seed: int):
        """Score every kept checkpoint of a trained row (rows curve/KEY/sSEED/STEP)."""
        from hupor.train.export import load_part

        for ckpt in sorted((out / f"{key}-s{seed}" / "checkpoints").glob("step=*.ckpt")):
            k = f"curve/{key}/s{seed}/{int(ckpt.stem.split('=')[1])}"
            if k not in rows:
                score(k, runners.predict(scenes, codec, load_part(ckpt, "reasoner")[1], images=images(key)))

    test_imgs = []

    def images(key: str):
        """The test scenes' images for an image_input row (rendered once), else None."""
        if not key.endswith("-img"):
            return None
        if not test_imgs:
            test_imgs.append(runners.test_images(spec, test_recs, motion))
        return test_imgs[0]

    if args.only in (None, "a"):
        want = set(args.rows or ["oracle", "none", "root", "root-hg", "refine"] + [r[0] for r in REASONERS])
        if "a/oracle" not in rows and "oracle" in want:
            from hupor.bench import oracle_maps

            score("a/oracle", runners.predict(scenes, codec, maps=oracle_maps(spec, test_recs)))
        if "a/none" not in rows and "none" in want:
            score("a/none", runners.predict(scenes, codec))
        for seed in args.seeds:
            for key, *_ in REASONERS:
                if f"a/{key}/s{seed}" not in rows and key in want:
                    score(f"a/{key}/s{seed}", runners.predict(scenes, codec, reasoner(key, seed), images=images(key)))
                if key in want and args.curve_every > 0:
                    curve(key, seed)
            if not want & {"root", "refine", "root-hg"}:
                continue
            dsed = reasoner("dsed-1234", seed) if "root" in want else None
            on = args.refine_on                          # the reasoner RefineNet refines (keys: history)
            tag = "" if on == "dsed-1234" else f"-{on}"
            base = reasoner(on, seed) if "refine" in want else None
            for rule in ("pelvis", "weighted", "cascade"):
                k = f"a/root-{rule}/s{seed}"
                if k not in rows and "root" in want:
                    score(k, runners.predict(scenes, codec, dsed, params=DecodeParams(root_rule=rule)))
            if "root-hg" in want:  # the rules only differ where the pelvis is not confidently seen
                hg = reasoner("hg", seed)
                for rule in ("pelvis", "weighted", "cascade"):
                    k = f"a/root-hg-{rule}/s{seed}"
                    if k not in rows:
                        score(k, runners.predict(scenes, codec, hg, params=DecodeParams(root_rule=rule)))
            if "refine" in want and any(f"a/refine{tag}-{kind}/s{seed}" not in rows for kind in ("gcn", "mlp")):
                pairs_path = out / f"pairs-{on}-s{seed}.npz"
                if not pairs_path.is_file():
                    ref_ds = split_scenes(spec, "refine", motion=motion)
                    ref = prepare_scenes(spec, [ref_ds[i] for i in range(len(ref_ds))])
                    f, t = runners.refine_pairs(ref, codec, base, 30.0 * spec.net_w / 832.0)
                    from hupor.fileio import write_atomic

                    def _write(p, f=f, t=t):
                        with open(p, "wb") as fh:
                            np.savez(fh, features=f, target=t)

                    write_atomic(pairs_path, _write)
                    results.setdefault("pairs", {})[f"{on}-s{seed}" if tag else f"s{seed}"] = int(len(f))
                for kind in ("gcn", "mlp"):
                    k = f"a/refine{tag}-{kind}/s{seed}"
                    if k not in rows:
                        ref_net, info = runners.train_refiner(kind, pairs_path, out / f"refiner{tag}-{kind}-s{seed}", seed)
                        score(k, runners.predict(scenes, codec, base, refiner=ref_net), {"train": info})

    if args.only in (None, "b") and args.detector:
        # end to end at the bundle's input size, on the same heavy-occlusion test definition
        from hupor.data.synth import render_scene
        from hupor.nets import load_bundle

        bundle = load_bundle(args.detector)
        ic = bundle.input_config
        spec_b = BenchSpec.at_size(ic.net_w, ic.net_h, test_scenes=args.test_scenes)
        results["spec_b"] = spec_b.to_dict()
        results["detector"] = args.detector
        ds_b = split_scenes(spec_b, "test", motion=motion)
        recs_b = [ds_b[i] for i in range(len(ds_b))]
        results["test_stats_b"] = split_stats(recs_b)
        # every row through the method seam (hupor.methods.HuporMethod via Predictor), as hupor predict
        from hupor.bench.e2e import bundle_variant, predict_scenes

        images = [render_scene(spec_b.test_scene, spec_b.test_seed, i, motion=motion)[0] for i in range(len(recs_b))]
        scenes_b = list(zip(images, recs_b))
        kw = dict(recs=recs_b, match_px=spec_b.match_px)
        mine = (spec_b.net_w, spec_b.net_h) == (spec.net_w, spec.net_h)  # part (a)'s reasoners fit
        gate = {} if args.root_confidence is None else {"root_confidence": args.root_confidence}
        score("b/det", predict_scenes(bundle_variant(bundle, None, None, **gate), scenes_b)[0], **kw)
        candidates = []
        if bundle.reasoner is not None:
            candidates.append(("bundle-reasoner", bundle.reasoner))
        for seed in args.seeds if mine else []:
            for key in ("hg", "dsed-1234", "dsed-4", "dsed-occ"):
                if (out / f"{key}-s{seed}" / "reasoner.pt").is_file():
                    candidates.append((f"{key}/s{seed}", reasoner(key, seed)))
        for name, net in candidates:
            score(f"b/{name}", predict_scenes(bundle_variant(bundle, net, None, **gate), scenes_b)[0], **kw)
        for rule in ("pelvis", "weighted", "cascade"):
            score(f"b/root-{rule}", predict_scenes(bundle_variant(bundle, refiner=None, root_rule=rule, **gate),
                                                   scenes_b)[0], **kw)
        if bundle.refiner is not None:
            score("b/bundle-refiner", predict_scenes(bundle_variant(bundle, **gate), scenes_b)[0], **kw)
    print(f"done in {time.time() - t0:.0f} s; results in {res_path}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
