import numpy as np
import pytest

from hupor.detect2d import TileConfig, merge_people, skeleton_boxes, tile_boxes
from hupor.errors import HuporError


def person(x0, y0, height=100.0, score=0.9, k=17):
    """A column of k keypoints from (x0, y0) down ``height`` px."""
    ys = y0 + np.linspace(0.0, height, k)
    xs = x0 + 10.0 * np.sin(np.arange(k))
    return np.stack([xs, ys, np.full(k, score)], 1)


def test_tiles_cover_the_frame_and_start_with_it():
    boxes = tile_boxes(768, 576, TileConfig(tile=256, overlap=0.5))
    assert tuple(boxes[0]) == (0, 0, 768, 576)
    tiles = boxes[1:]
    assert len(tiles) == 5 * 4                       # 0,128,..,512 across; 0,128,256,320 down
    assert (tiles[:, 2] - tiles[:, 0] == 256).all() and (tiles[:, 3] - tiles[:, 1] == 256).all()
    assert tiles[:, 2].max() == 768 and tiles[:, 3].max() == 576      # flush with the border
    cover = np.zeros((576, 768), bool)
    for x0, y0, x1, y1 in tiles:
        cover[y0:y1, x0:x1] = True
    assert cover.all()


def test_small_frames_and_tile_zero_give_the_whole_frame_only():
    assert tile_boxes(200, 150, TileConfig(tile=256)).tolist() == [[0, 0, 200, 150]]
    assert tile_boxes(2000, 1000, TileConfig(tile=0)).tolist() == [[0, 0, 2000, 1000]]
    # taller than a tile but narrower: one column of tiles as wide as the frame
    b = tile_boxes(200, 600, TileConfig(tile=256, overlap=0.5))[1:]
    assert (b[:, 0] == 0).all() and (b[:, 2] == 200).all() and b[:, 3].max() == 600


@pytest.mark.parametrize("kw", [dict(tile=10), dict(overlap=1.0), dict(same_person=0.0)])
def test_bad_tile_settings_are_errors(kw):
    with pytest.raises(HuporError):
        TileConfig(**kw)


def test_skeleton_boxes_ignore_low_scores():
    k = person(50, 20)
    k[0] = (0.0, 0.0, 0.1)
    box = skeleton_boxes(k[None], 0.3)[0]
    assert box[1] == pytest.approx(20 + 100 / 16) and box[3] == pytest.approx(120)
    assert np.isnan(skeleton_boxes(np.zeros((1, 17, 3)), 0.3)).all()


def test_merge_keeps_one_of_each_person_and_the_most_complete():
    a = person(100, 50)
    a_tile = a.copy()
    a_tile[:, :2] += 2.0                               # the same person found again in a tile ...
    a_tile[10:, 2] = 0.0                               # ... truncated by the tile border
    b = person(400, 60)                                # someone else
    out = merge_people(np.stack([a_tile, b, a]), TileConfig())
    assert len(out) == 2
    assert any(np.allclose(o, a) for o in out) and any(np.allclose(o, b) for o in out)


def test_merge_keeps_overlapping_different_people_and_drops_tiny_ones():
    a = person(100, 50)
    behind = person(130, 70)                           # boxes overlap, keypoints do not coincide
    tiny = person(300, 300, height=20.0)               # below min_height 35 px
    out = merge_people(np.stack([a, behind, tiny]), TileConfig(min_height=35.0))
    assert len(out) == 2
    assert merge_people(np.zeros((0, 17, 3))).shape == (0, 17, 3)
    with pytest.raises(HuporError):
        merge_people(np.zeros((3, 17)))
