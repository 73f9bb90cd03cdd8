"""The real-set scorer (hupor.bench.real) on a tiny hand-made fixture, and `hupor bench real`."""

import json

import numpy as np
import pytest

from hupor.bench.real import greedy_match, load_real_set, oks, procrustes_error, score_real
from hupor.errors import HuporError


def person(x, y, h=200.0):
    kp = np.stack([np.full(12, x) + 10 * np.arange(12) % 30, y + np.linspace(0, h, 12), np.full(12, 2.0)], 1)
    return {"kp": kp.tolist(), "area": h * h / 3, "bbox": [x, y, 40, h]}


@pytest.fixture
def real_set(tmp_path):
    rng = np.random.default_rng(0)
    xyz = np.concatenate([rng.uniform(-300, 300, (12, 2)), rng.uniform(3800, 4200, (12, 1))], 1)
    K = np.array([[1000.0, 0, 320], [0, 1000.0, 240], [0, 0, 1]])
    uv = (xyz[:, :2] / xyz[:, 2:]) * 1000 + [320, 240]
    gt = {"limb12": ["l_shoulder", "r_shoulder", "l_elbow", "r_elbow", "l_wrist", "r_wrist", "l_hip", "r_hip",
                     "l_knee", "r_knee", "l_ankle", "r_ankle"],
          "2d": [{"image": "a.jpg", "width": 640, "height": 480, "source": "coco", "all_labelled": False,
                  "persons": [person(100, 50), person(400, 60)]}],
          "3d": [{"image": "f.jpg", "source": "h36m", "K": K.tolist(), "joints_3d_mm": xyz.tolist(),
                  "joints_2d_px": uv.tolist()}]}
    (tmp_path / "gt.json").write_text(json.dumps(gt))
    return tmp_path, np.array(gt["2d"][0]["persons"][0]["kp"]), np.array(gt["2d"][0]["persons"][1]["kp"]), xyz, uv


def test_perfect_predictions_score_perfectly(real_set):
    root, a, b, xyz, uv = real_set
    items = load_real_set(root)
    assert [it.image for it in items] == ["a.jpg", "f.jpg"] and items[1].all_labelled
    preds = {"a.jpg": (np.stack([b[:, :2], a[:, :2]]), None), "f.jpg": (uv[None], xyz[None])}
    s = score_real(items, preds)
    assert (s.recall, s.mean_oks, s.precision, s.written_per_person) == (1.0, 1.0, 1.0, 1.0)
    assert (s.frames_found, s.frames) == (1, 1) and s.mpjpe_rel_mm == pytest.approx(0, abs=1e-6)
    assert s.pa_mpjpe_mm == pytest.approx(0, abs=1e-6) and s.depth_error == pytest.approx(0, abs=1e-9)


def test_misses_extras_and_3d_errors_are_counted(real_set):
    root, a, b, xyz, uv = real_set
    items = load_real_set(root)
    far = a[:, :2] + 500                                                    # nobody there
    moved = xyz * 1.1                                                       # 10 % deeper and bigger
    rot = np.array([[np.cos(0.3), 0, np.sin(0.3)], [0, 1, 0], [-np.sin(0.3), 0, np.cos(0.3)]])
    turned = (xyz - xyz.mean(0)) @ rot.T * 0.8 + xyz.mean(0)
    preds = {"a.jpg": (np.stack([a[:, :2], far]), None), "f.jpg": (np.stack([uv, uv + 300]), np.stack([moved, xyz]))}
    s = score_real(items, preds)
    assert s.recall == pytest.approx(2 / 3) and s.matched == 2
    assert s.precision == 0.5 and s.written_per_person == 2.0               # the frame is fully labelled
    hips = xyz[6:8].mean(0)
    want = np.linalg.norm((moved - moved[6:8].mean(0)) - (xyz - hips), axis=1).mean()
    assert s.mpjpe_rel_mm == pytest.approx(want) and s.depth_error == pytest.approx(0.1)
    assert s.pa_mpjpe_mm == pytest.approx(0, abs=1e-6)                     # a similarity transform away
    assert procrustes_error(turned, xyz) == pytest.approx(0, abs=1e-6)
    # an image without predictions: nobody written, nothing found
    s = score_real(items, {})
    assert (s.recall, s.frames_found) == (0.0, 0) and np.isnan(s.mpjpe_rel_mm)


def test_oks_and_matching_details(real_set):
    _, a, _, _, _ = real_set
    missing = a[:, :2].copy()
    missing[:6] = np.nan
    assert oks(missing, a, 1e4) == pytest.approx(0.5)                       # half the joints, perfect
    unlabelled = a.copy()
    unlabelled[:6, 2] = 0
    assert oks(missing, unlabelled, 1e4) == pytest.approx(1.0)              # unlabelled joints not scored
    assert greedy_match(np.array([[0.9, 0.8], [0.85, 0.2]])) == [(0, 0, 0.9)]  # one-to-one, >= 0.5


def test_malformed_sets_are_errors(tmp_path):
    (tmp_path / "gt.json").write_text(json.dumps({"limb12": ["nose"]}))
    with pytest.raises(HuporError, match="limb12"):
        load_real_set(tmp_path)
    (tmp_path / "gt.json").write_text(json.dumps({"limb12": ["l_shoulder", "r_shoulder", "l_elbow", "r_elbow",
                                                             "l_wrist", "r_wrist", "l_hip", "r_hip", "l_knee",
                                                             "r_knee", "l_ankle", "r_ankle"],
                                                  "3d": [{"image": "x.jpg", "K": [[1, 0], [0, 1]]}]}))
    with pytest.raises(HuporError, match=r"3d\[0\]"):
        load_real_set(tmp_path)
