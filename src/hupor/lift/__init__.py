"""Lifting: 3D people from 2D joints, and the synthetic pairs that train RefineNet and the lifter.

* :mod:`.noise`: :class:`DetectionNoise`, a measured model of the pipeline's errors (calibrated on real
  pairs), and :func:`simulate`;
* :mod:`.pairs`: :func:`synthetic_pairs` from motion-capture skeleton scenes.
"""

from .noise import DetectionNoise, calibrate, load_noise, simulate
from .pairs import record_pairs, synthetic_pairs

__all__ = ["DetectionNoise", "calibrate", "load_noise", "record_pairs", "simulate", "synthetic_pairs"]
