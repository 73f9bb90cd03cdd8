"""Occlusion labels on hand-made scenes: person behind person, objects, side view, truncation."""

import numpy as np
import pytest

from hupor.camera import Intrinsics
from hupor.data.synth import SceneConfig, assemble_scene, load_motion_library, render_scene, scene_record
from hupor.data.synth.augment import body_points, rotate_yaw
from hupor.data.synth.mocap import rest_frame
from hupor.records import CAUSE_CODE
from hupor.skeleton import MPI15

CFG = SceneConfig(width=400, height=300)
K = Intrinsics(400.0, 400.0, 200.0, 150.0)
PAIRS = [(MPI15.joints.index(f"l_{n}"), MPI15.joints.index(f"r_{n}"))
         for n in ("shoulder", "elbow", "wrist", "hip", "knee", "ankle")]


@pytest.fixture(scope="module")
def lib():
    return load_motion_library()


def standing(lib, n=1, yaw=0.0, height=1700.0):
    body, scale = body_points(lib, np.repeat(rest_frame()[None], n, 0), np.full(n, height))
    return rotate_yaw(body, np.full(n, yaw)), scale


def labels(lib, ground, yaw=0.0, pillars=(), boxes=(), height=1700.0, cam_h=1000.0):
    body, scale = standing(lib, len(ground), yaw, height)
    scene = assemble_scene(CFG.width, CFG.height, K, cam_h, 0.0, body, scale, ground, pillars, boxes)
    return scene, scene_record(scene, CFG, "test")


def test_synth_person_behind_person_is_occluded_by_person(lib):
    _, rec = labels(lib, [(0.0, 3000.0), (0.0, 6000.0)])
    front, back = rec.visibility
    assert (front[[0, 1, 2, 3, 9]] == 2).all()  # front person: torso visible
    assert (back == 1).all()  # everything of the person behind is hidden ...
    assert (rec.cause[1] == CAUSE_CODE["person"]).all()  # ... by a person


def test_synth_object_in_front_gives_cause_object(lib):
    box = [(0.0, 3000.0, np.array([600.0, 600.0, 200.0]), 0.0)]  # 1.2 m tall box
    _, rec = labels(lib, [(0.0, 5000.0)], boxes=box)
    legs = [MPI15.joints.index(n) for n in ("l_knee", "r_knee", "l_ankle", "r_ankle", "l_hip", "r_hip")]
    assert (rec.visibility[0, legs] == 1).all()
    assert (rec.cause[0, legs] == CAUSE_CODE["object"]).all()
    assert rec.visibility[0, MPI15.joints.index("head_top")] == 2
    pillar = [(0.0, 3000.0, 300.0, 4000.0)]
    _, rec = labels(lib, [(0.0, 5000.0)], pillars=pillar)
    for name in ("neck", "pelvis", "head_top"):
        j = MPI15.joints.index(name)
        assert rec.visibility[0, j] == 1 and rec.cause[0, j] == CAUSE_CODE["object"]


def test_synth_side_view_self_occlusion(lib):
    _, rec = labels(lib, [(0.0, 3000.0)], yaw=np.pi / 2)
    v, c = rec.visibility[0], rec.cause[0]
    for a, b in PAIRS:  # the far side is hidden by the body itself
        assert min(v[a], v[b]) == 1 and CAUSE_CODE["self"] in (c[a], c[b]), MPI15.joints[a]
        if "hip" not in MPI15.joints[a]:  # (the near hip is behind the hanging near arm)
            assert sorted((v[a], v[b])) == [1, 2], (MPI15.joints[a], v[a], v[b])
    _, front = labels(lib, [(0.0, 3000.0)], yaw=0.0)  # facing the camera: all visible
    assert (front.visibility[0] == 2).all()


def test_synth_out_of_frame_joints_are_truncated(lib):
    scene, rec = labels(lib, [(1350.0, 3000.0)])  # right half of the body beyond the border
    uv = rec.joints_2d[0]
    outside = (uv[:, 0] < 0) | (uv[:, 0] > CFG.width - 1) | (uv[:, 1] < 0) | (uv[:, 1] > CFG.height - 1)
    assert outside.any() and (~outside).any()
    assert (rec.visibility[0, outside] == 0).all()
    assert (rec.cause[0, outside] == CAUSE_CODE["truncated"]).all()
    assert (rec.visibility[0, ~outside] > 0).all()
    _, gone = labels(lib, [(9000.0, 3000.0)])  # entirely outside: the person is dropped
    assert gone.num_persons == 0


def test_synth_labels_agree_with_rendered_id_mask(lib):
    cfg = SceneConfig(width=256, height=160)
    agree = total = 0
    for i in range(6):
        _, rec, maps = render_scene(cfg, seed=5, index=i, motion=lib, maps=True)
        uv = np.rint(rec.joints_2d).astype(int)
        for p, person in enumerate(rec.meta["person_index"]):
            for j in np.flatnonzero(rec.visibility[p] > 0):
                pid = maps.ids[uv[p, j, 1], uv[p, j, 0]]
                if rec.visibility[p, j] == 2 or rec.cause[p, j] in (CAUSE_CODE["person"], CAUSE_CODE["object"]):
                    want = person if rec.visibility[p, j] == 2 else None
                    ok = (pid == want) if want is not None else (pid != person)
                    agree += bool(ok)
                    total += 1
    assert total > 50
    assert agree / total > 0.9, (agree, total)


def test_synth_ray_capsule_exact_and_shared_with_renderer(rng):
    from hupor.data.synth.body import ray_capsule
    from hupor.data.synth.render import _capsule_t

    d = np.concatenate([rng.uniform(-0.1, 0.12, (400, 2)), np.ones((400, 1))], axis=1)
    a, b, r = np.array([100.0, -50.0, 3000.0]), np.array([-150.0, 300.0, 3400.0]), 120.0
    t = ray_capsule(d, a, b, np.full(400, r))
    t2 = _capsule_t(d[None], np.einsum("ki,ki->k", d, d)[None], a, b, r)[0]
    assert np.array_equal(np.isfinite(t), np.isfinite(t2)) and np.isfinite(t).sum() > 50
    hit = np.isfinite(t)
    assert np.allclose(t[hit], t2[hit], rtol=1e-9)
    p = t[hit, None] * d[hit]  # hit points lie on the capsule surface ...
    s = np.clip((p - a) @ (b - a) / ((b - a) @ (b - a)), 0, 1)
    assert np.allclose(np.linalg.norm(p - (a + s[:, None] * (b - a)), axis=1), r, atol=1e-6)
    miss = d[~hit]  # ... and missed rays pass farther than r from the segment
    ts = np.linspace(2000, 5000, 3001)
    pts = ts[None, :, None] * miss[:, None, :]
    s = np.clip((pts - a) @ (b - a) / ((b - a) @ (b - a)), 0, 1)
    dist = np.linalg.norm(pts - (a + s[..., None] * (b - a)), axis=-1)
    assert (dist.min(axis=1) > r - 1.0).all()
