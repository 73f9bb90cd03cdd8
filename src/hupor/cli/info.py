"""``hupor info``: parameter counts and output sizes of the networks of an experiment config."""

from __future__ import annotations

import argparse


def register(subparsers) -> argparse.ArgumentParser:
    p = subparsers.add_parser(
        "info", help="parameter counts of the networks of a config",
        description="Print the parameter counts of the detector, the reasoner (training and inference) "
                    "and the RefineNet (GCN and MLP) of an experiment config. Models are built on the "
                    "meta device, so even the paper config is instant and uses no memory.")
    p.add_argument("--config", default="paper", help="bundled config name (paper, cpu-tiny) or a YAML file")
    p.add_argument("overrides", nargs="*", metavar="key=value",
                   help="config overrides, e.g. model.detector.stages=2")
    p.add_argument("--time", type=int, default=0, metavar="N",
                   help="also build the configured models for real and time N forward passes (batch 1, "
                        "eval mode) of the detector and the reasoner's student path at the input size "
                        "(the code of hupor bench forward)")
    p.add_argument("--device", default="cpu", help="device for --time (cpu, cuda)")
    p.add_argument("--threads", type=int, default=1, help="torch CPU threads for --time")
    p.set_defaults(func=run)
    return p


def model_table(model, inp, stride: int = 4) -> list[tuple[str, int]]:
    """(label, parameter count) rows for ``model`` (:class:`ModelConfig`) at ``inp`` (InputConfig)."""
    import dataclasses

    import torch

    from ..nets import DSED, Detector, RefineNet
    from ..nets.blocks import count_parameters
    from ..skeleton import get_skeleton

    skeleton = get_skeleton(model.skeleton)
    rows: list[tuple[str, int]] = []
    with torch.device("meta"):
        stage_counts = sorted({2, 3, model.detector.stages})
        for n in stage_counts:
            det = Detector(dataclasses.replace(model.detector, stages=n), skeleton, stride)
            mark = " (configured)" if n == model.detector.stages else ""
            rows.append((f"detector, {n} stages{mark}", count_parameters(det)))
        rcfg = model.reasoner
        dsed = DSED(rcfg, skeleton, stride)
        total = count_parameters(dsed)
        rows.append((f"reasoner {rcfg.kind}, {rcfg.stages} stages, training", total))
        rows.append((f"reasoner {rcfg.kind}, {rcfg.stages} stages, inference (student + decoder)",
                     total - count_parameters(dsed.teachers)))
        for kind in ("gcn", "mlp"):
            ref = RefineNet(dataclasses.replace(model.refiner, kind=kind), skeleton)
            mark = " (configured)" if kind == model.refiner.kind else ""
            rows.append((f"refinenet {kind}{mark}", count_parameters(ref)))
    return rows


def plugin_summary(model, inp) -> str:
    if model.method == "pifpaf":
        p, b = model.pifpaf, model.pifpaf.backbone
        s = (32 if b.maxpool else 16) // p.upsample
        return (f"PifPaf, ResNet {b.block} layers {list(b.layers)} width {b.width}, input {inp.net_w}x{inp.net_h} "
                f"(W x H), {p.joints} joints, fields at stride {s} ({inp.net_w // s}x{inp.net_h // s})")
    h = model.higherhrnet
    return (f"HigherHRNet-W{h.hrnet.width}, input {inp.net_w}x{inp.net_h} (W x H), {h.joints} joints, "
            f"heatmaps at 1/4 and 1/2 ({inp.net_w // 4}x{inp.net_h // 4}, {inp.net_w // 2}x{inp.net_h // 2}), "
            f"HRNet modules {list(h.hrnet.modules)} x blocks {list(h.hrnet.blocks)}")


def plugin_table(model) -> list[tuple[str, int]]:
    """(label, parameter count) rows of a 2D plug-in config (``model.method`` higherhrnet / pifpaf),
    the reasoner inserted between its base network and decoder last."""
    import torch

    from ..nets.blocks import count_parameters
    from ..nets.bundle import build_net

    with torch.device("meta"):
        rea = build_net("reasoner", model)
    r = model.reasoner
    return _plugin_base_rows(model) + [(f"reasoner ({r.kind}, {r.stages} stage(s), {rea.skeleton.name} maps at "
                                        "stride 4; not in the total)", count_parameters(rea))]


def _plugin_base_rows(model) -> list[tuple[str, int]]:
    import torch

    from ..nets.blocks import count_parameters

    if model.method == "pifpaf":
        from ..plugins.pifpaf import PifPaf

        with torch.device("meta"):
            net = PifPaf(model.pifpaf)
        return [("ResNet backbone", count_parameters(net.backbone)),
                (f"PIF head ({net.joint_set.num_joints} joints x 5 channels)", count_parameters(net.pif)),
                (f"PAF head ({len(net.limbs)} limbs x 7 channels)", count_parameters(net.paf)),
                ("total", count_parameters(net))]
    from ..plugins.higherhrnet import HigherHRNet

    with torch.device("meta"):
        net = HigherHRNet(model.higherhrnet)
    paf = count_parameters(net.paf_head)
    total = count_parameters(net)
    return [("HigherHRNet (base network: backbone, heatmaps, tags, deconvolution)", total - paf),
            (f"  of which the HRNet-W{model.higherhrnet.hrnet.width} backbone", count_parameters(net.backbone)),
            (f"PAF branch ({len(net.limbs)} limbs x 2 channels)", paf),
            ("total", total)]


def _print_rows(header, rows) -> int:
    if header:
        print(header)
    width = max(len(label) for label, _ in rows)
    print()
    print(f"{'network'.ljust(width)}  parameters")
    for label, n in rows:
        print(f"{label.ljust(width)}  {n / 1e6:9.3f} M  ({n:,})")
    return 0


def run(args) -> int:
    from ..train.config import load_experiment

    if args.time:
        from ..device import check_device

        check_device(args.device)
    exp = load_experiment(args.config, args.overrides)
    model, inp = exp.model, exp.input
    if model.method in ("higherhrnet", "pifpaf"):
        if args.time:
            from ..errors import HuporError

            raise HuporError(f"--time: not available for model.method {model.method} yet")
        return _print_rows(f"config {args.config}: {plugin_summary(model, inp)}", plugin_table(model))
    cp = exp.codec_params
    print(f"config {args.config}: input {inp.net_w}x{inp.net_h} (W x H), output maps {cp.map_w}x{cp.map_h} "
          f"at stride {cp.stride}")
    d, r = model.detector, model.reasoner
    print(f"detector: {d.stages} stages, blocks {list(d.blocks)}, widths {list(d.widths)}, "
          f"stem {d.stem_width}, decoder {d.decoder_width}")
    print(f"reasoner: {r.kind}, {r.stages} stages, blocks {list(r.blocks)}, widths {list(r.widths)}, "
          f"decoder {r.decoder_width}, supervised blocks {list(r.supervised_blocks)}")
    print(f"refiner: {model.refiner.kind}, hidden {model.refiner.hidden}, layers {model.refiner.layers}")
    _print_rows(None, model_table(model, inp, cp.stride))
    if args.time > 0:
        from ..bench.forward import random_bundle, time_forward

        bundle = random_bundle(model, cp.stride, (inp.net_w, inp.net_h), args.device)
        t = time_forward(bundle, repeats=args.time, threads=args.threads)
        print()
        print(f"forward time, batch 1, {args.device}, {args.threads} thread(s), median of {args.time}: "
              f"detector {t['detector_ms']:.1f} ms, reasoner (student) {t['reasoner_ms']:.1f} ms; "
              f"weights {t['weights_mb']:.1f} MB (float32)")
    return 0
