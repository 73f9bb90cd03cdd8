"""--2d: a 2D keypoint detector + the lifter behind the method seam (a stand-in detector here; the
real BlazePose runtime is tested in tests/detect2d/test_detect2d_blazepose.py)."""

import sys

import cv2
import numpy as np
import pytest

from hupor.cli.lift import default_lift_model
from hupor.cli.main import main
from hupor.data.synth import SceneConfig, SkeletonScenes, load_motion_library
from hupor.methods.lift2d import Lift2DMethod
from hupor.nets import load_bundle
from hupor.predictor import Predictor
from hupor.schema import OCCLUDED_INFERRED, VISIBLE
from hupor.skeleton import COCO17, MPI15, from_mpi15


class FakeDetector:
    """Answers the COCO keypoints of a known record, whatever the image; records the sizes it saw."""

    model = "fake-2d"

    def __init__(self, rec):
        score = np.where(rec.visibility >= 1, 0.9, 0.0)[..., None]
        self.kp = np.nan_to_num(from_mpi15(np.concatenate([rec.joints_2d, score], -1), COCO17))
        self.seen = []

    def __call__(self, image):
        self.seen.append(image.shape)
        return self.kp


@pytest.fixture(scope="module")
def scene():
    return next(iter(SkeletonScenes(SceneConfig(width=832, height=512, min_people=2, max_people=2), seed=9501,
                                    length=1, motion=load_motion_library())))


def test_predictor_runs_the_2d_detector_on_the_full_frame_and_lifts(scene):
    det = FakeDetector(scene)
    pred = Predictor(method=Lift2DMethod(det, load_bundle(default_lift_model())))
    image = np.zeros((scene.height, scene.width, 3), np.uint8)
    out = pred.predict_arrays([image], K=scene.intrinsics.K)[0]
    assert det.seen == [(512, 832, 3)]                         # the original image, not a network input
    hips = [MPI15.joints.index("l_hip"), MPI15.joints.index("r_hip")]
    liftable = (scene.visibility[:, hips] >= 1).all(1)
    assert liftable.sum() == 2
    assert out.num_persons == liftable.sum() and (out.width, out.height) == (832, 512)
    assert out.intrinsics.fx == scene.intrinsics.fx
    head = MPI15.joints.index("head_top")
    assert (out.joint_state[:, head] == OCCLUDED_INFERRED).all()    # COCO has no head top
    given = out.joint_state == VISIBLE
    given[:, MPI15.joints.index("neck")] = False                   # the shoulders' midpoint, not the mocap neck
    # given keypoints keep their 2D; the people sit near their true depth in a pose near the truth.
    # Measured (the bundled lift model on clean keypoints): root depth 3.8 % / 15.5 % off, root-relative
    # MPJPE 50 / 94 mm. Bounds: root 20 % per person, MPJPE 115 mm per person and 85 mm for both (a flat
    # person at the right depth scores ~245 mm; the old check, root 30 % and no pose, passed any pose)
    mpjpe = []
    for p in range(out.num_persons):
        i = int(np.argmin(np.abs(scene.joints_2d[:, MPI15.root] - out.joints_2d[p, MPI15.root]).sum(-1)))
        assert np.allclose(out.joints_2d[p][given[p]], scene.joints_2d[i][given[p]], atol=0.5)
        assert out.root_depth_mm[p] == pytest.approx(scene.joints_3d[i, MPI15.root, 2], rel=0.2)
        rel_p = out.joints_3d[p] - out.joints_3d[p, MPI15.root]
        rel_g = scene.joints_3d[i] - scene.joints_3d[i, MPI15.root]
        mpjpe.append(np.linalg.norm(rel_p - rel_g, axis=-1).mean())
    assert max(mpjpe) < 115 and np.mean(mpjpe) < 85, mpjpe
    assert pred.model_info["method"] == "lift" and pred.model_info["detector_2d"] == "fake-2d"


def test_2d_blazepose_without_its_runtime_says_how_to_install_it(tmp_path, monkeypatch, capsys):
    monkeypatch.setitem(sys.modules, "ai_edge_litert", None)          # import fails even where it is installed
    monkeypatch.setitem(sys.modules, "ai_edge_litert.interpreter", None)
    img = tmp_path / "a.jpg"
    cv2.imwrite(str(img), np.zeros((64, 64, 3), np.uint8))
    for name in ("blazepose", "mediapipe"):                          # mediapipe: the old name, same models
        assert main(["predict", str(img), "--2d", name, "--json-output", str(tmp_path / "out")]) == 2
        err = capsys.readouterr().err.strip().splitlines()
        assert len(err) == 1 and "ai-edge-litert is not installed" in err[0] and 'pip install "hupor[real]"' in err[0]
        assert not (tmp_path / "out").exists()


@pytest.mark.parametrize("flag", [["--flip"], ["--input-size", "256", "160"], ["--runtime", "folded"]])
def test_2d_refuses_flags_of_hupors_own_networks(tmp_path, capsys, flag):
    img = tmp_path / "a.jpg"
    cv2.imwrite(str(img), np.zeros((64, 64, 3), np.uint8))
    assert main(["predict", str(img), "--2d", "mediapipe", *flag, "--json-output", str(tmp_path / "o")]) == 2
    assert f"{flag[0]} applies to hupor's own networks" in capsys.readouterr().err


def test_a_known_floor_moves_the_people_toward_their_true_depth(scene, tmp_path, capsys):
    """--camera-height / --pitch reach the lifter (the scene's own floor: the depths get closer to the
    truth) and are written into the model info; without --2d they are refused."""
    from hupor.lift.floor import Floor

    image = np.zeros((scene.height, scene.width, 3), np.uint8)
    floor = Floor(scene.meta["camera_height_mm"], scene.meta["pitch_deg"])
    errs = []
    for f in (None, floor):
        pred = Predictor(method=Lift2DMethod(FakeDetector(scene), load_bundle(default_lift_model()), floor=f))
        out = pred.predict_arrays([image], K=scene.intrinsics.K)[0]
        true = [scene.joints_3d[int(np.argmin(np.abs(scene.joints_2d[:, MPI15.root] - uv).sum(-1))), MPI15.root, 2]
                for uv in out.joints_2d[:, MPI15.root]]
        errs.append(np.abs(np.log(out.root_depth_mm / np.array(true))).mean())
    assert pred.model_info["floor"]["camera_height_mm"] == floor.camera_height_mm
    assert errs[1] < errs[0]
    img = tmp_path / "a.jpg"
    cv2.imwrite(str(img), image)
    assert main(["predict", str(img), "--2d", "none", "--camera-height", "1500", "--json-output",
                 str(tmp_path / "o")]) == 2
    assert "only with --2d" in capsys.readouterr().err
