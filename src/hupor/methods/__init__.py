"""Pose-estimation methods behind one seam (``base.py``): the HUPOR chain and the oracle; post-stages
(``stages.py``; video: ``track.Tracker``, ``smooth.Smoother``).

``METHODS`` maps the ``method`` name that a model bundle stores to the class that runs it (bundles
written before the field existed are ``"hupor"``). A new method is a module here with a class that
follows :class:`~hupor.methods.base.Method`, plus one entry in ``METHODS`` (``from_bundle(bundle,
**options)`` builds it from a loaded bundle); methods that need no weights (the oracle) are built
directly and handed to ``Predictor(method=...)``.
"""

from __future__ import annotations

from .base import Method, Stage, StageContext, run_stages
from .hupor import HuporMethod
from .plugin2d import Plugin2DMethod
from .oracle import OracleMethod
from .stages import JointStateStage, RefineStage, joint_states
from .smooth import OneEuro, Smoother
from .track import Tracker

#: method name (as stored in a bundle) → class with ``__init__(bundle, codec_params, decode, flip_test, info,
#: runtime, precision)``
METHODS = {"hupor": HuporMethod, "higherhrnet": Plugin2DMethod, "pifpaf": Plugin2DMethod}


def method_from_bundle(bundle, codec_params=None, decode=None, flip_test: bool = False, info=None,
                      runtime: str = "torch", precision: str = "fp32"):
    """The method a loaded bundle was trained for, ready to run (``runtime``, ``precision``: ``HuporMethod``'s)."""
    from ..errors import HuporError

    name = getattr(bundle, "method", "hupor")
    if name == "lift":
        raise HuporError("model bundle: a lift model (2D keypoints -> 3D, no image network); use it with "
                         "'hupor lift RESULTS.json --model BUNDLE'")
    if name not in METHODS:
        raise HuporError(f"model bundle: unknown method {name!r}; this hupor knows: {', '.join(METHODS)}")
    return METHODS[name](bundle, codec_params=codec_params, decode=decode, flip_test=flip_test, info=info,
                         runtime=runtime, precision=precision)


__all__ = ["METHODS", "Method", "Stage", "StageContext", "run_stages", "HuporMethod", "Plugin2DMethod", "OracleMethod",
           "RefineStage", "JointStateStage", "joint_states", "method_from_bundle", "Tracker", "Smoother",
           "OneEuro"]
