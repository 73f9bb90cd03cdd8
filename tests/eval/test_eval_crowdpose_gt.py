"""Synthetic scenes as CrowdPose ground truth: the crowd index as CrowdPose defines it, the file
format, and a round trip through the CrowdPose evaluation (AP 1 for the ground truth itself)."""

import json

import numpy as np
import pytest

from hupor.cli.main import main
from hupor.eval.crowdpose_gt import crowd_index, records_to_crowdpose
from hupor.eval.keypoint_ap import keypoint_ap
from hupor.records import RecordSet


def test_crowd_index_counts_other_peoples_joints_inside_each_box():
    a = np.array([[0, 0], [10, 0], [0, 10], [10, 10]], float)        # box 0..10
    b = np.array([[5, 5], [20, 5], [20, 20], [30, 30]], float)        # one joint inside a's box
    lab = np.ones((2, 4), bool)
    # person a: 1 of b's joints in its box / 4 own; person b (box 5..30): a's (10, 10) inside -> 1/4
    assert crowd_index(np.stack([a, b]), lab) == pytest.approx(0.25)
    lab[1, 0] = False                                                 # b's (5, 5) unlabelled
    # a: 0/4; b's box is now 20..30: none of a's joints -> 0/3
    assert crowd_index(np.stack([a, b]), lab) == 0.0
    assert crowd_index(a[None], np.ones((1, 4), bool)) == 0.0          # alone: no crowd


def test_synth_writes_crowdpose_ground_truth_that_scores_itself_perfectly(tmp_path, capsys):
    assert main(["synth", "--out", str(tmp_path / "s"), "--scenes", "6", "--seed", "3", "--size", "256x160",
                 "--people", "2-5", "--crowdpose", "--no-progress"]) == 0
    assert "crowd index easy" in capsys.readouterr().out
    gt = json.loads((tmp_path / "s" / "crowdpose.json").read_text())
    recs = RecordSet.load(tmp_path / "s" / "annotations.json")
    assert len(gt["images"]) == 6 and all("crowdIndex" in im for im in gt["images"])
    cat = gt["categories"][0]
    assert cat["keypoints"][12:] == ["head", "neck"] and len(cat["skeleton"]) == 13
    for a in gt["annotations"]:
        v = np.asarray(a["keypoints"]).reshape(14, 3)[:, 2]
        assert a["num_keypoints"] == int((v[:12] > 0).sum()) and set(v.tolist()) <= {0, 1, 2}
    assert len(gt["annotations"]) <= sum(r.num_persons for r in recs)
    dets = [{"image_id": a["image_id"], "category_id": 1, "keypoints": a["keypoints"], "score": 1.0}
            for a in gt["annotations"]]
    stats = keypoint_ap(gt, dets, "crowdpose")
    assert stats["AP"] == pytest.approx(1.0, abs=1e-6)
