"""DeepMimic clips, forward kinematics, pose augmentation and the missing-clips error."""

import importlib.util

import numpy as np
import pytest

from hupor.data.synth import load_motion_library
from hupor.data.synth.augment import PoseAugment, body_points, mirror_points, sample_poses
from hupor.data.synth.mocap import (LINKS, default_motion_dir, forward_kinematics, mpi15_points,
                                    rest_frame)
from hupor.errors import HuporError
from hupor.skeleton import MPI15

# ecosystem.md §4, "Bone lengths (m), constant over frames"
BONES = {("root", "right_hip"): 0.085, ("right_hip", "left_hip"): 0.170, ("right_hip", "right_knee"): 0.422,
         ("right_knee", "right_ankle"): 0.410, ("root", "chest"): 0.236, ("chest", "neck"): 0.224,
         ("neck", "right_shoulder"): 0.186, ("right_shoulder", "left_shoulder"): 0.366,
         ("right_shoulder", "right_elbow"): 0.275, ("right_elbow", "right_wrist"): 0.259,
         ("left_hip", "left_knee"): 0.422, ("left_elbow", "left_wrist"): 0.259}


@pytest.fixture(scope="module")
def lib():
    return load_motion_library()


def test_synth_library_holds_the_20_human_clips(lib):
    assert len(lib.clip_names) == 20 and lib.num_frames == 1810
    assert not any("laikago" in n for n in lib.clip_names)
    assert 1.58 < lib.rest_height_m < 1.66


def test_synth_fk_reproduces_documented_bone_lengths(lib):
    pos, _ = forward_kinematics(lib.frames, lib.offsets)
    for (a, b), length in BONES.items():
        d = np.linalg.norm(pos[:, LINKS.index(a)] - pos[:, LINKS.index(b)], axis=-1)
        assert np.abs(d - length).max() < 1.5e-3, (a, b, d.min(), d.max())


def test_synth_fk_matches_pybullet(lib):
    import pybullet as pb
    import pybullet_data

    cid = pb.connect(pb.DIRECT)
    try:
        pb.setAdditionalSearchPath(pybullet_data.getDataPath(), physicsClientId=cid)
        robot = pb.loadURDF("humanoid/humanoid.urdf", globalScaling=0.25, useFixedBase=True, physicsClientId=cid)
        idx = {pb.getJointInfo(robot, i, physicsClientId=cid)[1].decode(): i
               for i in range(pb.getNumJoints(robot, physicsClientId=cid))}  # pybullet's own order
        spherical = {"chest": 8, "neck": 12, "right_hip": 16, "right_ankle": 21, "right_shoulder": 25,
                     "left_hip": 30, "left_ankle": 35, "left_shoulder": 39}
        revolute = {"right_knee": 20, "right_elbow": 29, "left_knee": 34, "left_elbow": 43}
        pos, _ = forward_kinematics(lib.frames[::97], lib.offsets)
        for f, frame in zip(pos, lib.frames[::97]):
            def xyzw(i):
                return [frame[i + 1], frame[i + 2], frame[i + 3], frame[i]]

            pb.resetBasePositionAndOrientation(robot, frame[1:4], xyzw(4), physicsClientId=cid)
            for name, col in spherical.items():
                pb.resetJointStateMultiDof(robot, idx[name], xyzw(col), physicsClientId=cid)
            for name, col in revolute.items():
                pb.resetJointStateMultiDof(robot, idx[name], [frame[col]], physicsClientId=cid)
            for k, name in enumerate(LINKS[1:], start=1):
                ref = pb.getLinkState(robot, idx[name], physicsClientId=cid)[4]
                assert np.allclose(f[k], ref, atol=1e-4), (name, f[k], ref)
    finally:
        pb.disconnect(cid)


def test_synth_mpi15_points_follow_the_definitions(lib):
    pos, rot = forward_kinematics(lib.frames, lib.offsets)
    pts = mpi15_points(pos, rot)
    assert np.allclose(pts[:, 2], 0.5 * (pts[:, 6] + pts[:, 12]))  # pelvis = mid-hip
    assert np.allclose(np.linalg.norm(pts[:, 1] - pts[:, 0], axis=-1), 0.28)  # head top
    up = rot[:, LINKS.index("neck")][:, :, 1]
    assert np.allclose((pts[:, 1] - pts[:, 0]) / 0.28, up)
    assert np.allclose(pts[:, 3], pos[:, LINKS.index("left_shoulder")])  # MPI15 left = humanoid left


def test_synth_body_frame_rest_pose(lib):
    body, scale = body_points(lib, rest_frame()[None], [1700.0])
    b = body[0]
    assert abs(-b[1, 1] - 1700.0) < 60.0  # head top about the body height above the ground
    assert b[:, 1].max() <= 0.0 and b[2, 0] == pytest.approx(0.0, abs=1e-6)
    assert b[MPI15.joints.index("l_shoulder"), 0] > 0 > b[MPI15.joints.index("r_shoulder"), 0]
    assert b[17, 2] < b[16, 2]  # toes point to the camera (the person faces -z)
    m = mirror_points(body)[0]
    assert np.allclose(m[3], b[9] * [-1, 1, 1])


def test_synth_augmented_poses_have_plausible_sizes(lib):
    rng = np.random.default_rng(0)
    body, scale, index = sample_poses(lib, rng, 200, PoseAugment())
    assert body.shape == (200, 22, 3) and np.isfinite(body).all()
    assert (scale * lib.rest_height_m * 1000 >= 1499).all() and (scale * lib.rest_height_m * 1000 <= 1951).all()
    assert (body[..., 1].max(axis=1) < 0).all() and (body[..., 1].max(axis=1) > -60).all()  # on the ground
    thigh = np.linalg.norm(body[:, 6] - body[:, 7], axis=-1) / scale
    assert np.all((thigh > 350) & (thigh < 490))
    assert len(set(index.tolist())) > 100


def test_synth_missing_clips_raise_install_hint(tmp_path):
    with pytest.raises(HuporError, match=r'pip install "hupor\[data\]"'):
        load_motion_library(tmp_path)
    with pytest.raises(HuporError, match="hupor\\[data\\]"):
        load_motion_library(tmp_path / "missing")


def test_synth_other_clip_folders_and_corrupt_clips(tmp_path, lib):
    import shutil

    src = default_motion_dir()
    (tmp_path / "humanoid").mkdir()
    shutil.copy(src / "humanoid" / "humanoid.urdf", tmp_path / "humanoid" / "humanoid.urdf")
    motions = tmp_path / "data" / "motions"
    motions.mkdir(parents=True)
    shutil.copy(src / "data" / "motions" / "humanoid3d_walk.txt", motions / "mine.txt")
    small = load_motion_library(tmp_path)
    assert small.clip_names == ("data/motions/mine.txt",) and small.num_frames == 39
    assert np.allclose(small.offsets, lib.offsets)
    (motions / "broken.txt").write_text("{not json")
    with pytest.raises(HuporError, match="broken.txt"):
        load_motion_library(tmp_path)


def test_synth_without_pybullet_raises_install_hint(monkeypatch):
    real = importlib.util.find_spec
    monkeypatch.setattr(importlib.util, "find_spec",
                        lambda name, *a: None if name == "pybullet_data" else real(name, *a))
    with pytest.raises(HuporError, match=r"pybullet is not installed.*hupor\[data\]"):
        default_motion_dir()
    with pytest.raises(HuporError, match="hupor\\[data\\]"):
        load_motion_library()
