"""Vectorised numpy z-buffer renderer for synthetic scenes (no OpenGL).

Every pixel's ray (through the pixel centre; pixel (row i, column j) is at u = j, v = i) is
intersected exactly with the scene's capsules and boxes inside their screen bounds, and with the
background: a textured ground plane (checker tiles) and a striped back wall. Shading is Lambertian
with one directional light plus ambient; clothes, skin and occluders get procedural texture.
Outputs: a BGR uint8 image and, on request, a person-id mask (int16: person index, -2 occluder,
-1 background) and a depth map (float32, camera Z in mm).
"""

from __future__ import annotations

from dataclasses import dataclass

import cv2
import numpy as np

from .body import box_bounds, capsule_bounds, ray_box
from .scene import Scene


@dataclass
class Rendering:
    """image: (H, W, 3) uint8 BGR; ids: (H, W) int16 or None; depth: (H, W) float32 mm or None."""

    image: np.ndarray
    ids: np.ndarray | None = None
    depth: np.ndarray | None = None


def pixel_rays(scene: Scene) -> np.ndarray:
    """(H, W, 3) ray directions ``((u - cx) / fx, (v - cy) / fy, 1)`` of the pixel centres."""
    K = scene.intrinsics
    d = np.empty((scene.height, scene.width, 3))
    d[..., 0] = ((np.arange(scene.width) - K.cx) / K.fx)[None, :]
    d[..., 1] = ((np.arange(scene.height) - K.cy) / K.fy)[:, None]
    d[..., 2] = 1.0
    return d


def _noise(rng: np.random.Generator, h: int, w: int, cell: int) -> np.ndarray:
    """Smooth value noise in [0, 1] of size (h, w) from a (h/cell, w/cell) random grid."""
    small = rng.random((max(2, h // cell), max(2, w // cell))).astype(np.float32)
    return cv2.resize(small, (w, h), interpolation=cv2.INTER_LINEAR)


def _capsule_t(d: np.ndarray, dd: np.ndarray, a: np.ndarray, b: np.ndarray, r: float) -> np.ndarray:
    """First-hit depth of rays d (h, w, 3) (squared norms dd) on one capsule; inf on a miss."""
    ba = b - a
    baba = float(ba @ ba)
    aa, bb, r2 = float(a @ a), float(b @ b), r * r
    da = d @ a
    db = d @ b
    t = np.full(dd.shape, np.inf)
    with np.errstate(divide="ignore", invalid="ignore"):
        if baba > 1e-9:
            bard = db - da
            baoa = -float(ba @ a)
            qa = baba * dd - bard * bard
            qb = -baba * da - baoa * bard
            qc = baba * aa - baoa * baoa - r2 * baba
            h = qb * qb - qa * qc
            tc = (-qb - np.sqrt(np.maximum(h, 0.0))) / qa
            y = baoa + tc * bard
            ok = (h >= 0) & (qa > 1e-12) & (y > 0) & (y < baba) & (tc > 0)
            t = np.where(ok, tc, t)
        for dc, cc in ((da, aa), (db, bb)):
            hs = dc * dc - dd * (cc - r2)
            ts = (dc - np.sqrt(np.maximum(hs, 0.0))) / dd
            t = np.where((hs >= 0) & (ts > 0) & (ts < t), ts, t)
    return t


def _clip_bounds(bb: np.ndarray, w: int, h: int) -> np.ndarray:
    """Integer pixel windows (K, 4) x0, y0, x1, y1 (exclusive ends) of float bounds, clipped."""
    out = np.empty(bb.shape, dtype=np.int64)
    out[:, 0] = np.clip(np.floor(np.nan_to_num(bb[:, 0], neginf=-1e9, posinf=1e9)), 0, w)
    out[:, 1] = np.clip(np.floor(np.nan_to_num(bb[:, 1], neginf=-1e9, posinf=1e9)), 0, h)
    out[:, 2] = np.clip(np.ceil(np.nan_to_num(bb[:, 2], neginf=-1e9, posinf=1e9)) + 1, 0, w)
    out[:, 3] = np.clip(np.ceil(np.nan_to_num(bb[:, 3], neginf=-1e9, posinf=1e9)) + 1, 0, h)
    return out


def render(scene: Scene, ids: bool = False, depth: bool = False) -> Rendering:
    """Render a scene at its image size; ``ids`` / ``depth`` also return the id mask / depth map."""
    K, pr, bg = scene.intrinsics, scene.prims, scene.background
    H, W = scene.height, scene.width
    R = scene.rotation
    d = pixel_rays(scene)
    dd = np.einsum("hwi,hwi->hw", d, d)
    trng = np.random.default_rng(bg["texture_seed"])

    # -- background: ground plane y_level = camera height, back wall z_level = wall distance -------
    with np.errstate(divide="ignore", invalid="ignore"):
        gden = d @ R[:, 1]
        t_g = np.where(gden > 1e-6, scene.camera_height / gden, np.inf)
        wden = d @ R[:, 2]
        t_w = np.where(wden > 1e-6, bg["wall_mm"] / wden, np.inf)
    ground = t_g < t_w
    zbuf = np.minimum(t_g, t_w)
    zbuf = np.where(np.isfinite(zbuf), zbuf, 1e7)
    level = (zbuf[..., None] * d) @ R  # p_level = R^T p_cam
    tile = bg["tile_mm"]
    checker = ((np.floor(level[..., 0] / tile) + np.floor(level[..., 2] / tile)) % 2).astype(np.int64)
    stripes = (np.floor(level[..., 0] / bg["stripe_mm"]) % 2).astype(np.int64)
    floor_c, wall_c = np.asarray(bg["floor"]), np.asarray(bg["wall"])
    colour = np.where(ground[..., None], floor_c[checker], wall_c[stripes])
    base_noise = _noise(trng, H, W, 6)
    colour = colour * (0.8 + 0.4 * base_noise[..., None])
    # distance haze towards a light grey
    haze = np.clip(zbuf / 40000.0, 0.0, 0.6)[..., None]
    colour = colour * (1 - haze) + 0.7 * haze

    # -- primitives: capsules (people, pillars) then boxes ---------------------------------------
    idbuf = np.full((H, W), -1, dtype=np.int32)
    nc, nb = pr.num_capsules, pr.num_boxes
    if nc:
        win = _clip_bounds(capsule_bounds(pr.a, pr.b, pr.radius, K.fx, K.fy, K.cx, K.cy), W, H)
        for c in np.flatnonzero((win[:, 2] > win[:, 0]) & (win[:, 3] > win[:, 1])):
            x0, y0, x1, y1 = win[c]
            t = _capsule_t(d[y0:y1, x0:x1], dd[y0:y1, x0:x1], pr.a[c], pr.b[c], float(pr.radius[c]))
            zs = zbuf[y0:y1, x0:x1]
            m = t < zs
            zs[m] = t[m]
            idbuf[y0:y1, x0:x1][m] = c
    if nb:
        win = _clip_bounds(box_bounds(pr.box_centre, pr.box_axes, pr.box_half, K.fx, K.fy, K.cx, K.cy), W, H)
        for k in np.flatnonzero((win[:, 2] > win[:, 0]) & (win[:, 3] > win[:, 1])):
            x0, y0, x1, y1 = win[k]
            t, _ = ray_box(d[y0:y1, x0:x1], pr.box_centre[k], pr.box_axes[k], pr.box_half[k])
            zs = zbuf[y0:y1, x0:x1]
            m = t < zs
            zs[m] = t[m]
            idbuf[y0:y1, x0:x1][m] = nc + k

    # -- shading ----------------------------------------------------------------------------------
    light = -np.asarray(bg["light"])
    fg = np.flatnonzero(idbuf.ravel() >= 0)
    if fg.size:
        flat_c = colour.reshape(-1, 3)
        pid = idbuf.ravel()[fg]
        p = zbuf.ravel()[fg, None] * d.reshape(-1, 3)[fg]
        normal = np.empty_like(p)
        tex = np.ones(fg.size)
        cap = pid < nc
        if cap.any():
            ci = pid[cap]
            a, ba = pr.a[ci], pr.b[ci] - pr.a[ci]
            s = np.einsum("ki,ki->k", p[cap] - a, ba) / np.maximum(np.einsum("ki,ki->k", ba, ba), 1e-9)
            normal[cap] = p[cap] - (a + np.clip(s, 0, 1)[:, None] * ba)
            person = pr.owner[ci] >= 0
            lv = p[cap] @ R
            fine = (np.sin(lv[:, 1] / 35.0 + pr.part[ci]) * np.sin(lv[:, 0] / 45.0)) * 0.06
            checker3 = (np.floor(lv[:, 0] / 300) + np.floor(lv[:, 1] / 300) + np.floor(lv[:, 2] / 300)) % 2
            tex[cap] = np.where(person, 1.0 + fine, 0.8 + 0.2 * checker3)
            base = pr.colour[ci]
            flat_c[fg[cap]] = base
        bx = ~cap
        if bx.any():
            bi = pid[bx] - nc
            q = np.einsum("kij,kj->ki", pr.box_axes[bi], p[bx] - pr.box_centre[bi])
            face = np.argmax(np.abs(q) / pr.box_half[bi], axis=1)
            sgn = np.sign(q[np.arange(bi.size), face])
            normal[bx] = sgn[:, None] * pr.box_axes[bi, face]
            lv = p[bx] @ R
            planks = np.floor((lv[:, 0] + lv[:, 1] + lv[:, 2]) / 120.0) % 2
            tex[bx] = 0.82 + 0.18 * planks
            flat_c[fg[bx]] = pr.box_colour[bi]
        normal /= np.maximum(np.linalg.norm(normal, axis=1, keepdims=True), 1e-9)
        lam = np.clip(normal @ light, 0.0, 1.0)
        facing = np.clip(-np.einsum("ki,ki->k", normal, p) / np.linalg.norm(p, axis=1), 0.0, 1.0)
        shade = (0.25 + 0.55 * lam + 0.25 * facing) * tex * (0.93 + 0.14 * base_noise.ravel()[fg])
        flat_c[fg] = flat_c[fg] * shade[:, None]
    img = colour * 255.0 + trng.normal(0.0, 2.0, size=colour.shape)
    img = np.clip(img, 0, 255).astype(np.uint8)
    img = cv2.GaussianBlur(img, (3, 3), 0.6)
    out = Rendering(img)
    if ids:
        owner = np.concatenate([pr.owner, np.full(nb, -2)]).astype(np.int16)
        out.ids = np.where(idbuf >= 0, owner[np.maximum(idbuf, 0)] if owner.size else -1, -1).astype(np.int16)
    if depth:
        out.depth = zbuf.astype(np.float32)
    return out
