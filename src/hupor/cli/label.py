"""``hupor label``: SSF occlusion labels for records that have 3D people but no (or untrusted) labels.

    hupor label muco.json --out muco-ssf.json

Every person's capsule body is rebuilt from its 3D joints and all people of an image are labelled
together (``hupor.ssf``, docs/ssf.md): visibility 2 / 1 / 0 and the cause (person, self,
truncated) replace the records' own. Object occlusion needs masks, which this step does not read.
"""

from __future__ import annotations

import argparse


def register(subparsers) -> argparse.ArgumentParser:
    p = subparsers.add_parser("label", help="SSF occlusion labels from the people's 3D (capsule body)",
                              description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("records", help="canonical records JSON with 3D joints")
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

    check_output_file(args.out, "--out")
    rs = RecordSet.load(args.records)
    recs, stats = relabel_records(rs.records)
    out_dir = Path(args.out).resolve().parent
    if rs.root is not None and Path(rs.root).resolve() != out_dir:  # image paths stay valid from the new file
        recs = [r if Path(r.path).is_absolute() else
                dataclasses.replace(r, path=os.path.relpath(Path(rs.root).resolve() / r.path, out_dir)) for r in recs]
    out = RecordSet(recs, rs.skeleton, rs.dataset, out_dir).save(args.out)
    print(f"{stats['images']} images, {stats['joints']} joints labelled, {stats['changed']} differ from the "
          f"input's labels -> {out}")
    return 0
