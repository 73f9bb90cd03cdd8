"""``hupor preview``: a contact sheet (PNG grid) of a dataset with its skeletons drawn."""

from __future__ import annotations


def register(subparsers):
    p = subparsers.add_parser("preview", help="contact sheet of a dataset (skeletons on images)",
                              description=__doc__ + " Visible joints are filled, occluded ones hollow.")
    p.add_argument("source", help="records JSON, or a folder holding annotations.json")
    p.add_argument("--out", required=True, help="output PNG")
    p.add_argument("--max", type=int, default=16, help="at most this many images")
    p.add_argument("--cell-width", type=int, default=320, help="width of each cell in px")
    p.set_defaults(func=run)
    return p


def run(args) -> int:
    from ..errors import HuporError
    from ..viz.sheet import write_contact_sheet

    from ..fileio import check_output_file

    if args.max < 1 or args.cell_width < 16:
        raise HuporError("--max must be >= 1 and --cell-width >= 16")
    check_output_file(args.out, "--out")
    path = write_contact_sheet(args.source, args.out, args.max, args.cell_width)
    print(f"wrote {path}")
    return 0
