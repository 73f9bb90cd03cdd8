"""Scene sampling, rendering, dataset writing, SkeletonScenes and the synth / preview commands."""

import json

import cv2
import numpy as np
import pytest

from hupor.cli.main import main
from hupor.data.synth import (SceneConfig, SkeletonScenes, generate, load_motion_library, render_scene,
                              sample_scene)
from hupor.errors import HuporError
from hupor.records import OCCLUSION_CAUSES, RecordSet

SMALL = SceneConfig(width=160, height=96)


@pytest.fixture(scope="module")
def lib():
    return load_motion_library()


def test_synth_same_seed_same_scene(lib):
    img1, rec1 = render_scene(SMALL, seed=3, index=2, motion=lib)
    img2, rec2 = render_scene(SMALL, seed=3, index=2, motion=lib)
    assert np.array_equal(img1, img2) and rec1.to_json() == rec2.to_json()
    img3, rec3 = render_scene(SMALL, seed=4, index=2, motion=lib)
    assert not np.array_equal(img1, img3)
    assert img1.shape == (96, 160, 3) and img1.dtype == np.uint8


def test_synth_2d_is_projection_of_3d(lib):
    ds = SkeletonScenes(SceneConfig(width=320, height=192), seed=1, length=20, motion=lib)
    n = 0
    for i in range(20):
        rec = RecordSet.from_json({"format": "hupor-records", "version": 1, "images": [ds[i].to_json()]})[0]
        uv = rec.intrinsics.project(rec.joints_3d)
        assert np.abs(uv - rec.joints_2d).max(initial=0.0) < 0.01
        assert (rec.joints_3d[..., 2] > 0).all()
        n += rec.num_persons
    assert n >= 20


def test_synth_scene_statistics(lib):
    cfg = SceneConfig(width=320, height=192, min_people=2, max_people=6)
    ds = SkeletonScenes(cfg, seed=2, length=60, motion=lib)
    counts, causes, depth = [], np.zeros(len(OCCLUSION_CAUSES)), []
    for rec in ds:
        counts.append(rec.num_persons)
        causes += np.bincount(rec.cause.ravel(), minlength=len(OCCLUSION_CAUSES))
        depth += rec.joints_3d[:, 2, 2].tolist()
    assert max(counts) <= 6 and np.mean(counts) > 1.5
    for cause in ("person", "self", "truncated"):
        assert causes[OCCLUSION_CAUSES.index(cause)] > 0, cause
    assert 1500 < min(depth) and max(depth) < 10600


def test_synth_skeleton_only_equals_rendered_labels(lib):
    ds = SkeletonScenes(SMALL, seed=9, length=5, motion=lib)
    for i in range(5):
        _, rec = render_scene(SMALL, seed=9, index=i, motion=lib)
        sk = ds[i]
        assert np.array_equal(sk.visibility, rec.visibility) and np.array_equal(sk.cause, rec.cause)
        assert np.allclose(sk.joints_3d, rec.joints_3d)


def test_synth_many_people_and_config_checks(lib):
    cfg = SceneConfig(width=640, height=360, min_people=20, max_people=24, depth_range_mm=(2000.0, 14000.0))
    scene = sample_scene(cfg, lib, 0, 0, appearance=False)
    assert scene.points.shape[0] >= 16
    with pytest.raises(HuporError, match="min_people"):
        SceneConfig(min_people=3, max_people=2)
    with pytest.raises(HuporError, match="overlap_fraction"):
        SceneConfig(overlap_fraction=1.5)
    with pytest.raises(HuporError, match="pitch_range_deg"):
        SceneConfig(pitch_range_deg=(10.0, -10.0))
    none = sample_scene(SceneConfig(width=64, height=48, max_occluders=0), lib, 0, 0, appearance=False)
    assert none.prims.num_boxes == 0 and (none.prims.owner >= 0).all()


def test_synth_render_maps(lib):
    _, rec, maps = render_scene(SMALL, seed=0, index=1, motion=lib, maps=True)
    assert maps.ids.shape == (96, 160) and maps.depth.shape == (96, 160)
    assert np.isfinite(maps.depth).all() and (maps.depth > 0).all()
    person_ids = set(np.unique(maps.ids).tolist()) - {-1, -2}
    assert person_ids <= set(range(len(rec.meta["frames"])))


def test_synth_generate_parallel_equals_serial(tmp_path, lib):
    a = generate(tmp_path / "a", 6, seed=11, config=SMALL, workers=1, image_format="png")
    b = generate(tmp_path / "b", 6, seed=11, config=SMALL, workers=2, image_format="png", maps=True)
    doc_b = json.loads(b.read_text())
    assert [r.pop("mask") for r in doc_b["images"]] == [f"images/{i:06d}_ids.png" for i in range(6)]
    assert json.loads(a.read_text()) == doc_b                  # same annotations, whatever the workers
    rs = RecordSet.load(a)
    assert len(rs) == 6 and rs.dataset == "synth"
    for rec in rs:
        img_a = cv2.imread(str(rs.image_path(rec)))
        img_b = cv2.imread(str(tmp_path / "b" / rec.path))
        assert img_a.shape == (96, 160, 3) and np.array_equal(img_a, img_b)
    assert json.loads((tmp_path / "a" / "synth_config.json").read_text())["seed"] == 11
    rec = rs[0]
    ids = cv2.imread(str(tmp_path / "b" / "images" / "000000_ids.png"), cv2.IMREAD_UNCHANGED)
    depth = cv2.imread(str(tmp_path / "b" / "images" / "000000_depth.png"), cv2.IMREAD_UNCHANGED)
    assert ids.dtype == np.uint16 and ids.shape == (96, 160) and depth.shape == (96, 160)
    assert set(np.unique(ids).tolist()) - {0, 1} <= {2 + k for k in range(len(rec.meta["frames"]))}
    vals, counts = np.unique(ids, return_counts=True)
    assert vals[np.argmax(counts)] == 0                          # 0 is the background (the most pixels)
    assert depth.min() > 0


def test_synth_cli_and_preview(tmp_path, capsys):
    out = tmp_path / "ds"
    assert main(["synth", "--out", str(out), "--scenes", "3", "--seed", "1", "--size", "128x80",
                 "--people", "2-3"]) == 0
    rs = RecordSet.load(out / "annotations.json")
    assert len(rs) == 3 and all(r.width == 128 and r.height == 80 for r in rs)
    assert all(r.num_persons <= 3 for r in rs)
    sheet = tmp_path / "sheet.png"
    assert main(["preview", str(out), "--out", str(sheet), "--max", "2"]) == 0
    img = cv2.imread(str(sheet))
    assert img is not None and img.shape[1] > 320


def test_synth_cli_without_clips_prints_install_hint(tmp_path, capsys):
    empty = tmp_path / "empty"
    empty.mkdir()
    rc = main(["synth", "--out", str(tmp_path / "x"), "--scenes", "2", "--motion-dir", str(empty)])
    assert rc != 0
    assert 'pip install "hupor[data]"' in capsys.readouterr().err
    assert not (tmp_path / "x" / "annotations.json").exists()


def test_parallel_synth_ends_its_workers_without_tracebacks(tmp_path):
    """The pool ends its workers with SIGTERM; hupor's SIGTERM handler (hupor.interrupt) must not run in them
    (it printed a traceback from a worker still waiting for work in about half the runs; three runs here)."""
    import subprocess
    import sys

    for k in range(3):
        out = subprocess.run([sys.executable, "-m", "hupor.cli.main", "synth", "--out", str(tmp_path / f"s{k}"),
                              "--scenes", "4", "--size", "128x96", "--workers", "2", "--no-progress"],
                             capture_output=True, text=True)
        assert out.returncode == 0, out.stderr
        assert "Traceback" not in out.stderr and (tmp_path / f"s{k}" / "annotations.json").is_file()
