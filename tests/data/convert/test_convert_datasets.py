"""Converters on small fixtures in each real on-disk format."""

import json

import numpy as np
import pytest
import scipy.io

from hupor.camera import Intrinsics
from hupor.data.convert import convert
from hupor.errors import HuporError
from hupor.records import RecordSet, to_smap


def _moon_muco(tmp_path, vis0=True, extra=None):
    kimg = np.tile([500.0, 500.0], (21, 1))
    kcam = np.tile([0.0, 0.0, 4000.0], (21, 1))
    kimg[1] = [812.4, 390.0]                                # MuCo Thorax = MPI15 neck
    kcam[1] = [-310.0, 120.0, 4520.0]
    vis = [True] * 21
    vis[1] = vis0
    vis[5] = False                                          # MuCo L_Shoulder = MPI15 joint 3
    ann = {"id": 1, "image_id": 7, "keypoints_img": kimg.tolist(), "keypoints_cam": kcam.tolist(),
           "keypoints_vis": vis, "bbox": [0, 0, 10, 10]}
    if extra:
        ann.update(extra)
    data = {"images": [{"id": 7, "file_name": "augmented_set/0001.jpg", "width": 2048, "height": 2048,
                        "f": [1497.7, 1497.1], "c": [1024.7, 1051.4]},
                       {"id": 8, "file_name": "augmented_set/0002.jpg", "width": 2048, "height": 2048,
                        "f": [1497.7, 1497.1], "c": [1024.7, 1051.4]}],
            "annotations": [ann]}
    p = tmp_path / "MuCo-3DHP.json"
    p.write_text(json.dumps(data))
    return p


def test_convert_muco_smap_row_worked_example_5_8(tmp_path):
    rs, rep = convert("muco", _moon_muco(tmp_path))
    assert rep.images_read == 2 and rep.images_kept == 1 and rep.dropped["images without people"] == 1
    row = to_smap(rs)["root"][0]["bodys"][0][0]            # MPI15 joint 0 (neck)
    np.testing.assert_allclose(row, [812.4, 390.0, 452.0, 2, -31.0, 12.0, 452.0, 1497.7, 1497.1, 1024.7, 1051.4])
    assert rs[0].visibility[0, 3] == 1                     # keypoints_vis false -> occluded
    out = rs.save(tmp_path / "muco_records.json")
    back = RecordSet.load(out)
    np.testing.assert_allclose(back[0].joints_3d, rs[0].joints_3d)
    # and SMAP's json converts back losslessly
    (tmp_path / "MuCo.json").write_text(json.dumps(to_smap(rs)))
    rs2, rep2 = convert("smap", tmp_path / "MuCo.json")
    np.testing.assert_allclose(rs2[0].joints_3d, rs[0].joints_3d)
    assert rs2[0].meta["sequence"] == "augmented_set" and rep2.persons_kept == 1


def test_convert_muco_malformed(tmp_path):
    with pytest.raises(HuporError, match=r"annotations\[0\]: expected 17 or 21 joints"):
        convert("muco", _moon_muco(tmp_path, extra={"keypoints_img": [[1, 2]] * 20, "keypoints_cam": [[1, 2, 3]] * 20}))
    p = _moon_muco(tmp_path)
    d = json.loads(p.read_text())
    d["annotations"][0]["keypoints_cam"][3][2] = float("nan")
    p.write_text(json.dumps(d))
    with pytest.raises(HuporError, match=r"annotations\[0\].keypoints_cam: non-finite"):
        convert("muco", p)
    del d["annotations"][0]["keypoints_cam"]
    p.write_text(json.dumps(d))
    with pytest.raises(HuporError, match=r"annotations\[0\]: missing field 'keypoints_cam'"):
        convert("muco", p)
    p.write_text(json.dumps({"images": []}))
    with pytest.raises(HuporError, match="missing field 'annotations'"):
        convert("muco", p)
    with pytest.raises(HuporError, match="unknown dataset kind"):
        convert("panoptic", p)


def test_convert_mupots_release_mat(tmp_path, rng):
    K = Intrinsics(1500.0, 1500.0, 1000.0, 1010.0)
    d = tmp_path / "TS3"
    d.mkdir()
    ann = np.empty((2, 2), dtype=object)
    occ = np.empty((2, 2), dtype=object)
    truth = {}
    for f in range(2):
        for p in range(2):
            j3 = rng.uniform(-500, 500, (17, 3)) + [0, 0, 5000]
            ann[f, p] = {"annot2": K.project(j3).T, "annot3": j3.T, "univ_annot3": (j3 + 1.0).T,
                         "isValidFrame": np.array([[int(not (f == 1 and p == 1))]])}
            o = np.zeros((1, 17), np.uint8)
            o[0, 1] = 1                                        # MuPoTS neck occluded
            occ[f, p] = o
            truth[f, p] = j3
    scipy.io.savemat(d / "annot.mat", {"annotations": ann})
    scipy.io.savemat(d / "occlusion.mat", {"occlusion_labels": occ})
    rs, rep = convert("mupots", tmp_path)
    assert len(rs) == 2 and [r.num_persons for r in rs.records] == [2, 1]
    assert rep.dropped["invalid person slots (isValidFrame = 0)"] == 1
    r = rs[0]
    assert r.path == "TS3/img_000000.jpg" and (r.width, r.height) == (2048, 2048)
    np.testing.assert_allclose([r.intrinsics.fx, r.intrinsics.cy], [1500.0, 1010.0], rtol=1e-6)
    np.testing.assert_allclose(r.joints_3d[1, 0], truth[0, 1][1])          # MPI15 neck <- MuPoTS neck
    np.testing.assert_allclose(r.joints_3d[1, 2], truth[0, 1][14])         # pelvis
    np.testing.assert_allclose(np.array(r.meta["univ_3d_mm"])[1, 2], truth[0, 1][14] + 1.0)
    assert r.visibility[0, 0] == 1 and (r.visibility[0, 1:] == 2).all()
    assert r.meta["sequence"] == "TS3"
    from hupor.eval.mupots import evaluate_mupots
    preds = [(x.joints_2d, x.joints_3d) for x in rs.records]
    res = evaluate_mupots(rs, preds)        # annot3 vs univ_annot3 differ by a translation only
    assert res.modes["all"].pooled.pck == pytest.approx(100.0)


def _coco_json(tmp_path, name, joints, extra_img=None):
    n = joints
    kp_full = []
    for j in range(n):
        kp_full += [100.0 + 10 * j, 200.0 + 5 * j, 2]
    few = [0.0] * (3 * n)
    few[0:3] = [5, 5, 2]
    anns = [{"id": 1, "image_id": 1, "category_id": 1, "iscrowd": 0, "num_keypoints": n, "keypoints": kp_full},
            {"id": 2, "image_id": 1, "category_id": 1, "iscrowd": 1, "num_keypoints": n, "keypoints": kp_full,
             "bbox": [300, 100, 50.5, 80]},
            {"id": 3, "image_id": 2, "category_id": 1, "iscrowd": 0, "num_keypoints": 1, "keypoints": few}]
    imgs = [dict({"id": 1, "file_name": "000001.jpg", "width": 640, "height": 480}, **(extra_img or {})),
            {"id": 2, "file_name": "000002.jpg", "width": 640, "height": 480}]
    p = tmp_path / name
    p.write_text(json.dumps({"images": imgs, "annotations": anns, "categories": [{"id": 1, "name": "person"}]}))
    return p, np.array(kp_full).reshape(n, 3)


def test_convert_coco_synthesises_neck_and_pelvis(tmp_path):
    p, kp = _coco_json(tmp_path, "person_keypoints_val2017.json", 17)
    rs, rep = convert("coco", p)
    assert rep.persons_read == 3 and rep.persons_kept == 1 and len(rs) == 1
    assert rep.dropped["crowd annotations (iscrowd = 1; kept in meta.crowd_boxes)"] == 1
    assert rs[0].meta["crowd_boxes"] == [[300.0, 100.0, 50.5, 80.0]]      # a region to ignore, not a person
    assert rep.dropped["people with num_keypoints < 3"] == 1 and rep.dropped["images without people"] == 1
    r = rs[0]
    assert r.path == "val2017/000001.jpg" and not r.has_3d and r.intrinsics.fx == 640
    pelvis = (kp[11, :2] + kp[12, :2]) / 2
    mid_sho = (kp[5, :2] + kp[6, :2]) / 2
    np.testing.assert_allclose(r.joints_2d[0, 2], pelvis)
    np.testing.assert_allclose(r.joints_2d[0, 0], mid_sho + 0.185 * (mid_sho - pelvis))
    np.testing.assert_allclose(r.joints_2d[0, 3], kp[5, :2])               # l_shoulder
    assert r.visibility[0, 1] == 0                                           # head_top unlabelled
    bad = json.loads(p.read_text())
    bad["annotations"][0]["keypoints"] = bad["annotations"][0]["keypoints"][:-3]
    p.write_text(json.dumps(bad))
    with pytest.raises(HuporError, match="expected 17 joints"):
        convert("coco", p)


def test_convert_crowdpose(tmp_path):
    p, kp = _coco_json(tmp_path, "crowdpose_val.json", 14, {"crowdIndex": 0.42})
    rs, rep = convert("crowdpose", p)
    r = rs[0]
    assert r.path == "images/000001.jpg" and r.meta["crowdIndex"] == 0.42 and r.meta["image_id"] == 1
    np.testing.assert_allclose(r.joints_2d[0, 1], kp[12, :2])               # head -> head_top
    np.testing.assert_allclose(r.joints_2d[0, 0], kp[13, :2])               # neck -> neck
    np.testing.assert_allclose(r.joints_2d[0, 2], (kp[6, :2] + kp[7, :2]) / 2)
    assert (r.visibility[0] == 2).all()


def write_h36m(root, subject=9, frames=(0, 1, 64), cams=(1, 2)):
    rng = np.random.default_rng(subject)
    images, anns, joints = [], [], {}
    camera = {}
    for c in cams:
        a = 0.3 * c
        R = np.array([[np.cos(a), 0, np.sin(a)], [0, 1, 0], [-np.sin(a), 0, np.cos(a)]])
        camera[str(c)] = {"R": R.tolist(), "t": [10.0 * c, -20.0, 5000.0], "f": [1145.0, 1144.0], "c": [512.5, 515.0]}
    world = {}
    for f in frames:
        world[f] = rng.uniform(-400, 400, (17, 3))
        joints.setdefault("2", {}).setdefault("1", {})[str(f)] = world[f].tolist()
        for c in cams:
            iid = len(images)
            images.append({"id": iid, "file_name": f"s_{subject:02d}_act_02_subact_01_ca_{c:02d}/{f:06d}.jpg",
                           "width": 1000, "height": 1002, "subject": subject, "action_idx": 2,
                           "subaction_idx": 1, "cam_idx": c, "frame_idx": f})
            anns.append({"id": iid, "image_id": iid, "bbox": [0, 0, 1, 1]})
    images.append(dict(images[0], id=len(images), frame_idx=128))        # no 3D for this frame
    (root / f"Human36M_subject{subject}_data.json").write_text(json.dumps({"images": images, "annotations": anns}))
    (root / f"Human36M_subject{subject}_camera.json").write_text(json.dumps(camera))
    (root / f"Human36M_subject{subject}_joint_3d.json").write_text(json.dumps(joints))
    return world, camera


def test_convert_h36m_json_release(tmp_path):
    world, camera = write_h36m(tmp_path)
    rs, rep = convert("h36m", tmp_path, stride=64)
    assert len(rs) == 4 and rep.dropped["frames not on the stride (64)"] == 2
    assert rep.dropped["frames without 3D joints in joint_3d.json"] == 1
    r = rs[1]
    cam = camera["2"]
    expect = world[0] @ np.array(cam["R"]).T + np.array(cam["t"])
    np.testing.assert_allclose(np.array(r.meta["h36m17_3d_mm"]), expect, atol=1e-4)
    np.testing.assert_allclose(r.joints_3d[0, 0], expect[8])               # neck <- thorax
    np.testing.assert_allclose(r.joints_3d[0, 1], expect[10])              # head_top <- head
    np.testing.assert_allclose(r.joints_2d[0, 2], Intrinsics(1145.0, 1144.0, 512.5, 515.0).project(expect[0]))
    assert r.meta["action"] == "Directions" and r.meta["subject"] == 9 and r.path.startswith("images/s_09")
    rs1, _ = convert("h36m", tmp_path, cameras=[2])
    assert len(rs1) == 3
    with pytest.raises(HuporError, match="no Human36M_subject"):
        convert("h36m", tmp_path / "nothing")


def test_convert_moon_mupots_json(tmp_path):
    kimg = np.tile([900.0, 500.0], (17, 1))
    kcam = np.tile([10.0, 20.0, 4000.0], (17, 1))
    anns = [{"id": 1, "image_id": 3, "keypoints_img": kimg.tolist(), "keypoints_cam": kcam.tolist(),
             "keypoints_vis": [1] * 17, "is_valid": 1},
            {"id": 2, "image_id": 3, "keypoints_img": kimg.tolist(), "keypoints_cam": kcam.tolist(),
             "keypoints_vis": [1] * 17, "is_valid": 0}]
    imgs = [{"id": 3, "file_name": "TS12/img_000004.jpg", "width": 1920, "height": 1080,
             "intrinsic": [1400.0, 1401.0, 960.0, 540.0]},
            {"id": 4, "file_name": "TS12/img_000005.jpg", "width": 1920, "height": 1080,
             "intrinsic": [1400.0, 1401.0, 960.0, 540.0]}]
    p = tmp_path / "MuPoTS-3D.json"
    p.write_text(json.dumps({"images": imgs, "annotations": anns}))
    rs, rep = convert("mupots", p)
    assert len(rs) == 2 and rs[0].num_persons == 1 and rs[1].num_persons == 0      # test images kept
    assert rep.dropped["annotations with is_valid = 0"] == 1
    assert rs[0].meta["sequence"] == "TS12" and rs[0].intrinsics.fy == 1401.0
    imgs[0]["intrinsic"] = [1400.0, 1401.0, 960.0]
    p.write_text(json.dumps({"images": imgs, "annotations": anns}))
    with pytest.raises(HuporError, match=r"images\[0\].intrinsic: expected 4 values"):
        convert("mupots", p)
