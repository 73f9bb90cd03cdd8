"""Issue 33, item 2: sizes are accepted by a memory estimate against the memory available at run time
(the limit is injected through the functions' ``available`` argument)."""

import numpy as np
import pytest

from hupor.camera import Intrinsics
from hupor.errors import HuporError
from hupor.memory import available_bytes, check_forward, check_memory, forward_bytes
from hupor.records import ImageRecord, RecordSet


@pytest.fixture(scope="module")
def bundle():
    from hupor.nets import load_bundle
    from hupor.predictor import default_checkpoint

    return load_bundle(default_checkpoint())


def test_meminfo_is_read(tmp_path):
    fake = tmp_path / "meminfo"
    fake.write_text("MemTotal:  1000 kB\nMemFree:  10 kB\nMemAvailable:   2048 kB\n")
    assert available_bytes(meminfo=fake) == 2048 * 1024
    assert available_bytes() > 0  # this machine's /proc/meminfo


def test_forward_estimate_grows_with_pixels_batch_and_flip(bundle):
    a = forward_bytes(bundle, (256, 256))
    assert forward_bytes(bundle, (512, 256)) == pytest.approx(2 * a)
    assert forward_bytes(bundle, (256, 256), batch=3, flip=True) == pytest.approx(6 * a)
    assert forward_bytes(bundle, (2048, 2048)) > 3e9  # the size that ran out of memory in the issue (5 GB)


def test_input_size_refused_by_the_estimate(bundle):
    with pytest.raises(HuporError, match=r"--input-size 2048x2048: needs about \d+\.\d GB of memory, only 2\.0 GB"):
        check_forward(bundle, (2048, 2048), "--input-size", available=2_000_000_000)
    assert check_forward(bundle, (256, 256), "--input-size", available=2_000_000_000) < 2e9


def test_predict_input_size_refused_before_any_input(tmp_path, fails, monkeypatch):
    import hupor.memory

    monkeypatch.setattr(hupor.memory, "available_bytes", lambda device="cpu", meminfo=None: 1_000_000_000)
    img = tmp_path / "a.png"
    import cv2

    cv2.imwrite(str(img), np.zeros((40, 60, 3), np.uint8))
    fails(["predict", img, "--input-size", "2048", "2048", "--json-output", tmp_path / "o"],
          "--input-size 2048x2048: needs about", "1.0 GB available")
    assert not (tmp_path / "o").exists()


def test_bench_forward_size_checked(fails, monkeypatch):
    fails(["bench", "forward", "--size", "0x0", "--config", "cpu-tiny"], "--size W: must be a positive multiple of 32")
    fails(["bench", "forward", "--size", "100000x100000", "--config", "cpu-tiny"], "above the limit of 4096")
    import hupor.memory

    monkeypatch.setattr(hupor.memory, "available_bytes", lambda device="cpu", meminfo=None: 100_000_000)
    fails(["bench", "forward", "--size", "2048x2048", "--config", "cpu-tiny"], "--size 2048x2048: needs about")


def test_preview_cell_width(tmp_path, fails):
    from hupor.viz.sheet import contact_sheet

    rec = ImageRecord("synth://0", 64, 48, Intrinsics(50.0, 50.0, 32.0, 24.0), np.zeros((0, 15, 2)),
                      np.zeros((0, 15, 3)), np.zeros((0, 15), int))
    RecordSet([rec] * 4).save(tmp_path / "r.json")
    fails(["preview", tmp_path / "r.json", "--out", tmp_path / "s.png", "--cell-width", "100000"],
          "--cell-width 100000: needs about")  # ~180 GB: above any machine running the tests
    with pytest.raises(HuporError, match="--cell-width 64: needs about"):
        contact_sheet(RecordSet([rec] * 4), 4, 64, available=1000)
    assert contact_sheet(RecordSet([rec] * 4), 4, 64, available=10**9).shape[2] == 3
    assert not (tmp_path / "s.png").exists()


def test_synth_size_refused_before_anything_written(tmp_path, fails):
    from hupor.cli.synth import check_scene_size

    fails(["synth", "--scenes", "1", "--size", "100000x100000", "--out", tmp_path / "o"], "--size 100000x100000")
    assert not (tmp_path / "o").exists()
    with pytest.raises(HuporError, match=r"--size 4000x4000: needs about 4\.8 GB of memory"):
        check_scene_size(4000, 4000, 1, available=10**9)
    check_scene_size(416, 256, 2, available=10**9)


def test_demo_people_bounded(tmp_path, fails):
    fails(["demo", "--people", "100000", "--out", tmp_path / "d"], "--people must be in [1, 64]")
    with pytest.raises(HuporError, match="--people 40: needs about"):
        check_memory(40 * 24_000, "--people 40", available=1000)
    assert not (tmp_path / "d").exists()
