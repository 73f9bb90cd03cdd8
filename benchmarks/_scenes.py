"""Random plausible multi-person scenes for the codec tests and benchmark (not library code).

People stand on a ground plane (camera frame, mm: x right, y down, z forward; camera 1.0–1.6 m above the
ground, looking horizontally) at 2–10 m depth, with MPI15 bone lengths from ``MPI15.bone_length_cm``
(±8 %), random arm/leg swings and a random yaw. Joints inside the network input get v = 2 (a random
15 % of them v = 1), joints outside get v = 0.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from hupor.codec.grid import nearest_pixel, net_to_out
from hupor.skeleton import MPI15


@dataclass
class Scene:
    joints_net: np.ndarray  # (N, 15, 2) network-input px
    joints_3d: np.ndarray  # (N, 15, 3) mm
    visibility: np.ndarray  # (N, 15)
    focal_net: float  # fx * s, network-input px
    net_w: int
    net_h: int


def _direction(rng, base, max_deg):
    """Unit vector near ``base`` (3,), within ``max_deg`` degrees."""
    v = rng.normal(size=3)
    v -= v.dot(base) * base
    v /= np.linalg.norm(v) + 1e-12
    ang = np.radians(rng.uniform(0, max_deg))
    return np.cos(ang) * base + np.sin(ang) * v


def random_person(rng) -> np.ndarray:
    """(15, 3) mm, pelvis at the origin, upright (y down), facing −z, before yaw."""
    bl = np.asarray(MPI15.bone_length_cm) * 10.0 * rng.uniform(0.92, 1.08, size=14)
    up, down, lat = np.array([0, -1.0, 0]), np.array([0, 1.0, 0]), np.array([1.0, 0, 0])
    p = np.zeros((15, 3))
    p[0] = bl[1] * _direction(rng, up, 10)  # neck (limb 1: neck→pelvis)
    p[1] = p[0] + bl[0] * _direction(rng, up, 20)  # head top
    for sho, elb, wri, k0, side in ((9, 10, 11, 2, -1), (3, 4, 5, 5, 1)):
        p[sho] = p[0] + bl[k0] * side * lat
        p[elb] = p[sho] + bl[k0 + 1] * _direction(rng, down, 70)
        p[wri] = p[elb] + bl[k0 + 2] * _direction(rng, down, 90)
    for hip, kne, ank, k0, side in ((12, 13, 14, 8, -1), (6, 7, 8, 11, 1)):
        p[hip] = bl[k0] * side * lat
        p[kne] = p[hip] + bl[k0 + 1] * _direction(rng, down, 25)
        p[ank] = p[kne] + bl[k0 + 2] * _direction(rng, down, 20)
    return p


def _bbox(uv):
    return np.array([uv[:, 0].min(), uv[:, 1].min(), uv[:, 0].max(), uv[:, 1].max()])


def _overlap(b, boxes):
    """Largest fraction of ``b``'s area covered by one of ``boxes``."""
    if not boxes:
        return 0.0
    bb = np.asarray(boxes)
    iw = np.clip(np.minimum(b[2], bb[:, 2]) - np.maximum(b[0], bb[:, 0]), 0, None)
    ih = np.clip(np.minimum(b[3], bb[:, 3]) - np.maximum(b[1], bb[:, 1]), 0, None)
    area = max((b[2] - b[0]) * (b[3] - b[1]), 1e-6)
    return float((iw * ih).max() / area)


def random_scene(rng, n_people: int, net_w: int = 832, net_h: int = 512, focal_net: float = 650.0,
                 depth_range=(2000.0, 10000.0), max_overlap: float = 1.0, tries: int = 200,
                 occluded_frac: float = 0.15) -> Scene:
    """A scene with ``n_people`` people (fewer if ``max_overlap`` rejects too many placements).

    ``max_overlap`` < 1 rejects a person whose 2D box is covered by more than that fraction by an
    already placed person's box (or covers such a fraction of it).
    """
    cam_h = rng.uniform(1000.0, 1600.0)
    cx, cy = net_w / 2.0, net_h / 2.0
    people, boxes = [], []
    for _ in range(tries):
        if len(people) == n_people:
            break
        p = random_person(rng)
        yaw = rng.uniform(-np.pi, np.pi)
        c, s = np.cos(yaw), np.sin(yaw)
        p = p @ np.array([[c, 0, -s], [0, 1, 0], [s, 0, c]]).T
        z = rng.uniform(*depth_range)
        u = rng.uniform(0.03 * net_w, 0.97 * net_w)
        p[:, 1] += cam_h - p[:, 1].max()  # lowest ankle on the ground
        p[:, 2] += z
        p[:, 0] += (u - cx) * z / focal_net
        uv = np.stack([focal_net * p[:, 0] / p[:, 2] + cx, focal_net * p[:, 1] / p[:, 2] + cy], -1)
        b = _bbox(uv)
        if max_overlap < 1.0 and boxes:
            rev = max((_overlap(np.asarray(o), [b]) for o in boxes), default=0.0)
            if max(_overlap(b, boxes), rev) > max_overlap:
                continue
        people.append((p, uv))
        boxes.append(b)
    n = len(people)
    j3 = np.array([q[0] for q in people]).reshape(n, 15, 3)
    j2 = np.array([q[1] for q in people]).reshape(n, 15, 2)
    inside = (j2[..., 0] >= 0) & (j2[..., 0] < net_w) & (j2[..., 1] >= 0) & (j2[..., 1] < net_h)
    vis = np.where(inside, 2, 0)
    vis[inside & (rng.random(vis.shape) < occluded_frac)] = 1
    return Scene(j2, j3, vis, float(focal_net), net_w, net_h)


def gt_root_depth_maps(scene: Scene, stride: int = 4, radius: int = 2) -> np.ndarray:
    """Dense (7, h, w) root-depth maps from the ground truth, for round trips.

    Each labelled torso joint's value ``Z_cm / f_net`` is painted into a disk of ``radius`` output px
    around the pixel that contains it; people are painted far → near so the nearer person wins.
    """

    h, w = scene.net_h // stride, scene.net_w // stride
    out = np.zeros((len(MPI15.torso), h, w), np.float32)
    rr, cc = np.mgrid[0:h, 0:w]
    order = np.argsort(-scene.joints_3d[:, MPI15.root, 2]) if len(scene.joints_3d) else []
    for n in order:
        for m, j in enumerate(MPI15.torso):
            if scene.visibility[n, j] < 1:
                continue
            c, r = nearest_pixel(net_to_out(scene.joints_net[n, j], stride))
            disk = (rr - r) ** 2 + (cc - c) ** 2 <= radius**2
            out[m][disk] = scene.joints_3d[n, j, 2] / 10.0 / scene.focal_net
    return out


def grid_scene(rng, rows: int, cols: int, z_mm: float = 9000.0, net_w: int = 832, net_h: int = 512,
               focal_net: float = 650.0) -> Scene:
    """``rows x cols`` people on a regular image grid (pelvis at the cell centre), all at depth ≈ z."""
    people = []
    for r in range(rows):
        for c in range(cols):
            p = random_person(rng)
            yaw = rng.uniform(-np.pi, np.pi)
            cy_, sy_ = np.cos(yaw), np.sin(yaw)
            p = p @ np.array([[cy_, 0, -sy_], [0, 1, 0], [sy_, 0, cy_]]).T
            z = z_mm + rng.uniform(-300, 300)
            u, v = (c + 0.5) * net_w / cols, (r + 0.5) * net_h / rows
            p[:, 2] += z
            p[:, 0] += (u - net_w / 2) * z / focal_net
            p[:, 1] += (v - net_h / 2) * z / focal_net
            people.append(p)
    j3 = np.array(people)
    j2 = np.stack([focal_net * j3[..., 0] / j3[..., 2] + net_w / 2,
                   focal_net * j3[..., 1] / j3[..., 2] + net_h / 2], -1)
    inside = (j2[..., 0] >= 0) & (j2[..., 0] < net_w) & (j2[..., 1] >= 0) & (j2[..., 1] < net_h)
    return Scene(j2, j3, np.where(inside, 2, 0), float(focal_net), net_w, net_h)


def roundtrip_errors(scene: Scene, poses, stride: int = 4, match_px: float = 8.0, rd_maps=None) -> dict:
    """Compare decoded ``poses`` (network-input px / mm) with the scene's ground truth.

    GT people count as "in view" if their pelvis is labelled and lies at least one output pixel inside
    the map (border pixels cannot be NMS peaks). Predictions are matched to GT greedily by pelvis
    distance (< ``match_px`` network px). Returns per-joint 2D errors (network-input px), root-relative
    3D errors (mm) over detected labelled joints, relative root-depth errors, and counts. With the GT
    root-depth maps ``rd_maps``, ``root_rel_own`` keeps only people whose pelvis pixel in the pelvis
    channel holds their own depth (not painted over by a nearer person).
    """
    root = MPI15.root
    pel = scene.joints_net[:, root]
    lo, hi_w, hi_h = stride, scene.net_w - stride, scene.net_h - stride
    in_view = ((scene.visibility[:, root] >= 1) & (pel[:, 0] >= lo) & (pel[:, 0] < hi_w)
               & (pel[:, 1] >= lo) & (pel[:, 1] < hi_h))
    out = {"n_gt": int(in_view.sum()), "n_found": 0, "n_pred": len(poses), "err2d": [], "err3d": [],
           "root_rel": [], "root_rel_own": [], "joints_labelled": 0, "joints_detected": 0}
    taken = set()
    pred_pel = poses.joints_net[:, root]
    for g in np.flatnonzero(in_view):
        d = np.linalg.norm(pred_pel - pel[g], axis=1) if len(poses) else np.zeros(0)
        cand = [i for i in np.argsort(d) if d[i] < match_px and i not in taken]
        if not cand:
            continue
        i = cand[0]
        taken.add(i)
        out["n_found"] += 1
        lab = scene.visibility[g] >= 1
        ok = lab & poses.detected[i]
        out["joints_labelled"] += int(lab.sum())
        out["joints_detected"] += int(ok.sum())
        out["err2d"] += list(np.linalg.norm(poses.joints_net[i] - scene.joints_net[g], axis=1)[ok])
        rel_gt = scene.joints_3d[g] - scene.joints_3d[g, root]
        rel_pr = poses.joints_3d[i] - poses.joints_3d[i, root]
        out["err3d"] += list(np.linalg.norm(rel_pr - rel_gt, axis=1)[ok])
        zg = scene.joints_3d[g, root, 2]
        out["root_rel"].append(abs(poses.root_depth_mm[i] - zg) / zg)
        if rd_maps is not None:
            c, r = nearest_pixel(net_to_out(pel[g], stride))
            if abs(rd_maps[2, r, c] - zg / 10.0 / scene.focal_net) < 1e-6:
                out["root_rel_own"].append(out["root_rel"][-1])
    return out
