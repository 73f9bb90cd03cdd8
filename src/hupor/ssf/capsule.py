"""The built-in capsule body from 15 MPI15 joints (the renderer's body, ``hupor.data.synth.body``).

The renderer's 17 capsules need, besides the joints, seven surface points (head centre, heels, toes,
hand centres) and a person scale (radii = the DeepMimic humanoid's × scale). From 3D joints alone:

* scale = ``SCALE_PER_BONE_MM`` × the sum of the person's 14 bone lengths (mm): the generator's
  people give 2.50e-4 with a spread of 1.6 % (bone-length jitter);
* head centre = head_top − 105·scale mm along neck → head_top; hand = wrist + 80·scale mm along
  elbow → wrist (both exact for the generator's skeletons);
* heel = ankle + (28 down − 37 forward)·scale, toe = ankle + (2 down + 114 forward)·scale mm, with
  "down" the shin direction knee → ankle and "forward" the body's facing direction (hips' left →
  right axis × trunk up): the generator's medians (the foot's real orientation is unknown from the
  joints; feet are small, so labels barely depend on it).

Capsule shape parameters, beside SMPL's: per bone the two end points (pose: the joints themselves,
so the IK of the swing is trivial) and a radius (shape: one scale per person × the part's radius).
"""

from __future__ import annotations

import numpy as np

from ..data.synth.mocap import NUM_POINTS
from ..errors import HuporError
from ..skeleton import MPI15, body_axes, unit

SCALE_PER_BONE_MM = 2.5e-4
HEAD_TOP_TO_CENTRE_MM = 105.0
WRIST_TO_HAND_MM = 80.0
HEEL_MM = (28.0, -37.0)   # (down, forward)
TOE_MM = (2.0, 114.0)

_J = {name: i for i, name in enumerate(MPI15.joints)}


def capsule_points(joints_3d: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """``joints_3d`` (N, 15, 3) mm camera frame → ``points`` (N, NUM_POINTS, 3) mm (the joints, then
    head centre, l heel, l toe, r heel, r toe, l hand, r hand) and ``scale`` (N,)."""
    j = np.asarray(joints_3d, np.float64)
    if j.ndim != 3 or j.shape[1:] != (15, 3):
        raise HuporError(f"capsule body: joints must be (N, 15, 3) mm, got {j.shape}")
    if not np.isfinite(j).all():
        raise HuporError("capsule body: non-finite joint coordinates")
    limbs = np.asarray(MPI15.limbs)
    scale = SCALE_PER_BONE_MM * np.linalg.norm(j[:, limbs[:, 0]] - j[:, limbs[:, 1]], axis=-1).sum(1)
    s = scale[:, None]
    _, _, forward = body_axes(j)
    pts = np.empty((len(j), NUM_POINTS, 3))
    pts[:, :15] = j
    head = j[:, _J["head_top"]]
    pts[:, 15] = head - HEAD_TOP_TO_CENTRE_MM * s * unit(head - j[:, _J["neck"]])
    for k, (knee, ankle) in enumerate((("l_knee", "l_ankle"), ("r_knee", "r_ankle"))):
        down = unit(j[:, _J[ankle]] - j[:, _J[knee]])
        a = j[:, _J[ankle]]
        pts[:, 16 + 2 * k] = a + s * (HEEL_MM[0] * down + HEEL_MM[1] * forward)
        pts[:, 17 + 2 * k] = a + s * (TOE_MM[0] * down + TOE_MM[1] * forward)
    for k, (elbow, wrist) in enumerate((("l_elbow", "l_wrist"), ("r_elbow", "r_wrist"))):
        w = j[:, _J[wrist]]
        pts[:, 20 + k] = w + WRIST_TO_HAND_MM * s * unit(w - j[:, _J[elbow]])
    return pts, scale
