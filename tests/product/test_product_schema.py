import copy
import json

import numpy as np
import pytest

from hupor.camera import Intrinsics
from hupor.errors import HuporError
from hupor.schema import (MISSING, OCCLUDED_INFERRED, Prediction, intrinsics_json, read_poses,
                          validate_poses, video_json, write_poses)
from hupor.skeleton import MPI15


def make_prediction(n=2, frame=None):
    rng = np.random.default_rng(1)
    K = Intrinsics.default_for(640, 480)
    j3 = rng.normal(0, 300, (n, 15, 3)) + [0, 0, 4000]
    j2 = K.project(j3)
    state = np.zeros((n, 15), np.int8)
    if n:
        state[0, 5] = OCCLUDED_INFERRED
        state[-1, 8] = MISSING
    j2[state == MISSING] = np.nan
    j3[state == MISSING] = np.nan
    return Prediction("a.jpg", 640, 480, K, "default", j2, j3, rng.uniform(0, 1, (n, 15)), state,
                      j3[:, 2, 2], rng.uniform(0, 1, n), frame=frame)


def test_product_schema_roundtrip(tmp_path):
    obj = make_prediction().to_json(MPI15, {"name": "tiny"})
    assert obj["format"] == "hupor-poses" and obj["version"] == 1
    p1 = obj["persons"][1]
    assert p1["joints_2d_px"][8] is None and p1["joints_3d_mm"][8] is None
    assert p1["joint_state"][8] == "missing" and p1["joint_scores"][8] == 0
    assert obj["persons"][0]["joint_state"][5] == "occluded_inferred"
    assert obj["intrinsics"] == {"fx": 640.0, "fy": 640.0, "cx": 320.0, "cy": 240.0, "source": "default"}
    assert obj["skeleton"]["joints"][2] == "pelvis" and len(obj["skeleton"]["limbs"]) == 14
    path = write_poses(tmp_path / "a.json", obj)
    back = read_poses(path)
    assert back == json.loads(json.dumps(obj))
    np.testing.assert_allclose(back["persons"][0]["joints_3d_mm"][0],
                               obj["persons"][0]["joints_3d_mm"][0])


@pytest.mark.parametrize("mutate, field", [
    (lambda o: o.pop("persons"), "poses.persons"),
    (lambda o: o.__setitem__("version", 2), "poses.version"),
    (lambda o: o.__setitem__("format", "x"), "poses.format"),
    (lambda o: o["image"].__setitem__("width", 0), "poses.image.width"),
    (lambda o: o["image"].__setitem__("frame", "3"), "poses.image.frame"),
    (lambda o: o["intrinsics"].__setitem__("fx", -5.0), "poses.intrinsics"),
    (lambda o: o["intrinsics"].__setitem__("source", "guess"), "poses.intrinsics.source"),
    (lambda o: o["persons"][0]["joint_state"].__setitem__(3, "hidden"), "poses.persons[0].joint_state[3]"),
    (lambda o: o["persons"][0]["joints_2d_px"].__setitem__(4, None), "poses.persons[0].joints_2d_px[4]"),
    (lambda o: o["persons"][1]["joints_3d_mm"].__setitem__(8, [1, 2, 3]), "poses.persons[1].joints_3d_mm[8]"),
    (lambda o: o["persons"][0]["joints_3d_mm"].__setitem__(0, [1, 2]), "poses.persons[0].joints_3d_mm[0]"),
    (lambda o: o["persons"][0]["joint_scores"].pop(), "poses.persons[0].joint_scores"),
    (lambda o: o["persons"][0].__setitem__("score", 1.5), "poses.persons[0].score"),
    (lambda o: o["persons"][0].__setitem__("root_depth_mm", -1.0), "poses.persons[0].root_depth_mm"),
    (lambda o: o["persons"][0]["joints_2d_px"].__setitem__(0, [float("nan"), 1.0]),
     "poses.persons[0].joints_2d_px[0][0]"),
    (lambda o: o["skeleton"]["limbs"].append([0, 99]), "poses.skeleton.limbs[14]"),
])
def test_product_schema_rejects_bad_fields(mutate, field):
    obj = make_prediction().to_json(MPI15, {"name": "tiny"})
    validate_poses(copy.deepcopy(obj))
    mutate(obj)
    with pytest.raises(HuporError) as exc:
        validate_poses(obj)
    assert str(exc.value).startswith(field)


def test_product_schema_video(tmp_path):
    preds = [make_prediction(n, frame=i) for i, n in enumerate((0, 1, 2))]
    frames = [p.to_json(MPI15, {"name": "tiny"}) for p in preds]
    obj = video_json("v.avi", 640, 480, 25.0, frames, intrinsics_json(preds[0].intrinsics, "fx"))
    assert obj["video"]["num_frames"] == 3
    write_poses(tmp_path / "v.json", obj)
    assert read_poses(tmp_path / "v.json")["frames"][2]["image"]["frame"] == 2
    bad = copy.deepcopy(obj)
    bad["video"]["num_frames"] = 4
    with pytest.raises(HuporError, match="num_frames"):
        validate_poses(bad)
    bad = copy.deepcopy(obj)
    bad["frames"][1]["image"]["frame"] = None
    with pytest.raises(HuporError, match=r"frames\[1\].image.frame"):
        validate_poses(bad)


def test_product_schema_write_refuses_invalid(tmp_path):
    obj = make_prediction().to_json(MPI15, {"name": "tiny"})
    obj["persons"][0]["id"] = "zero"
    with pytest.raises(HuporError, match="id"):
        write_poses(tmp_path / "x.json", obj)
    assert not (tmp_path / "x.json").exists()
