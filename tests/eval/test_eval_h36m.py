"""Human3.6M MPJPE / PA-MPJPE: worked example §5.7, per-action tables and the file-level path."""

import json

import numpy as np
import pytest

from hupor.errors import HuporError
from hupor.eval.h36m import evaluate_h36m, evaluate_h36m_files, mpjpe, pa_mpjpe

GT = np.array([[0, 0, 0], [100, 0, 0], [0, 100, 0], [0, 0, 100]], float)[None]


def test_eval_h36m_worked_example_5_7():
    assert mpjpe(2 * GT, GT)[0] == pytest.approx(75.0)
    assert pa_mpjpe(2 * GT, GT)[0] == pytest.approx(0.0, abs=1e-9)
    assert round(float(pa_mpjpe(2 * GT, GT, scale=False)[0]), 2) == 73.01
    rz = np.array([[0, -1, 0], [1, 0, 0], [0, 0, 1]], float)
    rot = GT @ rz.T
    assert round(float(mpjpe(rot, GT)[0]), 2) == 70.71
    assert pa_mpjpe(rot, GT)[0] == pytest.approx(0.0, abs=1e-9)
    mirror = GT * [-1, 1, 1]                        # a reflection is not a rotation: stays > 0
    assert pa_mpjpe(mirror, GT)[0] > 1.0


def test_eval_h36m_per_action_and_missing(rng):
    gt = rng.normal(0, 300, (6, 17, 3))
    pred = gt + rng.normal(0, 10, gt.shape)
    pred[5] = np.nan                                 # missing frame
    pred[:, [7, 9]] = np.nan                         # spine / nose not predicted
    res = evaluate_h36m(gt, pred, ["Eating"] * 2 + ["Walking"] * 4)
    assert res.frames == 5 and res.missing == 1 and len(res.joints) == 15 and "spine" not in res.joints
    assert res.actions["Walking"]["frames"] == 3
    m = (res.actions["Eating"]["mpjpe"] + res.actions["Walking"]["mpjpe"]) / 2
    assert res.action_mean["mpjpe"] == pytest.approx(m)
    assert res.frame_mean["pa_mpjpe"] < res.frame_mean["mpjpe"] < 30
    with pytest.raises(HuporError, match="no frame has a prediction"):
        evaluate_h36m(gt, np.full_like(gt, np.nan), ["a"] * 6)
    with pytest.raises(HuporError, match="shape"):
        evaluate_h36m(gt, pred[:, :16], ["a"] * 6)


def _write_release(root, subject=9):
    """Human36M_subject9_{data,camera,joint_3d}.json: 2 cameras x frames 0, 64 of action 3."""
    rng = np.random.default_rng(1)
    root.mkdir()
    cams = {str(c): {"R": np.eye(3).tolist(), "t": [50.0 * c, 0.0, 4500.0], "f": [1145.0, 1144.0],
                     "c": [512.0, 515.0]} for c in (1, 2)}
    images, joints = [], {"3": {"1": {}}}
    for f in (0, 64):
        joints["3"]["1"][str(f)] = rng.uniform(-400, 400, (17, 3)).tolist()
        for c in (1, 2):
            images.append({"id": len(images), "file_name": f"s_09_act_03_ca_0{c}/{f:06d}.jpg", "width": 1000,
                           "height": 1002, "action_idx": 3, "subaction_idx": 1, "cam_idx": c, "frame_idx": f})
    anns = [{"id": i, "image_id": i} for i in range(len(images))]
    (root / f"Human36M_subject{subject}_data.json").write_text(json.dumps({"images": images, "annotations": anns}))
    (root / f"Human36M_subject{subject}_camera.json").write_text(json.dumps(cams))
    (root / f"Human36M_subject{subject}_joint_3d.json").write_text(json.dumps(joints))


def test_eval_h36m_files_from_json_release(tmp_path):
    from hupor.data.convert.h36m import read_h36m_release
    _write_release(tmp_path / "gt")
    fr = read_h36m_release(tmp_path / "gt", [9], 64)
    mpi = [8, 10, 0, 11, 12, 13, 4, 5, 6, 14, 15, 16, 1, 2, 3]
    (tmp_path / "pred").mkdir()
    for i, (path, j3, K) in enumerate(zip(fr.paths, fr.joints_cam, fr.intrinsics)):
        pred3 = 1.1 * (j3 - j3[0]) + j3[0]                             # 10 % too large
        far = pred3 + [3000.0, 0, 0]
        persons = [{"score": 0.5, "joints_2d_px": K.project(x[mpi]).tolist(), "joints_3d_mm": x[mpi].tolist()}
                   for x in (far, pred3)]
        doc = {"version": 1, "image": {"path": f"/h36m/images/{path}"}, "persons": persons}
        (tmp_path / "pred" / f"{i}.json").write_text(json.dumps(doc))
    res = evaluate_h36m_files(tmp_path / "pred", tmp_path / "gt", subjects=[9], stride=64)
    assert res.frames == 4 and res.missing == 0 and list(res.actions) == ["Discussion"]
    assert res.frame_mean["pa_mpjpe"] == pytest.approx(0.0, abs=1e-6)   # nearest person chosen, scale removed
    assert res.frame_mean["mpjpe"] > 10 and "spine" not in res.joints
    (tmp_path / "pred" / "0.json").unlink()
    assert evaluate_h36m_files(tmp_path / "pred", tmp_path / "gt", subjects=[9]).missing == 1
    with pytest.raises(HuporError, match="missing Human36M_subject11_data.json"):
        evaluate_h36m_files(tmp_path / "pred", tmp_path / "gt", subjects=[11])


def test_synth_h36m_preset_is_ground_truth_for_eval_h36m(tmp_path, capsys):
    """`hupor synth --preset h36m`: one person per H36M-like image with the 17 H36M joints in the
    record; `hupor eval h36m` scores predictions against it (PA-MPJPE 0 for the true joints ×1.1)."""
    from hupor.cli.main import main
    from hupor.records import RecordSet
    from poses_doc import image_doc, person

    assert main(["synth", "--out", str(tmp_path / "s"), "--scenes", "3", "--seed", "4", "--preset", "h36m",
                 "--no-progress"]) == 0
    rs = RecordSet.load(tmp_path / "s" / "annotations.json")
    assert all(r.num_persons == 1 and (r.width, r.height) == (1000, 1000) for r in rs)
    assert all(1140 <= r.intrinsics.fx <= 1150 for r in rs)
    (tmp_path / "pred").mkdir()
    for i, r in enumerate(rs):
        h = np.asarray(r.meta["h36m17_3d_mm"])
        assert h.shape == (17, 3)
        np.testing.assert_allclose(h[0], r.joints_3d[0, 2])                   # pelvis = MPI15 pelvis
        j3 = 1.1 * (r.joints_3d[0] - r.joints_3d[0, 2]) + r.joints_3d[0, 2]
        doc = image_doc(r.path, [person(r.joints_2d[0].tolist(), j3.tolist())], 1000, 1000)
        (tmp_path / "pred" / f"{i}.json").write_text(json.dumps(doc))
    res = evaluate_h36m_files(tmp_path / "pred", tmp_path / "s" / "annotations.json", subjects=None)
    assert res.frames == 3 and res.missing == 0
    assert res.frame_mean["pa_mpjpe"] == pytest.approx(0.0, abs=1e-6) and res.frame_mean["mpjpe"] > 5
    with pytest.raises(SystemExit):
        main(["synth", "--out", str(tmp_path / "x"), "--scenes", "1", "--preset", "coco"])
