"""The capsule body's parameters, forward kinematics, Skeleton2Pose, soft silhouette, and SSF's
networks (shapes, one-batch overfit) and loss."""

import numpy as np
import pytest
import torch

from hupor.camera import Intrinsics
from hupor.data.synth import SceneConfig, load_motion_library, sample_scene
from hupor.errors import HuporError
from hupor.plugins.config import ResNetConfig
from hupor.skeleton import MPI15
from hupor.ssf.body import (BONES, REST_DIRS, axis_angle_to_matrix, forward_kinematics, skeleton_to_pose,
                            soft_silhouette, swing)
from hupor.ssf.nets import (NUM_PARAMS, SSFLossWeights, SSFTrainConfig, ShapeInit, ShapeOpt, join_params,
                            split_params, ssf_loss)
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).parents[1] / "plugins"))
from plugin_helpers import overfit_ratio  # noqa: E402


@pytest.fixture(scope="module")
def people():
    lib = load_motion_library()
    cfg = SceneConfig(width=416, height=256, min_people=2, max_people=4)
    return torch.as_tensor(np.concatenate([sample_scene(cfg, lib, 9652, i, appearance=False).joints_3d
                                           for i in range(10)]))


def test_skeleton_to_pose_round_trip_is_exact(people):
    pose, shape, root = skeleton_to_pose(people)
    assert pose.shape == (len(people), 14, 3) and shape.shape == (len(people), 15)
    back = forward_kinematics(pose, shape, root)
    assert (back - people).norm(dim=-1).max() < 1e-6                      # mm; target 1 mm
    scale = shape[:, -1].exp()
    assert ((scale > 0.8) & (scale < 1.4)).all()                         # the generator's people (about 1)


def test_rest_pose_is_a_t_pose_facing_the_camera():
    z = torch.zeros(1, 14, 3, dtype=torch.float64)
    shape = torch.cat([torch.full((1, 14), 300.0, dtype=torch.float64), torch.zeros(1, 1, dtype=torch.float64)], 1)
    j = forward_kinematics(z, shape, torch.tensor([[0.0, 0.0, 3000.0]], dtype=torch.float64))[0]
    ix = {n: i for i, n in enumerate(MPI15.joints)}
    assert j[ix["l_wrist"], 0] > j[ix["neck"], 0] + 800 and j[ix["r_wrist"], 0] < -800      # arms out
    assert j[ix["head_top"], 1] < j[ix["neck"], 1] < j[ix["pelvis"], 1] < j[ix["l_ankle"], 1]   # y down
    d = torch.tensor([[0.0, 0.0, 1.0], [0.0, 1.0, 0.0]], dtype=torch.float64)
    for rest in REST_DIRS:
        R = axis_angle_to_matrix(swing(rest, d))
        assert torch.allclose(R @ rest, d, atol=1e-9)
    with pytest.raises(HuporError, match="capsule body"):
        forward_kinematics(z[:, :5], shape, torch.zeros(1, 3, dtype=torch.float64))


def test_soft_silhouette_covers_the_body_and_has_gradients(people):
    K = Intrinsics(400.0, 400.0, 208.0, 128.0)
    j = people[:1].clone().requires_grad_(True)
    _, shape, _ = skeleton_to_pose(people[:1])
    sil = soft_silhouette(j, shape, K, (0, 0, 416, 256), (208, 128))
    assert sil.shape == (1, 128, 208) and 0 <= sil.min() and sil.max() <= 1
    uv = K.project(people[0].numpy()) / 2
    inside = [(u, v) for u, v in uv if 0 <= u < 208 and 0 <= v < 128]
    assert inside and np.mean([sil[0, int(v), int(u)].item() > 0.5 for u, v in inside]) > 0.9
    assert sil.mean() < 0.5
    sil.sum().backward()
    assert torch.isfinite(j.grad).all() and j.grad.abs().sum() > 0


def test_shapeinit_and_shapeopt_overfit_one_batch(people):
    torch.manual_seed(0)
    pose, shape, _ = skeleton_to_pose(people[:2])
    target = {"params": join_params(pose, shape).float(),
              "joints": (people[:2] - people[:2, MPI15.root:MPI15.root + 1]).float()}
    init = ShapeInit(ResNetConfig(block="basic", layers=(1, 1, 1, 1), width=8, stem_width=8))
    crop = torch.randn(2, 3, 64, 64)
    out = init(crop)
    assert out.shape == (2, NUM_PARAMS)
    w = SSFLossWeights()
    assert overfit_ratio(init, lambda n: ssf_loss(n(crop), target, w)["total"], steps=60) < 0.3
    opt = ShapeOpt(width=4, size=(64, 64))
    mask = (torch.rand(2, 1, 64, 64) > 0.5).float()
    start = torch.zeros(2, NUM_PARAMS)
    assert torch.equal(opt(mask, start), start)                            # starts as the identity
    assert overfit_ratio(opt, lambda n: ssf_loss(n(mask, start), target, w)["total"], steps=60) < 0.3


def test_shapeinit_reads_the_2d_joints_when_asked(people):
    """Two people behind the same crop: only their 2D joints can tell them apart."""
    torch.manual_seed(0)
    pose, shape, _ = skeleton_to_pose(people[:2])
    target = {"params": join_params(pose, shape).float(),
              "joints": (people[:2] - people[:2, MPI15.root:MPI15.root + 1]).float()}
    init = ShapeInit(ResNetConfig(block="basic", layers=(1, 1, 1, 1), width=8, stem_width=8), joints_input=True)
    crop = torch.randn(1, 3, 32, 32).expand(2, -1, -1, -1)
    jin = torch.rand(2, 15, 3) * 2 - 1
    with pytest.raises(ValueError, match="2D joints"):
        init(crop)
    w = SSFLossWeights()
    assert overfit_ratio(init, lambda n: ssf_loss(n(crop, jin), target, w)["total"], steps=80) < 0.3
    blind = ShapeInit(ResNetConfig(block="basic", layers=(1, 1, 1, 1), width=8, stem_width=8))
    assert overfit_ratio(blind, lambda n: ssf_loss(n(crop), target, w)["total"], steps=80) > 0.3


def test_loss_terms_follow_the_weights(people):
    pose, shape, _ = skeleton_to_pose(people[:1])
    p = join_params(pose, shape).float()
    rel = (people[:1] - people[:1, MPI15.root:MPI15.root + 1]).float()
    assert torch.allclose(split_params(p)[1].double(), shape, atol=1e-3)
    t = ssf_loss(p, {"params": p, "joints": rel}, SSFLossWeights())
    assert t["theta"] == 0 and t["beta"] == 0 and t["pos"] < 1e-4
    label = SSFTrainConfig().label_weights
    mask = torch.zeros(1, 16, 16)
    t = ssf_loss(p, {"params": p, "joints": rel, "mask": mask}, label, silhouette=lambda j, s: torch.ones(1, 16, 16))
    assert set(t) == {"pos", "sil", "total"} and t["sil"] == pytest.approx(0.1)
    assert len(BONES) == 14
