import numpy as np
import pytest
import torch

from hupor.codec.layout import det_to_maps57, maps57_to_det
from hupor.errors import HuporError


def test_layout_roundtrip_numpy_and_torch(rng):
    maps2d = rng.normal(size=(2, 43, 4, 6)).astype(np.float32)
    z = rng.normal(size=(2, 14, 4, 6)).astype(np.float32)
    m57 = det_to_maps57(maps2d, z)
    assert m57.shape == (2, 57, 4, 6)
    np.testing.assert_array_equal(m57[:, :15], maps2d[:, :15])
    for k in range(14):  # limb k: (x, y, z) interleaved
        np.testing.assert_array_equal(m57[:, 15 + 3 * k], maps2d[:, 15 + 2 * k])
        np.testing.assert_array_equal(m57[:, 15 + 3 * k + 1], maps2d[:, 15 + 2 * k + 1])
        np.testing.assert_array_equal(m57[:, 15 + 3 * k + 2], z[:, k])
    back2d, backz = maps57_to_det(m57)
    np.testing.assert_array_equal(back2d, maps2d)
    np.testing.assert_array_equal(backz, z)
    t57 = det_to_maps57(torch.from_numpy(maps2d[0]), torch.from_numpy(z[0]))
    assert isinstance(t57, torch.Tensor) and t57.shape == (57, 4, 6)
    np.testing.assert_array_equal(t57.numpy(), m57[0])
    t2d, tz = maps57_to_det(t57)
    np.testing.assert_array_equal(t2d.numpy(), maps2d[0])
    np.testing.assert_array_equal(tz.numpy(), z[0])


def test_layout_bad_shapes():
    with pytest.raises(HuporError, match="det_to_maps57"):
        det_to_maps57(np.zeros((43, 4, 6)), np.zeros((14, 4, 5)))
    with pytest.raises(HuporError, match="det_to_maps57"):
        det_to_maps57(np.zeros((20, 4, 6)), np.zeros((14, 4, 6)))
    with pytest.raises(HuporError, match="expected"):
        maps57_to_det(np.zeros((56, 4, 6)))
