"""``hupor eval``: score predictions with the official protocols (MuPoTS-3D, Human3.6M, COCO, CrowdPose)."""

from __future__ import annotations

import argparse


def register(subparsers) -> argparse.ArgumentParser:
    p = subparsers.add_parser(
        "eval", help="evaluate predictions (mupots, h36m, coco, crowdpose)",
        description="Evaluate hupor predictions (a hupor-poses JSON file or a folder of them) against a "
                    "dataset's ground truth with its official protocol; prints a table and optionally "
                    "writes the numbers as JSON. See docs/evaluation.md.")
    p.add_argument("protocol", choices=("mupots", "h36m", "coco", "crowdpose"))
    p.add_argument("--pred", required=True,
                   help="predictions: hupor JSON file or folder; for mupots also SMAP's result json "
                        "(3d_pairs) or the official preds_{2d,3d}_kpt_mupots.mat")
    p.add_argument("--gt", required=True,
                   help="ground truth: mupots: release folder (TS*/annot.mat) or M3E_gt.json or records; "
                        "h36m: json release folder or records; coco/crowdpose: the official json")
    p.add_argument("--json", dest="json_out", help="write the results as JSON here (atomic)")
    g = p.add_argument_group("mupots")
    g.add_argument("--variant", choices=("smap15", "mupots17"), default="smap15",
                   help="joint variant: SMAP/HUPOR 15 joints (default) or the official 17")
    g.add_argument("--setting", choices=("relative", "absolute", "both"), default="both",
                   help="root-relative (PCK_rel), absolute (PCK_abs) or both (default)")
    g.add_argument("--no-reproject", action="store_true",
                   help="SMAP result json: keep the RefineNet 3D instead of re-projecting 2D with depth")
    h = p.add_argument_group("h36m")
    h.add_argument("--subjects", type=int, nargs="+", default=[9, 11], help="test subjects (default 9 11)")
    h.add_argument("--stride", type=int, default=64, help="evaluate frames with frame_idx %% stride == 0 (64)")
    h.add_argument("--cameras", type=int, nargs="+", help="cameras to evaluate (default all)")
    from ..progress import add_flag

    add_flag(p)
    p.set_defaults(func=run)
    return p


def _mupots(args):
    from ..eval.mupots import evaluate_mupots
    from ..eval.mupots_io import read_gt, read_mupots_predictions
    from ..eval.report import mupots_table

    gts, notes = read_gt(args.gt, args.variant)
    from ..progress import enabled

    preds = read_mupots_predictions(args.pred, gts, reproject=not args.no_reproject,
                                    progress=enabled(args.no_progress))
    settings = ["relative", "absolute"] if args.setting == "both" else [args.setting]
    tables, out = [], {"protocol": "mupots", "variant": args.variant}
    for s in settings:
        res = evaluate_mupots(gts, preds, variant=args.variant, relative=(s == "relative"))
        res.notes[:0] = notes
        tables.append(mupots_table(res))
        out[s] = res.to_dict()
    return "\n\n".join(tables), out


def _h36m(args):
    from ..eval.h36m import evaluate_h36m_files
    from ..eval.report import h36m_table

    from ..errors import HuporError
    from ..progress import enabled

    if args.stride < 1:
        raise HuporError(f"--stride {args.stride}: must be >= 1 (frames with frame_idx % stride == 0)")
    res = evaluate_h36m_files(args.pred, args.gt, args.subjects, args.stride, args.cameras,
                              progress=enabled(args.no_progress))
    return h36m_table(res), res.to_dict()


def _ap(args):
    from ..eval.keypoint_ap import check_gt, detections_from_predictions, keypoint_ap
    from ..eval.predictions import read_predictions
    from ..eval.report import ap_table
    from ..fileio import read_json

    gt = check_gt(read_json(args.gt), args.protocol, str(args.gt))  # every field, before predictions are read
    from ..progress import enabled

    preds = read_predictions(args.pred, progress=enabled(args.no_progress))
    dets, notes = detections_from_predictions(preds, gt, args.protocol)
    stats = keypoint_ap(gt, dets, args.protocol, str(args.gt))
    if not dets:
        notes.append("no detections: every statistic is 0")
    return ap_table(args.protocol, stats, notes), {"protocol": args.protocol, "stats": stats,
                                                   "detections": len(dets), "notes": notes}


def run(args) -> int:
    from ..fileio import check_output_file, write_json_atomic

    check_output_file(args.json_out, "--json")  # before the (long) evaluation
    fn = {"mupots": _mupots, "h36m": _h36m, "coco": _ap, "crowdpose": _ap}[args.protocol]
    table, result = fn(args)
    print(table)
    if args.json_out:
        write_json_atomic(args.json_out, _json_safe(result))
        print(f"wrote {args.json_out}")
    return 0


def _json_safe(obj):
    """NaN/inf → None so the JSON is strict."""
    import math

    if isinstance(obj, dict):
        return {str(k): _json_safe(v) for k, v in obj.items()}
    if isinstance(obj, (list, tuple)):
        return [_json_safe(v) for v in obj]
    if isinstance(obj, float) and not math.isfinite(obj):
        return None
    if hasattr(obj, "item") and not isinstance(obj, (str, bytes)):
        return _json_safe(obj.item())
    return obj
