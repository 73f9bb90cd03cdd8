"""The plug-ins' base-stage losses: the limb-weighted PAF MSE and its config key."""

import pytest
import torch

from hupor.errors import HuporError
from hupor.plugins.losses import paf_loss
from hupor.train.config import load_experiment


def _target():
    t = torch.zeros(1, 4, 8, 8)          # two limbs × (x, y)
    t[0, 0, 2, 1:6] = 1.0                # limb 0 along x on row 2
    t[0, 3, 1:4, 6] = -1.0               # limb 1 along -y on column 6
    return t


def test_weight_one_is_the_plain_mse():
    t = _target()
    p = torch.randn_like(t)
    assert torch.allclose(paf_loss(p, t, 1.0), torch.nn.functional.mse_loss(p, t))


def test_limb_cells_count_more_in_both_channels():
    t = _target()
    on_x, on_y, off = torch.zeros_like(t), torch.zeros_like(t), torch.zeros_like(t)
    on_x[0, 1, 2, 3] = 0.5               # the y channel of a limb-0 cell (its target is 0 there)
    on_y[0, 3, 2, 6] = 0.5
    off[0, 1, 7, 7] = 0.5
    w = 10.0
    base = paf_loss(t, t, w)
    assert float(base) == 0.0
    assert paf_loss(t + on_x, t, w) == pytest.approx(w * float(paf_loss(t + off, t, w)))
    assert paf_loss(t + on_y, t, w) == pytest.approx(float(paf_loss(t + on_x, t, w)))
    # predicting zero costs more with the limbs weighted (relative to predicting the limbs everywhere)
    zero = torch.zeros_like(t)
    assert paf_loss(zero, t, w) > 5 * torch.nn.functional.mse_loss(zero, t)
    with pytest.raises(HuporError, match="PAF loss"):
        paf_loss(zero[:, :2], t, w)


def test_the_config_key_is_checked():
    cfg = load_experiment("higherhrnet-cpu", ["model.higherhrnet.paf_limb_weight=20"])
    assert cfg.model.higherhrnet.paf_limb_weight == 20.0
    with pytest.raises(HuporError, match="paf_limb_weight"):
        load_experiment("higherhrnet-cpu", ["model.higherhrnet.paf_limb_weight=0.5"])
