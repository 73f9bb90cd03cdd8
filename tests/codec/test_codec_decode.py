import numpy as np
import pytest
import torch
from codec_helpers import F_NET, LB, K, Scene, flip_scene, gt_root_depth_maps, random_scene, single_person

from _scenes import grid_scene, roundtrip_errors
from hupor.camera import Letterbox
from hupor.codec import Codec, DecodeParams
from hupor.codec.flip import flip_maps57, flip_root_depth
from hupor.errors import HuporError

CODEC = Codec()


def maps_of(sc, level=3):
    t = CODEC.encode(sc.joints_net, sc.joints_3d, sc.visibility, sc.focal_net, levels=(level,),
                     subsets=("all",))
    return t.maps["all"][0], gt_root_depth_maps(sc)


def test_empty_maps_give_empty_poses():
    p = CODEC.decode(np.zeros((57, 128, 208), np.float32), np.zeros((7, 128, 208)), LB, K)
    assert len(p) == 0
    assert p.joints_net.shape == (0, 15, 2) and p.joints_2d.shape == (0, 15, 2)
    assert p.joints_3d.shape == (0, 15, 3) and p.scores.shape == (0, 15)
    assert p.detected.shape == (0, 15) and p.root_depth_mm.shape == (0,) and p.person_scores.shape == (0,)


@pytest.mark.parametrize("maps_shape, rd_shape, msg", [
    ((56, 128, 208), (7, 128, 208), "maps57 must be"),
    ((1, 57, 128, 208), (7, 128, 208), "maps57 must be"),
    ((57, 128, 208), (6, 128, 208), "root_depth must be"),
    ((57, 128, 200), (7, 128, 200), "letterbox"),
])
def test_bad_shapes(maps_shape, rd_shape, msg):
    with pytest.raises(HuporError, match=msg):
        CODEC.decode(np.zeros(maps_shape, np.float32), np.zeros(rd_shape, np.float32), LB, K)


def test_non_finite_maps():
    m, rd = maps_of(single_person())
    m[20, 3, 4] = np.nan
    with pytest.raises(HuporError, match="maps57.*non-finite"):
        CODEC.decode(m, rd, LB, K)
    m[20, 3, 4] = 0
    rd[0, 0, 0] = np.inf
    with pytest.raises(HuporError, match="root_depth.*non-finite"):
        CODEC.decode(m, rd, LB, K)


def test_one_person_numpy_and_torch():
    sc = single_person(z_mm=3500.0)
    m, rd = maps_of(sc)
    p = CODEC.decode(m, rd, LB, K)
    assert len(p) == 1 and p.detected.all()
    assert np.abs(p.joints_net[0] - sc.joints_net[0]).max() < 0.75
    np.testing.assert_allclose(p.joints_2d, LB.to_image(p.joints_net))
    assert abs(p.root_depth_mm[0] - 3500.0 - (sc.joints_3d[0, 2, 2] - 3500.0)) < 1.0
    assert np.linalg.norm(p.joints_3d[0] - sc.joints_3d[0], axis=1).max() < 15.0
    assert ((p.scores > 0.75) & (p.scores <= 1.0)).all() and 0.75 < p.person_scores[0] <= 1
    pt = CODEC.decode(torch.from_numpy(m), torch.from_numpy(rd), LB, K)
    np.testing.assert_allclose(pt.joints_3d, p.joints_3d)
    for rule in ("weighted", "pelvis"):
        pr = CODEC.decode(m, rd, LB, K, DecodeParams(root_rule=rule))
        assert abs(pr.root_depth_mm[0] - sc.joints_3d[0, 2, 2]) / sc.joints_3d[0, 2, 2] < 0.02


def test_many_people_sorted_near_to_far():
    sc = grid_scene(np.random.default_rng(4), 3, 9, focal_net=F_NET)  # 27 people
    m, rd = maps_of(sc)
    p = CODEC.decode(m, rd, LB, K)
    assert len(p) == 27 and p.detected.mean() > 0.97
    assert (np.diff(p.root_depth_mm) >= 0).all()
    e = roundtrip_errors(sc, p)
    assert e["n_found"] == 27 and np.median(e["err2d"]) < 0.5
    assert len(CODEC.decode(m, rd, LB, K, DecodeParams(max_people=5))) == 5


def test_people_cut_by_the_border():
    near = single_person(z_mm=2000.0, u=416.0, yaw=0.0, seed=1)
    near.joints_net[..., 1] += 150.0  # shift down: legs leave the image, pelvis stays inside
    near.visibility[:] = np.where(near.joints_net[..., 1] < 512, 2, 0)
    gone = single_person(z_mm=5000.0, u=100.0, seed=2)
    gone.joints_net[..., 0] -= 130.0  # pelvis left of the image
    gone.visibility[:] = np.where(gone.joints_net[..., 0] >= 0, 2, 0)
    for sc in (near, gone):
        assert sc.visibility[0].sum() > 0
    joints = np.concatenate([near.joints_net, gone.joints_net])
    j3 = np.concatenate([near.joints_3d, gone.joints_3d])
    vis = np.concatenate([near.visibility, gone.visibility])
    t = CODEC.encode(joints, j3, vis, F_NET, levels=(3,), subsets=("all",))
    both = Scene(joints, j3, vis, F_NET, 832, 512)
    p = CODEC.decode(t.maps["all"][0], gt_root_depth_maps(both), LB, K)
    assert gone.visibility[0, 2] == 0 and near.visibility[0, 2] == 2
    assert len(p) == 1  # the person whose pelvis is outside is not found
    det = p.detected[0]
    assert det[near.visibility[0] == 2].all() and not det[near.visibility[0] == 0].any()
    assert np.isnan(p.joints_3d[0][~det]).all() and (p.scores[0][~det] == 0).all()


def test_decode_of_flipped_maps_mirrors_the_people():
    sc = random_scene(np.random.default_rng(7), 6, focal_net=F_NET, max_overlap=0.2)
    m, rd = maps_of(sc)
    p = CODEC.decode(m, rd, LB, K)
    pf = CODEC.decode(flip_maps57(m), flip_root_depth(rd), LB, K)
    assert len(p) == len(pf)
    e = roundtrip_errors(flip_scene(sc), pf)
    assert e["n_found"] == e["n_gt"] == roundtrip_errors(sc, p)["n_gt"]
    assert np.median(e["err2d"]) < 0.5


@pytest.mark.parametrize("refine", ["mean", "gaussian"])
def test_roundtrip_lightly_overlapping_scenes(refine):
    rng = np.random.default_rng(11)
    agg = {"n_gt": 0, "n_found": 0, "err2d": [], "err3d": [], "root_rel": []}
    for n in (1, 3, 6, 10, 15, 20):
        sc = random_scene(rng, n, focal_net=F_NET, max_overlap=0.25)
        m, rd = maps_of(sc, level=3)
        e = roundtrip_errors(sc, CODEC.decode(m, rd, LB, K, DecodeParams(refine=refine)))
        for k in agg:
            agg[k] += e[k]
    assert agg["n_found"] == agg["n_gt"] > 30
    assert np.median(agg["err2d"]) <= 1.0
    assert np.mean(agg["err3d"]) <= 15.0
    assert np.max(agg["root_rel"]) <= 0.01


def test_letterbox_back_projection():
    lb = Letterbox.fit(640, 640, 832, 512)  # pillar-boxed square image
    sc = single_person(z_mm=4000.0)
    m, rd = maps_of(sc)
    p = CODEC.decode(m, rd, lb, K)
    np.testing.assert_allclose(p.joints_2d, (p.joints_net - [lb.pad_x, lb.pad_y]) / lb.scale)
    f_net = K.fx * lb.scale
    z = sc.joints_3d[0, 2, 2] / 10 / F_NET * f_net * 10  # same map value, other focal
    assert p.root_depth_mm[0] == pytest.approx(z, rel=1e-6)
