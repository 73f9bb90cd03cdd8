"""Issue 33, item 3: every file under a temporary name until complete, video overlays included;
killed or failed runs leave no file under a final name; honest counts; flag clashes checked first."""

import errno
import os
import signal
from collections import namedtuple
from pathlib import Path

import cv2
import numpy as np
import pytest

from hupor.cli.main import main
from hupor.errors import HuporError
from hupor.fileio import TMP_TAG, write_text_atomic
from hupor.interrupt import Interrupted, install_sigterm
from hupor.viz import video as video_mod
from hupor.viz.video import count_frames, write_video


def _frames(n, size=(64, 48)):
    for i in range(n):
        yield np.full((size[1], size[0], 3), 20 * i % 255, np.uint8)


def _left(folder):
    return sorted(p.name for p in Path(folder).iterdir())


@pytest.fixture
def clip(tmp_path_factory):
    path = tmp_path_factory.mktemp("clip") / "clip.avi"
    w = cv2.VideoWriter(str(path), cv2.VideoWriter_fourcc(*"MJPG"), 10.0, (96, 64))
    for img in _frames(4, (96, 64)):
        w.write(img)
    w.release()
    return path


def test_write_video_complete(tmp_path):
    assert write_video(tmp_path / "v.avi", _frames(5), 10.0) == 5
    assert count_frames(tmp_path / "v.avi") == 5 and _left(tmp_path) == ["v.avi"]


def _silently_full(monkeypatch, keep: int):
    """OpenCV's writer on a full disk: frames after ``keep`` vanish without an error; no space left."""
    real = cv2.VideoWriter

    class Dropping:
        def __init__(self, *a):
            self.w, self.n = real(*a), 0

        def isOpened(self):
            return self.w.isOpened()

        def write(self, img):
            self.n += 1
            if self.n <= keep:
                self.w.write(img)

        def release(self):
            self.w.release()

    monkeypatch.setattr(cv2, "VideoWriter", Dropping)
    St = namedtuple("St", "f_bavail f_frsize")
    monkeypatch.setattr(video_mod.os, "statvfs", lambda p: St(0, 4096))


def test_truncated_overlay_never_gets_its_final_name(tmp_path, monkeypatch):
    _silently_full(monkeypatch, keep=2)
    with pytest.raises(HuporError, match=r"v.avi: not written, no space left in .* \(No space left on device\)"):
        write_video(tmp_path / "v.avi", _frames(12), 10.0)
    assert _left(tmp_path) == []


def test_overlay_failure_keeps_json_and_counts_the_input(tmp_path, monkeypatch, clip, capsys):
    _silently_full(monkeypatch, keep=2)
    rc = main(["predict", str(clip), "--json-output", str(tmp_path / "v"), "--image-output", str(tmp_path / "vi"),
               "--no-progress", "--2d", "none"] if _has_2d_none() else
              ["predict", str(clip), "--json-output", str(tmp_path / "v"), "--image-output", str(tmp_path / "vi"),
               "--no-progress"])
    out, err = capsys.readouterr()
    assert rc == 0 and "processed 1 input(s)" in out, (out, err)
    assert "1 output(s) not written" in err and "No space left on device" in err and "Traceback" not in err
    assert _left(tmp_path / "v") == ["clip.avi.json"] and _left(tmp_path / "vi") == []


def _has_2d_none():
    from hupor.cli.main import build_parser

    try:
        build_parser().parse_args(["predict", "x", "--2d", "none"])
        return True
    except SystemExit:
        return False


def test_sigterm_during_a_video_leaves_nothing(tmp_path):
    install_sigterm()
    try:
        def frames():
            yield from _frames(3)
            assert any(TMP_TAG in n for n in os.listdir(tmp_path))  # being written under its temporary name
            os.kill(os.getpid(), signal.SIGTERM)
            yield from _frames(3)

        with pytest.raises(Interrupted) as exc:
            write_video(tmp_path / "v.avi", frames(), 10.0)
        assert exc.value.exit_code == 128 + signal.SIGTERM
        assert _left(tmp_path) == []
    finally:
        signal.signal(signal.SIGTERM, signal.SIG_DFL)


def test_interrupt_gives_one_hupor_line(tmp_path, monkeypatch, capsys):
    import hupor.export_motion as em
    from hupor.schema import VIDEO_FORMAT

    def interrupted(*a, **k):
        raise Interrupted(signal.SIGINT)

    monkeypatch.setattr(em, "write_csv", interrupted)
    pred = tmp_path / "p.json"
    pred.write_text('{"format": "%s"}' % VIDEO_FORMAT)
    monkeypatch.setattr("hupor.schema.read_poses", lambda path: {})
    try:
        assert main(["export", "csv", str(pred), "--out", str(tmp_path / "x.csv")]) == 130
    finally:
        signal.signal(signal.SIGTERM, signal.SIG_DFL)
    assert capsys.readouterr().err.strip().splitlines() == ["hupor export: interrupted (SIGINT)"]


def test_long_names_fit_with_their_temporary_name(tmp_path):
    name = "n" * 240 + ".json"  # 245 bytes: the temporary name must be cut, not the final one
    write_text_atomic(tmp_path / name, "{}")
    assert _left(tmp_path) == [name]
    utf = "é" * 120 + ".txt"    # 244 bytes in UTF-8
    write_text_atomic(tmp_path / utf, "x")
    assert (tmp_path / utf).read_text() == "x"


def test_coco_results_clash_checked_first(tmp_path, fails):
    img = tmp_path / "a.png"
    cv2.imwrite(str(img), np.zeros((40, 60, 3), np.uint8))
    x = tmp_path / "X"
    fails(["predict", img, "--coco-results", x, "--json-output", x], "--coco-results", "the same path as --json-output")
    fails(["predict", img, "--coco-results", x, "--image-output", x], "the same path as --image-output")
    assert not x.exists()


def test_write_error_reason_kept():
    from hupor.fileio import write_error

    msg = str(write_error(Path("/d/v.avi"), OSError(errno.ENOSPC, os.strerror(errno.ENOSPC))))
    assert msg == "/d/v.avi: not written, no space left in /d (No space left on device)"
