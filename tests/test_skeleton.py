import numpy as np
import pytest

from hupor.errors import HuporError
from hupor.skeleton import COCO17, CROWDPOSE14, H36M17, MPI15, MUPOTS17, Skeleton, from_mpi15, to_mpi15


def test_mpi15_flip_tables_match_method():
    assert MPI15.flip == (0, 1, 2, 9, 10, 11, 12, 13, 14, 3, 4, 5, 6, 7, 8)
    assert MPI15.paf_flip == (0, 1, 2, 3, 10, 11, 12, 13, 14, 15, 4, 5, 6, 7, 8, 9,
                              22, 23, 24, 25, 26, 27, 16, 17, 18, 19, 20, 21)
    flip = np.array(MPI15.flip)
    assert (flip[flip] == np.arange(15)).all()  # flipping twice is the identity
    lf = np.array(MPI15.limb_flip)
    assert (lf[lf] == np.arange(14)).all()


def test_mpi15_sizes_and_chain():
    assert MPI15.num_2d_channels == 43 and MPI15.num_map_channels == 57
    assert MPI15.chain[0] == (1, 2, 0, -1)  # pelvis -> neck via limb 1 reversed
    assert MPI15.chain[1] == (0, 0, 1, 1)  # neck -> head
    assert [c[0] for c in MPI15.chain[2:]] == list(range(2, 14))
    assert MPI15.parents[MPI15.root] == -1


def test_skeleton_dict_roundtrip():
    assert Skeleton.from_dict(MPI15.to_dict()) == MPI15
    with pytest.raises(HuporError, match="bad or missing"):
        Skeleton.from_dict({"name": "x"})


def test_coco_to_mpi15_synthesises_neck_and_pelvis():
    pts = np.zeros((17, 2))
    vis = np.full(17, 2)
    pts[5], pts[6] = (10, 10), (30, 10)  # shoulders
    pts[11], pts[12] = (12, 50), (28, 50)  # hips
    out, v = to_mpi15(pts, vis, COCO17)
    np.testing.assert_allclose(out[2], (20, 50))
    np.testing.assert_allclose(out[0], (20, 10 + 0.185 * (10 - 50)))
    assert v[1] == 0 and (out[1] == 0).all()  # head top is not annotated in COCO
    vis[11] = 1
    _, v = to_mpi15(pts, vis, COCO17)
    assert v[2] == 1 and v[0] == 1


@pytest.mark.parametrize("js", [CROWDPOSE14, MUPOTS17, H36M17, COCO17])
def test_joint_set_names_agree_through_mapping(js):
    for i, m in enumerate(js.from_mpi15):
        if m >= 0:
            a, b = js.joints[i], MPI15.joints[m]
            aliases = {("thorax", "neck"), ("head", "head_top")}
            assert a == b or (a, b) in aliases


def test_mupots_roundtrip_and_wrong_joint_count():
    x = np.random.default_rng(0).normal(size=(2, 15, 3))
    mu = from_mpi15(x, MUPOTS17)
    assert np.isnan(mu[:, 15:]).all()
    back, _ = to_mpi15(mu[:, :17], np.full((2, 17), 2), MUPOTS17)
    np.testing.assert_allclose(back, x)
    with pytest.raises(HuporError, match="expected 17 joints"):
        to_mpi15(np.zeros((15, 3)), np.zeros(15), MUPOTS17)
