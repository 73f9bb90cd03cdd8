"""Which model runs on a user's photos, and the one line that says so.

hupor ships two kinds of model: the bundled **synthetic-domain** HUPOR networks (``assets/default.pt``,
trained on the project's rendered scenes only: on real photos they write dozens of people per
person) and the **real-photo** path, BlazePose's pretrained 2D keypoints (``assets/blazepose/``,
``pip install "hupor[real]"``) lifted to metric 3D by the bundled lifter (``assets/lift.pt``).

:func:`choose_2d` is the rule of ``hupor predict`` (``--2d auto``, the default): the real-photo path
when its runtime is installed and nothing asks for hupor's own networks (``--checkpoint``, ``--flip``,
``--input-size``, ``--runtime``, ``--scales``, ``--grouping``); otherwise the networks.
:func:`photo_predictor` is the Python entry point for photos; :func:`model_line` the printed line.
"""

from __future__ import annotations

from pathlib import Path

SYNTHETIC_NOTE = 'for hupor\'s synthetic scenes, not real photos; for photos: pip install "hupor[real]"'


def choose_2d(requested: str | None, wants_networks: bool) -> str | None:
    """``--2d`` value → the detector name to run, or None for hupor's own networks.

    ``requested``: ``"auto"`` (or None), ``"none"``, or a detector name (``"blazepose"``;
    ``"mediapipe"`` is its old alias). ``wants_networks``: a flag of hupor's networks was given."""
    from .detect2d.blazepose import available

    if requested in (None, "auto"):
        return "blazepose" if (not wants_networks and available()) else None
    if requested == "none":
        return None
    return "blazepose" if requested == "mediapipe" else requested


def photo_predictor(tile: int = 256, lift_model=None, min_score: float | None = None, floor=None, hog: bool = True):
    """A :class:`hupor.Predictor` for real photos and videos: BlazePose 2D (tiles + HOG boxes) → the
    image-free lifter (``lift_model``, default the bundled ``lift.pt``). Needs ``hupor[real]``."""
    from .detect2d import BlazeConfig, BlazePose, TileConfig
    from .cli.lift import default_lift_model
    from .methods.lift2d import Lift2DMethod
    from .nets import load_bundle
    from .predictor import Predictor

    detector = BlazePose(TileConfig(tile=tile), BlazeConfig(hog=hog))
    bundle = load_bundle(lift_model or default_lift_model())
    name = Path(lift_model).stem if lift_model else "lift"
    return Predictor(method=Lift2DMethod(detector, bundle, model_name=name, floor=floor), min_score=min_score)


def model_line(predictor, checkpoint=None) -> str:
    """One line naming the model that ran and what it is for."""
    info = predictor.model_info
    if info.get("method") == "lift":
        return (f"model: {info.get('detector_2d', '2D detector')} + hupor lifter ({info.get('name', 'lift')}) "
                "- for real photos and videos")
    if checkpoint is None:
        return f"model: bundled synthetic-domain HUPOR (cpu-s2, default.pt) - {SYNTHETIC_NOTE}"
    return f"model: {checkpoint} (method {info.get('method', predictor.method.name)}) - the networks of that bundle"
