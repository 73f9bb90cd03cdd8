"""Human3.6M's 17 joints from the generator's people (the ``synth-h36m`` preset, ``h36m_joints``).

MPI15 gives 15 of them (thorax = neck, head = head_top). The other two, from the body points:

* **spine** = pelvis + 0.476 × (thorax − pelvis): H36M's mean pelvis–spine and spine–thorax bone
  lengths are 233 and 257 mm (0.476 of the way);
* **nose** = thorax + 0.513 × (head − thorax) + 40 × scale mm "forward" (the facing direction: the
  hips' right → left axis × trunk up): H36M's thorax–nose and nose–head bones are 121 and 115 mm
  (0.513 of the way) and its "nose" joint sits in front of the neck axis. An approximation: the
  mocap has no face, and its neck sits lower than H36M's thorax.
"""

from __future__ import annotations

import numpy as np

from ...skeleton import H36M17, MPI15, body_axes, from_mpi15

SPINE_FRACTION = 0.476
NOSE_FRACTION = 0.513
NOSE_FORWARD_MM = 40.0

_J = {n: i for i, n in enumerate(MPI15.joints)}
_H = {n: i for i, n in enumerate(H36M17.joints)}


def h36m17(points: np.ndarray, scale: np.ndarray) -> np.ndarray:
    """``points`` (N, NUM_POINTS, 3) mm (MPI15 joints first), ``scale`` (N,) → (N, 17, 3) mm in H36M
    order."""
    p = np.asarray(points, np.float64)
    out = from_mpi15(p[:, :15], H36M17)
    pelvis, neck, head = p[:, _J["pelvis"]], p[:, _J["neck"]], p[:, _J["head_top"]]
    out[:, _H["spine"]] = pelvis + SPINE_FRACTION * (neck - pelvis)
    _, _, forward = body_axes(p[:, :15])
    s = np.asarray(scale, np.float64)[:, None]
    out[:, _H["nose"]] = neck + NOSE_FRACTION * (head - neck) + s * NOSE_FORWARD_MM * forward
    return out
