"""RefineNet pairs: decoding ground-truth-rendered maps gives one pair per person, matched by pelvis."""

from types import SimpleNamespace

import numpy as np
import pytest

from hupor.codec import CodecParams
from hupor.codec.poses import Poses
from hupor.data.datasets import load_pairs, load_records
from hupor.errors import HuporError
from hupor.methods import OracleMethod
from hupor.skeleton import MPI15
from hupor.train.refiner_data import make_pairs, match_people, save_pairs


def test_pairs_from_ground_truth_maps(tmp_path, tiny_records):
    # the oracle method (ground-truth maps through the seam) stands in for trained networks
    method = OracleMethod(CodecParams(net_w=192, net_h=128), root="perfect")
    records = load_records([tiny_records])
    pairs = make_pairs(method, records, progress=False)
    n_people = sum(r.num_persons for r in records.records)
    assert pairs.num_images == len(records) and pairs.num_gt == n_people
    assert len(pairs.features) == n_people  # every person decoded and matched once
    assert pairs.features.shape == (n_people, 15, 5) and pairs.target.shape == (n_people, 15, 3)
    np.testing.assert_allclose(pairs.target[:, MPI15.root], 0.0)
    # the decoded root-relative 3D is close to the ground truth (cm)
    assert pairs.stats["mpjpe_cm_unrefined"] < 10.0
    # the matched ground truth travels with the pairs (what hupor.lift.calibrate measures on)
    assert pairs.gt_net.shape == (n_people, 15, 2) and pairs.visibility.shape == (n_people, 15)
    uv_root = pairs.features[:, MPI15.root, :2]
    np.testing.assert_allclose(uv_root, pairs.gt_net[:, MPI15.root], atol=1.5)
    np.testing.assert_allclose(pairs.gt_root_cm[:, 2], pairs.features[:, MPI15.root, 4], rtol=0.05)
    path = save_pairs(tmp_path / "p.npz", pairs)
    f, t = load_pairs([path])
    np.testing.assert_array_equal(f, pairs.features)
    np.testing.assert_array_equal(t, pairs.target)


def test_match_people_is_greedy_and_thresholded():
    rec = SimpleNamespace(joints_2d=np.zeros((2, 15, 2)), visibility=np.full((2, 15), 2))
    rec.joints_2d[0, 2] = (10, 10)
    rec.joints_2d[1, 2] = (50, 10)
    j2 = np.zeros((3, 15, 2))
    j2[0, 2] = (48, 11)   # -> GT 1
    j2[1, 2] = (12, 10)   # -> GT 0
    j2[2, 2] = (200, 10)  # too far
    det = np.ones((3, 15), bool)
    poses = Poses(j2, j2, np.zeros((3, 15, 3)), np.ones((3, 15)), det, np.zeros(3), np.ones(3))
    m = match_people(poses, rec, 2, scale=1.0, max_dist_net=10.0)
    assert sorted((p, g) for p, g, _ in m) == [(0, 1), (1, 0)]
    assert match_people(poses, rec, 2, scale=10.0, max_dist_net=10.0) == []


def test_bad_pairs_file(tmp_path):
    np.savez(tmp_path / "bad.npz", features=np.zeros((3, 15, 4)), target=np.zeros((3, 15, 3)))
    with pytest.raises(HuporError, match="expected features"):
        load_pairs([tmp_path / "bad.npz"])
    (tmp_path / "junk.npz").write_bytes(b"not a zip")
    with pytest.raises(HuporError, match="junk.npz"):
        load_pairs([tmp_path / "junk.npz"])
