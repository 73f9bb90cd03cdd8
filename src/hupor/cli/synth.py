"""``hupor synth``: render a synthetic multi-person occlusion dataset from motion capture.

``--scenes N``: N independent images (``images/`` + ``annotations.json``). ``--sequence FRAMES``: one
synthetic video instead (``video.mp4``, mp4v at ``--fps``, people walking through and behind each
other, fixed camera) with one record per frame and a persistent ``meta.person_ids`` (docs/video.md)."""

from __future__ import annotations

import argparse


def _pair(text: str, sep: str, what: str) -> tuple[int, int]:
    try:
        a, b = (int(x) for x in text.lower().split(sep))
    except ValueError:
        raise argparse.ArgumentTypeError(f"{what} must look like A{sep}B with integers, got {text!r}") from None
    return a, b


def register(subparsers) -> argparse.ArgumentParser:
    p = subparsers.add_parser("synth", help="render synthetic multi-person scenes with occlusion labels",
                              description=__doc__)
    p.add_argument("--out", required=True, help="output folder (images/ and annotations.json)")
    p.add_argument("--scenes", type=int, help="number of scenes (or --sequence)")
    p.add_argument("--sequence", type=int, metavar="FRAMES",
                   help="write one video of FRAMES frames instead: people walking across each other")
    p.add_argument("--fps", type=float, default=30.0, help="frame rate of --sequence (default 30)")
    p.add_argument("--seed", type=int, default=0, help="dataset seed (scene i depends on seed and i only)")
    p.add_argument("--size", type=lambda s: _pair(s, "x", "--size"), default=None, metavar="WxH",
                   help="image size in px (default 832x512)")
    p.add_argument("--people", type=lambda s: _pair(s, "-", "--people"), default=None, metavar="MIN-MAX",
                   help="people per scene (default 1-8; a --sequence has MAX people, default 4)")
    p.add_argument("--workers", type=int, default=1, help="parallel processes")
    p.add_argument("--format", choices=("jpg", "png"), default="jpg", help="image format")
    p.add_argument("--crowdpose", action="store_true",
                   help="also write OUT/crowdpose.json: the scenes as CrowdPose-format ground truth (14 joints, "
                        "crowdIndex per image) for hupor eval crowdpose")
    p.add_argument("--maps", action="store_true",
                   help="also write NNNNNN_ids.png (person ids) and NNNNNN_depth.png (mm, uint16)")
    p.add_argument("--motion-dir", default=None,
                   help="folder of DeepMimic clips + humanoid.urdf (default: the pybullet install)")
    p.add_argument("--config", default=None, help="YAML with SceneConfig fields")
    p.add_argument("--preset", choices=("h36m",), default=None,
                   help="bundled scene settings: h36m = single-person Human3.6M-like scenes with the 17 H36M "
                        "joints in each record (configs/synth-h36m.yaml; --set overrides it)")
    p.add_argument("--set", nargs="*", default=[], metavar="KEY=VALUE", help="SceneConfig overrides")
    from ..progress import add_flag

    add_flag(p)
    p.set_defaults(func=run)
    return p


SYNTH_BYTES_PER_PIXEL = 300  # renderer buffers per image pixel (measured ~240 at 2048x2048, plus margin)


def check_scene_size(width: int, height: int, workers: int = 1, flag: str = "--size", available=None) -> None:
    """Refuse, before anything is written, an image size the images' readers refuse (``media.MAX_SIDE``,
    ``MAX_PIXELS``) or whose rendering (``workers`` images at once) needs more memory than is available."""
    from ..errors import HuporError
    from ..media import MAX_PIXELS, MAX_SIDE
    from ..memory import check_memory, image_bytes

    if width < 32 or height < 32 or max(width, height) > MAX_SIDE or width * height > MAX_PIXELS:
        raise HuporError(f"{flag} {width}x{height}: each side must lie in [32, {MAX_SIDE}] px and the image hold at "
                         f"most {MAX_PIXELS // 1_000_000} MP (the limit of hupor's image readers)")
    check_memory(image_bytes(width, height, SYNTH_BYTES_PER_PIXEL, workers), f"{flag} {width}x{height}", available,
                 hint="choose a smaller size (or fewer --workers)")


def run(args) -> int:
    import numpy as np

    from ..config import load_config
    from ..data.synth import SceneConfig, generate
    from ..errors import HuporError
    from ..fileio import check_output_dir
    from ..progress import enabled

    if (args.scenes is None) == (args.sequence is None):
        raise HuporError("hupor synth: give exactly one of --scenes N or --sequence FRAMES")
    check_output_dir(args.out, "--out")
    overrides = list(args.set)
    if args.size:
        overrides += [f"width={args.size[0]}", f"height={args.size[1]}"]
    if args.people:
        overrides += [f"min_people={args.people[0]}", f"max_people={args.people[1]}"]
    if args.preset and args.config:
        raise HuporError("hupor synth: give --preset or --config, not both")
    config = load_config(SceneConfig, f"synth-{args.preset}" if args.preset else args.config, overrides)
    check_scene_size(config.width, config.height, max(1, args.workers), "--size" if args.size else "width/height")
    if args.sequence is not None:
        from ..data.synth.sequence import generate_sequence

        people = args.people[1] if args.people else 4
        path = generate_sequence(args.out, args.sequence, args.seed, config, args.fps, people,
                                 args.motion_dir, progress=enabled(args.no_progress))
        print(f"wrote {args.sequence} frames ({people} people, {args.fps:g} fps): {path}")
        return 0
    path = generate(args.out, args.scenes, args.seed, config, workers=args.workers,
                    image_format=args.format, motion_dir=args.motion_dir, progress=enabled(args.no_progress),
                    maps=args.maps)
    print(f"wrote {args.scenes} scenes: {path}")
    if args.crowdpose:
        from pathlib import Path

        from ..eval.crowdpose_gt import records_to_crowdpose
        from ..fileio import write_json_atomic
        from ..records import RecordSet

        gt = records_to_crowdpose(RecordSet.load(path))
        out = Path(args.out) / "crowdpose.json"
        write_json_atomic(out, gt)
        ci = np.array([im["crowdIndex"] for im in gt["images"]])
        print(f"wrote {out}: {len(gt['annotations'])} people; crowd index easy (< 0.2) {int((ci < 0.2).sum())}, "
              f"medium {int(((ci >= 0.2) & (ci < 0.8)).sum())}, hard (>= 0.8) {int((ci >= 0.8).sum())} images")
    return 0
