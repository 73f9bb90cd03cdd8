import numpy as np
import pytest
import torch

from hupor.errors import HuporError
from hupor.nets import RefineNet, apply_refiner, refine_features
from hupor.nets.blocks import count_parameters
from hupor.nets.config import RefinerConfig
from hupor.nets.refinenet import normalized_adjacency
from hupor.skeleton import MPI15


@pytest.mark.parametrize("kind", ["gcn", "mlp"])
def test_output_shape(kind):
    net = RefineNet(RefinerConfig(kind=kind))
    assert net(torch.randn(6, 15, 5)).shape == (6, 15, 3)
    with pytest.raises(HuporError, match="RefineNet input"):
        net(torch.randn(6, 15, 4))


def test_parameter_counts():
    assert count_parameters(RefineNet(RefinerConfig(kind="mlp"))) == pytest.approx(0.16e6, rel=0.02)
    gcn = count_parameters(RefineNet(RefinerConfig(kind="gcn")))
    assert 0.05e6 < gcn < 0.12e6


def test_adjacency_is_symmetric_normalised_skeleton_graph():
    a = normalized_adjacency(MPI15)
    assert torch.allclose(a, a.T)
    assert float(a[0, 1]) > 0 and float(a[0, 5]) == 0.0   # neck-head is a limb, neck-wrist is not
    assert (torch.diagonal(a) > 0).all()


def test_gcn_uses_graph_structure():
    # 4 graph convs (input, 2 layers, output) reach 4 hops: the left ankle reaches the knee strongly,
    # the right wrist (7 hops away) only through the small learnable offset Q
    torch.manual_seed(0)
    net = RefineNet(RefinerConfig(kind="gcn", layers=2, dropout=0.0)).eval()
    x = torch.randn(1, 15, 5)
    x2 = x.clone()
    x2[0, 8] += 5.0                 # left ankle
    with torch.no_grad():
        y, y2 = net(x), net(x2)
    assert not torch.allclose(y[0, 7], y2[0, 7])   # left knee (neighbour)
    assert float((y[0, 7] - y2[0, 7]).abs().sum()) > 10 * float((y[0, 11] - y2[0, 11]).abs().sum())


def test_refine_features_definition():
    uv = np.arange(2 * 15 * 2, dtype=np.float32).reshape(2, 15, 2)
    xyz = np.arange(2 * 15 * 3, dtype=np.float32).reshape(2, 15, 3) + 100
    det = np.ones((2, 15), bool)
    det[0, 5] = False
    det[1, 2] = False            # root missing: whole person zero
    f = refine_features(uv, xyz, det, root=2)
    assert f.shape == (2, 15, 5) and f.dtype == np.float32
    np.testing.assert_allclose(f[0, 2], np.r_[uv[0, 2], xyz[0, 2]])
    np.testing.assert_allclose(f[0, 0], np.r_[uv[0, 0] - uv[0, 2], xyz[0, 0] - xyz[0, 2]])
    assert (f[0, 5] == 0).all() and (f[1] == 0).all()
    with pytest.raises(HuporError, match="shapes"):
        refine_features(uv, xyz[:, :14], det, root=2)
    bad = xyz.copy()
    bad[0, 3, 0] = np.nan
    with pytest.raises(HuporError, match="non-finite"):
        refine_features(uv, bad, det, root=2)


def test_apply_refiner_returns_absolute_mm_and_keeps_the_root():
    torch.manual_seed(0)
    net = RefineNet(RefinerConfig(kind="mlp")).train()
    uv = np.random.default_rng(0).uniform(0, 200, (3, 15, 2))
    xyz = np.random.default_rng(1).uniform(-500, 500, (3, 15, 3))
    xyz[..., 2] += 4000
    det = np.ones((3, 15), bool)
    det[2, 2] = False
    out, ok = apply_refiner(net, uv, xyz, det)
    assert net.training                       # mode restored
    assert ok.tolist() == [True, True, False]
    np.testing.assert_allclose(out[:2, 2], xyz[:2, 2], rtol=1e-6)   # root kept
    np.testing.assert_allclose(out[2], xyz[2], rtol=1e-6)            # no root: unchanged
    with torch.no_grad():
        rel_cm = net.eval()(torch.from_numpy(refine_features(uv, xyz / 10, det, 2)[:2])).numpy()
    np.testing.assert_allclose(out[:2, 0], xyz[:2, 2] + rel_cm[:, 0] * 10, rtol=1e-4, atol=1e-3)
