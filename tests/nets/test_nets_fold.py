"""Conv–BN folding leaves the detector's and the reasoner's inference outputs unchanged (stride 4 and 2)."""

import pytest
import torch

from hupor.nets import DSED, Detector, DetectorConfig, ReasonerConfig
from hupor.nets.fold import InferenceChain, fold_batchnorm
from hupor.nets.layout import det_to_maps57

SMALL = dict(stages=2, blocks=(1, 1, 1, 1), widths=(4, 4, 8, 8), decoder_width=8)


def _random_bn(net):
    """Non-trivial BN statistics and affine parameters (fresh ones fold to the identity)."""
    g = torch.Generator().manual_seed(0)
    for m in net.modules():
        if isinstance(m, torch.nn.BatchNorm2d):
            c = m.num_features
            m.running_mean.copy_(torch.rand(c, generator=g) - 0.5)
            m.running_var.copy_(torch.rand(c, generator=g) + 0.5)
            m.weight.data.copy_(torch.rand(c, generator=g) + 0.5)
            m.bias.data.copy_(torch.rand(c, generator=g) - 0.5)
    return net.eval()


def _close(a, b):
    torch.testing.assert_close(b, a, atol=1e-4 * float(a.abs().max()), rtol=1e-4)


@pytest.mark.parametrize("stride", [4, 2])
@pytest.mark.parametrize("head_bn", [True, False])
def test_folding_leaves_outputs_unchanged(stride, head_bn):
    torch.manual_seed(0)
    det = _random_bn(Detector(DetectorConfig(**SMALL, stem_width=8, head_bn=head_bn), stride=stride))
    rea = _random_bn(DSED(ReasonerConfig(**SMALL, head_bn=head_bn), stride=stride))
    fdet, frea = fold_batchnorm(det), fold_batchnorm(rea)
    assert not any(isinstance(m, torch.nn.BatchNorm2d) for m in list(fdet.modules()) + list(frea.modules()))
    assert any(isinstance(m, torch.nn.BatchNorm2d) for m in det.modules())  # original untouched
    x = torch.randn(2, 3, 64, 96)
    with torch.inference_mode():
        for a, b in zip(det.infer(x), fdet.infer(x)):
            assert a.shape[-2:] == (64 // stride, 96 // stride)
            _close(a, b)
        x57 = det_to_maps57(*det.infer(x)[:2])
        _close(rea.infer(x57), frea.infer(x57))
        plain, folded = InferenceChain(det, rea, fold=False)(x), InferenceChain(det, rea)(x)
        assert torch.equal(plain[1], rea.infer(x57))  # fold=False runs the given modules as they are
    for a, b in zip(plain, folded):
        _close(a, b)
