"""Issue 33, item 7: property-based tests of the parsers and readers (hypothesis, derandomised so a
2-core CI run is repeatable). Each reader, given anything, either returns a valid result or raises
HuporError with one line: never another exception."""

import json
import math
import struct
import zlib

import numpy as np
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from hupor.errors import HuporError
from hupor.eval.keypoint_ap import check_gt
from hupor.export_motion import check_fps, frame_order
from hupor.fileio import MAX_JSON_DEPTH, json_depth, parse_json
from hupor.media import check_K, check_png_chunks, image_header_size, read_image
from hupor.records import RecordSet

FAST = settings(deadline=None, derandomize=True, max_examples=60,
                suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow])
SLOW = settings(FAST, max_examples=25)

json_values = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False) | st.text(max_size=8),
    lambda kids: st.lists(kids, max_size=4) | st.dictionaries(st.text(max_size=5), kids, max_size=4),
    max_leaves=25)


def _one_line(exc: HuporError):
    assert "\n" not in str(exc) and str(exc)


def _depth(v) -> int:
    if isinstance(v, list):
        return 1 + max((_depth(x) for x in v), default=0)
    if isinstance(v, dict):
        return 1 + max((_depth(x) for x in v.values()), default=0)
    return 0


@FAST
@given(json_values)
def test_json_depth_is_exact_and_round_trips(value):
    text = json.dumps(value)
    assert json_depth(text.encode()) == _depth(value)
    assert parse_json(text, "v.json") == value


@FAST
@given(st.binary(max_size=200) | st.text(alphabet='[]{}"\\,:1a ', max_size=300).map(str.encode))
def test_parse_json_only_raises_hupor_errors(data):
    try:
        parse_json(data, "x.json")
    except HuporError as exc:
        _one_line(exc)


@FAST
@given(st.integers(MAX_JSON_DEPTH + 1, 20000))
def test_deep_nesting_refused(depth):
    try:
        parse_json("[" * depth + "]" * depth, "d.json")
    except HuporError as exc:
        assert f"nested {depth} levels" in str(exc)
    else:
        raise AssertionError("accepted")


@FAST
@given(json_values)
def test_records_reader_never_crashes(value):
    doc = {"format": "hupor-records", "version": 1, "skeleton": "mpi15", "images": [value]}
    for candidate in (value, doc):
        try:
            RecordSet.from_json(candidate, "r.json")
        except HuporError as exc:
            _one_line(exc)


finite = st.floats(-1e4, 1e4, allow_nan=False)
anything = json_values | st.floats() | st.just(float("nan"))


@FAST
@given(st.lists(st.fixed_dictionaries({"id": st.integers(0, 5) | anything, "file_name": st.text(max_size=3)},
                                      optional={"width": anything, "crowdIndex": anything}), max_size=3),
       st.lists(st.fixed_dictionaries({"image_id": st.integers(0, 5) | anything,
                                       "keypoints": st.lists(finite | anything, min_size=42, max_size=42) | anything,
                                       "bbox": st.lists(finite | anything, min_size=4, max_size=4) | anything},
                                      optional={"area": anything, "iscrowd": anything}), max_size=3),
       st.sampled_from(["crowdpose", "coco"]))
def test_coco_gt_validation_never_crashes(images, annotations, kind):
    gt = {"images": images, "annotations": annotations}
    try:
        done = check_gt(gt, kind, "gt.json")
    except HuporError as exc:
        _one_line(exc)
        return
    for a in done["annotations"]:
        assert math.isfinite(a["area"]) and a["area"] >= 0


@FAST
@given(st.lists(st.lists(st.floats(width=64) | st.integers(-10, 10**7), min_size=3, max_size=3), min_size=2,
                max_size=4) | anything)
def test_intrinsics_checks_never_crash(K):
    try:
        out = check_K(K, "K")
    except HuporError as exc:
        _one_line(exc)
        return
    assert np.isfinite(out).all() and out[0, 0] >= 1


@FAST
@given(st.lists(st.integers(-2, 30) | st.none() | st.floats(0, 30) | st.booleans(), max_size=8),
       st.floats() | st.integers(-5, 5000) | st.none())
def test_bvh_input_frames_and_fps(frames, fps):
    video = {"frames": [{"image": {"frame": f}, "persons": []} for f in frames]}
    try:
        order = [f for f, _ in frame_order(video)]
    except HuporError as exc:
        _one_line(exc)
    else:
        assert order == sorted(frames) and len(set(order)) == len(order)
    try:
        value = check_fps(fps, "video.fps")
    except HuporError as exc:
        _one_line(exc)
    else:
        assert 0.01 <= value <= 1000


def _chunk(kind: bytes, data: bytes) -> bytes:
    return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data) & 0xFFFFFFFF)


@SLOW
@given(st.integers(1, 70000), st.integers(1, 70000), st.binary(max_size=64), st.integers(0, 2**32 - 1))
def test_image_headers_and_chunks(tmp_path_factory, w, h, tail, length):
    """A PNG header of any size, followed by junk or a chunk of any length: refused by the header or
    the chunk check, or decoded (small images) — never a decoder allocation or another exception."""
    folder = tmp_path_factory.mktemp("png")
    head = b"\x89PNG\r\n\x1a\n" + _chunk(b"IHDR", struct.pack(">IIBBBBB", w, h, 8, 0, 0, 0, 0))
    for k, data in enumerate((head + tail, head + struct.pack(">I", length) + b"IDAT" + tail)):
        path = folder / f"{k}.png"
        path.write_bytes(data)
        assert image_header_size(path) == (w, h)
        try:
            check_png_chunks(data, str(path))
            img = read_image(path)
        except HuporError as exc:
            _one_line(exc)
        else:
            assert img.shape[:2] == (h, w)
