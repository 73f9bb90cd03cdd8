"""``hupor eval`` and ``hupor convert`` end to end on small real-format fixtures."""

import json

import numpy as np
import scipy.io

from hupor.camera import Intrinsics
from hupor.cli.main import main

MPI = [1, 0, 14, 5, 6, 7, 11, 12, 13, 2, 3, 4, 8, 9, 10]


def _release(root, rng):
    K = Intrinsics(1400.0, 1400.0, 960.0, 540.0)
    d = root / "TS7"
    d.mkdir(parents=True)
    ann = np.empty((2, 1), dtype=object)
    occ = np.empty((2, 1), dtype=object)
    people = []
    for f in range(2):
        j3 = rng.uniform(-400, 400, (17, 3)) + [0, 0, 4000]
        ann[f, 0] = {"annot2": K.project(j3).T, "annot3": j3.T, "univ_annot3": j3.T, "isValidFrame": np.array([[1]])}
        occ[f, 0] = np.zeros((1, 17), np.uint8)
        people.append((K.project(j3), j3))
    scipy.io.savemat(d / "annot.mat", {"annotations": ann})
    scipy.io.savemat(d / "occlusion.mat", {"occlusion_labels": occ})
    return people


def test_eval_cli_mupots_table_and_json(tmp_path, rng, capsys):
    people = _release(tmp_path / "gt", rng)
    (tmp_path / "pred").mkdir()
    for f, (j2, j3) in enumerate(people[:1]):             # frame 1 has no prediction file
        doc = {"version": 1, "image": {"path": f"TS7/img_{f:06d}.jpg", "frame": None},
               "persons": [{"id": 0, "score": 1.0, "joints_2d_px": j2[MPI].tolist(),
                            "joints_3d_mm": j3[MPI].tolist(), "joint_scores": [1.0] * 15}]}
        (tmp_path / "pred" / f"{f}.json").write_text(json.dumps(doc))
    rc = main(["eval", "mupots", "--pred", str(tmp_path / "pred"), "--gt", str(tmp_path / "gt"),
               "--json", str(tmp_path / "out.json")])
    out = capsys.readouterr().out
    assert rc == 0 and "mean over sequences" in out and "pooled over people" in out and "TS7" in out
    res = json.loads((tmp_path / "out.json").read_text())
    assert res["relative"]["modes"]["all"]["pooled"]["pck"] == 50.0
    assert res["absolute"]["modes"]["matched"]["pooled"]["pck"] == 100.0
    assert res["relative"]["modes"]["matched"]["sequence_mean"]["pck_occ"] is None   # nothing occluded
    rc = main(["eval", "mupots", "--pred", str(tmp_path / "nope"), "--gt", str(tmp_path / "gt")])
    assert rc == 2 and "no such file or directory" in capsys.readouterr().err


def test_eval_cli_coco_and_convert(tmp_path, capsys):
    kp = [0] * 51
    kp[15:21] = [100, 100, 2, 150, 100, 2]
    kp[33:39] = [110, 200, 2, 140, 200, 2]
    gt = {"images": [{"id": 1, "width": 640, "height": 480, "file_name": "000001.jpg"}],
          "annotations": [{"id": 1, "image_id": 1, "category_id": 1, "iscrowd": 0, "area": 10000,
                           "num_keypoints": 4, "keypoints": kp, "bbox": [50, 50, 100, 200]}],
          "categories": [{"id": 1, "name": "person"}]}
    gp = tmp_path / "person_keypoints_val2017.json"
    gp.write_text(json.dumps(gt))
    rc = main(["convert", "coco", str(gp), "--out", str(tmp_path / "recs.json")])
    out = capsys.readouterr().out
    assert rc == 0 and "kept 1 images / 1 persons" in out
    recs = json.loads((tmp_path / "recs.json").read_text())
    assert recs["format"] == "hupor-records" and recs["images"][0]["path"] == "val2017/000001.jpg"
    j2 = np.array(recs["images"][0]["persons"][0]["joints_2d_px"])
    doc = {"version": 1, "image": {"path": "/coco/val2017/000001.jpg"},
           "persons": [{"score": 0.9, "joints_2d_px": j2.tolist(), "joints_3d_mm": None, "joint_scores": [0.9] * 15}]}
    (tmp_path / "p.json").write_text(json.dumps(doc))
    rc = main(["eval", "coco", "--pred", str(tmp_path / "p.json"), "--gt", str(gp), "--json", str(tmp_path / "ap.json")])
    assert rc == 0 and "AP" in capsys.readouterr().out
    assert json.loads((tmp_path / "ap.json").read_text())["stats"]["AP"] == 1.0
    rc = main(["convert", "coco", str(tmp_path / "missing.json"), "--out", str(tmp_path / "x.json")])
    assert rc == 2 and not (tmp_path / "x.json").exists()
