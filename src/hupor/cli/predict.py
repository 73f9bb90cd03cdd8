"""``hupor predict``: 3D poses for images, folders, videos and webcams → JSON, overlays, 3D plots.

Outputs per input ``NAME`` (the file name with its extension): ``NAME.json`` (``hupor-poses``, or
``hupor-poses-video`` for a video/webcam) in ``--json-output``; ``NAME.overlay.jpg`` (images) or
``NAME.overlay.avi`` (videos, MJPG) in ``--image-output``; ``NAME.3d.png`` with ``--plot3d`` (images
only). With ``--track`` (``--smooth``) people in videos carry a persistent ``track_id`` (and are
smoothed per track; docs/video.md). All files are written atomically. Failures are listed per input;
the exit code is 2 (a handled error) only when no input could be processed.
"""

from __future__ import annotations

import argparse
import os
import sys
from pathlib import Path


def register(subparsers) -> argparse.ArgumentParser:
    p = subparsers.add_parser("predict", help="predict 3D poses for images, folders, videos or a webcam",
                              description="3D poses for images, folders, videos and webcams: JSON, "
                                          "overlays, 3D plots.")
    p.add_argument("inputs", nargs="+", metavar="INPUT",
                   help="image or video files, folders of them, or a webcam index (e.g. 0)")
    p.add_argument("--checkpoint", help="model bundle (.pt); default: the bundled model (with --2d: the lift "
                                        "model, default the bundled lift.pt)")
    p.add_argument("--2d", dest="detector_2d", choices=("auto", "blazepose", "mediapipe", "none"), default="auto",
                   help="real photos: blazepose (BlazePose's pretrained 2D keypoints, pip install \"hupor[real]\"; "
                        "mediapipe is its old name) lifted to 3D by the image-free lifter; none: hupor's own "
                        "networks (the bundled model is synthetic-domain); auto (default): blazepose when "
                        "installed and no --checkpoint or network flag is given, else none (docs/lift.md)")
    p.add_argument("--tile", type=int, default=256, metavar="PX",
                   help="with --2d: tile side for finding small people (0: the whole frame only; default 256)")
    from .lift import add_floor_flags

    add_floor_flags(p)
    p.add_argument("--json-output", metavar="DIR",
                   help="folder for the JSON files (default: hupor-output when no other output is asked)")
    p.add_argument("--image-output", metavar="DIR", help="folder for overlay images / videos")
    p.add_argument("--plot3d", action="store_true", help="also write a 3D plot per image (matplotlib)")
    p.add_argument("--coco-results", metavar="FILE",
                   help="also write the images' people as COCO keypoint results (CrowdPose-14 joints, or the "
                        "model's COCO / CrowdPose joint set), for faster-coco-eval / pycocotools")
    p.add_argument("--coco-images", metavar="JSON",
                   help="with --coco-results: a COCO / CrowdPose JSON whose 'images' give the image ids (by file "
                        "name; default: numeric file names, else 1, 2, ...)")
    cam = p.add_mutually_exclusive_group()
    cam.add_argument("--fx", type=float, help="focal length in px (fy = fx, principal point at the centre)")
    cam.add_argument("--fov", type=float, metavar="DEG", help="horizontal field of view in degrees")
    cam.add_argument("--intrinsics", metavar="FILE",
                     help='JSON file: {"K": 3x3} or {"fx", "fy", "cx", "cy"} in px')
    p.add_argument("--device", default="cpu", help="cpu, cuda, cuda:N or mps (default cpu)")
    p.add_argument("--batch-size", type=int, default=1, help="images per network call (default 1)")
    p.add_argument("--flip", action="store_true", help="flip test: average with the mirrored image")
    p.add_argument("--grouping", choices=("ae", "paf"),
                   help="HigherHRNet plug-in models: group the peaks by the associative-embedding tags (ae, the "
                        "paper's) or by the PAF branch (paf); default the model's model.higherhrnet.grouping")
    p.add_argument("--scales", type=float, nargs="+", metavar="S",
                   help="2D plug-in models: multi-scale test, e.g. 0.5 1 2 (HigherHRNet's; default 1)")
    p.add_argument("--input-size", type=int, nargs=2, metavar=("W", "H"),
                   help="network input size in px (multiples of 32, at most 4096; default from the checkpoint)")
    p.add_argument("--max-frames", type=int, help="stop each video / webcam after this many frames")
    add_min_score(p)
    p.add_argument("--threads", type=int, default=1,
                   help="CPU threads for torch (default 1: the small default model runs in tens of ms on one "
                        "thread, and extra threads can be many times slower on a busy CPU; raise it for big models)")
    from .bench import add_precision_flags

    add_precision_flags(p)
    p.add_argument("--no-prefetch", action="store_true",
                   help="read each image / frame only when the network is free (default: a reader thread "
                        "reads and decodes the next ones while the network runs)")
    p.add_argument("--track", action="store_true",
                   help="videos: give each person a track_id that persists across frames (docs/video.md)")
    p.add_argument("--smooth", action="store_true",
                   help="videos: One-Euro smoothing per track of 2D, 3D joints and root depth (implies --track)")
    from ..progress import add_flag

    add_flag(p)
    p.set_defaults(func=run)
    return p


class _Outputs:
    """Output file names, unique within one run (a clash gets ``-2``, ``-3``, ... before the suffix)."""

    def __init__(self, json_dir, image_dir, plot3d):
        self.json_dir = Path(json_dir) if json_dir else None
        self.image_dir = Path(image_dir) if image_dir else None
        self.plot_dir = (self.image_dir or self.json_dir) if plot3d else None
        self.used: set[str] = set()

    def base(self, name: str) -> str:
        base, k = name, 1
        while base in self.used:
            k += 1
            base = f"{Path(name).stem}-{k}{Path(name).suffix}"
        self.used.add(base)
        return base


def run(args) -> int:
    import torch

    from ..device import check_device
    from ..errors import HuporError
    from ..fileio import check_output_dir
    from ..media import expand_inputs, load_intrinsics
    from ..nets.config import check_input_size
    from ..predictor import Predictor, check_min_score, resolve_intrinsics
    from ..prefetch import Prefetch

    if args.threads < 1:
        raise HuporError(f"--threads must be >= 1, got {args.threads}")
    torch.set_num_threads(args.threads)
    from ..methods.precision import check_choice, choose

    check_choice(args.runtime, args.precision, "--")
    if choose(args.runtime, args.precision)[0] == "onnx" and args.runtime != "auto" or args.precision == "int8":
        from ..methods.onnx_runtime import require

        require("onnxruntime")  # a missing runtime fails here, before any input is read
    from ..photos import choose_2d
    from .lift import floor_from_args

    args.detector_2d = choose_2d(args.detector_2d, _wants_networks(args))
    floor = floor_from_args(args)
    if floor is not None and not args.detector_2d:
        raise HuporError("--camera-height / --pitch: only with --2d (the image-free lifter's root depth)")
    detector_2d = _detector_2d(args) if args.detector_2d else None
    if args.batch_size < 1:
        raise HuporError(f"--batch-size must be >= 1, got {args.batch_size}")
    if args.min_score is not None:
        check_min_score(args.min_score, "--min-score")
    if args.max_frames is not None and args.max_frames < 1:
        raise HuporError(f"--max-frames must be >= 1, got {args.max_frames}")
    if not (args.json_output or args.image_output):
        args.json_output = "hupor-output"
    check_output_dir(args.json_output, "--json-output")
    check_output_dir(args.image_output, "--image-output")
    coco_images = _check_coco_results(args)
    check_device(args.device)
    if args.input_size:
        check_input_size(*args.input_size, "--input-size W", "--input-size H")
    K = load_intrinsics(args.intrinsics) if args.intrinsics else None
    cam = {"K": K, "fx": args.fx, "fov_degrees": args.fov}
    # bad --fx / --fov fail here, once, before any input is read (K's principal point: per image)
    resolve_intrinsics(640, 480, fx=args.fx, fov_degrees=args.fov)
    errors: list[tuple[str, str]] = []
    sources = []
    for item in args.inputs:
        try:
            sources.extend(expand_inputs([item]))
        except HuporError as exc:
            errors.append((str(item), str(exc)))
    if not sources:
        _report(0, 0, errors)
        return 2
    if args.input_size and detector_2d is None:
        from ..memory import check_forward
        from ..nets import load_bundle
        from ..predictor import default_checkpoint

        # the networks' activations at this size must fit in the memory available now: refused before the
        # predictor is built (building it may already run the networks at this size) and before any input
        check_forward(load_bundle(args.checkpoint or default_checkpoint(), device=args.device),
                      tuple(args.input_size), "--input-size", batch=args.batch_size, flip=args.flip, device=args.device)
    predictor = (_lift_predictor(args.checkpoint, detector_2d, floor, args.min_score) if detector_2d is not None else
                 Predictor(args.checkpoint, device=args.device,
                           input_size=tuple(args.input_size) if args.input_size else None,
                           flip_test=args.flip, runtime=args.runtime, min_score=args.min_score,
                           precision=args.precision))
    from ..photos import model_line

    print(model_line(predictor, args.checkpoint))
    if args.scales:
        _set_scales(predictor, args.scales)
    if args.grouping:
        if getattr(predictor.method, "name", None) != "higherhrnet":
            raise HuporError("--grouping: only for HigherHRNet plug-in models")
        predictor.method.grouping = args.grouping
    out = _Outputs(args.json_output, args.image_output, args.plot3d)
    depth = 0 if args.no_prefetch else PREFETCH_DEPTH
    ctx = _Context(predictor, out, cam, args.intrinsics is not None, args.batch_size, args.max_frames, depth)
    ctx.track, ctx.smooth = args.track or args.smooth, args.smooth
    ctx.results = [] if args.coco_results else None
    from ..progress import bar, enabled

    ctx.progress = enabled(args.no_progress)
    images = [s for s in sources if s.kind == "image"]
    streams = [s for s in sources if s.kind != "image"]
    done, people = 0, 0
    batches = (_read_images(images[i:i + args.batch_size]) for i in range(0, len(images), args.batch_size))
    folder_bar = bar(total=len(images), desc="images", unit="img", show=ctx.progress and len(images) > 1)
    with Prefetch(batches, depth) as read_batches:  # the next batch is read while the network runs
        for batch in read_batches:
            d, n = ctx.images(batch, errors)
            done, people = done + d, people + n
            folder_bar.update(len(batch))
    folder_bar.close()
    for src in streams:
        try:
            people += ctx.stream(src, errors)
            done += 1
        except HuporError as exc:
            errors.append((src.path, str(exc)))
    if ctx.results is not None and done:
        _write_coco_results(args.coco_results, ctx.results, predictor.skeleton.name, coco_images)
    _report(done, people, errors)
    return 0 if done else 2  # every failure is a handled, listed error


def _set_scales(predictor, scales) -> None:
    from ..errors import HuporError

    if not hasattr(predictor.method, "scales"):
        raise HuporError(f"--scales: only for 2D plug-in models (this model's method is {predictor.method.name!r})")
    if any(not 0.1 <= s <= 4 for s in scales) or 1.0 not in scales:
        raise HuporError(f"--scales: each in [0.1, 4] and 1 among them, got {scales}")
    predictor.method.scales = tuple(float(s) for s in scales)


def _check_coco_results(args):
    """Checks --coco-results / --coco-images before any input is read; returns the images JSON or None."""
    from ..errors import HuporError
    from ..fileio import read_json

    if args.coco_images and not args.coco_results:
        raise HuporError("--coco-images: only with --coco-results")
    if not args.coco_results:
        return None
    out = Path(args.coco_results)
    for flag, folder in (("--json-output", args.json_output), ("--image-output", args.image_output)):
        if folder and os.path.abspath(folder) == os.path.abspath(out):
            raise HuporError(f"--coco-results {out}: the same path as {flag} (a folder); give the results "
                             f"file another name")
    if out.is_dir():
        raise HuporError(f"--coco-results {out}: is a folder, give a file name")
    if not out.parent.is_dir():
        raise HuporError(f"--coco-results {out}: the folder {out.parent} does not exist")
    if not args.coco_images:
        return None
    gt = read_json(args.coco_images)
    if not isinstance(gt, dict) or not isinstance(gt.get("images"), list):
        raise HuporError(f"--coco-images {args.coco_images}: not a COCO JSON (no 'images' list)")
    return gt


def _write_coco_results(path, preds, skeleton_name: str, images) -> None:
    """COCO results of the predicted images (``hupor.eval.keypoint_ap.coco_results``), atomically."""
    from ..eval.keypoint_ap import coco_results
    from ..fileio import write_json_atomic

    kind = "coco" if skeleton_name == "coco17" else "crowdpose"
    write_json_atomic(path, coco_results(preds, kind, images), indent=None)
    print(f"COCO results ({kind} joints, {sum(len(p.scores) for p in preds)} people): {path}")


PREFETCH_DEPTH = 2  # batches (images) or frames read ahead by the reader thread


def _wants_networks(args) -> bool:
    """A flag of hupor's own networks was given (``--2d auto`` then runs them)."""
    return bool(args.checkpoint or args.flip or args.input_size or args.scales or args.grouping
                or getattr(args, "runtime", "auto") not in ("auto", "torch")
                or getattr(args, "precision", "auto") not in ("auto", "fp32"))


def _detector_2d(args):
    """The ``--2d`` detector. It replaces hupor's networks: flags of those networks are errors, and
    a detector that cannot be imported says how to install it (exit 2)."""
    from ..detect2d import DETECTORS, TileConfig
    from ..errors import HuporError

    for flag, bad in (("--flip", args.flip), ("--input-size", args.input_size),
                      ("--runtime", args.runtime not in ("auto", "torch")),
                      ("--precision", args.precision not in ("auto", "fp32"))):
        if bad:
            raise HuporError(f"{flag} applies to hupor's own networks, not to --2d {args.detector_2d}")
    return DETECTORS[args.detector_2d](TileConfig(tile=args.tile))


def add_min_score(p) -> None:
    """The ``--min-score`` flag of ``hupor predict`` and ``hupor demo`` (checked by
    :func:`hupor.predictor.check_min_score`; absent: the model's calibrated threshold)."""
    p.add_argument("--min-score", type=float, default=None, metavar="S",
                   help="leave out people whose score (mean joint score, 0-1) is below S (default: the model's "
                        "calibrated threshold, decode.person_threshold of the bundle; 0 writes every decoded "
                        "person, for AP-style scoring; docs/predict.md)")


def _lift_predictor(checkpoint, detector, floor=None, min_score: float | None = None):
    from ..cli.lift import default_lift_model
    from ..methods.lift2d import Lift2DMethod
    from ..nets import load_bundle
    from ..predictor import Predictor

    bundle = load_bundle(checkpoint or default_lift_model())
    name = Path(checkpoint).stem if checkpoint else "lift"
    return Predictor(method=Lift2DMethod(detector, bundle, model_name=name, floor=floor), min_score=min_score)


def _read_images(sources) -> list:
    """``(source, image or None, HuporError or None)`` per source: a bad file is one input's error."""
    from ..errors import HuporError
    from ..media import read_image

    out = []
    for src in sources:
        try:
            out.append((src, read_image(src.path), None))
        except HuporError as exc:
            out.append((src, None, exc))
    return out


def _report(done: int, people: int, errors: list) -> None:
    """``errors``: ``(input, message)`` per failed input, ``(output, message, "output")`` per output
    that could not be written although its input was processed (an overlay video on a full disk)."""
    print(f"processed {done} input(s), {people} people found")
    failed = [e for e in errors if len(e) == 2]
    unwritten = [e for e in errors if len(e) == 3]
    for rows, what in ((failed, "input(s) failed"), (unwritten, "output(s) not written")):
        if rows:
            print(f"{len(rows)} {what}:", file=sys.stderr)
            for path, msg, *output in rows:  # an output's message names its file already
                print(f"  {msg}" if output else f"  {path}: {msg}", file=sys.stderr)


class _Context:
    track = smooth = False  # --track / --smooth: fresh Tracker / Smoother stages per video
    results = None          # --coco-results: the images' predictions (eval.predictions.PredImage)
    progress = False        # draw progress bars (stderr is a terminal, no --no-progress)

    def video_stages(self) -> list:
        from ..methods import Smoother, Tracker

        return ([Tracker()] if self.track else []) + ([Smoother()] if self.smooth else [])

    def __init__(self, predictor, out: _Outputs, cam: dict, from_file: bool, batch: int, max_frames,
                 prefetch: int = 0):
        self.predictor, self.out, self.cam, self.from_file = predictor, out, cam, from_file
        self.batch, self.max_frames, self.prefetch = batch, max_frames, prefetch

    def _predict(self, arrays, paths, frames=None, fps=None):
        preds = self.predictor.predict_arrays(arrays, paths=paths, frames=frames, fps=fps, **self.cam)
        if self.from_file:
            for p in preds:
                p.intrinsics_source = "file"
        return preds

    def _json(self, pred) -> dict:
        return pred.to_json(self.predictor.skeleton, self.predictor.model_info)

    def images(self, read, errors) -> tuple[int, int]:
        """One batch ``read`` by :func:`_read_images` → outputs; failures appended to ``errors``."""
        from ..errors import HuporError
        from ..schema import write_poses
        from ..viz.overlay import save_overlay
        from ..viz.plot3d import save_plot_3d

        loaded = []
        for src, img, exc in read:
            if exc is not None:
                errors.append((src.path, str(exc)))
            else:
                loaded.append((src, img))
        if not loaded:
            return 0, 0
        try:
            preds = self._predict([im for _, im in loaded], [s.path for s, _ in loaded])
        except HuporError as exc:
            errors.extend((src.path, str(exc)) for src, _ in loaded)
            return 0, 0
        done = people = 0
        for (src, img), pred in zip(loaded, preds):
            try:
                base = self.out.base(src.name)
                obj = self._json(pred)
                if self.out.json_dir:
                    write_poses(self.out.json_dir / f"{base}.json", obj)
                if self.results is not None:
                    from ..eval.predictions import parse_image

                    self.results.append(parse_image(obj, str(src.path)))
                if self.out.image_dir:
                    save_overlay(self.out.image_dir / f"{base}.overlay.jpg", img, pred, self.predictor.skeleton)
                if self.out.plot_dir:
                    save_plot_3d(self.out.plot_dir / f"{base}.3d.png", pred, self.predictor.skeleton,
                                 title=f"{src.name}: {pred.num_persons} people (mm, camera frame)")
            except (HuporError, OSError) as exc:
                errors.append((src.path, str(exc)))
                continue
            done += 1
            people += pred.num_persons
            print(f"{src.path}: {pred.num_persons} people, {pred.timings_ms['network']:.0f} ms network, "
                  f"{pred.timings_ms['decode']:.0f} ms decode")
        return done, people

    def stream(self, src, errors: list | None = None) -> int:
        """A video file or webcam → one ``hupor-poses-video`` JSON (+ overlay video, written atomically by
        :func:`hupor.viz.video.write_video`). Returns people. When every frame was predicted but the
        overlay could not be written (disk full), the JSON is still written and the overlay's error is
        appended to ``errors`` (raised when ``errors`` is None)."""
        from ..errors import HuporError
        from ..progress import bar as progress_bar
        from ..viz.video import write_video
        from ..media import iter_video, iter_webcam, video_info
        from ..prefetch import Prefetch
        from ..schema import intrinsics_json, video_json, write_poses

        base = self.out.base(src.name)
        self.predictor.extra_stages = self.video_stages()  # tracks start afresh in every video
        if src.kind == "video":
            info = video_info(src.path)
            frames = iter_video(src.path, self.max_frames)
            fps, total = info.fps, info.num_frames
        else:
            frames = iter_webcam(int(src.path), self.max_frames)
            fps, total = 0.0, None
        if self.max_frames and total:
            total = min(total, self.max_frames)
        state = {"frames": [], "people": 0, "size": None, "intr": None, "complete": False}
        draw = self.out.image_dir is not None

        def overlays():
            """Predict every frame (state filled); yield the overlay images when they are asked for."""
            batch = []
            bar = progress_bar(total=total or None, desc=src.name, unit="frame", show=self.progress)
            try:
                with Prefetch(frames, self.prefetch * self.batch) as read_frames:
                    for idx, img in _interruptible(read_frames, src.kind == "webcam"):
                        batch.append((idx, img))
                        if len(batch) >= self.batch:
                            yield from self._flush(batch, src, state, draw, fps)
                            bar.update(len(batch))
                            batch = []
                if batch:
                    yield from self._flush(batch, src, state, draw, fps)
                    bar.update(len(batch))
                state["complete"] = True
            finally:
                bar.close()

        overlay_error = None
        if draw:
            overlay = self.out.image_dir / f"{base}.overlay.avi"
            try:
                write_video(overlay, overlays(), fps)
            except HuporError as exc:
                if not state["complete"] or errors is None:
                    raise  # the frames themselves failed: no JSON either
                overlay_error = (str(overlay), str(exc), "output")
        else:
            for _ in overlays():
                pass
        if overlay_error is not None:
            errors.append(overlay_error)  # every frame was predicted; only the overlay video is missing
        if self.out.json_dir:
            w, h = state["size"]
            obj = video_json(src.path if src.kind == "video" else f"webcam:{src.path}", w, h, fps,
                             state["frames"], intrinsics_json(*state["intr"]))
            write_poses(self.out.json_dir / f"{base}.json", obj)
        print(f"{src.path}: {len(state['frames'])} frames, {state['people']} person-detections")
        return state["people"]

    def _flush(self, batch, src, state, draw: bool, fps) -> list:
        """Predict one batch of frames into ``state``; the overlay images when ``draw``."""
        from ..viz.overlay import draw_overlay

        preds = self._predict([im for _, im in batch], [src.path] * len(batch), [i for i, _ in batch], fps)
        for (idx, img), pred in zip(batch, preds):
            state["size"] = (img.shape[1], img.shape[0])
            state["intr"] = (pred.intrinsics, pred.intrinsics_source)
            state["frames"].append(self._json(pred))
            state["people"] += pred.num_persons
        if not draw:
            return []
        return [draw_overlay(img, pred, self.predictor.skeleton) for (_, img), pred in zip(batch, preds)]


def _interruptible(frames, catch: bool):
    """Iterate ``frames``; for a webcam, Ctrl-C ends the stream cleanly instead of aborting."""
    try:
        yield from frames
    except KeyboardInterrupt:
        if not catch:
            raise
