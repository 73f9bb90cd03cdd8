"""PifPaf and the shared ResNet: ResNet-18/34/50 counts, field shapes, configs, a one-batch overfit."""

import pytest
import torch

from hupor.cli.main import main
from hupor.errors import HuporError
from hupor.nets.blocks import count_parameters
from hupor.plugins.config import LIMBS, PifPafConfig, ResNetConfig
from hupor.plugins.pifpaf import PifPaf, fields
from hupor.plugins.resnet import ResNet
from hupor.train.config import load_experiment
from plugin_helpers import overfit_ratio

TINY = PifPafConfig(backbone=ResNetConfig(block="basic", layers=(1, 1, 1, 1), width=8, stem_width=8, maxpool=False))


@pytest.mark.parametrize("cfg, torchvision_m", [
    (ResNetConfig(block="basic", layers=(2, 2, 2, 2)), 11.690 - 0.513),     # ResNet-18 without its fc
    (ResNetConfig(block="basic", layers=(3, 4, 6, 3)), 21.798 - 0.513),     # ResNet-34 (SSF's ShapeInit)
    (ResNetConfig(block="bottleneck", layers=(3, 4, 6, 3)), 25.557 - 2.049)])  # ResNet-50 (PifPaf)
def test_resnet_counts_match_the_standard_networks(cfg, torchvision_m):
    with torch.device("meta"):
        net = ResNet(cfg)
    assert abs(count_parameters(net) / 1e6 - torchvision_m) < 0.002


def test_fields_come_out_at_stride_8():
    net = PifPaf(TINY).eval()
    out = net(torch.zeros(2, 3, 64, 96))
    j, limbs = 14, len(LIMBS["crowdpose14"])
    assert net.stride == 8 and out.pif.shape == (2, j, 5, 8, 12) and out.paf.shape == (2, limbs, 7, 8, 12)
    f = fields(out)
    assert f["pif_c"].min() >= 0 and f["pif_c"].max() <= 1 and (f["pif_b"] > 0).all()
    assert f["paf_vec"].shape == (2, limbs, 2, 2, 8, 12) and f["paf_b"].shape == (2, limbs, 2, 8, 12)
    with pytest.raises(HuporError, match="multiples of 16"):
        net(torch.zeros(1, 3, 40, 64))
    with_pool = ResNet(ResNetConfig(block="basic", layers=(1, 1, 1, 1), width=8, stem_width=8))
    assert with_pool(torch.zeros(1, 3, 64, 64)).shape[-1] == 2                 # stride 32 with the max-pool


@pytest.mark.parametrize("override, key", [("model.pifpaf.backbone.block=dense", "block"),
                                           ("model.pifpaf.upsample=3", "upsample"),
                                           ("model.pifpaf.joints=h36m17", "joints")])
def test_bad_configs_name_the_key(override, key):
    with pytest.raises(HuporError, match=key):
        load_experiment("pifpaf-r50", [override])


def test_one_batch_overfit():
    torch.manual_seed(0)
    x = torch.randn(2, 3, 64, 64)
    target_c = torch.zeros(2, 14, 8, 8)
    target_c[0, 2, 3, 4] = target_c[1, 7, 5, 1] = 1.0
    target_vec = torch.randn(2, 14, 2, 8, 8)

    def loss(net):
        o = net(x)
        bce = torch.nn.functional.binary_cross_entropy_with_logits(o.pif[:, :, 0], target_c)
        return bce + (o.pif[:, :, 1:3] - target_vec).abs().mean()

    assert overfit_ratio(PifPaf(TINY), loss) < 0.3


def test_info_prints_the_heads(capsys):
    assert main(["info", "--config", "pifpaf-r50"]) == 0
    out = capsys.readouterr().out
    assert "ResNet backbone" in out and "23.508 M" in out and "PAF head (13 limbs x 7 channels)" in out
