"""``hupor lift``: 3D people from any 2D detector's COCO-format keypoints (no image needed).

    hupor lift results.json --coco-images person_keypoints_val2017.json --json-output out/
    hupor lift results.json --images photos/ --fov 60 --json-output out/

One ``hupor-poses`` JSON per image (docs/output-format.md; docs/lift.md for the model and its error).
"""

from __future__ import annotations

import argparse
from pathlib import Path


def register(subparsers) -> argparse.ArgumentParser:
    p = subparsers.add_parser("lift", help="3D poses from COCO-format 2D keypoints (mmpose, openpifpaf, ...)",
                              description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("results", help="COCO keypoint results JSON: [{image_id, keypoints: 51 numbers, score}]")
    sizes = p.add_mutually_exclusive_group(required=True)
    sizes.add_argument("--coco-images", metavar="JSON", help="COCO ground-truth / image-info JSON (its 'images' "
                       "list gives each image_id's width and height)")
    sizes.add_argument("--images", metavar="DIR", help="folder of the images, named by their id "
                       "(000000397133.jpg); only the headers are read")
    cam = p.add_mutually_exclusive_group()
    cam.add_argument("--fx", type=float, help="focal length in px (fy = fx, principal point at the centre)")
    cam.add_argument("--fov", type=float, metavar="DEG", help="horizontal field of view in degrees")
    cam.add_argument("--intrinsics", metavar="FILE", help='JSON file: {"K": 3x3} or {"fx", "fy", "cx", "cy"} in px')
    p.add_argument("--json-output", metavar="DIR", default="hupor-lift", help="output folder (default hupor-lift)")
    p.add_argument("--model", help="lift model bundle (default: the bundled hupor/assets/lift.pt)")
    p.add_argument("--threshold", type=float, default=0.3,
                   help="keypoints scoring below this are absent and inferred by the lifter (default 0.3)")
    p.add_argument("--root-threshold", type=float, default=0.05,
                   help="keypoints scoring at least this (and below --threshold) are hints: hips anchor an "
                        "occluded pelvis, and a model with a hint channel (the bundled one) reads them all "
                        "(default 0.05)")
    p.add_argument("--min-score", type=float, default=0.0, help="skip detections scoring below this (default 0)")
    add_floor_flags(p)
    from ..progress import add_flag

    add_flag(p)
    p.set_defaults(func=run)
    return p


def add_floor_flags(p) -> None:
    """``--camera-height`` / ``--pitch`` (``hupor lift``, ``hupor predict --2d``)."""
    p.add_argument("--camera-height", type=float, metavar="MM",
                   help="a known floor: the camera's height above it in mm (a fixed camera); the lifter's root depth "
                        "is then the geometric mean of the body-size depth and the depth that puts the feet on the floor")
    p.add_argument("--pitch", type=float, metavar="DEG",
                   help="with --camera-height: the camera's downward pitch in degrees (default 0, level; roll 0)")


def floor_from_args(args):
    """The :class:`hupor.lift.floor.Floor` of ``--camera-height`` / ``--pitch``, or None."""
    from ..errors import HuporError

    if args.pitch is not None and args.camera_height is None:
        raise HuporError("--pitch: give --camera-height too (the floor needs both)")
    if args.camera_height is None:
        return None
    from ..lift.floor import Floor

    return Floor(args.camera_height, args.pitch or 0.0)


def default_lift_model() -> Path:
    from ..predictor import ASSETS

    return ASSETS / "lift.pt"


def run(args) -> int:
    import numpy as np

    from ..errors import HuporError
    from ..fileio import check_output_dir
    from ..lift.coco import read_image_sizes, read_results
    from ..lift.lifter import Lifter
    from ..media import load_intrinsics
    from ..nets import load_bundle
    from ..predictor import resolve_intrinsics, to_prediction
    from ..camera import Letterbox
    from ..schema import write_poses

    if not 0 <= args.threshold <= 1:
        raise HuporError(f"--threshold: must be in [0, 1], got {args.threshold}")
    check_output_dir(args.json_output, "--json-output")
    resolve_intrinsics(640, 480, fx=args.fx, fov_degrees=args.fov)       # bad --fx / --fov fail here
    K = load_intrinsics(args.intrinsics) if args.intrinsics else None
    results = read_results(args.results)
    sizes = read_image_sizes(args.coco_images, args.images)
    unknown = sorted(set(results) - set(sizes))
    if unknown:
        raise HuporError(f"{args.results}: image_id {unknown[0]} has no size in "
                         f"{args.coco_images or args.images} ({len(unknown)} ids without one)")
    floor = floor_from_args(args)
    bundle = load_bundle(args.model or default_lift_model())
    lifter = Lifter(bundle)
    model_info = {"name": Path(args.model).stem if args.model else "lift", "method": "lift",
                  "skeleton": bundle.skeleton.name}
    if floor is not None:
        model_info["floor"] = {"camera_height_mm": floor.camera_height_mm, "pitch_deg": floor.pitch_deg}
    out_dir = Path(args.json_output)
    out_dir.mkdir(parents=True, exist_ok=True)
    from ..progress import bar, enabled

    n_people = n_skipped = 0
    for image_id in bar(sorted(results), desc="lift", unit="img", show=enabled(args.no_progress)):
        w, h, name = sizes[image_id]
        dets = [(k, s) for k, s in results[image_id] if s >= args.min_score]
        intr, source = resolve_intrinsics(w, h, K=K, fx=args.fx, fov_degrees=args.fov)
        kp = np.stack([k for k, _ in dets]) if dets else np.zeros((0, 17, 3))
        poses = lifter.lift_coco(kp, w, h, intr, args.threshold, args.root_threshold, floor=floor)
        n_skipped += len(kp) - len(poses.joints_2d)
        pred = to_prediction(poses, Letterbox.fit(w, h, lifter.net_w, lifter.net_h), intr,
                             "file" if args.intrinsics else source)
        pred.path = name
        write_poses(out_dir / f"{Path(name).stem if name else image_id}.json", pred.to_json(bundle.skeleton, model_info))
        n_people += pred.num_persons
    print(f"{len(results)} images, {n_people} people lifted, {n_skipped} detections without a pelvis "
          f"(both hips, or one hip and both shoulders, scoring at least --root-threshold) -> {out_dir}")
    return 0
