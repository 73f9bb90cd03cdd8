"""COCO / CrowdPose OKS AP via faster-coco-eval: worked examples §5.5 and §5.6, hupor predictions."""

import json

import numpy as np
import pytest

from hupor.errors import HuporError
from hupor.eval.keypoint_ap import detections_from_predictions, keypoint_ap, oks_matrices
from hupor.eval.predictions import read_predictions


def _coco_5_5():
    kp = [0] * 51
    kp[15:21] = [100, 100, 2, 150, 100, 2]
    gt = {"images": [{"id": 1, "width": 640, "height": 480, "file_name": "000001.jpg"}],
          "annotations": [{"id": 1, "image_id": 1, "category_id": 1, "iscrowd": 0, "area": 10000,
                           "num_keypoints": 2, "keypoints": kp, "bbox": [50, 50, 100, 100]}]}
    dkp = [0] * 51
    dkp[15:21] = [110, 100, 1, 150, 100, 1]
    return gt, [{"image_id": 1, "category_id": 1, "keypoints": dkp, "score": 0.9}]


def test_eval_coco_ap_worked_example_5_5():
    gt, dets = _coco_5_5()
    assert round(float(oks_matrices(gt, dets, "coco")[1][0, 0]), 5) == 0.90925
    s = keypoint_ap(gt, dets, "coco")
    assert [round(s[k], 4) for k in ("AP", "AP50", "AP75", "APm", "APl", "AR", "AR50", "AR75", "ARm", "ARl")] == \
        [0.9, 1.0, 1.0, -1, 0.9, 0.9, 1.0, 1.0, -1, 0.9]


def _crowd_5_6():
    imgs, anns, dets = [], [], []
    for i, (ci, shift, sc) in enumerate([(0.1, 0, 0.9), (0.5, 8, 0.8), (0.9, 20, 0.7)]):
        imgs.append({"id": i + 1, "width": 640, "height": 480, "file_name": f"{i}.jpg", "crowdIndex": ci})
        k = [v for j in range(14) for v in (100 + 5 * j, 100 + 10 * j, 2)]
        d = [v for j in range(14) for v in (100 + 5 * j + shift, 100 + 10 * j, 1)]
        anns.append({"id": i + 1, "image_id": i + 1, "category_id": 1, "iscrowd": 0, "num_keypoints": 14,
                     "keypoints": k, "bbox": [100, 100, 100, 100]})
        dets.append({"image_id": i + 1, "category_id": 1, "keypoints": d, "score": sc})
    return {"images": imgs, "annotations": anns}, dets


def test_eval_crowdpose_ap_worked_example_5_6():
    gt, dets = _crowd_5_6()
    oks = oks_matrices(gt, dets, "crowdpose")
    assert [round(float(oks[i][0, 0]), 4) for i in (1, 2, 3)] == [1.0, 0.7879, 0.2456]
    s = keypoint_ap(gt, dets, "crowdpose")
    assert [round(v, 4) for v in s.values()] == [0.5327, 0.6634, 0.6634, 0.5333, 0.6667, 0.6667, 1.0, 0.6, 0.0]
    assert keypoint_ap(gt, dets, "crowdpose") == s            # evaluator state is not reused


def test_eval_ap_from_hupor_predictions(tmp_path):
    gt, _ = _crowd_5_6()
    mpi_from_crowd = [13, 12, -1, 0, 2, 4, 6, 8, 10, 1, 3, 5, 7, 9, 11]
    for i, a in enumerate(gt["annotations"]):
        k = np.array(a["keypoints"], float).reshape(14, 3)[:, :2]
        j2 = [k[c].tolist() if c >= 0 else ((k[6] + k[7]) / 2).tolist() for c in mpi_from_crowd]
        doc = {"version": 1, "image": {"path": f"/crowd/images/{i}.jpg"},
               "persons": [{"score": 0.9, "joints_2d_px": j2, "joints_3d_mm": None, "joint_scores": [0.8] * 15}]}
        (tmp_path / f"{i}.json").write_text(json.dumps(doc))
    dets, notes = detections_from_predictions(read_predictions(tmp_path), gt, "crowdpose")
    assert len(dets) == 3 and not notes
    assert keypoint_ap(gt, dets, "crowdpose")["AP"] == pytest.approx(1.0)
    coco, _ = _coco_5_5()
    (tmp_path / "c").mkdir()
    (tmp_path / "c" / "x.json").write_text(json.dumps({"image": {"path": "val2017/000001.jpg"},
                                                       "persons": []}))
    dets, _ = detections_from_predictions(read_predictions(tmp_path / "c"), coco, "coco")
    assert dets == [] and keypoint_ap(coco, dets, "coco")["AP"] == 0.0      # empty: documented zero


def test_eval_ap_malformed():
    gt, dets = _coco_5_5()
    with pytest.raises(HuporError, match="expected 42 numbers for crowdpose"):
        keypoint_ap(gt, dets, "crowdpose")
    with pytest.raises(HuporError, match="needs 'images'"):
        keypoint_ap({"annotations": []}, dets, "coco")
    bad = [dict(dets[0], keypoints=dets[0]["keypoints"][:-3])]
    with pytest.raises(HuporError, match="51 finite numbers"):
        keypoint_ap(gt, bad, "coco")
    cg, _ = _crowd_5_6()
    del cg["images"][0]["crowdIndex"]
    with pytest.raises(HuporError, match="crowdIndex"):
        keypoint_ap(cg, [], "crowdpose")
