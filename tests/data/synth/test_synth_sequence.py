"""Synthetic video (``hupor synth --sequence``): walking people that cross, persistent ids, the video file."""

import json

import cv2
import numpy as np
import pytest

from hupor.cli.main import main
from hupor.data.synth import SceneConfig, load_motion_library
from hupor.data.synth.sequence import Sequence
from hupor.errors import HuporError
from hupor.records import RecordSet


@pytest.fixture(scope="module")
def lib():
    return load_motion_library()


def test_sequence_people_walk_and_cross(lib):
    cfg = SceneConfig(width=320, height=192)
    seq = Sequence(cfg, lib, seed=3, frames=90, people=4)
    g = np.array([seq.ground(t) for t in range(90)])  # (T, N, 2) mm
    speed = np.linalg.norm(np.diff(g, axis=0), axis=-1).mean(0) * seq.fps / 1000
    assert np.all((speed > 0.8) & (speed < 1.6)), speed  # walking speed, m/s
    u = seq.K.fx * g[..., 0] / g[..., 1]  # image column offset of each person's ground point
    order_first, order_last = np.argsort(u[0]), np.argsort(u[-1])
    assert not np.array_equal(order_first, order_last)  # image order changes: people cross
    depths = g[45, :, 1]
    assert depths.max() - depths.min() > 1500  # at different depths: one walks behind the other
    recs = [seq.record(t) for t in (0, 45, 89)]
    for t, rec in zip((0, 45, 89), recs):
        assert rec.meta["frame"] == t and rec.meta["fps"] == 30.0
        ids = rec.meta["person_ids"]
        assert ids == sorted(set(ids)) and set(ids) <= set(range(4))
        np.testing.assert_allclose(rec.joints_2d, rec.intrinsics.project(rec.joints_3d), atol=1e-6)
    # identity: person 0's pelvis moves smoothly between consecutive frames (no swap of ids)
    a, b = seq.record(44), seq.record(45)
    pa = a.joints_3d[a.meta["person_ids"].index(0), 2]
    pb = b.joints_3d[b.meta["person_ids"].index(0), 2]
    assert 5 < np.linalg.norm(pa - pb) < 80  # mm per frame at 30 fps


def test_sequence_is_deterministic_and_occludes(lib):
    cfg = SceneConfig(width=160, height=96)
    a = Sequence(cfg, lib, 5, 30, people=3)
    b = Sequence(cfg, lib, 5, 30, people=3)
    ia, ra = a.render(15)
    ib, rb = b.render(15)
    assert np.array_equal(ia, ib) and np.array_equal(ra.joints_3d, rb.joints_3d)
    occluded = sum(int((a.record(t).visibility == 1).sum()) for t in range(0, 30, 3))
    assert occluded > 0
    with pytest.raises(HuporError):
        Sequence(cfg, lib, 0, 0)


def test_synth_cli_sequence(tmp_path, capsys):
    out = tmp_path / "vid"
    assert main(["synth", "--out", str(out), "--sequence", "5", "--size", "96x64", "--people", "3-3",
                 "--seed", "2", "--fps", "25"]) == 0
    cap = cv2.VideoCapture(str(out / "video.mp4"))
    n = 0
    while cap.read()[0]:
        n += 1
    assert n == 5 and cap.get(cv2.CAP_PROP_FPS) == pytest.approx(25.0)
    rs = RecordSet.load(out / "annotations.json")
    assert len(rs) == 5 and rs.dataset == "synth-sequence"
    assert [r.meta["frame"] for r in rs] == list(range(5))
    assert all(len(r.meta["person_ids"]) == r.num_persons for r in rs)
    assert json.loads((out / "synth_config.json").read_text())["sequence"]["fps"] == 25.0
    rc = main(["synth", "--out", str(tmp_path / "x")])
    assert rc == 2 and "exactly one of --scenes" in capsys.readouterr().err
