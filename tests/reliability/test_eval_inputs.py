"""Evaluation input: malformed prediction files, two predictions for one image, broken COCO ground truth."""

import copy
import json
import math

import numpy as np
import pytest
from poses_doc import image_doc, person

GOOD_KP = [0] * 51
GOOD_KP[15:21] = [100, 100, 2, 150, 100, 2]
GOOD_KP[33:39] = [110, 200, 2, 140, 200, 2]
COCO_GT = {"images": [{"id": 1, "width": 640, "height": 480, "file_name": "000001.jpg"}],
           "annotations": [{"id": 1, "image_id": 1, "category_id": 1, "iscrowd": 0, "area": 10000,
                            "num_keypoints": 4, "keypoints": GOOD_KP, "bbox": [50, 50, 100, 200]}],
           "categories": [{"id": 1, "name": "person"}]}


def _pred_doc():
    j2 = [[100.0 + j, 100.0 + 5 * j] for j in range(15)]
    j3 = [[10.0 * j, 20.0 * j, 4000.0] for j in range(15)]
    return image_doc("/coco/val2017/000001.jpg", [person(j2, j3, 0.9)], 640, 480)


def _gt(tmp_path, gt=COCO_GT):
    path = tmp_path / "gt.json"
    path.write_text(json.dumps(gt))
    return path


def _broken(kind):
    doc = _pred_doc()
    p = doc["persons"][0]
    if kind == "version":
        doc["version"] = 2
    elif kind == "nan":
        p["joints_3d_mm"][4] = [math.nan, 0.0, 1.0]
    elif kind == "state":
        p["joint_state"][3] = "hidden"
    elif kind == "null-visible":
        p["joints_2d_px"][5] = None
        p["joints_3d_mm"][5] = None
    elif kind == "huge":
        p["joints_2d_px"][6] = [1e308, 1.0]
    return doc


@pytest.mark.parametrize("kind, fragment", [
    ("version", "version: this hupor reads version 1, got 2"),
    ("nan", "joints_3d_mm[4][0]: expected a finite number"),
    ("state", "joint_state[3]: must be one of"),
    ("null-visible", "joints_2d_px[5]: null but joint_state is 'visible'"),
    ("huge", "joints_2d_px[6][0]: 1e+308 is not a plausible coordinate"),
])
def test_malformed_prediction_files_are_refused(tmp_path, fails, kind, fragment):
    pred = tmp_path / "p.json"
    pred.write_text(json.dumps(_broken(kind)))       # json writes NaN as the NaN literal
    out = tmp_path / "ap.json"
    fails(["eval", "coco", "--pred", pred, "--gt", _gt(tmp_path), "--json", out], str(pred), fragment)
    assert not out.exists()


def test_two_predictions_for_one_image_are_refused_naming_both(tmp_path, fails):
    d = tmp_path / "preds"
    d.mkdir()
    for name in ("a.json", "b.json"):
        (d / name).write_text(json.dumps(_pred_doc()))
    fails(["eval", "coco", "--pred", d, "--gt", _gt(tmp_path)], "two predictions", "a.json", "b.json")


def test_two_predictions_for_one_mupots_image_are_refused(tmp_path):
    from hupor.errors import HuporError
    from hupor.eval.mupots_io import read_mupots_predictions

    d = tmp_path / "preds"
    d.mkdir()
    for name in ("x.json", "y.json"):
        doc = _pred_doc()
        doc["image"]["path"] = "TS1/img_000000.jpg"
        (d / name).write_text(json.dumps(doc))
    with pytest.raises(HuporError, match=r"two predictions for image TS1/img_000000.jpg: .*x.json and .*y.json"):
        read_mupots_predictions(d, [])


@pytest.mark.parametrize("edit, fragment", [
    (lambda g: g["annotations"][0].update(image_id=7), "annotations[0].image_id 7 is not in 'images'"),
    (lambda g: g["annotations"][0]["keypoints"].__setitem__(15, math.nan), "annotations[0].keypoints: non-finite"),
])
def test_broken_coco_ground_truth_is_refused(tmp_path, fails, edit, fragment):
    gt = copy.deepcopy(COCO_GT)
    edit(gt)
    pred = tmp_path / "p.json"
    pred.write_text(json.dumps(_pred_doc()))
    fails(["eval", "coco", "--pred", pred, "--gt", _gt(tmp_path, gt)], "gt.json", fragment)


def test_undefined_ap_is_warned(caplog):
    from hupor.eval.keypoint_ap import keypoint_ap

    gt = copy.deepcopy(COCO_GT)
    gt["annotations"][0]["area"] = 100.0         # only a "small" person: AP medium / large are -1
    det = {"image_id": 1, "category_id": 1, "keypoints": GOOD_KP, "score": 1.0}
    with caplog.at_level("WARNING"):
        stats = keypoint_ap(gt, [det], "coco")
    assert stats["APm"] == -1.0 and "undefined (-1)" in caplog.text


def test_the_untagged_tolerant_reader_still_refuses_absurd_numbers(tmp_path):
    from hupor.errors import HuporError
    from hupor.eval.predictions import read_predictions

    doc = {"image": {"path": "x.jpg"}, "persons": [{"joints_2d_px": [[1e12, 1.0]] * 15, "joints_3d_mm": None}]}
    (tmp_path / "p.json").write_text(json.dumps(doc))
    with pytest.raises(HuporError, match=r"joints_2d_px\[0\]: coordinates must be finite"):
        read_predictions(tmp_path / "p.json")


@pytest.mark.parametrize("content, fragment", [
    ("{not json", "res.json"),
    (json.dumps([{"image_id": 1, "keypoints": [1, 2, 3]}]), "res.json[0].keypoints: must be 51 numbers"),
    (json.dumps([{"image_id": 5, "keypoints": [0] * 51}]), "image_id 5 has no size"),
])
def test_lift_input_errors_are_one_line(tmp_path, fails, content, fragment):
    (tmp_path / "res.json").write_text(content)
    gt = _gt(tmp_path)
    out = tmp_path / "out"
    fails(["lift", tmp_path / "res.json", "--coco-images", gt, "--json-output", out], fragment)
    assert not out.exists()
