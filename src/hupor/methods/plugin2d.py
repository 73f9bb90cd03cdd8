"""The 2D plug-in methods (``hupor.plugins``) behind the method seam: a bundle whose ``method`` is
``higherhrnet`` or ``pifpaf`` (base network as its detector, optional reasoner) predicts 2D poses in
the plug-in joint set (CrowdPose-14 by default), written in the 2D-only form of ``hupor-poses``::

    net input → nets.preprocess → base network → [reasoner on its heatmaps and limb fields,
    hupor.plugins.reason] → the method's own decoder (associative embedding / greedy PifPaf)
    → joint states from the base network's (visible-only) heatmaps

Joint states: ``visible`` where the base network's heatmap (stride 4) supports the joint, else
``occluded_inferred`` (a joint only the reasoner's maps give); people are sorted by score. No 3D.
"""

from __future__ import annotations

import numpy as np

from ..camera import Intrinsics, Letterbox
from ..codec import CodecParams, Poses
from ..errors import HuporError
from .stages import JointStateStage

HIGHER_TAG_THRESHOLD = 1.0


class Plugin2DMethod:
    """Base network (+ reasoner) of a loaded plug-in :class:`~hupor.nets.ModelBundle`. ``decode``:
    the decoder's peak/seed threshold (default 0.1). ``scales``: the multi-scale test (HigherHRNet's
    0.5, 1, 2): the network runs on the input resized by each scale (sides rounded to multiples of
    32), every map is resized back to the scale-1 size and averaged; the tags are the scale-1 run's
    (HigherHRNet concatenates the tags of all scales; our decoder compares one tag per joint)."""

    scales: tuple[float, ...] = (1.0,)

    def __init__(self, bundle, codec_params: CodecParams | None = None, decode=None, flip_test: bool = False,
                 info: dict | None = None, runtime: str = "torch", precision: str = "fp32"):
        from ..plugins.losses import plugin_config
        from ..plugins.reason import REASON_STRIDE, plugin_skeleton

        if flip_test or runtime not in ("torch", "auto") or precision not in ("fp32", "auto"):
            raise HuporError(f"{bundle.method}: flip test, the {runtime!r} runtime and {precision!r} precision are "
                             "not available for the 2D plug-ins (use the torch runtime, fp32, without --flip)")
        self.bundle, self.name = bundle, bundle.method
        model = bundle.model_config
        self.joints = plugin_config(model).joints
        self.grouping = model.higherhrnet.grouping if self.name == "higherhrnet" else "fields"
        from ..plugins.pafgroup import KEEP_RATIO, POINT_THR

        self.paf_point_thr, self.paf_keep_ratio = POINT_THR, KEEP_RATIO   # the PAF grouping's line-integral test
        self.skeleton = plugin_skeleton(self.joints)
        self.codec_params = codec_params if codec_params is not None else bundle.codec_params()
        from ..codec import DecodeParams

        self.decode_params = decode if decode is not None else DecodeParams(peak_threshold=0.1)
        self.threshold = float(self.decode_params.peak_threshold)
        self.stride = REASON_STRIDE
        self.device = next(bundle.detector.parameters()).device
        self.info = {"method": self.name, "dims": 2, "reasoner": bundle.reasoner is not None,
                     "joints": self.joints, "runtime": "torch", "precision": "fp32", **(info or {})}

    def infer(self, net_in: np.ndarray, records=None) -> list[dict]:
        """(B, H, W, 3) uint8 BGR letterboxed images → per image the decoder's inputs (numpy) and
        ``det_heat`` (J, H/4, W/4), the base network's heatmaps in [0, 1]."""
        import torch
        import torch.nn.functional as F

        from ..nets import preprocess
        from ..plugins.reason import base_maps, fields_to_maps57, maps57_to_fields

        net = self.bundle.detector
        with torch.inference_mode():
            x = preprocess(net_in).to(self.device)
            out = net(x)
            if tuple(self.scales) != (1.0,):
                out = _multi_scale(net, x, out, self.scales)
            heat, paf = base_maps(self.name, net, out, limbs=self.bundle.reasoner is not None)
            reasoned = limb_fields = None
            if self.bundle.reasoner is not None:
                reasoned, limb_fields = maps57_to_fields(self.bundle.reasoner.infer(fields_to_maps57(heat, paf)),
                                                         self.skeleton)
                reasoned = reasoned.clamp(0, 1)
            if self.name == "higherhrnet":
                lo, hi = out.heatmaps.clamp(0, 1), out.heatmaps_hi.clamp(0, 1)
                if reasoned is not None:
                    lo = reasoned
                    hi = torch.maximum(hi, F.interpolate(reasoned, size=hi.shape[-2:], mode="bilinear",
                                                         align_corners=False))
                pafs = limb_fields if limb_fields is not None else out.pafs
                rows = [{"heat_lo": lo[i], "tags": out.tags[i], "heat_hi": hi[i],
                         **({"pafs": pafs[i]} if self.grouping == "paf" else {})} for i in range(len(x))]
            else:
                from ..plugins.pifpaf import fields

                f = fields(out)
                hr = None
                if reasoned is not None:
                    hr = F.interpolate(reasoned, scale_factor=2, mode="bilinear", align_corners=False)
                rows = [{**{k: v[i] for k, v in f.items()}, **({"hr": hr[i]} if hr is not None else {})}
                        for i in range(len(x))]
        det = heat.float().cpu().numpy()
        return [{**{k: v.float().cpu().numpy() for k, v in r.items()}, "det_heat": det[i]} for i, r in enumerate(rows)]

    def decode(self, raw: dict, letterbox: Letterbox, intrinsics: Intrinsics) -> Poses:
        from ..plugins.config import LIMBS

        if self.name == "higherhrnet":
            from ..plugins.ae import decode_higher

            if self.grouping == "paf":
                from ..plugins.pafgroup import decode_higher_paf

                kp, score = decode_higher_paf(raw["heat_lo"], raw["pafs"], raw["heat_hi"], LIMBS[self.joints],
                                              self.threshold, keep_ratio=self.paf_keep_ratio,
                                              point_thr=self.paf_point_thr)
            else:
                kp, score = decode_higher(raw["heat_lo"], raw["tags"], raw["heat_hi"], self.threshold,
                                          HIGHER_TAG_THRESHOLD)
        else:
            from ..plugins.fields import decode_pifpaf

            f = {k: raw[k] for k in ("pif_c", "pif_vec", "pif_scale", "paf_c", "paf_vec", "paf_b")}
            kp, score = decode_pifpaf(f, LIMBS[self.joints], self.bundle.detector.stride,
                                      seed_threshold=max(self.threshold, 0.05), hr=raw.get("hr"))
        return poses_2d(kp, score, letterbox)

    def stages(self, visible_threshold: float = 0.1, visible_radius: int = 1) -> list:
        return [JointStateStage(self.stride, visible_threshold, visible_radius)]


def _multi_scale(net, x, out, scales):
    """``out`` with every map (tags excepted) replaced by the mean over ``scales`` (see the class)."""
    import dataclasses

    import torch
    import torch.nn.functional as F

    h, w = x.shape[-2:]
    keep = {"tags"}
    maps = {k: [v] for k, v in vars(out).items() if v is not None and k not in keep}
    for s in scales:
        if s == 1.0:
            continue
        size = (max(32, int(round(h * s / 32)) * 32), max(32, int(round(w * s / 32)) * 32))
        o = net(F.interpolate(x, size=size, mode="bilinear", align_corners=False))
        for k in maps:
            v = getattr(o, k)
            if k in ("pif", "paf"):          # PifPaf fields: vectors, spreads and scales scale with the map
                v = v.clone()
                ratio = maps[k][0].shape[-1] / v.shape[-1]
                v[:, :, 1:3 if k == "pif" else 5] *= ratio
                v[:, :, 3:5 if k == "pif" else 7] += float(np.log(ratio))
            flat = v.flatten(1, -3) if v.dim() == 5 else v
            flat = F.interpolate(flat, size=maps[k][0].shape[-2:], mode="bilinear", align_corners=False)
            maps[k].append(flat.reshape(maps[k][0].shape))
    return dataclasses.replace(out, **{k: torch.stack(v).mean(0) for k, v in maps.items()})


def poses_2d(kp: np.ndarray, score: np.ndarray, letterbox: Letterbox) -> Poses:
    """Decoded keypoints (N, J, 3) (x, y network-input px, score; 0 = absent) → 2D-only
    :class:`Poses` sorted by score (joints_3d and root depth NaN, ``dims`` 2)."""
    kp = np.asarray(kp, np.float64)
    n, j = kp.shape[:2] if kp.ndim == 3 else (0, 0)
    order = np.argsort(-np.asarray(score, np.float64), kind="stable")
    kp = kp[order]
    detected = kp[..., 2] > 0
    net = np.where(detected[..., None], kp[..., :2], np.nan)
    img = letterbox.to_image(net.reshape(-1, 2)).reshape(n, j, 2) if n else net
    return Poses(net, np.where(detected[..., None], img, np.nan), np.full((n, j, 3), np.nan),
                 np.where(detected, kp[..., 2], 0.0).astype(np.float32), detected, np.full(n, np.nan),
                 np.asarray(score, np.float64)[order], dims=2)
