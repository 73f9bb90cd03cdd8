"""SSF labels with the capsule body: the body matches the generator's, the labels agree with the
generator's own on person and self occlusion, and `hupor label` relabels records."""

import numpy as np
import pytest

from hupor.cli.main import main
from hupor.data.synth import SceneConfig, load_motion_library
from hupor.data.synth.occlusion import label_joints
from hupor.data.synth.scene import sample_scene
from hupor.errors import HuporError
from hupor.records import CAUSE_CODE, RecordSet
from hupor.ssf import capsule_points, label_people


@pytest.fixture(scope="module")
def scenes():
    lib = load_motion_library()
    cfg = SceneConfig(width=416, height=256, min_people=2, max_people=5)
    return cfg, [sample_scene(cfg, lib, 9650, i, appearance=False) for i in range(20)]


def test_capsule_points_rebuild_the_generators_body(scenes):
    _, ss = scenes
    for s in ss:
        pts, scale = capsule_points(s.joints_3d)
        np.testing.assert_allclose(scale, s.scale, rtol=0.06)                   # bone-length jitter
        np.testing.assert_allclose(pts[:, 15], s.points[:, 15], atol=0.06 * 105)  # head centre
        np.testing.assert_allclose(pts[:, 20:], s.points[:, 20:], atol=0.06 * 80)  # hands
        feet = np.linalg.norm(pts[:, 16:20] - s.points[:, 16:20], axis=-1)      # the foot's yaw is a guess
        assert np.median(feet) < 80.0 and feet.max() < 300.0
    with pytest.raises(HuporError, match="non-finite"):
        capsule_points(np.full((1, 15, 3), np.nan))


def test_labels_agree_with_the_generator_except_object_occlusion(scenes):
    cfg, ss = scenes
    agree = total = 0
    for s in ss:
        v, c, _ = label_joints(s, cfg)
        e, ec = label_people(s.joints_3d, s.intrinsics, s.width, s.height, cfg)
        m = (v > 0) & (c != CAUSE_CODE["object"])
        agree += int((e[m] == v[m]).sum())
        total += int(m.sum())
        assert ((e == 0) == (v == 0)).all()                                      # truncation is geometric
        assert set(np.unique(ec[e == 1])) <= {CAUSE_CODE["person"], CAUSE_CODE["self"]}
    assert total > 500 and agree / total > 0.97


def test_hupor_ssf_relabels_records_and_refuses_2d_only(tmp_path, capsys):
    assert main(["synth", "--out", str(tmp_path / "s"), "--scenes", "3", "--seed", "2", "--size", "256x160",
                 "--maps", "--no-progress"]) == 0
    src = RecordSet.load(tmp_path / "s" / "annotations.json")
    (tmp_path / "o").mkdir()
    assert main(["ssf", "--records", str(tmp_path / "s" / "annotations.json"), "--out", str(tmp_path / "o" / "l.json")]) == 0
    assert "(3 with an instance mask, 0 labelled from 2D)" in capsys.readouterr().out
    out = RecordSet.load(tmp_path / "o" / "l.json")
    assert len(out) == len(src) and all(r.meta["labels"] == "ssf-capsule+mask" for r in out)
    agree = np.mean([(a.visibility == b.visibility).mean() for a, b in zip(out, src)])
    assert agree > 0.9                                              # the generator's own labels, recovered
    assert out.image_path(out[0]).resolve() == src.image_path(src[0]).resolve()   # paths still point at the images
    import dataclasses

    from hupor.ssf import relabel_records

    flat = dataclasses.replace(src[0], has_3d=False, joints_3d=np.zeros_like(src[0].joints_3d), mask=None)
    with pytest.raises(HuporError, match="no 3D joints and no instance mask"):
        relabel_records([flat])
    two_d = [dataclasses.replace(r, has_3d=False, joints_3d=np.zeros_like(r.joints_3d)) for r in src]
    lab, stats = relabel_records(two_d, src.root)                   # COCO-like: 2D joints + masks
    assert stats["lifted"] == 3 and all(r.meta["labels"] == "ssf-2d+mask" for r in lab)
    assert np.mean([(a.visibility == b.visibility).mean() for a, b in zip(lab, src)]) > 0.85


def test_an_occluder_in_the_mask_hides_the_joints_it_covers(scenes):
    cfg, ss = scenes
    s = next(s for s in ss if s.joints_3d.shape[0] >= 1)
    v0, _ = label_people(s.joints_3d, s.intrinsics, s.width, s.height, cfg)
    uv = s.intrinsics.project(s.joints_3d)
    p, j = map(int, np.argwhere(v0 == 2)[0])                       # a visible joint
    ids = np.zeros((s.height, s.width), np.int64)
    x, y = np.rint(uv[p, j]).astype(int)
    ids[max(0, y - 3):y + 4, max(0, x - 3):x + 4] = 1               # an occluder painted over it
    v, c = label_people(s.joints_3d, s.intrinsics, s.width, s.height, cfg, ids)
    assert v[p, j] == 1 and c[p, j] == CAUSE_CODE["object"]
    others = np.ones_like(v, bool)
    others[p, j] = False
    assert (v[others] == v0[others]).sum() >= others.sum() - 2       # only the joints under it change
    with pytest.raises(HuporError, match="shape"):
        label_people(s.joints_3d, s.intrinsics, s.width, s.height, cfg, ids[:-1])


def test_a_hand_behind_the_back_is_self_occluded():
    """Hand-built: a person facing the camera with the right forearm behind the torso; the hidden
    wrist is occluded by self, the rest of the body (and a side-by-side neighbour) visible."""
    from hupor.camera import Intrinsics

    def person(x):
        j = np.array([[0, -500, 0], [0, -760, 0], [0, 0, 0], [180, -480, 0], [230, -220, 0], [250, 40, 0],
                      [100, 0, 0], [110, 450, 0], [110, 880, 0], [-180, -480, 0], [-200, -250, 150],
                      [-40, -150, 180], [-100, 0, 0], [-110, 450, 0], [-110, 880, 0]], float)
        return j + [x, 0, 4000.0]

    K = Intrinsics(500.0, 500.0, 320.0, 240.0)
    j3 = np.stack([person(-600.0), person(700.0)])
    vis, cause = label_people(j3, K, 640, 480)
    r_wrist = 11
    assert vis[0, r_wrist] == 1 and cause[0, r_wrist] == CAUSE_CODE["self"]
    others = np.ones(15, bool)
    others[[r_wrist, 10]] = False                                  # the elbow sits at the torso's edge
    assert (vis[0, others] == 2).all() and (vis[1, [0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 12, 13, 14]] == 2).all()
