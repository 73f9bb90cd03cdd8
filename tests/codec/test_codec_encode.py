import numpy as np
import pytest
from codec_helpers import F_NET, random_scene, single_person

from hupor.codec import Codec, CodecParams
from hupor.errors import HuporError
from hupor.skeleton import MPI15

J, P = 15, 14


def enc(sc, **kw):
    return Codec().encode(sc.joints_net, sc.joints_3d, sc.visibility, sc.focal_net, **kw)


def test_shapes_scales_and_levels():
    sc = random_scene(np.random.default_rng(0), 4, focal_net=F_NET)
    t = enc(sc)
    assert set(t.maps) == {"vis", "all", "occ"}
    for m in t.maps.values():
        assert m.shape == (5, 57, 128, 208) and m.dtype == np.float32
    m = t.maps["all"]
    heat_max = m[:, :J].max(axis=(2, 3))
    labelled = (sc.visibility >= 1).any(axis=0)
    assert np.allclose(heat_max[:, labelled], 255, atol=1e-3) and (heat_max[:, ~labelled] == 0).all()
    xy = m[:, J:].reshape(5, P, 3, 128, 208)[:, :, :2]
    assert np.abs(xy).max() <= 127 + 1e-3
    # wider Gaussians / PAFs at coarser levels
    assert (m[0, :J] > 1).sum() > (m[4, :J] > 1).sum()
    assert (xy[0] != 0).sum() > (xy[4] != 0).sum()
    # levels 2, 3, 4 share the PAF half-width 1
    np.testing.assert_array_equal(m[2, J:], m[4, J:])
    t2 = enc(sc, levels=(3,), subsets=("all",))
    np.testing.assert_array_equal(t2.maps["all"][0], m[3])


def test_heatmap_is_gaussian_at_exact_subpixel_position():
    joints = np.full((1, J, 2), np.nan)
    vis = np.zeros((1, J), int)
    joints[0, 4] = (101.3, 57.9)  # output coords ((101.3 - 1.5) / 4, (57.9 - 1.5) / 4)
    vis[0, 4] = 2
    t = Codec().encode(joints, np.full((1, J, 3), 1000.0), vis, 600.0, levels=(3,), subsets=("vis",))
    hm = t.maps["vis"][0, 4].astype(np.float64)
    rr, cc = np.mgrid[0:128, 0:208]
    u, v = (101.3 - 1.5) / 4, (57.9 - 1.5) / 4
    g = np.exp(-((cc - u) ** 2 + (rr - v) ** 2) / (2 * 1.37**2))
    inside = (np.abs(cc - 25) <= 5) & (np.abs(rr - 14) <= 5)  # the ⌈3σ⌉ window around pixel (14, 25)
    np.testing.assert_allclose(hm[inside], (255 * g / g.max())[inside], atol=1e-3)
    assert (hm[~inside] == 0).all()
    w = hm * inside
    assert abs((w * cc).sum() / w.sum() - u) < 0.01
    assert abs((w * rr).sum() / w.sum() - v) < 0.01


def test_paf_direction_depth_and_width():
    sc = single_person(z_mm=3000.0)
    t = enc(sc, subsets=("vis",))
    k = 12  # l_hip -> l_knee, a long limb
    a, b = (sc.joints_net[0, 6] - 1.5) / 4, (sc.joints_net[0, 7] - 1.5) / 4
    u = (b - a) / np.linalg.norm(b - a)
    dz_cm = (sc.joints_3d[0, 7, 2] - sc.joints_3d[0, 6, 2]) / 10
    for lev, width in ((0, 3), (4, 1)):
        paf = t.maps["vis"][lev, J + 3 * k: J + 3 * k + 3]
        on = np.abs(paf[0]) + np.abs(paf[1]) > 0
        np.testing.assert_allclose(paf[0][on], 127 * u[0], rtol=1e-5, atol=1e-4)
        np.testing.assert_allclose(paf[1][on], 127 * u[1], rtol=1e-5, atol=1e-4)
        np.testing.assert_allclose(paf[2][on], dz_cm, atol=1e-4)  # exact cm, not int-cast
        rr, cc = np.nonzero(on)
        p = np.stack([cc, rr], 1) - a
        perp = np.abs(p[:, 0] * u[1] - p[:, 1] * u[0])
        assert perp.max() < width
        mid = np.floor((a + b) / 2 + 0.5).astype(int)
        assert on[mid[1], mid[0]]


def test_overlapping_people_are_averaged():
    sc = single_person(z_mm=3000.0)
    j2 = np.concatenate([sc.joints_net, sc.joints_net])
    j3 = np.concatenate([sc.joints_3d, sc.joints_3d])
    j3[1, 7, 2] += 200.0  # second copy: knee 20 cm further
    t = Codec().encode(j2, j3, np.full((2, J), 2), F_NET, levels=(4,), subsets=("all",))
    k = 12
    z = t.maps["all"][0, J + 3 * k + 2]
    on = t.maps["all"][0, J + 3 * k] != 0
    dz = (sc.joints_3d[0, 7, 2] - sc.joints_3d[0, 6, 2]) / 10
    np.testing.assert_allclose(z[on], dz + 10.0, atol=1e-4)  # mean of dz and dz + 20


def test_subsets_and_valid_mask():
    sc = single_person()
    vis = sc.visibility.copy()
    vis[0, 4] = 1  # l_elbow occluded
    vis[0, 5] = 0  # l_wrist unlabelled
    t = Codec().encode(sc.joints_net, sc.joints_3d, vis, F_NET, levels=(4,))
    hv, ha, ho = (t.maps[s][0, :J].max(axis=(1, 2)) for s in ("vis", "all", "occ"))
    assert hv[4] == 0 and ha[4] > 0 and ho[4] > 0 and hv[5] == ha[5] == ho[5] == 0
    assert ho[[j for j in range(J) if j != 4]].max() == 0
    paf_on = {s: np.abs(t.maps[s][0, J:].reshape(P, 3, -1)).max(axis=(1, 2)) > 0 for s in t.maps}
    # limb 6 = (3, 4) l_sho -> l_elbow (one occluded end); limb 7 = (4, 5) (unlabelled end)
    assert not paf_on["vis"][6] and paf_on["all"][6] and paf_on["occ"][6]
    assert not paf_on["all"][7] and not paf_on["occ"][7]
    assert paf_on["vis"][12] and not paf_on["occ"][12]
    assert (t.valid == 1).all()
    t2 = Codec().encode(sc.joints_net, None, vis, F_NET, has_3d=False, levels=(4,))
    v = t2.valid
    assert v[1] == 0 and v[J] == 0 and v[J + 1] == 0  # head-top heatmap, neck-head PAF x/y
    assert (v[J + 2::3] == 0).all() and v.sum() == 57 - 1 - 2 - 14
    assert (t2.root_depth == 0).all() and (t2.maps["all"][0, J + 2::3] == 0).all()


def test_root_depth_targets():
    sc = random_scene(np.random.default_rng(2), 3, focal_net=F_NET)
    sc.visibility[1, 12] = 1  # occluded R-hip: no root-depth target
    t = enc(sc, levels=(4,), subsets=("vis",))
    rd = t.root_depth
    assert rd.shape == (7, 20, 3)
    for m, j in enumerate(MPI15.torso):
        for n in range(3):
            x, y = sc.joints_net[n, j]
            inside = 0 <= x < 832 and 0 <= y < 512
            if sc.visibility[n, j] == 2 and inside:
                assert rd[m, n, 0] == np.floor((y + 0.5) / 4) and rd[m, n, 1] == np.floor((x + 0.5) / 4)
                assert rd[m, n, 2] == pytest.approx(sc.joints_3d[n, j, 2] / 10 / F_NET, rel=1e-6)
            else:
                assert (rd[m, n] == 0).all()
    assert (rd[:, 3:] == 0).all()
    assert (rd[6, 1] == 0).all()


def test_max_people_and_empty():
    sc = random_scene(np.random.default_rng(3), 5, focal_net=F_NET)
    c = Codec(params=CodecParams(max_people=2))
    t = c.encode(sc.joints_net, sc.joints_3d, sc.visibility, F_NET, levels=(4,), subsets=("all",))
    assert t.root_depth.shape == (7, 2, 3)
    t0 = Codec().encode(np.zeros((0, J, 2)), np.zeros((0, J, 3)), np.zeros((0, J), int), F_NET)
    assert all((m == 0).all() for m in t0.maps.values()) and (t0.root_depth == 0).all()


def test_joints_outside_the_map():
    joints = np.zeros((1, J, 2))
    joints[0, :] = (-30.0, 100.0)  # 7.5 output px left of the map
    joints[0, 2] = (5000.0, 100.0)  # far outside
    t = Codec().encode(joints, np.full((1, J, 3), 2000.0), np.full((1, J), 2), F_NET, levels=(0,))
    assert t.maps["vis"][0, 0].max() > 0  # Gaussian tail enters the map
    assert t.maps["vis"][0, 2].max() == 0
    assert (t.root_depth == 0).all()


@pytest.mark.parametrize("bad, msg", [
    (dict(joints_net=np.zeros((1, 14, 2))), "joints_net"),
    (dict(visibility=np.full((1, J), 3)), "visibility values"),
    (dict(visibility=np.full((2, J), 2)), "visibility must be"),
    (dict(joints_3d_mm=np.zeros((1, J, 2))), "joints_3d_mm must be"),
    (dict(focal_net=-5.0), "focal_net"),
    (dict(levels=(5,)), "levels"),
    (dict(subsets=("visible",)), "subsets"),
])
def test_bad_inputs(bad, msg):
    sc = single_person()
    kw = dict(joints_net=sc.joints_net, joints_3d_mm=sc.joints_3d, visibility=sc.visibility,
              focal_net=F_NET)
    kw.update(bad)
    with pytest.raises(HuporError, match=msg):
        Codec().encode(**kw)


def test_non_finite_and_nonpositive_depth():
    sc = single_person()
    j2 = sc.joints_net.copy()
    j2[0, 3, 0] = np.nan
    with pytest.raises(HuporError, match="non-finite"):
        Codec().encode(j2, sc.joints_3d, sc.visibility, F_NET)
    vis = sc.visibility.copy()
    vis[0, 3] = 0  # an unlabelled joint may hold NaN
    Codec().encode(j2, sc.joints_3d, vis, F_NET, levels=(4,), subsets=("vis",))
    j3 = sc.joints_3d.copy()
    j3[0, 5, 2] = -10.0
    with pytest.raises(HuporError, match="Z <= 0"):
        Codec().encode(sc.joints_net, j3, sc.visibility, F_NET)
    with pytest.raises(HuporError, match="required"):
        Codec().encode(sc.joints_net, None, sc.visibility, F_NET)
