"""``hupor bench``: benchmarks that print figures.

    hupor bench e2e [--bundle B] [--seed S] [--scenes N] [--rows NAME ...] [--no-oracle] [--json F]
                    [--runtime R] [--precision P]
    hupor bench forward [--config C | --bundle B] [--runtime torch|folded|onnx] [--precision fp32|bf16|int8]
                        [--threads N] [--size WxH] [--repeats N] [key=value ...]

``e2e``: rendered scenes of the generator's default occlusion mix (832×512, 1–6 people) predicted by
the bundle (intrinsics passed), one row per network combination plus the oracle rows of the bundle's
configuration (``hupor.bench.e2e``; docs/results.md).

``forward``: median ms per frame (batch 1) of the detector and of the reasoner through
``HuporMethod.forward`` with the chosen runtime (``hupor.bench.forward``; docs/predict.md); randomly
initialised weights of ``--config`` unless ``--bundle`` is given. The last line is JSON.
"""

from __future__ import annotations

import argparse

from .synth import _pair


def add_scene_flags(p, seed: int, scenes: int, why: str) -> None:
    """``--bundle``, ``--seed``, ``--scenes``, ``--size``, ``--people``: the rendered scenes of a benchmark."""
    p.add_argument("--bundle", help="model bundle (default: the bundled model)")
    p.add_argument("--seed", type=int, default=seed, help=f"scene seed (default {seed}; {why})")
    p.add_argument("--scenes", type=int, default=scenes, help=f"number of scenes (default {scenes})")
    p.add_argument("--size", type=lambda v: _pair(v, "x", "--size"), default=(832, 512), metavar="WxH",
                   help="scene size in px (default 832x512)")
    p.add_argument("--people", type=lambda v: _pair(v, "-", "--people"), default=(1, 6), metavar="MIN-MAX",
                   help="people per scene (default 1-6)")


def register(subparsers) -> argparse.ArgumentParser:
    p = subparsers.add_parser("bench", help="benchmarks (e2e: the whole pipeline on rendered scenes)",
                              description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    sub = p.add_subparsers(dest="bench_command", metavar="BENCH", required=True)
    s = sub.add_parser("e2e", help="end to end on rendered scenes, with the oracle (ceiling) rows")
    add_scene_flags(s, 9100, 100, "never used in training")
    s.add_argument("--rows", nargs="+", help="only these rows (names as printed)")
    s.add_argument("--no-oracle", action="store_true", help="skip the oracle rows")
    s.add_argument("--side-oracle", action="store_true",
                   help="diagnostic: after each network row, the same predictions with each person's "
                        "left/right labelling chosen against the truth")
    s.add_argument("--threads", type=int, default=1, help="torch threads (default 1)")
    s.add_argument("--json", dest="json_out", help="also write the results as JSON here (atomic)")
    s.add_argument("--min-score", type=float, default=None, metavar="S",
                   help="person threshold of every row (default: the bundle's calibrated decode.person_threshold; "
                        "0: every decoded person)")
    add_precision_flags(s, "torch", "fp32", "the network rows' ")
    s.set_defaults(func=_run_e2e)
    f = sub.add_parser("forward", help="network forward time per frame (detector, reasoner) for a runtime")
    f.add_argument("--config", default="paper", help="config for random weights (default paper; ignored "
                                                     "with --bundle)")
    f.add_argument("overrides", nargs="*", metavar="key=value", help="config overrides")
    f.add_argument("--bundle", help="time this bundle's weights instead of random ones")
    add_precision_flags(f, "torch", "fp32")
    f.add_argument("--threads", type=int, default=1, help="torch / ORT threads (default 1)")
    f.add_argument("--size", type=lambda v: _pair(v, "x", "--size"), metavar="WxH",
                   help="network input size (default: the config's / bundle's)")
    f.add_argument("--repeats", type=int, default=5, help="timed runs of each network (default 5)")
    f.set_defaults(func=_run_forward)
    from .bench_real import add_parser as add_real

    add_real(sub)  # hupor bench real: the photo path on a real labelled set (cli/bench_real.py)
    from .bench_threshold import add_parser as add_threshold

    add_threshold(sub, add_scene_flags)  # hupor bench threshold: the bundle's person threshold (cli/bench_threshold.py)
    return p


def _run_forward(args) -> int:
    import json

    from ..bench.forward import random_bundle, time_forward
    from ..methods.precision import check_choice
    from ..nets import load_bundle

    check_choice(args.runtime, args.precision, "--")

    if args.size:
        from ..nets.config import check_input_size

        check_input_size(*args.size, "--size W", "--size H")  # 0x0 or 100000x100000: one line, before any model
    if args.bundle:
        bundle, what = load_bundle(args.bundle), f"bundle {args.bundle}"
    else:
        from ..train.config import load_experiment

        exp = load_experiment(args.config, args.overrides)
        bundle = random_bundle(exp.model, exp.codec_params.stride, (exp.input.net_w, exp.input.net_h))
        what = f"config {args.config}, random weights"
    if args.size:
        from ..memory import check_forward

        check_forward(bundle, tuple(args.size), "--size")  # the activations must fit in the memory available now
    t = time_forward(bundle, args.size, args.runtime, args.repeats, args.threads, args.precision)
    print(f"{what}: input {t['size']}, runtime {t['runtime']} {t['precision']}, {t['threads']} thread(s), batch 1, "
          f"median of {t['repeats']}")
    print(f"detector  {t['detector_ms']:9.1f} ms\nreasoner  {t['reasoner_ms']:9.1f} ms\n"
          f"total     {t['total_ms']:9.1f} ms")
    print(json.dumps({k: t[k] for k in ("detector_ms", "reasoner_ms", "total_ms", "runtime", "threads", "size",
                                        "precision")}))
    return 0


def _run_e2e(args) -> int:
    import json

    import torch

    from ..bench.e2e import E2ESpec, format_table, run_e2e
    from ..fileio import check_output_file, write_json_atomic
    from ..nets import load_bundle
    from ..methods.precision import check_choice
    from ..predictor import check_min_score, default_checkpoint

    check_choice(args.runtime, args.precision, "--")
    if args.min_score is not None:
        check_min_score(args.min_score, "--min-score")
    check_output_file(args.json_out, "--json")
    torch.set_num_threads(max(1, args.threads))
    (w, h), (lo, hi) = args.size, args.people
    spec = E2ESpec(seed=args.seed, scenes=args.scenes, width=w, height=h, min_people=lo, max_people=hi)
    path = args.bundle or default_checkpoint()
    bundle = load_bundle(path)
    results = run_e2e(bundle, spec, args.rows, oracle=not args.no_oracle, sides=args.side_oracle,
                      runtime=args.runtime, precision=args.precision, min_score=args.min_score)
    cp = bundle.codec_params()
    print(f"\nruntime {args.runtime}, precision {args.precision}")
    print(f"bundle {path}: input {cp.net_w}x{cp.net_h}, stride {cp.stride} ({cp.map_w}x{cp.map_h} maps); "
          f"{spec.scenes} scenes, seed {spec.seed}, {w}x{h}, {lo}-{hi} people, match {spec.match_px:.1f} px")
    print(format_table(results))
    record = {"bundle": str(path), "spec": spec.__dict__, "rows": results, "runtime": args.runtime,
              "precision": args.precision}
    if args.json_out:
        write_json_atomic(args.json_out, record)
    print(json.dumps({k: {"found": v["all"]["matched"], "annotated": v["all"]["instances"],
                          "all_pck_rel": v["all"]["pck_rel"], "all_pck_abs": v["all"]["pck_abs"],
                          "all_pck_occ": v["all"]["pck_occ"], "matched_mpjpe_rel": v["matched"]["mpjpe_rel"]}
                      for k, v in results.items()}))
    return 0


def add_precision_flags(p, runtime: str = "auto", precision: str = "auto", whose: str = "") -> None:
    """``--runtime`` and ``--precision`` (no argparse choices: :func:`hupor.methods.precision.check_choice`
    refuses a bad value in one line, exit 2)."""
    p.add_argument("--runtime", default=runtime, metavar="R",
                   help=f"what runs {whose}networks: auto (ONNX Runtime when installed, else folded torch), torch, "
                        f"folded (conv-BN folded torch) or onnx (default {runtime}; docs/predict.md)")
    p.add_argument("--precision", default=precision, metavar="P",
                   help=f"{whose}network precision: auto (the fastest that keeps the accuracy), fp32, bf16 "
                        f"(torch autocast) or int8 (ONNX Runtime, quantized in memory) (default {precision})")
