"""``hupor convert``: convert a real dataset's annotations into hupor's canonical records JSON."""

from __future__ import annotations

import argparse

KINDS = ("smap", "mupots", "muco", "coco", "crowdpose", "h36m")


def register(subparsers) -> argparse.ArgumentParser:
    p = subparsers.add_parser(
        "convert", help="convert dataset annotations to canonical records",
        description="Read a dataset's annotations (smap: SMAP json; mupots: release folder TS*/annot.mat or "
                    "Moon's MuPoTS-3D.json; muco: Moon's MuCo-3DHP.json; coco / crowdpose: keypoint json; "
                    "h36m: the per-subject json release folder) and write canonical records (atomic). "
                    "Prints what was read and what was dropped.")
    p.add_argument("kind", choices=KINDS)
    p.add_argument("src", help="source file or folder")
    p.add_argument("--out", required=True, help="output records .json")
    p.add_argument("--min-keypoints", type=int, default=3, help="coco/crowdpose: drop people with fewer (3)")
    p.add_argument("--image-prefix", help="coco/crowdpose/h36m: prefix for image paths "
                                          "(default: val2017/ etc. from the file name, images/)")
    p.add_argument("--subjects", type=int, nargs="+", help="h36m: subjects (default all present)")
    p.add_argument("--stride", type=int, default=1, help="h36m: keep frames with frame_idx %% stride == 0")
    p.add_argument("--cameras", type=int, nargs="+", help="h36m: cameras (default all)")
    p.set_defaults(func=run)
    return p


def run(args) -> int:
    from ..data.convert import convert
    from ..fileio import check_output_file

    check_output_file(args.out, "--out")
    opts = {}
    if args.kind in ("coco", "crowdpose"):
        opts = {"min_keypoints": args.min_keypoints, "image_prefix": args.image_prefix}
    elif args.kind == "h36m":
        opts = {"subjects": args.subjects, "stride": args.stride, "cameras": args.cameras}
        if args.image_prefix is not None:
            opts["image_prefix"] = args.image_prefix
    records, report = convert(args.kind, args.src, **opts)
    out = records.save(args.out)
    print(report.summary())
    print(f"wrote {len(records)} images to {out}")
    return 0
