"""HigherHRNet + PAF branch: the paper's parameter counts, output shapes, configs, a one-batch overfit."""

import pytest
import torch

from hupor.cli.main import main
from hupor.errors import HuporError
from hupor.nets.blocks import count_parameters
from hupor.plugins.config import LIMBS, HigherHRNetConfig, HRNetConfig
from hupor.plugins.higherhrnet import HigherHRNet
from hupor.train.config import load_experiment
from plugin_helpers import overfit_ratio

TINY = HigherHRNetConfig(hrnet=HRNetConfig(width=8, modules=(1, 1, 1), blocks=(1, 1, 1), stage1_blocks=1,
                                           stem_width=16), deconv_blocks=1)


@pytest.mark.parametrize("config, paper_m", [("higherhrnet-w32", 28.6), ("higherhrnet-w48", 63.8)])
def test_base_network_matches_the_higherhrnet_paper(config, paper_m):
    """Cheng et al. 2020 count HigherHRNet on COCO-17: W32 at 512 28.6 M, W48 at 640 63.8 M."""
    cfg = load_experiment(config, ["model.higherhrnet.joints=coco17"]).model.higherhrnet
    with torch.device("meta"):
        net = HigherHRNet(cfg)
    base = count_parameters(net) - count_parameters(net.paf_head)
    assert abs(base / 1e6 - paper_m) / paper_m < 0.02
    assert count_parameters(net.paf_head) > 0
    with torch.device("meta"):
        plain = HigherHRNet(HigherHRNetConfig(hrnet=cfg.hrnet, joints="coco17", paf_branch=False))
    assert count_parameters(plain) == base and plain.paf_head is None


def test_output_shapes_and_the_paf_branch():
    net = HigherHRNet(TINY).eval()
    out = net(torch.zeros(2, 3, 64, 96))
    j, limbs = 14, len(LIMBS["crowdpose14"])
    assert out.heatmaps.shape == (2, j, 16, 24) and out.tags.shape == (2, j, 16, 24)
    assert out.heatmaps_hi.shape == (2, j, 32, 48) and out.pafs.shape == (2, 2 * limbs, 16, 24)
    wide = HigherHRNet(HigherHRNetConfig(hrnet=TINY.hrnet, deconv_blocks=1, paf_head_width=24)).eval()
    assert wide(torch.zeros(1, 3, 64, 96)).pafs.shape == (1, 2 * limbs, 16, 24)
    assert count_parameters(wide.paf_head) > count_parameters(net.paf_head)
    assert count_parameters(wide) - count_parameters(wide.paf_head) == count_parameters(net) - count_parameters(net.paf_head)
    one_tag = HigherHRNet(HigherHRNetConfig(hrnet=TINY.hrnet, tag_per_joint=False, paf_branch=False)).eval()
    o = one_tag(torch.zeros(1, 3, 64, 64))
    assert o.tags.shape == (1, 1, 16, 16) and o.pafs is None
    with pytest.raises(HuporError, match="multiples of 32"):
        net(torch.zeros(1, 3, 60, 64))


@pytest.mark.parametrize("override, key", [("model.higherhrnet.joints=mpi15", "joints"),
                                           ("model.higherhrnet.hrnet.blocks=[4,4]", "blocks"),
                                           ("model.method=openpose", "model.method")])
def test_bad_configs_name_the_key(override, key):
    with pytest.raises(HuporError, match=key):
        load_experiment("higherhrnet-w32", [override])


def test_one_batch_overfit():
    torch.manual_seed(0)
    x = torch.randn(2, 3, 64, 64)
    hm = torch.zeros(2, 14, 16, 16)
    hm[0, 3, 5, 7] = hm[1, 8, 10, 2] = 1.0
    hm_hi = torch.nn.functional.interpolate(hm, scale_factor=2.0)
    paf = torch.zeros(2, 26, 16, 16)
    paf[:, 4, 4:8, 4:8] = 1.0

    def loss(net):
        o = net(x)
        return ((o.heatmaps - hm) ** 2).mean() + ((o.heatmaps_hi - hm_hi) ** 2).mean() + ((o.pafs - paf) ** 2).mean()

    assert overfit_ratio(HigherHRNet(TINY), loss) < 0.1


def test_info_prints_the_counts(capsys):
    assert main(["info", "--config", "higherhrnet-w32"]) == 0
    out = capsys.readouterr().out
    assert "HigherHRNet-W32" in out and "PAF branch (13 limbs x 2 channels)" in out and "28.6" in out
