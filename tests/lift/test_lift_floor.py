"""A known floor as the lifter's second root-depth cue (hupor lift --camera-height --pitch)."""

import numpy as np
import pytest

from hupor.camera import Intrinsics
from hupor.errors import HuporError
from hupor.lift.floor import Floor
from hupor.skeleton import MPI15

K = Intrinsics(fx=800.0, fy=800.0, cx=320.0, cy=240.0)


def standing(pitch_deg, camera_height, distance, x=300.0):
    """A person standing in the level frame (feet 70 mm above the floor at y = camera_height), seen by
    a camera pitched down by pitch_deg: joints (15, 3) mm in the camera frame."""
    rng = np.random.default_rng(3)
    level = np.zeros((MPI15.num_joints, 3))
    level[:, 0] = x + rng.uniform(-200, 200, MPI15.num_joints)
    level[:, 1] = camera_height - 70.0 - rng.uniform(0, 1600, MPI15.num_joints)
    level[:, 2] = distance + rng.uniform(-150, 150, MPI15.num_joints)
    level[MPI15.joints.index("l_ankle"), 1] = camera_height - 70.0                  # the lowest joint
    p = np.radians(pitch_deg)
    r = np.array([[1, 0, 0], [0, np.cos(p), -np.sin(p)], [0, np.sin(p), np.cos(p)]])
    return level @ r.T


@pytest.mark.parametrize("pitch", [0.0, 12.0, -4.0])
def test_the_floor_gives_the_true_root_depth(pitch):
    cam = standing(pitch, 1600.0, 6000.0)
    rel = (cam - cam[MPI15.root])[None]
    uv = K.project(cam[MPI15.root][None])
    f = Floor(1600.0, pitch)
    assert f.depth(rel, uv, K, np.array([1.0]))[0] == pytest.approx(cam[MPI15.root, 2], rel=1e-9)
    # combined with a body-size depth 10 % too far: the geometric mean
    z = f.combine(np.array([1.1 * cam[MPI15.root, 2]]), rel, uv, K)[0]
    assert z == pytest.approx(np.sqrt(1.1) * cam[MPI15.root, 2], rel=1e-9)


def test_a_ray_above_the_horizon_keeps_the_fallback():
    rel = np.zeros((1, 15, 3))
    uv = np.array([[320.0, 100.0]])                                  # above the principal point, level camera
    assert Floor(1500.0, 0.0).depth(rel, uv, K, np.array([4321.0]))[0] == 4321.0


def test_bad_floors_are_refused(tmp_path, capsys):
    from hupor.cli.main import main

    with pytest.raises(HuporError, match="camera-height"):
        Floor(50.0)
    with pytest.raises(HuporError, match="pitch"):
        Floor(1500.0, 95.0)
    res, gt = tmp_path / "r.json", tmp_path / "g.json"
    res.write_text("[]")
    gt.write_text('{"images": []}')
    assert main(["lift", str(res), "--coco-images", str(gt), "--pitch", "10", "--json-output", str(tmp_path / "o")]) == 2
    assert "--camera-height" in capsys.readouterr().err
    assert main(["lift", str(res), "--coco-images", str(gt), "--camera-height", "20",
                 "--json-output", str(tmp_path / "o")]) == 2
