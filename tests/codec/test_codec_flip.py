import numpy as np
import pytest
import torch
from codec_helpers import F_NET, flip_scene, gt_root_depth_maps, random_scene

from hupor.codec import Codec
from hupor.codec.flip import flip_maps57, flip_root_depth, fuse_flip, maps57_permutation
from hupor.errors import HuporError
from hupor.skeleton import MPI15


def test_flip_tables_are_involutions():
    perm, sign = maps57_permutation(MPI15)
    assert (perm[perm] == np.arange(57)).all()
    assert list(perm[15:15 + 12]) == [15, 16, 17, 18, 19, 20, 30, 31, 32, 33, 34, 35]
    assert (sign[15::3] == -1).all() and (sign[:15] == 1).all() and (sign[16::3] == 1).all()


def test_flip_twice_is_identity(rng):
    m = rng.normal(size=(2, 57, 8, 10)).astype(np.float32)
    np.testing.assert_array_equal(flip_maps57(flip_maps57(m)), m)
    r = rng.normal(size=(7, 8, 10)).astype(np.float32)
    np.testing.assert_array_equal(flip_root_depth(flip_root_depth(r)), r)
    t = torch.from_numpy(m)
    np.testing.assert_array_equal(flip_maps57(t).numpy(), flip_maps57(m))
    np.testing.assert_array_equal(flip_root_depth(torch.from_numpy(r)).numpy(), flip_root_depth(r))
    with pytest.raises(HuporError, match="flip_maps57"):
        flip_maps57(m[:, :56])


def test_encoding_a_mirrored_scene_gives_the_flipped_maps():
    sc = random_scene(np.random.default_rng(5), 8, focal_net=F_NET)
    fs = flip_scene(sc)
    c = Codec()
    a = c.encode(sc.joints_net, sc.joints_3d, sc.visibility, F_NET, subsets=("all",)).maps["all"]
    b = c.encode(fs.joints_net, fs.joints_3d, fs.visibility, F_NET, subsets=("all",)).maps["all"]
    np.testing.assert_allclose(flip_maps57(a), b, atol=1e-3)  # exact up to float rounding
    np.testing.assert_allclose(flip_root_depth(gt_root_depth_maps(sc)), gt_root_depth_maps(fs),
                               atol=1e-6)


def test_fuse_flip():
    rng = np.random.default_rng(1)
    orig = rng.uniform(0, 255, size=(57, 6, 8)).astype(np.float32)
    mirrored_output = flip_maps57(orig)  # what a perfectly equivariant net outputs on the mirror
    np.testing.assert_allclose(fuse_flip(orig, mirrored_output), orig, rtol=1e-6)
    other = rng.uniform(0, 255, size=(57, 6, 8)).astype(np.float32)
    fused = fuse_flip(orig, other)
    back = flip_maps57(other)
    np.testing.assert_allclose(fused[:15], 0.5 * (orig[:15] + back[:15]), rtol=1e-6)
    np.testing.assert_allclose(fused[15::3], 0.5 * (orig[15::3] + back[15::3]), rtol=1e-6)
    np.testing.assert_array_equal(fused[17::3], orig[17::3])  # z: original only
    tf = fuse_flip(torch.from_numpy(orig), torch.from_numpy(other))
    np.testing.assert_allclose(tf.numpy(), fused, rtol=1e-6)
    with pytest.raises(HuporError, match="shapes differ"):
        fuse_flip(orig, other[:, :5])
