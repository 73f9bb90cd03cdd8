"""``hupor bench threshold``: calibrate a bundle's person-score threshold (``hupor.bench.threshold``).

    hupor bench threshold [--bundle B] [--seed 9200] [--scenes 60] [--out CALIBRATED.pt] [--json F]

Renders validation scenes of the default mix (never a test seed), predicts them once with every decoded
person, prints people written / found / precision / F1 and the scores for each candidate threshold,
and picks the one with the best F1 of recall and precision. ``--out`` writes a copy of the bundle with
``decode.person_threshold`` set to it: ``Predictor``, ``hupor predict``, ``hupor demo`` and
``hupor bench e2e`` then use it by default (``--min-score 0`` still writes every person).
"""

from __future__ import annotations


def add_parser(sub, scene_flags) -> None:
    """Adds ``threshold`` to the ``hupor bench`` sub-parsers (``scene_flags``: cli.bench.add_scene_flags)."""
    t = sub.add_parser("threshold", help="calibrate the bundle's person threshold on validation scenes",
                       description=__doc__.split("\n\n")[0])
    scene_flags(t, 9200, 60, "a validation seed: never a test seed")
    t.add_argument("--values", nargs="+", type=float, help="thresholds to try (default: 0 and score quantiles)")
    t.add_argument("--out", help="write the bundle with the chosen threshold here (atomic)")
    t.add_argument("--threads", type=int, default=1, help="torch threads (default 1)")
    t.add_argument("--json", dest="json_out", help="also write the table as JSON here (atomic)")
    t.set_defaults(func=run)


def run(args) -> int:
    import dataclasses

    import torch

    from ..bench.e2e import E2ESpec, render_scenes
    from ..bench.threshold import candidate_thresholds, choose_threshold, format_threshold_table, threshold_table
    from ..fileio import check_output_file, write_json_atomic
    from ..methods import HuporMethod
    from ..nets import load_bundle
    from ..predictor import Predictor, check_min_score, default_checkpoint
    from ..train.export import export_bundle

    check_output_file(args.out, "--out")
    check_output_file(args.json_out, "--json")
    for v in args.values or []:
        check_min_score(v, "--values")
    torch.set_num_threads(max(1, args.threads))
    path = args.bundle or default_checkpoint()
    bundle = load_bundle(path)
    (w, h), (lo, hi) = args.size, args.people
    spec = E2ESpec(seed=args.seed, scenes=args.scenes, width=w, height=h, min_people=lo, max_people=hi)
    scenes = render_scenes(spec)
    pred = Predictor(method=HuporMethod(bundle, runtime="torch"), min_score=0.0)
    preds = [pred.predict_arrays([img], K=rec.intrinsics)[0] for img, rec in scenes]
    records = [rec for _, rec in scenes]
    values = sorted(set(args.values)) if args.values else candidate_thresholds(preds)
    rows = threshold_table(preds, records, spec.match_px, values)
    best = choose_threshold(rows)
    print(f"bundle {path}: {spec.scenes} scenes, seed {spec.seed}; now decode.person_threshold "
          f"{bundle.decode_params.person_threshold:g}")
    print(format_threshold_table(rows, best["threshold"]))
    print(f"chosen: {best['threshold']:g} (recall {100 * best['recall']:.0f} %, precision "
          f"{100 * best['precision']:.0f} %)")
    if args.json_out:
        write_json_atomic(args.json_out, {"bundle": str(path), "spec": spec.__dict__, "rows": rows,
                                          "chosen": best["threshold"]})
    if args.out:
        decode = dataclasses.replace(bundle.decode_params, person_threshold=best["threshold"])
        export_bundle(args.out, {}, base_bundle=path, decode=decode)
        print(f"wrote {args.out}")
    return 0
