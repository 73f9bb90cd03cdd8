"""``hupor train``: train a stage, make RefineNet pairs, or export a model bundle.

    hupor train detector --config cpu-tiny data.train=[synth/train.json] [--out DIR] [--resume | --overwrite]
    hupor train reasoner --config cpu-tiny [--bundle runs/detector/bundle.pt] [key=value ...]
    hupor train pairs    --config cpu-tiny --bundle B.pt --out pairs.npz [--records R.json ...]
    hupor train synth-pairs --config cpu-tiny --calibrate pairs.npz --scenes 20000 --out synth.npz
    hupor train synth-pairs --config lift-coco --noise coco --scenes 20000 --out lift.npz
    hupor train refiner  --config cpu-tiny data.pairs=[pairs.npz] [data.mix_pairs=[synth.npz]] --bundle B.pt
    hupor train export   --detector D --reasoner R --refiner F --out model.pt
    hupor train plugin   --method higherhrnet --reasoner dsed --out runs/hh data.train=[R.json]
    hupor train ssf      --out runs/ssf [--config ssf-cpu] [key=value ...] [--resume]
"""

from __future__ import annotations

import argparse


def register(subparsers) -> argparse.ArgumentParser:
    p = subparsers.add_parser("train", help="train the detector, reasoner or refiner; make pairs; export",
                              description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    sub = p.add_subparsers(dest="train_command", metavar="STAGE", required=True)
    for stage, text in (("detector", "visible-keypoint detector on images"),
                        ("reasoner", "DSED reasoning module on rendered maps"),
                        ("refiner", "RefineNet on (prediction, ground truth) pairs")):
        s = sub.add_parser(stage, help=text)
        s.add_argument("--config", default="cpu-tiny", help="bundled config name or YAML path (default cpu-tiny)")
        s.add_argument("overrides", nargs="*", metavar="key=value", help="config overrides, e.g. train.detector.steps=100")
        s.add_argument("--out", help="run folder (default: train.log_dir/STAGE)")
        s.add_argument("--resume", action="store_true", help="continue the run in OUT from its newest checkpoint "
                       "(the config must match the run's; see docs/reliability.md)")
        s.add_argument("--overwrite", action="store_true", help="replace the earlier run in a non-empty OUT "
                       "(without --resume or --overwrite a non-empty OUT is refused)")
        s.add_argument("--bundle", help="base bundle: its other networks join this stage's in OUT/bundle.pt")
        s.add_argument("--init", help="start the network from these weights (STAGE.pt, .ckpt or bundle); "
                       "a new run, unlike --resume")
        s.set_defaults(func=_run_stage, stage=stage)
    s = sub.add_parser("plugin", help="a 2D plug-in (HigherHRNet, PifPaf): base network, then its reasoner",
                       description="Train a 2D bottom-up plug-in as the paper does (supplement §1.2-1.3): the base "
                                   "network with visible-only supervision (OUT/base), then, unless --reasoner none, the "
                                   "reasoner on the frozen base network's outputs (OUT/reasoner-KIND). Both are the "
                                   "shared detector / reasoner stages of the config METHOD-cpu (or --config).")
    s.add_argument("--method", choices=("higherhrnet", "pifpaf"), required=True)
    s.add_argument("--reasoner", choices=("dsed", "hg", "none"), default="dsed")
    s.add_argument("--config", help="experiment config (default: METHOD-cpu)")
    s.add_argument("overrides", nargs="*", metavar="key=value", help="config overrides, e.g. data.train=[R.json]")
    s.add_argument("--out", required=True, help="run folder: OUT/base and OUT/reasoner-KIND")
    s.add_argument("--base", help="a trained base bundle: skip the base stage")
    s.add_argument("--resume", action="store_true", help="continue killed stages from their checkpoints")
    s.set_defaults(func=_run_plugin)
    s = sub.add_parser("ssf", help="SSF's ShapeInit + ShapeOpt on person crops of rendered scenes",
                       description="Train SSF's body networks (supplement §2.2, docs/ssf.md) on crops of rendered "
                                   "scenes; writes OUT/shape.pt for hupor ssf --shape-model.")
    s.add_argument("--config", default="ssf-cpu", help="SSF training config: bundled name or YAML (default ssf-cpu)")
    s.add_argument("overrides", nargs="*", metavar="key=value", help="config overrides, e.g. steps=100")
    s.add_argument("--out", required=True, help="run folder")
    s.add_argument("--resume", action="store_true", help="continue the run in OUT from its newest checkpoint")
    s.set_defaults(func=_run_ssf)
    s = sub.add_parser("pairs", help="RefineNet training pairs from a trained detector+reasoner")
    s.add_argument("--config", default="cpu-tiny")
    s.add_argument("overrides", nargs="*", metavar="key=value")
    s.add_argument("--bundle", required=True, help="bundle with detector (+ reasoner)")
    s.add_argument("--records", nargs="+", help="canonical records with images (default: data.train)")
    s.add_argument("--out", required=True, help="output .npz")
    s.add_argument("--max-dist", type=float, default=None, help="pelvis match distance, network-input px "
                   "(default 30 at 832 px width, scaled with input.net_w)")
    s.add_argument("--flip", action="store_true", help="flip test (average with the mirrored image)")
    s.add_argument("--limit", type=int, default=0, help="use at most this many images (0 = all)")
    s.add_argument("--threads", type=int, default=1, help="torch CPU threads (default 1)")
    s.add_argument("--no-progress", action="store_true", help="no progress bar (drawn only on a terminal)")
    s.set_defaults(func=_run_pairs)
    s = sub.add_parser("synth-pairs", help="synthetic RefineNet pairs: mocap skeletons through a noise model "
                       "measured on real pairs (hupor.lift)")
    s.add_argument("--config", default="cpu-tiny", help="network input size and scene settings (data.synth.options)")
    s.add_argument("overrides", nargs="*", metavar="key=value")
    src = s.add_mutually_exclusive_group(required=True)
    src.add_argument("--calibrate", help="real pairs (.npz of 'hupor train pairs') to measure the noise on")
    src.add_argument("--noise", help="a noise model instead: 'coco' (a COCO 2D detector, for hupor lift) or a "
                     ".noise.json file")
    s.add_argument("--scenes", type=int, default=20000, help="skeleton scenes to draw (default 20000)")
    s.add_argument("--seed", type=int, default=0, help="scene and noise seed (default 0)")
    s.add_argument("--flat-z", action="store_true", help="no relative depth: every joint at the root depth "
                   "(pairs for a 2D-only lifter)")
    s.add_argument("--augment", action="store_true", help="pose, bone-length and camera augmentation of the "
                   "skeletons (sitting, crouching, bending, joint angles, limbs exchanged; hupor.lift.augment)")
    s.add_argument("--out", required=True, help="output .npz (the fitted noise model goes to OUT.noise.json)")
    s.add_argument("--no-progress", action="store_true", help="no progress bar (drawn only on a terminal)")
    s.set_defaults(func=_run_synth_pairs)
    s = sub.add_parser("export", help="combine stage weights / checkpoints / bundles into one bundle")
    s.add_argument("--detector", help="detector part (OUT/detector.pt, a .ckpt or a bundle)")
    s.add_argument("--reasoner", help="reasoner part")
    s.add_argument("--refiner", help="refiner part")
    s.add_argument("--base", help="base bundle for the parts not given")
    s.add_argument("--out", required=True, help="output bundle path")
    s.add_argument("--decode", metavar="CONFIG", help="take the bundle's decode: section (decoder settings, "
                   "root-depth offsets) from this experiment config (bundled name or YAML path)")
    s.add_argument("--method", choices=("hupor", "lift", "higherhrnet", "pifpaf"), default=None,
                   help="lift: a refiner alone, the model of 'hupor lift' (default: the detector config's model.method)")
    s.set_defaults(func=_run_export)
    return p


def _run_stage(args) -> int:
    from ..train.config import load_experiment
    from ..train.run import run_stage

    cfg = load_experiment(args.config, args.overrides)
    res = run_stage(args.stage, cfg, args.out, resume=args.resume, base_bundle=args.bundle, init=args.init,
                    overwrite=args.overwrite)
    if res.weights is not None:
        print(f"{args.stage}: {res.global_step} steps; weights {res.weights}")
        shown = {k: round(v, 5) for k, v in sorted(res.metrics.items()) if "/" in k}
        print("final metrics: " + ", ".join(f"{k}={v}" for k, v in shown.items()))
        if res.bundle is not None:
            print(f"bundle {res.bundle}")
    return 0


def _run_pairs(args) -> int:
    from ..data.datasets import load_records
    from ..methods import method_from_bundle
    from ..nets import load_bundle
    from ..train.config import load_experiment
    from ..train.refiner_data import make_pairs, save_pairs

    import torch

    from ..fileio import check_output_file

    check_output_file(args.out, "--out")
    torch.set_num_threads(max(1, args.threads))
    cfg = load_experiment(args.config, args.overrides)
    bundle = load_bundle(args.bundle)
    paths = args.records or cfg.data.train
    records = load_records(paths)
    if args.limit:
        records.records = records.records[: args.limit]
    method = method_from_bundle(bundle, flip_test=args.flip)
    from ..progress import enabled

    pairs = make_pairs(method, records, max_dist_net=args.max_dist, progress=enabled(args.no_progress))
    save_pairs(args.out, pairs)
    print(f"{len(pairs.features)} pairs from {pairs.num_images} images "
          f"({pairs.num_gt} ground-truth people, {pairs.num_pred} detected) -> {args.out}")
    return 0


def _run_synth_pairs(args) -> int:
    import numpy as np

    from ..config import from_dict
    from ..data.synth import SceneConfig, SkeletonScenes
    from ..errors import HuporError
    from ..fileio import check_output_file, require_regular_file, write_json_atomic
    from ..lift import calibrate, load_noise, synthetic_pairs
    from ..progress import enabled
    from ..skeleton import get_skeleton
    from ..train.config import load_experiment
    from ..train.refiner_data import save_pairs

    check_output_file(args.out, "--out")
    if args.scenes < 1:
        raise HuporError(f"--scenes: must be at least 1, got {args.scenes}")
    cfg = load_experiment(args.config, args.overrides)
    skeleton = get_skeleton(cfg.model.skeleton)
    if args.noise:
        noise = load_noise(args.noise)
    else:
        require_regular_file(args.calibrate, "--calibrate")
        with np.load(args.calibrate, allow_pickle=False) as z:
            missing = [k for k in ("features", "target", "gt_net", "visibility", "gt_root_cm") if k not in z]
            if missing:
                raise HuporError(f"--calibrate {args.calibrate}: no {missing[0]!r} array (pairs written before "
                                 "hupor.lift; make them again with 'hupor train pairs')")
            noise = calibrate(z["features"], z["target"], z["gt_net"], z["visibility"], z["gt_root_cm"],
                              skeleton.root, flip=skeleton.flip)
    noise.flat_z = noise.flat_z or bool(args.flat_z)
    scene_cfg = from_dict(SceneConfig, dict(cfg.data.synth.options), "data.synth.options")
    scenes = SkeletonScenes(scene_cfg, seed=args.seed, length=args.scenes)
    if args.augment:
        from ..lift.augment import AugmentedScenes

        scenes = AugmentedScenes(scenes, seed=args.seed + 1)
    cp = cfg.codec_params
    pairs = synthetic_pairs(noise, scenes, cp.net_w, cp.net_h, skeleton.root, seed=args.seed,
                            progress=enabled(args.no_progress), hint_channel=cfg.model.refiner.hint_channel)
    save_pairs(args.out, pairs)
    write_json_atomic(str(args.out) + ".noise.json", noise.to_dict())
    print(f"{len(pairs.features)} synthetic pairs from {args.scenes} scenes (unrefined MPJPE "
          f"{pairs.stats.get('mpjpe_cm_unrefined', float('nan')):.1f} cm) -> {args.out}")
    return 0


def _run_plugin(args) -> int:
    from pathlib import Path

    from ..errors import HuporError
    from ..train.config import load_experiment
    from ..train.run import run_stage

    cfg = load_experiment(args.config or f"{args.method}-cpu", args.overrides)
    if cfg.model.method != args.method:
        raise HuporError(f"--method {args.method}: the config's model.method is {cfg.model.method!r}")
    out = Path(args.out)
    base = args.base
    if base is None:
        done = out / "base" / "bundle.pt"
        if args.resume and done.is_file():
            base = str(done)
        else:
            res = run_stage("detector", cfg, out / "base", resume=args.resume and (out / "base").is_dir())
            base = str(res.bundle)
            print(f"base network: {res.global_step} steps; bundle {base}")
    if args.reasoner == "none":
        return 0
    import dataclasses

    rcfg = dataclasses.replace(cfg, model=dataclasses.replace(
        cfg.model, reasoner=dataclasses.replace(cfg.model.reasoner, kind=args.reasoner)))
    rdir = out / f"reasoner-{args.reasoner}"
    res = run_stage("reasoner", rcfg, rdir, resume=args.resume and rdir.is_dir(), base_bundle=base)
    print(f"reasoner ({args.reasoner}): {res.global_step} steps; bundle {res.bundle}")
    return 0


def _run_ssf(args) -> int:
    from ..config import load_config
    from ..ssf.train import ShapeTrainConfig, train_shape

    cfg = load_config(ShapeTrainConfig, args.config, args.overrides)
    res = train_shape(cfg, args.out, resume=args.resume)
    val = {k: round(v, 4) for k, v in res["metrics"].items() if k.startswith("val/") and k.endswith("total")}
    print(f"SSF shape model: {res['train_crops']} training crops, validation {val}; {res['shape']}")
    return 0


def _run_export(args) -> int:
    from ..errors import HuporError
    from ..fileio import check_output_file
    from ..train.config import STAGES
    from ..train.export import export_bundle

    check_output_file(args.out, "--out")

    parts = {k: getattr(args, k) for k in STAGES if getattr(args, k)}
    if not parts and not args.base:
        raise HuporError("export: give at least one of --detector, --reasoner, --refiner, --base")
    decode = None
    if args.decode:
        from ..train.config import load_experiment

        decode = load_experiment(args.decode).decode
    path = export_bundle(args.out, parts, args.base, decode=decode, method=args.method)
    print(f"bundle {path}")
    return 0
