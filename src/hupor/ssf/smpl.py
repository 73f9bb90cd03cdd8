"""SSF with SMPL bodies (``hupor ssf --body smpl --smpl-dir DIR``): the user's own SMPL model files
through the ``smplx`` package (``pip install smplx``; hupor ships and downloads no SMPL file).

``DIR`` holds ``SMPL_NEUTRAL.npz`` (the model's arrays: ``v_template``, ``shapedirs``, ``posedirs``,
``J_regressor``, ``kintree_table``, ``weights``, ``f``; read with ``allow_pickle=False``) or the
official ``SMPL_NEUTRAL.pkl`` (a Python pickle, read by smplx: use only the file from the SMPL site).

* **Fit** (:meth:`SMPLBody.fit`): per person, Adam on the global orientation, body pose, shape β and
  translation so that the SMPL joints mapped to MPI15 (:data:`SMPL_TO_MPI15`; head_top ← SMPL's
  head, an approximation) match the 15 3D joints, with small pose and shape priors.
* **Labels** (:func:`label_meshes`): every person's fitted mesh in one scene; per joint, the label
  rule's 5 rays (``SceneConfig.label_radius_px``) are cast exactly against all triangles
  (Möller–Trumbore); a ray whose first hit is another person's surface in front of the joint by more
  than ``visible_margin_mm`` counts "person", its own surface by more than ``self_margin_mm``
  counts "self" (not on the parts around the joint: the SMPL joints its own and neighbouring
  joints' faces move with, as the generator's capsule rule); a majority of hidden rays makes the
  joint occluded (cause the commoner of the two).
"""

from __future__ import annotations

from pathlib import Path

import numpy as np

from ..camera import Intrinsics
from ..data.synth.occlusion import ray_offsets
from ..data.synth.scene import SceneConfig
from ..errors import HuporError
from ..records import CAUSE_CODE

#: SMPL joint index for each MPI15 joint (neck, head_top ← head, pelvis, left arm, left leg, right ...)
SMPL_TO_MPI15 = (12, 15, 0, 16, 18, 20, 1, 4, 7, 17, 19, 21, 2, 5, 8)
MODEL_KEYS = ("v_template", "shapedirs", "posedirs", "J_regressor", "kintree_table", "weights", "f")
INSTALL_HINT = "the SMPL body needs the smplx package: pip install smplx"


class SMPLBody:
    """An SMPL model of ``smpl_dir`` (see the module docstring), on the CPU in float64."""

    def __init__(self, smpl_dir, fit_steps: int = 150, lr: float = 0.05):
        try:
            import smplx
        except ImportError:
            raise HuporError(INSTALL_HINT) from None
        d = Path(smpl_dir)
        if not d.is_dir():
            raise HuporError(f"--smpl-dir {d}: not a folder")
        npz, pkl = d / "SMPL_NEUTRAL.npz", d / "SMPL_NEUTRAL.pkl"
        import torch

        if npz.is_file():
            try:
                with np.load(npz, allow_pickle=False) as z:
                    missing = [k for k in MODEL_KEYS if k not in z.files]
                    if missing:
                        raise HuporError(f"{npz}: not an SMPL model (missing {', '.join(missing)})")
                    arrays = {k: z[k] for k in MODEL_KEYS}
            except (ValueError, OSError) as exc:
                raise HuporError(f"{npz}: not a readable SMPL model ({exc})") from None
            from smplx.utils import Struct

            self.model = smplx.SMPL(str(d), data_struct=Struct(**arrays), dtype=torch.float64)
        elif pkl.is_file():
            self.model = smplx.SMPL(str(pkl), dtype=torch.float64)
        else:
            raise HuporError(f"--smpl-dir {d}: no SMPL_NEUTRAL.npz or SMPL_NEUTRAL.pkl (hupor ships no SMPL files; "
                             "get them from the SMPL site, docs/ssf.md)")
        # only SMPL's 24 kinematic joints are used: the extra keypoints that smplx picks from fixed
        # vertex ids (nose, ears, toes, ...) belong to the real mesh's topology
        self.model.vertex_joint_selector = _kinematic_joints()
        self.faces = np.asarray(self.model.faces, np.int64)
        self.fit_steps, self.lr = int(fit_steps), float(lr)
        weights = self.model.lbs_weights.detach().numpy()
        self.face_part = weights[self.faces].sum(1).argmax(1)          # (F,) the SMPL joint a face moves with
        parents = self.model.parents.numpy()
        self.near = np.zeros((15, weights.shape[1]), bool)             # MPI15 joint → SMPL parts around it
        for j, sj in enumerate(SMPL_TO_MPI15):
            self.near[j, sj] = True
            if parents[sj] >= 0:
                self.near[j, parents[sj]] = True
            self.near[j, parents == sj] = True

    def fit(self, joints_3d: np.ndarray) -> np.ndarray:
        """People's MPI15 joints (N, 15, 3) mm → fitted vertices (N, V, 3) mm, camera frame."""
        import torch

        j = torch.as_tensor(np.asarray(joints_3d, np.float64).reshape(-1, 15, 3) / 1000.0)
        n = len(j)
        if n == 0:
            return np.zeros((0, self.model.v_template.shape[0], 3))
        orient = torch.zeros(n, 3, dtype=torch.float64, requires_grad=True)
        pose = torch.zeros(n, 69, dtype=torch.float64, requires_grad=True)
        betas = torch.zeros(n, self.model.num_betas, dtype=torch.float64, requires_grad=True)
        transl = (j[:, 2] - self.model(betas=betas.detach()[:1]).joints[0, 0]).detach().clone().requires_grad_(True)
        with torch.no_grad():                    # the template faces +z (away); turn it to the camera (y down)
            orient[:, 0] = np.pi
        opt = torch.optim.Adam([orient, pose, betas, transl], lr=self.lr)
        idx = torch.as_tensor(SMPL_TO_MPI15)
        for _ in range(self.fit_steps):
            opt.zero_grad()
            out = self.model(global_orient=orient, body_pose=pose, betas=betas, transl=transl)
            err = (out.joints[:, idx] - j).norm(dim=-1).mean()
            loss = err + 1e-3 * pose.pow(2).mean() + 1e-3 * betas.pow(2).mean()
            loss.backward()
            opt.step()
        with torch.no_grad():
            out = self.model(global_orient=orient, body_pose=pose, betas=betas, transl=transl)
        return out.vertices.numpy() * 1000.0


def _kinematic_joints():
    """A module standing in for smplx's VertexJointSelector: the joints unchanged."""
    from torch import nn

    class KinematicJoints(nn.Module):
        def forward(self, vertices, joints):
            return joints

    return KinematicJoints()


def _first_hits(orig_dirs: np.ndarray, tris: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Rays from the camera centre with directions (R, 3) against triangles (T, 3, 3) → depth t of
    the first hit (R,) (inf: none) and the hit triangle's index (R,) (−1)."""
    v0, e1, e2 = tris[:, 0], tris[:, 1] - tris[:, 0], tris[:, 2] - tris[:, 0]
    best = np.full(len(orig_dirs), np.inf)
    which = np.full(len(orig_dirs), -1)
    for start in range(0, len(tris), 4096):
        sl = slice(start, start + 4096)
        p = np.cross(orig_dirs[:, None], e2[None, sl])                  # (R, t, 3)
        det = (e1[None, sl] * p).sum(-1)
        ok = np.abs(det) > 1e-12
        inv = np.where(ok, 1.0 / np.where(ok, det, 1.0), 0.0)
        s = -v0[None, sl]
        u = (s * p).sum(-1) * inv
        q = np.cross(s, e1[None, sl])
        v = (orig_dirs[:, None] * q).sum(-1) * inv
        t = (e2[None, sl] * q).sum(-1) * inv
        hit = ok & (u >= 0) & (v >= 0) & (u + v <= 1) & (t > 0)
        t = np.where(hit, t, np.inf)
        k = t.argmin(1)
        tk = t[np.arange(len(t)), k]
        better = tk < best
        best[better], which[better] = tk[better], k[better] + start
    return best, which


def label_meshes(vertices: list[np.ndarray], faces: np.ndarray, joints_3d: np.ndarray, intrinsics: Intrinsics,
                 width: int, height: int, rule: SceneConfig = SceneConfig(), face_part: np.ndarray | None = None,
                 near: np.ndarray | None = None) -> tuple[np.ndarray, np.ndarray]:
    """Visibility (N, 15) int8 and cause codes of the joints (N, 15, 3) mm against all people's
    meshes (``vertices[p]`` (V, 3) mm, shared ``faces`` (F, 3)); see the module docstring.
    ``face_part`` (F,) / ``near`` (15, parts) (:class:`SMPLBody`'s): a joint's own surface counts as
    self-occlusion only on parts that are not around it (the generator's rule for its capsules)."""
    j = np.asarray(joints_3d, np.float64).reshape(-1, 15, 3)
    n = len(j)
    vis = np.zeros((n, 15), np.int8)
    cause = np.full((n, 15), CAUSE_CODE["truncated"], np.int8)
    if n == 0:
        return vis, cause
    tris = np.concatenate([np.asarray(v, np.float64)[faces] for v in vertices])
    owner = np.repeat(np.arange(len(vertices)), len(faces))
    uv = intrinsics.project(j.reshape(-1, 3)).reshape(n, 15, 2)
    inside = (j[..., 2] > 1.0) & (uv[..., 0] >= -0.5) & (uv[..., 0] < width - 0.5) & (uv[..., 1] >= -0.5) \
        & (uv[..., 1] < height - 0.5)
    off = ray_offsets(rule.label_radius_px)
    pp, jj = np.nonzero(inside)
    pix = uv[pp, jj][:, None] + off[None]                                   # (K, S, 2)
    d = np.stack([(pix[..., 0] - intrinsics.cx) / intrinsics.fx, (pix[..., 1] - intrinsics.cy) / intrinsics.fy,
                  np.ones(pix.shape[:2])], -1).reshape(-1, 3)
    t, tri = _first_hits(d, tris)
    t, tri = t.reshape(pix.shape[:2]), tri.reshape(pix.shape[:2])
    z = j[pp, jj, 2][:, None]
    hit_owner = np.where(tri >= 0, owner[np.maximum(tri, 0)], -1)
    other = (hit_owner >= 0) & (hit_owner != pp[:, None]) & (t < z - rule.visible_margin_mm)
    own = (hit_owner == pp[:, None]) & (t < z - rule.self_margin_mm)
    if face_part is not None and near is not None:
        part = np.asarray(face_part)[np.maximum(tri, 0) % len(faces)]
        own &= ~np.asarray(near)[jj[:, None], part]
    hidden = (other | own).sum(1) * 2 > off.shape[0]
    vis[pp, jj] = np.where(hidden, 1, 2)
    cause[pp, jj] = np.where(hidden, np.where(other.sum(1) >= own.sum(1), CAUSE_CODE["person"], CAUSE_CODE["self"]),
                             CAUSE_CODE["none"])
    return vis, cause
