import json

import cv2
import numpy as np
import pytest

from hupor.errors import HuporError
from hupor.media import (expand_inputs, iter_video, load_intrinsics, read_image, to_bgr8, video_info)


def _png(path, arr):
    ok, buf = cv2.imencode(".png", arr)
    assert ok
    buf.tofile(str(path))
    return path


def test_product_media_formats_become_bgr8(tmp_path):
    rng = np.random.default_rng(0)
    gray = rng.integers(0, 256, (12, 20), dtype=np.uint8)
    rgba = rng.integers(0, 256, (12, 20, 4), dtype=np.uint8)
    deep = rng.integers(0, 65536, (12, 20, 3), dtype=np.uint16)
    for name, arr in (("g.png", gray), ("a.png", rgba), ("d16.png", deep), ("ü ñ 图.png", rgba[..., :3])):
        img = read_image(_png(tmp_path / name, arr))
        assert img.shape == (12, 20, 3) and img.dtype == np.uint8, name
    np.testing.assert_array_equal(read_image(tmp_path / "g.png")[..., 1], gray)
    np.testing.assert_array_equal(read_image(tmp_path / "a.png"), rgba[..., :3])
    assert np.abs(read_image(tmp_path / "d16.png").astype(int) - np.round(deep / 257)).max() <= 1
    assert to_bgr8(np.full((4, 5), 0.5, np.float32))[0, 0, 0] == 128


@pytest.mark.parametrize("name, content, message", [
    ("empty.jpg", b"", "empty file"),
    ("corrupt.jpg", b"\xff\xd8\xff\xe0" + bytes(range(256)) * 4, "not a readable image"),
    ("notes.png", b"hello, I am text\n", "not a readable image"),
])
def test_product_media_bad_files(tmp_path, name, content, message):
    (tmp_path / name).write_bytes(content)
    with pytest.raises(HuporError) as exc:
        read_image(tmp_path / name)
    assert name in str(exc.value) and message in str(exc.value)


def test_product_media_missing_and_huge(tmp_path):
    with pytest.raises(HuporError, match="no such file"):
        read_image(tmp_path / "nope.jpg")
    with pytest.raises(HuporError, match="larger than the limit"):
        read_image(_png(tmp_path / "wide.png", np.zeros((4, 8001), np.uint8)))


def test_product_media_expand_inputs(tmp_path):
    (tmp_path / "empty").mkdir()
    with pytest.raises(HuporError, match="holds no images or videos"):
        expand_inputs([tmp_path / "empty"])
    with pytest.raises(HuporError, match="no such file or folder"):
        expand_inputs([tmp_path / "missing.jpg"])
    d = tmp_path / "media"
    d.mkdir()
    for n in ("b.jpg", "a.PNG", "c.avi", "notes.txt"):
        (d / n).write_bytes(b"x")
    srcs = expand_inputs([d, "0", str(d / "notes.txt")])
    assert [(s.kind, s.name) for s in srcs] == [("image", "a.PNG"), ("image", "b.jpg"), ("video", "c.avi"),
                                                ("webcam", "webcam0"), ("image", "notes.txt")]


def test_product_media_video(tmp_path):
    path = str(tmp_path / "v.avi")
    w = cv2.VideoWriter(path, cv2.VideoWriter_fourcc(*"MJPG"), 10.0, (64, 48))
    for i in range(3):
        w.write(np.full((48, 64, 3), 40 * i, np.uint8))
    w.release()
    info = video_info(path)
    assert (info.width, info.height) == (64, 48)
    frames = list(iter_video(path))
    assert [i for i, _ in frames] == [0, 1, 2] and frames[0][1].shape == (48, 64, 3)
    assert len(list(iter_video(path, max_frames=2))) == 2
    empty = str(tmp_path / "empty.avi")
    cv2.VideoWriter(empty, cv2.VideoWriter_fourcc(*"MJPG"), 10.0, (64, 48)).release()
    with pytest.raises(HuporError, match="empty.avi"):
        list(iter_video(empty))
    (tmp_path / "zero.mp4").write_bytes(b"")
    with pytest.raises(HuporError, match="zero.mp4"):
        list(iter_video(tmp_path / "zero.mp4"))


@pytest.mark.parametrize("data, message", [
    ({"K": [[500, 0, 320], [0, 500, 240]]}, "must be 3x3"),
    ({"K": [[-500, 0, 320], [0, 500, 240], [0, 0, 1]]}, "focal lengths must be positive"),
    ({"K": [[500, 0, 320], [0, 500, 240], [0, 1, 1]]}, "last row"),
    ({"K": "abc"}, "not a numeric 3x3"),
    ({"fx": 500, "fy": 500, "cx": 320}, "missing cy"),
    ({"fx": -1, "fy": 500, "cx": 320, "cy": 240}, "focal lengths must be positive"),
    ({"fx": "500", "fy": 500, "cx": 320, "cy": 240}, "fx must be a number"),
    ([1, 2, 3], "expected a JSON object"),
])
def test_product_media_bad_intrinsics(tmp_path, data, message):
    f = tmp_path / "cam.json"
    f.write_text(json.dumps(data))
    with pytest.raises(HuporError, match=message):
        load_intrinsics(f)


def test_product_media_intrinsics_file(tmp_path):
    f = tmp_path / "cam.json"
    f.write_text(json.dumps({"fx": 500, "fy": 510, "cx": 320, "cy": 240}))
    np.testing.assert_allclose(load_intrinsics(f), [[500, 0, 320], [0, 510, 240], [0, 0, 1]])
    f.write_text(json.dumps({"K": [[600, 0, 300], [0, 600, 200], [0, 0, 1]]}))
    assert load_intrinsics(f)[0, 0] == 600
