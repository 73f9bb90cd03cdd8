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

from .body import NUM_PARTS, PART_NAMES, box_bounds, capsule_bounds
from .scene import Scene


@dataclass
class Rendering:
    """image: (H, W, 3) uint8 BGR; ids: (H, W) int16 or None; depth: (H, W) float32 mm or None."""

    image: np.ndarray
    ids: np.ndarray | None = None
    depth: np.ndarray | None = None


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
            ok = (h >= 0) & (qa > 1e-9 * baba * dd) & (y > 0) & (y < baba) & (tc > 0)
            t = np.where(ok, tc, t)
        for dc, cc in ((da, aa), (db, bb)):
            hs = dc * dc - dd * (cc - r2)
            ts = (dc - np.sqrt(np.maximum(hs, 0.0))) / dd
            t = np.where((hs >= 0) & (ts > 0) & (ts < t), ts, t)
    return t


def _box_t(d: np.ndarray, centre: np.ndarray, axes: np.ndarray, half: np.ndarray) -> np.ndarray:
    """First-hit depth of rays d (h, w, 3) on one oriented box (axes: rows); inf on a miss."""
    o = -(axes @ centre)
    dl = d @ axes.T
    tmin = np.full(d.shape[:-1], -np.inf)
    tmax = np.full(d.shape[:-1], np.inf)
    with np.errstate(divide="ignore", invalid="ignore"):
        for k in range(3):
            inv = 1.0 / dl[..., k]
            t1 = (-half[k] - o[k]) * inv
            t2 = (half[k] - o[k]) * inv
            lo, hi = np.minimum(t1, t2), np.maximum(t1, t2)
            lo = np.where(np.isnan(lo), -np.inf, lo)
            hi = np.where(np.isnan(hi), np.inf, hi)
            tmin = np.maximum(tmin, lo)
            tmax = np.minimum(tmax, hi)
    return np.where((tmax >= tmin) & (tmin > 0), tmin, np.inf)


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
    trng = np.random.default_rng(bg["texture_seed"])
    dx = ((np.arange(W) - K.cx) / K.fx)[None, :]
    dy = ((np.arange(H) - K.cy) / K.fy)[:, None]

    def along(k):  # (H, W) dot products of the pixel rays with column k of R (a level-frame axis)
        return dx * R[0, k] + dy * R[1, k] + R[2, k]

    # -- background: ground plane y_level = camera height, back wall z_level = wall distance -------
    gden, wden = along(1), along(2)
    with np.errstate(divide="ignore", invalid="ignore"):
        t_g = np.where(gden > 1e-6, scene.camera_height / gden, np.inf)
        t_w = np.where(wden > 1e-6, bg["wall_mm"] / wden, np.inf)
    ground = t_g < t_w
    zbuf = np.minimum(t_g, t_w)
    zbuf[~np.isfinite(zbuf)] = 1e7
    lx, lz = zbuf * along(0), zbuf * wden  # level-frame x and z of the background point
    tile = bg["tile_mm"]
    checker = (np.floor(lx / tile) + np.floor(lz / tile)).astype(np.int64) & 1
    stripes = np.floor(lx / bg["stripe_mm"]).astype(np.int64) & 1
    table = np.concatenate([np.asarray(bg["wall"]), np.asarray(bg["floor"])]).astype(np.float32)
    colour = table[np.where(ground, 2 + checker, stripes)]
    base_noise = _noise(trng, H, W, 6)
    haze = np.clip(zbuf / 40000.0, 0.0, 0.6).astype(np.float32)
    colour *= ((0.8 + 0.4 * base_noise) * (1 - haze))[..., None]
    colour += (0.7 * haze)[..., None]

    # -- primitives: capsules (people, pillars) then boxes ---------------------------------------
    idbuf = np.full((H, W), -1, dtype=np.int32)
    nc, nb = pr.num_capsules, pr.num_boxes
    if nc or nb:
        d = np.empty((H, W, 3))
        d[..., 0], d[..., 1], d[..., 2] = dx, dy, 1.0
        dd = dx * dx + dy * dy + 1.0
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
            t = _box_t(d[y0:y1, x0:x1], pr.box_centre[k], pr.box_axes[k], pr.box_half[k])
            zs = zbuf[y0:y1, x0:x1]
            m = t < zs
            zs[m] = t[m]
            idbuf[y0:y1, x0:x1][m] = nc + k

    # -- shading of the foreground ---------------------------------------------------------------
    fg = np.flatnonzero(idbuf.ravel() >= 0)
    if fg.size:
        _shade(scene, colour.reshape(-1, 3), fg, idbuf.ravel()[fg], zbuf.ravel()[fg],
               d.reshape(-1, 3)[fg], base_noise.ravel()[fg])
    colour *= 255.0
    colour += trng.integers(-3, 4, size=(H, W, 1)).astype(np.float32)
    img = cv2.GaussianBlur(np.clip(colour, 0, 255).astype(np.uint8), (3, 3), 0.6)
    out = Rendering(img)
    if ids:
        owner = np.concatenate([pr.owner, np.full(nb, -2)]).astype(np.int16)
        out.ids = np.where(idbuf >= 0, owner[np.maximum(idbuf, 0)] if owner.size else -1, -1).astype(np.int16)
    if depth:
        out.depth = zbuf.astype(np.float32)
    return out


_HEAD, _SPINE = PART_NAMES.index("head"), PART_NAMES.index("spine")


#: face features on the head sphere, in the head frame (forward f, up u, lateral l = u × f) of the
#: surface normal n: (n·f min, n·u range, |n·l| range) per feature; colours are BGR in [0, 1]
_EYE = (0.72, (0.10, 0.36), (0.14, 0.44))
_MOUTH = (0.78, (-0.52, -0.30), (0.0, 0.24))
_EYE_BGR = np.array([0.06, 0.05, 0.05])
_LIP_BGR = np.array([0.22, 0.22, 0.50])


def _front_cues(pr, ci: np.ndarray, normal: np.ndarray, base: np.ndarray) -> np.ndarray:
    """The cues that tell a person's front from their back: hair on the back, sides and top of each
    head, a face (two dark eyes and a mouth) in front, and the chest panel on the front of each
    torso. The surface normal (unnormalised, (K, 3)) is read against the owner's facing direction
    and body axis."""
    head, spine = pr.part[ci] == _HEAD, pr.part[ci] == _SPINE
    owner = pr.owner[ci]
    if not (head.any() or spine.any()):
        return base
    fwd = pr.forward()
    nrm = normal / np.maximum(np.linalg.norm(normal, axis=1, keepdims=True), 1e-9)
    f = fwd[np.maximum(owner, 0)]
    facing = np.einsum("ki,ki->k", nrm, f)
    k = np.maximum(owner, 0) * NUM_PARTS + _SPINE
    up = pr.b[k] - pr.a[k]
    up /= np.maximum(np.linalg.norm(up, axis=1, keepdims=True), 1e-9)
    top = np.einsum("ki,ki->k", nrm, up)
    side = np.abs(np.einsum("ki,ki->k", nrm, np.cross(up, f)))
    out = base.copy()
    hair = head & ((facing < 0.3) | (top > 0.62))
    out[hair] = pr.hair[owner[hair]]
    for (fmin, (ulo, uhi), (slo, shi)), colour in ((_EYE, _EYE_BGR), (_MOUTH, _LIP_BGR)):
        feature = head & ~hair & (facing > fmin) & (top > ulo) & (top < uhi) & (side >= slo) & (side < shi)
        out[feature] = colour
    panel = spine & (facing > 0.55)
    out[panel] = pr.chest[owner[panel]]
    return out


def _shade(scene: Scene, flat_colour: np.ndarray, fg: np.ndarray, pid: np.ndarray, z: np.ndarray,
           d: np.ndarray, noise: np.ndarray) -> None:
    """Write shaded colours of the foreground pixels ``fg`` (flat indices) into ``flat_colour``."""
    pr, R = scene.prims, scene.rotation
    nc = pr.num_capsules
    light = -np.asarray(scene.background["light"])
    p = z[:, None] * d
    normal = np.empty_like(p)
    tex = np.ones(fg.size)
    base = np.empty((fg.size, 3))
    cap = pid < nc
    if cap.any():
        ci = pid[cap]
        a, ba = pr.a[ci], pr.b[ci] - pr.a[ci]
        s = np.einsum("ki,ki->k", p[cap] - a, ba) / np.maximum(np.einsum("ki,ki->k", ba, ba), 1e-9)
        normal[cap] = p[cap] - (a + np.clip(s, 0, 1)[:, None] * ba)
        lv = p[cap] @ R
        person = pr.owner[ci] >= 0
        tcap = 1.0 + 0.06 * np.sin(lv[:, 1] / 35.0 + pr.part[ci]) * np.sin(lv[:, 0] / 45.0)
        if not person.all():
            tcap[~person] = 0.8 + 0.2 * (np.floor(lv[~person] / 300.0).sum(axis=1) % 2)
        tex[cap] = tcap
        base[cap] = pr.colour[ci]
        if pr.hair is not None and person.any():
            base[cap] = _front_cues(pr, ci, normal[cap], base[cap])
    bx = ~cap
    if bx.any():
        bi = pid[bx] - nc
        q = np.einsum("kij,kj->ki", pr.box_axes[bi], p[bx] - pr.box_centre[bi])
        face = np.argmax(np.abs(q) / pr.box_half[bi], axis=1)
        sgn = np.sign(q[np.arange(bi.size), face])
        normal[bx] = sgn[:, None] * pr.box_axes[bi, face]
        lv = p[bx] @ R
        tex[bx] = 0.82 + 0.18 * (np.floor(lv.sum(axis=1) / 120.0) % 2)
        base[bx] = pr.box_colour[bi]
    normal /= np.maximum(np.sqrt(np.einsum("ki,ki->k", normal, normal)), 1e-9)[:, None]
    lam = np.clip(normal @ light, 0.0, 1.0)
    facing = np.clip(-np.einsum("ki,ki->k", normal, d) / np.sqrt(np.einsum("ki,ki->k", d, d)), 0.0, 1.0)
    shade = (0.25 + 0.55 * lam + 0.25 * facing) * tex * (0.93 + 0.14 * noise)
    flat_colour[fg] = base * shade[:, None]
