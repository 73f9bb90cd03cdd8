"""SSF body fitting for people with 2D joints only: ShapeInit → ShapeOpt → per-image fit.

:class:`ShapeFitter` turns each person of an image (its labelled 2D joints, the image and the
instance mask) into a capsule body in the camera frame (mm):

1. the person's crop (:mod:`hupor.ssf.crops`; with ``joints_input`` also its labelled 2D joints) →
   **ShapeInit** → pose and shape parameters;
2. the person's mask crop and those parameters → **ShapeOpt** → refined parameters;
3. root placement: the root-relative body at the depth that best explains the labelled 2D joints
   (:func:`hupor.lift.lifter.fit_root_depth`, body-size depth as the fallback), the pelvis on its ray;
4. **label-generation fit** (``refine_steps`` > 0; supplement §2.2 uses λθ = λβ = 0): Adam on the
   parameters and the log root depth against the labelled 2D joints (reprojection, in units of the
   box size, × λpos) and the mask (silhouette MSE × λsil). The paper fine-tunes the networks per image
   at lr 1e-5; optimising the body's parameters directly (``refine_lr``) has the same aim at a
   fraction of the cost (a deviation, docs/ssf.md).
"""

from __future__ import annotations

import numpy as np
import torch

from ..camera import Intrinsics
from ..skeleton import MPI15
from .body import forward_kinematics, soft_silhouette
from .crops import CropCamera, crop_camera, crop_person, croppable, joint_input, person_box
from .nets import split_params
from .train import load_shape, normalise


class ShapeFitter:
    """``fit(image, ids, joints_2d, labelled, person_ids, intrinsics) -> joints_3d`` with a trained
    ``shape.pt`` (:func:`hupor.ssf.train.train_shape`)."""

    def __init__(self, path, refine_steps: int = 0, refine_lr: float = 0.01):
        self.cfg, self.init_net, self.opt_net = load_shape(path)
        self.refine_steps, self.refine_lr = int(refine_steps), float(refine_lr)

    @torch.no_grad()
    def _params(self, crops: np.ndarray, masks: np.ndarray, jin: np.ndarray) -> torch.Tensor:
        p0 = self.init_net(normalise(torch.from_numpy(crops)), torch.from_numpy(jin))
        return self.opt_net(torch.from_numpy(masks).float()[:, None], p0)

    def fit(self, image: np.ndarray, ids: np.ndarray, joints_2d: np.ndarray, labelled: np.ndarray,
            person_ids: np.ndarray, intrinsics: Intrinsics) -> np.ndarray:
        """``image`` (H, W, 3) uint8 BGR, ``ids`` (H, W) instance ids, ``joints_2d`` (N, 15, 2) px,
        ``labelled`` (N, 15) bool, ``person_ids`` (N,) each person's id in ``ids`` → joints (N, 15, 3)
        mm, camera frame; NaN for a person without its pelvis or with fewer than 4 labelled joints."""
        from ..lift.lifter import body_size_depth, fit_root_depth

        xy = np.asarray(joints_2d, np.float64)
        lab = np.asarray(labelled, bool)
        out = np.full(xy.shape[:2] + (3,), np.nan)
        who = [p for p in range(len(xy)) if croppable(xy[p], lab[p], MPI15.root)]
        if not who:
            return out
        s = self.cfg.crop
        boxes = [person_box(xy[p], lab[p]) for p in who]
        cut = [crop_person(image, ids, int(person_ids[p]), b, s) for p, b in zip(who, boxes)]
        crops, masks = np.stack([c for c, _ in cut]), np.stack([m for _, m in cut])
        params = self._params(crops, masks, joint_input(xy[who], lab[who], np.array(boxes), s))
        pose, shape = split_params(params.double())
        rel = forward_kinematics(pose, shape, pose.new_zeros((len(who), 3))).numpy()
        sel_xy, sel_lab = xy[who], lab[who]
        z0 = body_size_depth(sel_xy, sel_lab, intrinsics.fx, MPI15)
        z = fit_root_depth(sel_xy, sel_lab, rel, intrinsics, MPI15.root, z0)
        if self.refine_steps > 0:
            cams = np.array([crop_camera(intrinsics, b, s) for b in boxes])
            rel, z = self._refine(params, z, sel_xy, sel_lab, masks, cams, np.array(boxes), intrinsics)
        root = intrinsics.backproject(sel_xy[:, MPI15.root], z)
        out[who] = root[:, None] + rel
        return out

    def _refine(self, params, z, xy, lab, masks, cams, boxes, k: Intrinsics):
        """Per-image fit of (params, log root depth) against the 2D joints and the masks."""
        w = self.cfg.weights
        p = params.detach().double().clone().requires_grad_(True)
        logz = torch.tensor(np.log(z), dtype=torch.float64, requires_grad=True)
        ray = torch.from_numpy(np.stack([(xy[:, MPI15.root, 0] - k.cx) / k.fx,
                                         (xy[:, MPI15.root, 1] - k.cy) / k.fy, np.ones(len(xy))], -1))
        uv_t = torch.from_numpy(np.nan_to_num(xy))
        m = torch.from_numpy(lab).double()
        scale = torch.from_numpy(boxes[:, 2] - boxes[:, 0])
        c = torch.from_numpy(cams).double()
        size = self.cfg.crop
        kc = CropCamera(c[:, :1], c[:, 1:2], c[:, 2:3], c[:, 3:4])
        mask = torch.from_numpy(masks).double()
        opt = torch.optim.Adam([p, logz], lr=self.refine_lr)
        for _ in range(self.refine_steps):
            opt.zero_grad()
            pose, shape = split_params(p)
            joints = forward_kinematics(pose, shape, ray * logz.exp()[:, None])
            uv = torch.stack([k.fx * joints[..., 0] / joints[..., 2] + k.cx,
                              k.fy * joints[..., 1] / joints[..., 2] + k.cy], -1)
            err = ((uv - uv_t).norm(dim=-1) * m).sum(1) / m.sum(1).clamp(min=1) / scale
            sil = soft_silhouette(joints, shape, kc, (0, 0, size, size), (size, size))
            loss = w.pos * err.mean() + w.sil * (sil - mask).pow(2).mean()
            loss.backward()
            opt.step()
        with torch.no_grad():
            pose, shape = split_params(p)
            rel = forward_kinematics(pose, shape, pose.new_zeros((len(p), 3))).numpy()
        return rel, logz.detach().exp().numpy()
