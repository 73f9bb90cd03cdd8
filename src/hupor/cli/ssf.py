"""``hupor ssf``: SSF occlusion labels for records whose labels are missing or untrusted.

    hupor ssf --records muco.json --out muco-ssf.json

Records with 3D people: every person's capsule body is rebuilt from its 3D joints and all people of
an image are labelled together (``hupor.ssf``, docs/ssf.md): visibility 2 / 1 / 0 and the cause
(person, self, truncated; object where the record's instance mask shows an occluder) replace the
records' own. Records with 2D joints only (COCO-like) need an instance mask: depth order comes from
the mask, each body (for self-occlusion) is lifted from its 2D joints, or, with --shape-model (a
``hupor train ssf`` run's shape.pt), fitted to the image and mask by ShapeInit and ShapeOpt.
"""

from __future__ import annotations

import argparse


def register(subparsers) -> argparse.ArgumentParser:
    p = subparsers.add_parser("ssf", help="SSF occlusion labels from the people's 3D (capsule body)",
                              description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--records", required=True, help="canonical records JSON with 3D joints (and optional masks), "
                                                    "or 2D joints with instance masks")
    p.add_argument("--body", choices=("capsule", "smpl"), default="capsule",
                   help="body model for records with 3D: capsule (the renderer's, default) or smpl (your own SMPL "
                        "files, --smpl-dir; needs pip install smplx)")
    p.add_argument("--smpl-dir", help="with --body smpl: folder with SMPL_NEUTRAL.npz or SMPL_NEUTRAL.pkl")
    p.add_argument("--shape-model", help="records with 2D only: fit each body with SSF's ShapeInit + ShapeOpt "
                                         "(OUT/shape.pt of hupor train ssf) on the image instead of lifting it")
    p.add_argument("--refine-steps", type=int, default=0,
                   help="with --shape-model: per-image fit steps against the 2D joints and the mask (default 0)")
    p.add_argument("--out", required=True, help="output records JSON (atomic)")
    p.set_defaults(func=run)
    return p


def run(args) -> int:
    from ..fileio import check_output_file
    from ..records import RecordSet
    from ..ssf import relabel_records

    import dataclasses
    import os
    from pathlib import Path

    from ..errors import HuporError

    check_output_file(args.out, "--out")
    if (args.body == "smpl") != bool(args.smpl_dir):
        raise HuporError("--body smpl and --smpl-dir DIR go together")
    body = None
    if args.body == "smpl":
        from ..ssf.smpl import SMPLBody

        body = SMPLBody(args.smpl_dir)
    if args.refine_steps < 0 or (args.refine_steps and not args.shape_model):
        raise HuporError("--refine-steps: a count >= 0, with --shape-model")
    fitter = None
    if args.shape_model:
        from ..ssf.fit import ShapeFitter

        fitter = ShapeFitter(args.shape_model, refine_steps=args.refine_steps)
    rs = RecordSet.load(args.records)
    recs, stats = relabel_records(rs.records, rs.root, body=body, fitter=fitter)
    out_dir = Path(args.out).resolve().parent
    if rs.root is not None and Path(rs.root).resolve() != out_dir:  # image paths stay valid from the new file
        def moved(p):
            return p if p is None or Path(p).is_absolute() else os.path.relpath(Path(rs.root).resolve() / p, out_dir)

        recs = [dataclasses.replace(r, path=moved(r.path), mask=moved(r.mask)) for r in recs]
    out = RecordSet(recs, rs.skeleton, rs.dataset, out_dir).save(args.out)
    print(f"{stats['images']} images ({stats['masks']} with an instance mask, {stats['lifted']} labelled from 2D), "
          f"{stats['joints']} joints labelled, "
          f"{stats['changed']} differ from the input's labels -> {out}")
    return 0
