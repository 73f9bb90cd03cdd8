"""The 2D plug-in networks' base stage (visible-only supervision): building the network of
``model.method`` and its loss. ``hupor train detector --config pifpaf-cpu`` (or ``higherhrnet-cpu``)
trains it in the shared training loop (:class:`hupor.train.modules.PluginModule`).

Losses (written from the papers):

* **HigherHRNet**: heatmap MSE at 1/4 and 1/2 (mean over pixels and joints, weight 1 each), the
  associative-embedding pull and push at 1/4 (``model.higherhrnet.ae_weight``, 1e-3 each: HigherHRNet's factors), and the PAF
  branch's MSE × ``model.higherhrnet.paf_loss_weight`` (0.5, supplement §1.3); with
  ``model.higherhrnet.paf_limb_weight`` w > 1 the cells on a limb count w times (:func:`paf_loss`,
  a hupor option: about 0.5 % of the cells of a 1/4 map lie on a limb).
* **PifPaf**: :func:`~.fields.pifpaf_loss`.
"""

from __future__ import annotations

import torch
from torch import nn

from ..errors import HuporError
from ..skeleton import MPI15
from .ae import ae_loss
from .data import PLUGIN_METHODS
from .fields import pifpaf_loss

AE_WEIGHT = 1e-3


def build_plugin(model) -> nn.Module:
    """The base network of ``model.method`` (a :class:`hupor.nets.ModelConfig`), randomly initialised."""
    if model.method == "pifpaf":
        from .pifpaf import PifPaf

        net = PifPaf(model.pifpaf)
    elif model.method == "higherhrnet":
        from .higherhrnet import HigherHRNet

        net = HigherHRNet(model.higherhrnet)
    else:
        raise HuporError(f"model.method {model.method!r} is not a 2D plug-in ({', '.join(PLUGIN_METHODS)})")
    net.skeleton = MPI15   # the records' skeleton; outputs are in net.joint_set
    return net


def plugin_config(model):
    """The ``model.<method>`` section of a plug-in model config."""
    return getattr(model, model.method)


def field_stride(model) -> int:
    """Output stride of the plug-in's supervised fields (PifPaf: 16 or 32 / upsample; HigherHRNet: 4)."""
    if model.method == "pifpaf":
        return (32 if model.pifpaf.backbone.maxpool else 16) // model.pifpaf.upsample
    return 4


def paf_loss(pred: torch.Tensor, target: torch.Tensor, limb_weight: float = 1.0) -> torch.Tensor:
    """MSE of the PAF branch (B, 2·L, h, w), the cells on a limb (target ≠ 0 in either channel of that
    limb) weighted ``limb_weight``, the others 1, normalised by the total weight (1 = the plain MSE)."""
    if pred.shape != target.shape:
        raise HuporError(f"PAF loss: prediction {tuple(pred.shape)} and target {tuple(target.shape)} differ")
    if limb_weight == 1.0:
        return nn.functional.mse_loss(pred, target)
    b, c, h, w = target.shape
    on = (target.view(b, c // 2, 2, h, w) != 0).any(2, keepdim=True).expand(-1, -1, 2, -1, -1).reshape(b, c, h, w)
    weight = 1.0 + (limb_weight - 1.0) * on.to(pred.dtype)
    return (weight * (pred - target).pow(2)).sum() / weight.sum()


def plugin_loss(method: str, out, batch: dict, paf_weight: float = 0.5,
                ae_weight: float = AE_WEIGHT, paf_limb_weight: float = 1.0) -> dict[str, torch.Tensor]:
    """Named loss terms and ``"total"`` of one batch (keys of :class:`~.data.PluginDataset`)."""
    if method == "pifpaf":
        return pifpaf_loss(out.pif, out.paf, batch)
    mse = nn.functional.mse_loss
    terms = {"heat_lo": mse(out.heatmaps, batch["heat_lo"]), "heat_hi": mse(out.heatmaps_hi, batch["heat_hi"])}
    pull, push = ae_loss(out.tags, list(batch["joints"].cpu().numpy()))
    terms["ae_pull"], terms["ae_push"] = ae_weight * pull, ae_weight * push
    if out.pafs is not None:
        terms["paf"] = paf_weight * paf_loss(out.pafs, batch["paf"], paf_limb_weight)
    terms["total"] = sum(terms.values())
    return terms
