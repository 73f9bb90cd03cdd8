"""Resources: sizes read from the header before decoding, FIFOs and devices refused without blocking,
--input-size bounded."""

import os
import struct
import time
import zlib

import cv2
import numpy as np
import pytest

from hupor.cli.main import main
from hupor.errors import HuporError
from hupor.media import image_header_size, iter_video, read_image


def _chunk(kind: bytes, data: bytes) -> bytes:
    return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data) & 0xFFFFFFFF)


def png_bomb(path, w, h):
    """A few hundred bytes whose header says w x h (decoding it would need w*h bytes)."""
    ihdr = _chunk(b"IHDR", struct.pack(">IIBBBBB", w, h, 8, 0, 0, 0, 0))
    path.write_bytes(b"\x89PNG\r\n\x1a\n" + ihdr + _chunk(b"IDAT", zlib.compress(b"\0" * 4096))
                     + _chunk(b"IEND", b""))
    return path


def jpeg_bomb(path, w, h):
    """A real small JPEG whose start-of-frame says w x h."""
    ok, buf = cv2.imencode(".jpg", np.zeros((8, 8, 3), np.uint8))
    data = bytearray(buf.tobytes())
    i = data.find(b"\xff\xc0")
    data[i + 5:i + 9] = struct.pack(">HH", h, w)
    path.write_bytes(bytes(data))
    return path


@pytest.mark.parametrize("make", [png_bomb, jpeg_bomb])
def test_header_bomb_refused_before_decoding(tmp_path, make):
    path = make(tmp_path / f"bomb.{'png' if make is png_bomb else 'jpg'}", 25000, 25000)
    assert image_header_size(path) == (25000, 25000)
    t0 = time.perf_counter()
    with pytest.raises(HuporError, match="25000x25000, larger than the limit"):
        read_image(path)
    assert time.perf_counter() - t0 < 0.5  # nothing was decoded


def test_header_size_of_ordinary_images(tmp_path):
    img = np.zeros((30, 40, 3), np.uint8)
    for ext in ("png", "jpg", "bmp", "webp"):
        cv2.imwrite(str(tmp_path / f"a.{ext}"), img)
        assert image_header_size(tmp_path / f"a.{ext}") == (40, 30), ext
        assert read_image(tmp_path / f"a.{ext}").shape == (30, 40, 3)
    (tmp_path / "t.png").write_bytes(b"\x89PNG")  # truncated: the decoder reports it
    assert image_header_size(tmp_path / "t.png") is None


def test_fifo_and_device_refused_without_blocking(tmp_path):
    os.mkfifo(tmp_path / "x.jpg")  # opening it for reading would block forever
    os.symlink("/dev/zero", tmp_path / "z.jpg")
    with pytest.raises(HuporError, match=r"x.jpg: not a regular file \(a FIFO\)"):
        read_image(tmp_path / "x.jpg")
    with pytest.raises(HuporError, match=r"z.jpg: not a regular file \(a device\)"):
        read_image(tmp_path / "z.jpg")
    os.mkfifo(tmp_path / "v.avi")
    with pytest.raises(HuporError, match="v.avi: not a regular file"):
        next(iter_video(tmp_path / "v.avi"))


def test_predict_reports_fifo_as_failed_input(tmp_path, capsys):
    os.mkfifo(tmp_path / "x.jpg")
    rc = main(["predict", str(tmp_path / "x.jpg"), "--json-output", str(tmp_path / "out")])
    err = capsys.readouterr().err
    assert rc == 2 and "x.jpg: not a regular file (a FIFO)" in err and "Traceback" not in err
    assert not (tmp_path / "out").exists() or not any((tmp_path / "out").iterdir())


def test_video_frame_size_from_container(tmp_path, monkeypatch):
    import hupor.media as media

    path = tmp_path / "clip.avi"
    w = cv2.VideoWriter(str(path), cv2.VideoWriter_fourcc(*"MJPG"), 10.0, (64, 32))
    w.write(np.zeros((32, 64, 3), np.uint8))
    w.release()
    monkeypatch.setattr(media, "MAX_SIDE", 50)  # the container says 64 px: refused before any frame
    with pytest.raises(HuporError, match="64x32, larger than the limit"):
        next(iter_video(path))


@pytest.mark.parametrize("size, fragment", [
    (("20000", "20000"), "--input-size W: 20000 px is above the limit of 4096"),
    (("100000", "64"), "--input-size W: 100000 px is above the limit"),
    (("96", "100"), "--input-size H: must be a positive multiple of 32"),
])
def test_input_size_bounded(tmp_path, fails, size, fragment):
    cv2.imwrite(str(tmp_path / "a.png"), np.zeros((8, 8, 3), np.uint8))
    fails(["predict", tmp_path / "a.png", "--input-size", *size, "--json-output", tmp_path / "o"], fragment)
    assert not (tmp_path / "o").exists()
