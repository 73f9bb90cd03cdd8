"""SSF labels for people with 2D joints only (COCO-like data: image, 2D joints, instance masks).

Without 3D the depth order between people comes from the instance-id mask (it holds the front-most
surface) and each body's shape and self-occlusion from a 3D pose lifted from its 2D joints
(``hupor.lift``'s image-free lifter, the bundled ``lift.pt``), or, with the image and a trained SSF
shape model, the paper's way: ShapeInit on the person's crop, ShapeOpt on its mask, then a per-image
fit (:class:`hupor.ssf.fit.ShapeFitter`). Per joint inside the image, over the label
rule's ray pixels (:func:`hupor.data.synth.occlusion.ray_offsets`):

* a majority on the occluder → occluded, cause ``object``;
* a majority on another person → occluded, cause ``person``;
* otherwise the person's own lifted capsule body alone decides (visible, or occluded ``self``);
  a person the lifter cannot place (no pelvis in the image) is visible there.

Joints outside the image are ``0`` / ``truncated``, as the generator's rule.
"""

from __future__ import annotations

import numpy as np

from ..camera import Intrinsics
from ..data.synth.occlusion import ray_offsets
from ..data.synth.scene import SceneConfig
from ..errors import HuporError
from ..records import CAUSE_CODE
from .labels import OCCLUDER_ID, label_people


def label_people_2d(joints_2d: np.ndarray, in_frame: np.ndarray, intrinsics: Intrinsics, width: int, height: int,
                    ids: np.ndarray, person_ids=None, lifter=None,
                    rule: SceneConfig = SceneConfig(), fitter=None, image: np.ndarray | None = None
                    ) -> tuple[np.ndarray, np.ndarray]:
    """``joints_2d`` (N, 15, 2) px; ``in_frame`` (N, 15) bool (the joints with a 2D label); ``ids``
    (H, W) instance-id mask; ``person_ids`` (N,) the mask id of each person (default 2, 3, …);
    ``lifter``: a :class:`hupor.lift.lifter.Lifter` (default the bundled model); ``fitter``: a
    :class:`hupor.ssf.fit.ShapeFitter` used instead, with ``image`` (H, W, 3) uint8 BGR. Returns
    ``visibility`` (N, 15) int8 and cause codes (N, 15) int8."""
    xy = np.asarray(joints_2d, np.float64).reshape(-1, 15, 2)
    lab = np.asarray(in_frame, bool).reshape(-1, 15) & np.isfinite(xy).all(-1)
    n = len(xy)
    ids = np.asarray(ids)
    if ids.shape != (int(height), int(width)):
        raise HuporError(f"instance mask: shape {ids.shape} differs from the image's {height}x{width}")
    own = np.arange(n) + 2 if person_ids is None else np.asarray(person_ids).reshape(n)
    inside = lab & (xy[..., 0] >= -0.5) & (xy[..., 0] < width - 0.5) & (xy[..., 1] >= -0.5) & (xy[..., 1] < height - 0.5)
    vis = np.where(inside, 2, 0).astype(np.int8)
    cause = np.where(lab & ~inside, CAUSE_CODE["truncated"], CAUSE_CODE["none"]).astype(np.int8)
    if n == 0:
        return vis, cause
    if fitter is not None:
        if image is None or np.asarray(image).shape[:2] != (int(height), int(width)):
            raise HuporError("SSF shape model: needs the record's image (of the mask's size)")
        bodies = fitter.fit(image, ids, xy, lab, own, intrinsics)
        self_vis = _own_body(bodies, intrinsics, width, height, rule)
    else:
        self_vis = _self_occlusion(xy, lab, intrinsics, width, height, lifter, rule)
    off = ray_offsets(rule.label_radius_px)
    pix = np.rint(np.where(inside[..., None], xy, 0.0)[:, :, None, :] + off[None, None]).astype(int)
    hit = ids[np.clip(pix[..., 1], 0, height - 1), np.clip(pix[..., 0], 0, width - 1)]      # (N, 15, S)
    half = off.shape[0] / 2
    by_object = (hit == OCCLUDER_ID).sum(-1) > half
    by_person = ((hit >= 2) & (hit != own[:, None, None])).sum(-1) > half
    by_self = self_vis == 1
    for mask, code in ((by_self, "self"), (by_person, "person"), (by_object, "object")):
        m = inside & mask
        vis[m], cause[m] = 1, CAUSE_CODE[code]
    return vis, cause


def default_lifter():
    """The bundled image-free lifter (``assets/lift.pt``); callers labelling many images load it once."""
    from ..lift.lifter import Lifter
    from ..nets import load_bundle
    from ..predictor import ASSETS

    return Lifter(load_bundle(ASSETS / "lift.pt"))


def _self_occlusion(xy, lab, intrinsics, width, height, lifter, rule) -> np.ndarray:
    """(N, 15) visibility of each person's joints against its own lifted capsule body (2 where it
    cannot be lifted)."""
    lifter = default_lifter() if lifter is None else lifter
    out = np.full(lab.shape, 2, np.int8)
    root = 2                                                        # MPI15 pelvis
    ok = lab[:, root]
    if not ok.any():
        return out
    poses = lifter.lift(np.where(lab[..., None], xy, np.nan)[ok], lab[ok], lab[ok].astype(float), width, height,
                        intrinsics)
    bodies = np.full(xy.shape[:2] + (3,), np.nan)
    bodies[ok] = poses.joints_3d
    return _own_body(bodies, intrinsics, width, height, rule)


def _own_body(bodies, intrinsics, width, height, rule) -> np.ndarray:
    """(N, 15) visibility of each person's joints against its own capsule body ``bodies`` (N, 15, 3)
    mm (2 for a person whose body is not finite)."""
    out = np.full(bodies.shape[:2], 2, np.int8)
    for p, j3 in enumerate(bodies):
        if np.isfinite(j3).all():
            out[p] = label_people(j3[None], intrinsics, width, height, rule)[0][0]
    return out
