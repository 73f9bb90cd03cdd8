"""``hupor export``: model and pose exports.

    hupor export onnx [--bundle B] --out model.onnx [--input-size W H]
    hupor export bvh PRED.json --track N --out person.bvh
    hupor export csv PRED.json --out poses.csv

``onnx``: the bundle's detector + reasoner as one ONNX graph (conv–BN folded, dynamic batch, fixed
input size: the bundle's unless ``--input-size``): input ``image`` (B, 3, H, W) normalised
(``hupor.nets.preprocess``), outputs ``det57``, ``all57`` (B, J+3P, H/stride, W/stride) and
``root_depth`` (B, 7, H/stride, W/stride), raw codec scale: what ``HuporMethod.forward`` returns
before flip fusion. Needs the export extra: ``pip install "hupor[export]"``. (Training
checkpoints → bundles stay under ``hupor train export``.)

``bvh``: one track of a video prediction (``hupor predict clip.mp4 --track``) as BVH: MPI15 rooted at
the pelvis, cm, y up, offsets from the track's median bone lengths, the video's frame rate. ``csv``:
one row per frame, person and joint. Details: ``hupor.export_motion``, docs/video.md.
"""

from __future__ import annotations

import argparse


def register(subparsers) -> argparse.ArgumentParser:
    p = subparsers.add_parser("export", help="export a model (onnx) or poses (bvh, csv)",
                              description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    sub = p.add_subparsers(dest="export_command", metavar="FORMAT", required=True)
    s = sub.add_parser("onnx", help="detector + reasoner of a bundle as one ONNX graph (dynamic batch)")
    s.add_argument("--bundle", help="model bundle (default: the bundled model)")
    s.add_argument("--out", required=True, help="output .onnx file (written atomically)")
    s.add_argument("--input-size", type=int, nargs=2, metavar=("W", "H"),
                   help="network input size in px (multiples of 32; default: the bundle's)")
    s.add_argument("--check", action="store_true",
                   help="also run the file with onnxruntime and compare with torch on a random input")
    s.set_defaults(func=_run_onnx)
    b = sub.add_parser("bvh", help="one track of a video prediction as BVH (MPI15 rooted at the pelvis, cm)")
    b.add_argument("prediction", metavar="PRED.json", help="hupor-poses-video file (predict --track)")
    b.add_argument("--track", type=int, required=True, help="track_id to export")
    b.add_argument("--out", required=True, help="output .bvh file (written atomically)")
    b.add_argument("--fps", type=float, help="frame rate of the BVH (default: the file's video.fps; needed when "
                                             "that is 0, e.g. a webcam stream)")
    b.set_defaults(func=_run_motion)
    c = sub.add_parser("csv", help="a prediction as CSV: one row per frame, person (track) and joint")
    c.add_argument("prediction", metavar="PRED.json", help="hupor-poses or hupor-poses-video file")
    c.add_argument("--out", required=True, help="output .csv file (written atomically)")
    c.set_defaults(func=_run_motion)
    return p


def _run_motion(args) -> int:
    from ..export_motion import write_bvh, write_csv
    from ..fileio import check_output_file
    from ..schema import read_poses

    check_output_file(args.out, "--out")
    poses = read_poses(args.prediction)
    if args.export_command == "bvh":
        write_bvh(args.out, poses, args.track, fps=args.fps, name=f"{args.prediction}: ")
        print(f"{args.out}: track {args.track} of {args.prediction}")
    else:
        write_csv(args.out, poses, name=f"{args.prediction}: ")
        print(f"{args.out}: {args.prediction} as CSV")
    return 0


def _run_onnx(args) -> int:
    from ..errors import HuporError
    from ..methods.onnx_runtime import export_onnx, require
    from ..nets import load_bundle
    from ..predictor import _bundle_input_size, default_checkpoint

    require("onnx")
    path = args.bundle or default_checkpoint()
    bundle = load_bundle(path)
    w, h = args.input_size or _bundle_input_size(bundle)
    if w <= 0 or h <= 0 or w % 32 or h % 32:
        raise HuporError(f"--input-size: width and height must be positive multiples of 32, got {w} {h}")
    data = export_onnx(bundle.detector, bundle.reasoner, (w, h), args.out)
    stride = bundle.codec_config.stride
    print(f"{args.out}: {len(data) / 1e6:.1f} MB, input image (B, 3, {h}, {w}), outputs det57 / all57 "
          f"(B, 57, {h // stride}, {w // stride}), root_depth (B, 7, {h // stride}, {w // stride}); from {path}")
    if args.check:
        print(f"max |onnx - torch| / max |torch|: {_check(bundle, (w, h), args.out):.2e}")
    return 0


def _check(bundle, size, model) -> float:
    """Largest relative difference of the three outputs between the file (ORT) and the torch modules."""
    import torch

    from ..methods.onnx_runtime import OnnxForward
    from ..nets.fold import InferenceChain

    x = torch.randn(2, 3, size[1], size[0])
    with torch.inference_mode():
        ref = InferenceChain(bundle.detector, bundle.reasoner, fold=False)(x)
    got = OnnxForward(bundle, size, model=model)(x)
    return max(float((a - b).abs().max() / a.abs().max().clamp_min(1e-12)) for a, b in zip(ref, got))
