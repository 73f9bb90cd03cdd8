"""Issue 33, item 1: one guard per input kind. JSON nesting, PNG chunk lengths and the header size
guard on every image / mask reader (predict, SSF masks, preview, training records)."""

import json
import struct
import zlib

import cv2
import numpy as np
import pytest

from hupor.camera import Intrinsics
from hupor.errors import HuporError
from hupor.fileio import MAX_JSON_DEPTH, json_depth, parse_json, read_json
from hupor.media import check_png_chunks, read_image, read_mask
from hupor.records import ImageRecord, RecordSet


def _chunk(kind: bytes, data: bytes) -> bytes:
    return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data) & 0xFFFFFFFF)


def _png_header(w, h, depth=8):
    return b"\x89PNG\r\n\x1a\n" + _chunk(b"IHDR", struct.pack(">IIBBBBB", w, h, depth, 0, 0, 0, 0))


def png_bomb(path, w, h, depth=8):
    path.write_bytes(_png_header(w, h, depth) + _chunk(b"IDAT", zlib.compress(b"\0" * 4096)) + _chunk(b"IEND", b""))
    return path


def chunk_bomb(path):
    """44 bytes: a valid 8x8 header, then a chunk whose length field says 2 GiB."""
    data = _png_header(8, 8) + struct.pack(">I", 0x80000000) + b"IDAT" + b"\0" * 3
    assert len(data) == 44
    path.write_bytes(data)
    return path


def test_json_bomb_refused_by_every_reader(tmp_path, fails):
    deep = tmp_path / "deep.json"
    deep.write_text("[" * 5000 + "]" * 5000)
    with pytest.raises(HuporError, match="nested 5000 levels deep"):
        read_json(deep)
    img = tmp_path / "good.png"
    cv2.imwrite(str(img), np.zeros((32, 48, 3), np.uint8))
    fails(["predict", img, "--intrinsics", deep, "--json-output", tmp_path / "o"], f"{deep}", "nested")
    fails(["eval", "coco", "--pred", tmp_path, "--gt", deep], "nested")
    fails(["export", "csv", deep, "--out", tmp_path / "x.csv"], "nested")
    fails(["lift", deep, "--coco-images", deep, "--json-output", tmp_path / "l"], "nested")
    fails(["ssf", "--records", deep, "--out", tmp_path / "s.json"], "nested")
    assert not (tmp_path / "o").exists() and not (tmp_path / "x.csv").exists()


def test_json_depth_ignores_brackets_in_strings():
    text = json.dumps({"a": "[[[{{\\\"[", "b": [[["\\"]]], "c": "\""})
    assert json_depth(text.encode()) == 4
    nested = "[" * MAX_JSON_DEPTH + "]" * MAX_JSON_DEPTH
    assert parse_json(nested, "x") == json.loads(nested)   # the limit itself is accepted
    with pytest.raises(HuporError, match="x: JSON nested 101"):
        parse_json("[" + nested + "]", "x")


def test_png_chunk_length_checked_before_decoding(tmp_path, fails):
    bomb = chunk_bomb(tmp_path / "chunk.png")
    with pytest.raises(HuporError, match="chunk 'IDAT' at byte 33 claims 2147483648 bytes, the file has 44"):
        read_image(bomb)
    from hupor.cli.main import main

    assert main(["predict", str(bomb), "--json-output", str(tmp_path / "o")]) == 2  # listed, not a traceback
    with pytest.raises(HuporError, match="truncated PNG"):
        check_png_chunks(_png_header(8, 8), "t.png")
    ok, good = cv2.imencode(".png", np.zeros((8, 8), np.uint8))
    check_png_chunks(good.tobytes(), "good.png")  # a real PNG passes


def test_ssf_masks_guarded_and_named(tmp_path):
    big = png_bomb(tmp_path / "big.png", 25000, 25000)
    with pytest.raises(HuporError, match=r"big.png: image is 25000x25000, larger than the limit"):
        read_mask(big)
    deep = png_bomb(tmp_path / "deep16.png", 30000, 30000, depth=16)
    with pytest.raises(HuporError, match="deep16.png: image is 30000x30000"):
        read_mask(deep)
    jpg = tmp_path / "m.jpg"
    cv2.imwrite(str(jpg), np.zeros((16, 16), np.uint8))
    with pytest.raises(HuporError, match=r"instance mask .*m.jpg: a JPEG file; masks must be lossless"):
        read_mask(jpg)
    rgb = tmp_path / "rgb.png"
    cv2.imwrite(str(rgb), np.zeros((16, 16, 3), np.uint8))
    with pytest.raises(HuporError, match=r"rgb.png: not a single-channel image"):
        read_mask(rgb)
    ok = tmp_path / "ok.png"
    cv2.imwrite(str(ok), np.arange(256, dtype=np.uint16).reshape(16, 16) * 7)
    assert read_mask(ok).max() == 255 * 7


def test_ssf_records_mask_bomb_refused_fast(tmp_path, fails):
    png_bomb(tmp_path / "mask.png", 25000, 25000)
    cv2.imwrite(str(tmp_path / "im.png"), np.zeros((64, 96, 3), np.uint8))
    rec = ImageRecord("im.png", 96, 64, Intrinsics(100.0, 100.0, 48.0, 32.0), np.full((1, 15, 2), 10.0),
                      np.zeros((1, 15, 3)), np.ones((1, 15), int), has_3d=False, mask="mask.png")
    RecordSet([rec]).save(tmp_path / "r.json")
    fails(["ssf", "--records", tmp_path / "r.json", "--out", tmp_path / "o.json"], "mask.png", "25000x25000")
    assert not (tmp_path / "o.json").exists()


def _records_with(tmp_path, image_bytes=None, size=(96, 64)):
    rec = ImageRecord("im.png", size[0], size[1], Intrinsics(100.0, 100.0, 48.0, 32.0), np.zeros((0, 15, 2)),
                      np.zeros((0, 15, 3)), np.zeros((0, 15), int))
    if image_bytes is not None:
        (tmp_path / "im.png").write_bytes(image_bytes)
    RecordSet([rec], dataset="tiny").save(tmp_path / "records.json")
    return tmp_path / "records.json"


def test_preview_and_datasets_use_the_guard(tmp_path, fails):
    png_bomb(tmp_path / "im.png", 25000, 25000)
    records = _records_with(tmp_path, size=(25000, 25000))
    fails(["preview", records, "--out", tmp_path / "s.png", "--cell-width", "16"], "25000x25000")
    from hupor.data.datasets import DetectorDataset, load_records

    with pytest.raises(HuporError, match="record 0 .*im.png.*25000x25000"):
        DetectorDataset(load_records([str(records)]), None)
    chunk_bomb(tmp_path / "im.png")
    records = _records_with(tmp_path, size=(8, 8))
    fails(["preview", records, "--out", tmp_path / "s.png"], "images[0]", "claims 2147483648 bytes")
    assert not (tmp_path / "s.png").exists()
