import json

import numpy as np
import pytest

from hupor.errors import HuporError
from hupor.lift.coco import COCO17, coco_to_mpi15, read_image_sizes, read_results
from hupor.skeleton import MPI15

M = {n: i for i, n in enumerate(MPI15.joints)}
C = {n: i for i, n in enumerate(COCO17)}


def person(rng, score=0.9):
    k = np.zeros((17, 3))
    k[:, :2] = rng.uniform(50, 400, (17, 2))
    k[:, 2] = score
    return k


def test_copied_joints_and_midpoints(rng):
    k = person(rng)
    xy, sc, det, anchor = coco_to_mpi15(k[None])
    assert not anchor.any()
    for name in ("l_shoulder", "r_wrist", "l_knee", "r_ankle"):
        np.testing.assert_allclose(xy[0, M[name]], k[C[name], :2])
    np.testing.assert_allclose(xy[0, M["pelvis"]], (k[C["l_hip"], :2] + k[C["r_hip"], :2]) / 2)
    np.testing.assert_allclose(xy[0, M["neck"]], (k[C["l_shoulder"], :2] + k[C["r_shoulder"], :2]) / 2)
    assert not det[0, M["head_top"]] and np.isnan(xy[0, M["head_top"]]).all()   # COCO has no head top
    assert det[0].sum() == 14 and sc[0, M["head_top"]] == 0


def test_low_scores_are_absent_and_one_hip_gives_a_pelvis(rng):
    k = person(rng)
    k[C["r_hip"], 2] = 0.1
    k[C["l_wrist"], 2] = 0.2
    xy, sc, det, _ = coco_to_mpi15(k[None], threshold=0.3)
    assert not det[0, M["r_hip"]] and not det[0, M["l_wrist"]]
    shoulders = k[C["r_shoulder"], :2] - k[C["l_shoulder"], :2]
    np.testing.assert_allclose(xy[0, M["pelvis"]], k[C["l_hip"], :2] + 0.23 * shoulders)
    k[C["l_hip"], 2] = 0.1
    xy, sc, det, anchor = coco_to_mpi15(k[None])    # both hips occluded (low scores): an anchor pelvis
    assert not det[0, M["pelvis"]] and anchor[0] and sc[0, M["pelvis"]] == 0
    np.testing.assert_allclose(xy[0, M["pelvis"]], (k[C["l_hip"], :2] + k[C["r_hip"], :2]) / 2)
    k[[C["l_hip"], C["r_hip"]], 2] = 0.01
    xy, _, det, anchor = coco_to_mpi15(k[None])
    assert not det[0, M["pelvis"]] and not anchor[0] and np.isnan(xy[0, M["pelvis"]]).all()   # no root


def test_read_results_and_sizes(tmp_path, rng):
    res = [{"image_id": 7, "category_id": 1, "keypoints": person(rng).ravel().tolist(), "score": 0.8},
           {"image_id": 7, "keypoints": person(rng).ravel().tolist(), "score": 0.5}]
    (tmp_path / "r.json").write_text(json.dumps(res))
    out = read_results(tmp_path / "r.json")
    assert list(out) == [7] and len(out[7]) == 2 and out[7][0][0].shape == (17, 3)
    (tmp_path / "gt.json").write_text(json.dumps({"images": [{"id": 7, "width": 640, "height": 480,
                                                               "file_name": "000000000007.jpg"}]}))
    assert read_image_sizes(coco_json=tmp_path / "gt.json") == {7: (640, 480, "000000000007.jpg")}
    import cv2
    d = tmp_path / "img"
    d.mkdir()
    cv2.imwrite(str(d / "000000000007.jpg"), np.zeros((48, 64, 3), np.uint8))
    assert read_image_sizes(images_dir=d) == {7: (64, 48, "000000000007.jpg")}


@pytest.mark.parametrize("entry, msg", [
    ({"image_id": 1}, "needs 'image_id' and 'keypoints'"),
    ({"image_id": 1, "keypoints": [1, 2, 3]}, "must be 51 numbers"),
    ({"image_id": "x", "keypoints": [0] * 51}, "image_id must be an integer"),
])
def test_bad_results_name_the_entry(tmp_path, entry, msg):
    (tmp_path / "r.json").write_text(json.dumps([entry]))
    with pytest.raises(HuporError, match=msg) as e:
        read_results(tmp_path / "r.json")
    assert "r.json[0]" in str(e.value)


def test_low_score_keypoints_are_hints(rng):
    from hupor.lift.coco import coco_hints

    k = person(rng)
    k[C["l_wrist"], 2] = 0.1                       # a detector's guess at a hidden wrist
    k[C["l_elbow"], 2] = 0.01                      # below the hint threshold: absent
    k[C["r_shoulder"], 2] = 0.2                    # the neck is then a hint too (a midpoint with a hint)
    xy, hint = coco_hints(k[None], 0.3, 0.05)
    assert hint[0, M["l_wrist"]] and hint[0, M["r_shoulder"]] and hint[0, M["neck"]]
    assert not hint[0, M["l_elbow"]] and not hint[0, M["l_knee"]] and not hint[0, M["head_top"]]
    np.testing.assert_allclose(xy[0, M["l_wrist"]], k[C["l_wrist"], :2])
    assert np.isnan(xy[0, M["l_knee"]]).all()      # detected joints are not hints
    _, _, det, _ = coco_to_mpi15(k[None], 0.3)
    assert not (det & hint).any()
